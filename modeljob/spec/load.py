"""Reading a job document from text, bytes or a file into plain Python values.

YAML is read with the YAML 1.2 core schema rather than PyYAML's YAML 1.1 default.
Under 1.1, `Operator: =` is the special "value" tag that `safe_load` refuses,
`Values: [no]` becomes False, and an unquoted `CreatedAt` becomes a datetime.
This loader types only `true`/`false`, `null`/`~`, decimal integers without a
leading zero and floats with a dot or an exponent. That is the YAML 1.2 core schema,
except that `0777` stays a string. Everything else is a string, and duplicate keys
are rejected.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from modeljob.errors import FieldError

# Bacalhau's CLI refuses job files above 10 MiB (MaxSerializedStringInput).
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SpecLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe YAML loader with core-schema scalars and duplicate-key detection."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a scalar", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
SpecLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
SpecLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))
SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


class LoadError(Exception):
    """The source could not be read or decoded; `error` describes the problem."""

    def __init__(self, error: FieldError) -> None:
        super().__init__(str(error))
        self.error = error


def read_path(path: Path) -> bytes:
    """Read a job file, refusing files above MAX_PAYLOAD_BYTES before reading them whole."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_PAYLOAD_BYTES + 1)
    except OSError as error:
        raise LoadError(FieldError("", f"cannot read the job file: {error.strerror or error}", str(path))) from None
    return data


def decode_text(data: bytes | str) -> Any:
    """Decode JSON or YAML text (bytes must be UTF-8) into plain values."""
    if isinstance(data, bytes):
        check_payload_size(len(data))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise LoadError(FieldError("", f"the document is not UTF-8 text (byte {error.start} is invalid)")) from None
    else:
        text = data
        # A str is measured in characters; UTF-8 needs at least one byte for each.
        check_payload_size(len(text))
        if len(text) * 4 > MAX_PAYLOAD_BYTES:
            check_payload_size(len(text.encode("utf-8", "surrogatepass")))

    if not text.strip():
        raise LoadError(FieldError("", "the document is empty; expected a job with APIVersion and Spec"))

    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            # YAML is a superset of JSON and also reads JSON with trailing commas,
            # which some hand-written job files have; fall through to it.
            pass
    return _decode_yaml(text)


def check_payload_size(size_bytes: int) -> None:
    if size_bytes > MAX_PAYLOAD_BYTES:
        raise LoadError(
            FieldError(
                "", f"the document is larger than the {MAX_PAYLOAD_BYTES // (1024 * 1024)} MiB limit", size_bytes
            )
        )


def _decode_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=SpecLoader)  # noqa: S506 - SpecLoader is a safe loader
    except yaml.MarkedYAMLError as error:
        where = ""
        if error.problem_mark is not None:
            where = f" at line {error.problem_mark.line + 1}, column {error.problem_mark.column + 1}"
        problem = error.problem or error.context or "syntax error"
        template_line = _first_template_line(text)
        if template_line is not None:
            raise LoadError(
                FieldError(
                    "",
                    f"contains an unrendered Go template ({{{{ ... }}}} on line {template_line}), which makes it invalid "
                    f"YAML and JSON ({problem}{where}); render the template first",
                )
            ) from None
        raise LoadError(FieldError("", f"not valid YAML or JSON: {problem}{where}")) from None
    except RecursionError:
        raise LoadError(FieldError("", "the document is nested too deeply")) from None
    # PyYAML raises other types for a few inputs (for example ValueError for an
    # integer of more than 4300 digits); the parser promises one exception type.
    except Exception as error:  # noqa: BLE001
        raise LoadError(FieldError("", f"not valid YAML or JSON: {error}")) from None


def _first_template_line(text: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if "{{" in line and "}}" in line:
            return number
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
