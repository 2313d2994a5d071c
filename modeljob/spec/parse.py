"""Entry points: `parse_job`, `dump_job`, `load_canonical` and `job_json_schema`."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modeljob.errors import FieldError, SpecValidationError
from modeljob.spec.convert import AbortConversion, Converter, type_name
from modeljob.spec.fields import fold_key
from modeljob.spec.legacy import LEGACY_HANDLERS
from modeljob.spec.load import LoadError, decode_text, read_path
from modeljob.spec.models import ModelJob
from modeljob.spec.rules import check_job

logger = logging.getLogger(__name__)

# Values of a top-level `Type` that mark Bacalhau's newer job format (1.1 and later).
_NEW_FORMAT_TYPES = {"batch", "ops", "daemon", "service"}
# Keys allowed beside a `Job` wrapper, with the reason they are dropped.
_WRAPPER_SIBLINGS = {
    "machine": "Lilypad's machine requirements are not part of the job and were ignored; "
    "request resources in Spec.Resources",
    "state": "the job state of `bacalhau describe` output was ignored",
    "history": "the job history of `bacalhau describe` output was ignored",
}
_NEW_FORMAT_MESSAGE = (
    "this is a job in Bacalhau's newer format (Type, Tasks; Bacalhau 1.1 and later), which modeljob does not run; "
    "write a V1beta1 job with APIVersion: V1beta1 and a Spec"
)


@dataclass
class ParsedJob:
    """A valid job and the warnings about what parsing changed in it."""

    job: ModelJob
    warnings: list[str] = field(default_factory=list)


def parse_job(source: Any, *, source_name: str | None = None) -> ParsedJob:
    """Parse and validate a job from any form clients produce.

    `source` may be a ModelJob, a mapping, an object with `to_dict()` (such as the
    Bacalhau SDK's models), YAML or JSON text as str or bytes, or a pathlib.Path
    to read. Raises SpecValidationError listing every problem found; no other
    exception escapes, whatever the input.
    """
    if source_name is None and isinstance(source, Path):
        source_name = str(source)
    try:
        return _parse(source, source_name)
    except SpecValidationError:
        raise
    # Callers rely on one exception type for any input, so a bug here must still
    # surface as a validation error. Its traceback is logged so that it gets fixed.
    except Exception as error:  # noqa: BLE001
        logger.exception("internal error while validating a job spec from %s", source_name or "input")
        raise SpecValidationError(
            [FieldError("", f"internal error while validating ({type(error).__name__}: {error}); please report it")],
            source_name,
        ) from None


def _parse(source: Any, source_name: str | None) -> ParsedJob:
    converter = Converter(LEGACY_HANDLERS)
    try:
        document = _load_source(source)
        job = _convert_document(converter, document)
    except LoadError as error:
        raise SpecValidationError([error.error], source_name) from None
    except AbortConversion:
        raise SpecValidationError(converter.errors, source_name) from None

    if job is not None:
        rule_errors, rule_warnings = check_job(job)
        # A field already reported by the converter is not reported again.
        converter.errors.extend(error for error in rule_errors if not converter.has_error_at(error.path))
        converter.warnings.extend(rule_warnings)

    if converter.errors or job is None:
        raise SpecValidationError(converter.errors, source_name)
    return ParsedJob(job=job, warnings=converter.warnings)


def _load_source(source: Any) -> Any:
    if isinstance(source, ModelJob):
        # Re-validate: a ModelJob may have been built or changed without the rules.
        return dump_job(source)
    if isinstance(source, Path):
        return decode_text(read_path(source))
    if isinstance(source, (bytes, bytearray, memoryview)):
        return decode_text(bytes(source))
    if isinstance(source, str):
        document = decode_text(source)
        if isinstance(document, str) and "\n" not in source and source.strip().endswith((".yaml", ".yml", ".json")):
            raise LoadError(FieldError("", "got a file name as text; pass a pathlib.Path to read a file", source))
        return document
    return source


def _convert_document(converter: Converter, document: Any) -> ModelJob | None:
    if not isinstance(document, Mapping) and not hasattr(document, "to_dict"):
        converter.error("", f"a job must be a mapping with APIVersion and Spec, got {type_name(document)}")
        return None
    top = converter.as_mapping(document, "")
    if top is None:
        return None
    if _is_new_format(top):
        converter.error("", _NEW_FORMAT_MESSAGE)
        return None

    top = _unwrap(converter, top)
    if top is None:
        return None
    if _is_new_format(top):
        converter.error("Job", _NEW_FORMAT_MESSAGE)
        return None

    job = converter.convert_model(top, ModelJob, "")
    return job  # type: ignore[return-value]


def _is_new_format(mapping: Mapping[Any, Any]) -> bool:
    folded = {fold_key(key): value for key, value in mapping.items() if isinstance(key, str)}
    if "tasks" in folded:
        return True
    job_type = folded.get("type")
    return "spec" not in folded and isinstance(job_type, str) and job_type.strip().lower() in _NEW_FORMAT_TYPES


def _unwrap(converter: Converter, top: Mapping[Any, Any]) -> Mapping[Any, Any] | None:
    """Return the job inside a `Job:` wrapper (describe output, Lilypad modules), or `top` itself."""
    wrapper_key = next((key for key in top if isinstance(key, str) and fold_key(key) == "job"), None)
    if wrapper_key is None:
        return top

    for key in top:
        if key == wrapper_key:
            continue
        folded = fold_key(key) if isinstance(key, str) else None
        if folded in _WRAPPER_SIBLINGS:
            converter.warn(str(key), _WRAPPER_SIBLINGS[folded])
        elif folded in ("apiversion", "spec", "metadata"):
            converter.error(
                str(key),
                f"found both a {wrapper_key!r} wrapper and {key!r} beside it; keep only the job inside {wrapper_key!r}",
            )
        else:
            converter.error(str(key), f"unknown field beside the {wrapper_key!r} wrapper")
    return converter.as_mapping(top[wrapper_key], str(wrapper_key))


def dump_job(job: ModelJob) -> dict[str, Any]:
    """Return the canonical wire form: PascalCase keys, string enums, unset fields left out."""
    return job.model_dump(mode="json", by_alias=True)


def dump_job_json(job: ModelJob, *, indent: int | None = None) -> str:
    """Return the canonical wire form as JSON text."""
    return json.dumps(dump_job(job), indent=indent, ensure_ascii=False)


def load_canonical(document: Mapping[str, Any]) -> ModelJob:
    """Build a job from a trusted canonical dump (from `dump_job`) without the full checks.

    For jobs read back from the store, which were validated when they were
    submitted. Raises pydantic's ValidationError when the document has the wrong
    shape; use `parse_job` for anything that did not come from `dump_job`.
    """
    return ModelJob.model_validate(document)


def job_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of the canonical wire form.

    `parse_job` accepts more than this schema describes: keys in any letter case or
    snake_case, enum names in any case or as SDK integers, and the legacy fields
    listed in docs/spec.md.
    """
    schema = ModelJob.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ModelJob (Bacalhau V1beta1 job, canonical form)"
    schema.setdefault("required", [])
    for required in ("APIVersion", "Spec"):
        if required not in schema["required"]:
            schema["required"].append(required)
    schema["properties"]["APIVersion"] = {"type": "string", "const": "V1beta1", "title": "APIVersion"}
    return schema
