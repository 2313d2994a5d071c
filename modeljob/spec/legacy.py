"""Keys from older Bacalhau releases, required fields, and hints for unknown keys.

Each handler runs after the known fields of one model were converted. It receives
the converted `values` (attribute name to value), the legacy keys found (folded
key to the key as given and its value) and the model's path, and it may rewrite
`values`, add warnings, or add errors. Every accepted legacy key produces a
warning that names what it became.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from modeljob.spec import models
from modeljob.spec.convert import INVALID, Converter, join_path, type_name
from modeljob.spec.enums import Engine
from modeljob.spec.fields import FIELD_TABLES, construct, fold_key

API_VERSION_ACCEPTED = "v1beta1"
# Bacalhau at commit 2bc2902a stamps V1beta2 on jobs its CLI builds, with the
# schema unchanged, so such jobs are read as V1beta1.
API_VERSION_SAME_SCHEMA = "v1beta2"
API_VERSION_FLAT = "v1alpha1"


def _is_blank(value: Any) -> bool:
    """Tell whether a legacy value carries nothing: null, false, 0, empty, or made only of those."""
    if value is None or value is False or value == 0 or value == "":
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_blank(item) for item in value)
    if isinstance(value, dict):
        return all(_is_blank(item) for item in value.values())
    return False


def _plain(converter: Converter, value: Any, path: str) -> Any:
    """Return a legacy value as plain data (SDK objects turned into dicts), or None after an error."""
    if value is None or isinstance(value, (str, int, float, bool, list, tuple)):
        return value
    mapping = converter.as_mapping(value, path)
    return None if mapping is None else dict(mapping)


def _folded(mapping: dict[str, Any]) -> dict[str, Any]:
    return {fold_key(key): value for key, value in mapping.items() if isinstance(key, str)}


# Job.


def finish_job(converter: Converter, values: dict[str, Any], legacy: dict[str, tuple[str, Any]], path: str) -> None:
    _check_api_version(converter, values, path)

    client = legacy.get("clientid")
    if client is not None:
        _move_client_id(converter, values, client, path)

    if values.get("spec") is None:
        if "spec" not in values:
            converter.error(join_path(path, "Spec"), "missing; a job needs a Spec with at least an Engine")
        values["spec"] = None


def _check_api_version(converter: Converter, values: dict[str, Any], path: str) -> None:
    where = join_path(path, "APIVersion")
    api_version = values.get("api_version")
    if api_version is None:
        converter.error(where, "missing; add APIVersion: V1beta1 at the top of the job")
        values["api_version"] = models.API_VERSION
        return

    folded = api_version.strip().casefold()
    if folded == API_VERSION_ACCEPTED:
        values["api_version"] = models.API_VERSION
    elif folded == API_VERSION_SAME_SCHEMA:
        converter.warn(where, f"{api_version!r} has the same job schema as V1beta1 and was read as V1beta1")
        values["api_version"] = models.API_VERSION
    elif folded == API_VERSION_FLAT:
        converter.error(
            where,
            "V1alpha1 jobs (Bacalhau 0.2 and earlier) are not supported; rewrite the job in the V1beta1 form "
            "with APIVersion: V1beta1 and the fields under Spec",
            api_version,
        )
    else:
        converter.error(where, "unsupported API version; use V1beta1", api_version)


def _move_client_id(converter: Converter, values: dict[str, Any], client: tuple[str, Any], path: str) -> None:
    key, client_id = client
    where = join_path(path, key)
    if not isinstance(client_id, str):
        converter.error(where, f"expected a string, got {type_name(client_id)}", client_id)
        return
    metadata = values.get("metadata") or construct(models.ModelMetadata, {})
    if metadata.client_id and metadata.client_id != client_id:
        converter.error(where, f"differs from Metadata.ClientID ({metadata.client_id!r}); keep one", client_id)
        return
    # A top-level ClientID is the submit-payload form (JobCreatePayload) that the
    # Python SDK sends; it is the same value as Metadata.ClientID.
    values["metadata"] = metadata.model_copy(update={"client_id": client_id or None})


# Spec.


def finish_spec(converter: Converter, values: dict[str, Any], legacy: dict[str, tuple[str, Any]], path: str) -> None:
    if "enginespec" in legacy:
        _convert_engine_spec(converter, values, legacy["enginespec"], path)
    for folded in ("verifier", "verifiername", "enginename", "publishername"):
        if folded in legacy:
            key, value = legacy[folded]
            converter.warn(join_path(path, key), f"removed field (value {value!r}) was ignored")
    if "language" in legacy:
        _drop_language(converter, legacy["language"], path)
    if "sharding" in legacy:
        _drop_sharding(converter, legacy["sharding"], path)
    if "executionplan" in legacy:
        key, _ = legacy["executionplan"]
        converter.warn(join_path(path, key), "removed field (shard count set by old requesters) was ignored")
    if "contexts" in legacy:
        _move_contexts(converter, values, legacy["contexts"], path)

    if values.get("engine") is None:
        if not converter.has_error_at(join_path(path, "Engine")):
            converter.error(join_path(path, "Engine"), "missing; set Engine to Docker, Wasm or Noop")
        values["engine"] = None
    _mirror_publisher(converter, values, path)
    _drop_empty_sections(values)


def _convert_engine_spec(converter: Converter, values: dict[str, Any], item: tuple[str, Any], path: str) -> None:
    key, raw = item
    where = join_path(path, key)
    mapping = converter.as_mapping(raw, where) if raw is not None else None
    if mapping is None:
        return

    engine_value: Any = None
    params: Any = None
    for inner_key, inner_value in mapping.items():
        folded = fold_key(inner_key) if isinstance(inner_key, str) else None
        if folded == "type":
            engine_value = inner_value
        elif folded == "params":
            params = inner_value
        else:
            converter.error(join_path(where, str(inner_key)), "unknown field; EngineSpec has only Type and Params")

    engine = (
        converter.convert_enum(engine_value, Engine, join_path(where, "Type")) if engine_value is not None else INVALID
    )
    if engine_value is None:
        converter.error(join_path(where, "Type"), "missing; set Type to docker or wasm")
    if engine is INVALID:
        return

    existing = values.get("engine")
    if existing is not None and existing is not engine:
        converter.error(where, f"EngineSpec.Type {engine.value} disagrees with Spec.Engine {existing.value}; keep one")
        return
    values["engine"] = engine

    params_path = join_path(where, "Params")
    if engine is Engine.NOOP:
        if params:
            converter.error(params_path, "the Noop engine takes no parameters", params)
        converter.warn(where, "EngineSpec (Bacalhau 1.1 form) was converted to Spec.Engine: Noop")
        return

    section_name, model = (
        ("docker", models.ModelJobSpecDocker) if engine is Engine.DOCKER else ("wasm", models.ModelJobSpecWasm)
    )
    section = converter.convert_model(params if params is not None else {}, model, params_path)
    existing_section = values.get(section_name)
    if existing_section is not None and not is_blank_model(existing_section):
        converter.error(where, f"both EngineSpec.Params and Spec.{section_name.capitalize()} are set; keep one")
        return
    if section is not None:
        values[section_name] = section
    converter.warn(
        where,
        f"EngineSpec (Bacalhau 1.1 form) was converted to Spec.Engine: {engine.value} and Spec.{section_name.capitalize()}",
    )


def _drop_language(converter: Converter, item: tuple[str, Any], path: str) -> None:
    key, raw = item
    where = join_path(path, key)
    value = _plain(converter, raw, where)
    if _is_blank(value):
        converter.warn(where, "empty section of the removed Language engine was ignored")
    else:
        converter.error(
            where,
            "the Language engine was removed in Bacalhau 1.0.4 and is not supported; use Engine: Docker or Wasm",
            value,
        )


def _drop_sharding(converter: Converter, item: tuple[str, Any], path: str) -> None:
    key, raw = item
    where = join_path(path, key)
    value = _plain(converter, raw, where)
    folded = _folded(value) if isinstance(value, dict) else {}
    if folded.get("globpattern"):
        converter.error(
            where, "input sharding (GlobPattern) was removed in Bacalhau 0.3.23 and is not supported", value
        )
        return
    converter.warn(where, "removed field (input sharding without a GlobPattern runs one shard) was ignored")


def _move_contexts(converter: Converter, values: dict[str, Any], item: tuple[str, Any], path: str) -> None:
    key, raw = item
    where = join_path(path, key)
    contexts = converter.convert_list(
        raw if raw is not None else [],
        where,
        lambda entry, entry_path: converter.convert_model(entry, models.ModelStorageSpec, entry_path),
    )
    if contexts is INVALID:
        return
    if contexts:
        values["inputs"] = [*values.get("inputs", []), *contexts]
        converter.warn(where, f"removed field; its {len(contexts)} volume(s) were appended to Spec.Inputs")
    else:
        converter.warn(where, "empty removed field was ignored")


def _mirror_publisher(converter: Converter, values: dict[str, Any], path: str) -> None:
    publisher = values.get("publisher")
    publisher_spec = values.get("publisher_spec")
    spec_type = publisher_spec.type if publisher_spec is not None else None

    if publisher is not None and spec_type is None:
        update = {"type": publisher}
        if publisher_spec is None:
            publisher_spec = construct(models.ModelPublisherSpec, update)
        else:
            publisher_spec = publisher_spec.model_copy(update=update)
        values["publisher_spec"] = publisher_spec
        converter.warn(
            join_path(path, "Publisher"),
            f"deprecated field was converted to Spec.PublisherSpec.Type: {publisher.value}",
        )
    elif publisher is not None and publisher is not spec_type:
        converter.error(
            join_path(path, "Publisher"),
            f"deprecated field disagrees with Spec.PublisherSpec.Type ({spec_type.value}); remove Spec.Publisher",
            publisher.value,
        )
        return

    if publisher_spec is not None and publisher_spec.type is None:
        if publisher_spec.params:
            converter.error(join_path(path, "PublisherSpec.Type"), "missing; Params need a publisher Type such as S3")
        values["publisher_spec"] = None
        return
    if publisher_spec is not None:
        # Bacalhau's requester keeps the deprecated field equal to PublisherSpec.Type.
        values["publisher"] = publisher_spec.type


def _drop_empty_sections(values: dict[str, Any]) -> None:
    """Set sections that carry nothing to None, so that absent and empty dump alike."""
    engine = values.get("engine")
    if engine is not Engine.DOCKER and _blank_entry(values, "docker"):
        values["docker"] = None
    if engine is not Engine.WASM and _blank_entry(values, "wasm"):
        values["wasm"] = None
    for name in ("resources", "publisher_spec"):
        if _blank_entry(values, name):
            values[name] = None
    network = values.get("network")
    if network is not None and network.type.value == "None" and not network.domains:
        values["network"] = None


def _blank_entry(values: dict[str, Any], name: str) -> bool:
    section = values.get(name)
    return section is not None and is_blank_model(section)


def is_blank_model(model: BaseModel) -> bool:
    """Tell whether every field of `model` is unset, empty, false, or a blank model."""
    for name in type(model).model_fields:
        value = getattr(model, name, None)
        if isinstance(value, BaseModel):
            if not is_blank_model(value):
                return False
        elif value not in (None, False, "") and not (isinstance(value, (list, dict)) and not value):
            return False
    return True


# Deal, Metadata, selectors.


def finish_deal(converter: Converter, values: dict[str, Any], legacy: dict[str, tuple[str, Any]], path: str) -> None:
    for folded in ("confidence", "minbids"):
        if folded in legacy:
            key, value = legacy[folded]
            converter.warn(join_path(path, key), f"removed field (value {value!r}, verification quorum) was ignored")


def finish_metadata(
    converter: Converter, values: dict[str, Any], legacy: dict[str, tuple[str, Any]], path: str
) -> None:
    requester = values.get("requester")
    if requester is not None and is_blank_model(requester):
        values["requester"] = None


def finish_selector(
    converter: Converter, values: dict[str, Any], legacy: dict[str, tuple[str, Any]], path: str
) -> None:
    if values.get("key") is None and not converter.has_error_at(join_path(path, "Key")):
        converter.error(join_path(path, "Key"), "missing; a node selector needs a label Key")
    values.setdefault("key", None)
    if values.get("operator") is None and not converter.has_error_at(join_path(path, "Operator")):
        converter.error(join_path(path, "Operator"), "missing; use one of =, ==, !=, in, notin, exists, !, gt, lt")
    values.setdefault("operator", None)


def finish_storage(converter: Converter, values: dict[str, Any], legacy: dict[str, tuple[str, Any]], path: str) -> None:
    s3 = values.get("s3")
    if s3 is not None and is_blank_model(s3):
        values["s3"] = None


def finish_wasm(converter: Converter, values: dict[str, Any], legacy: dict[str, tuple[str, Any]], path: str) -> None:
    # Bacalhau marshals an unused Wasm section as {"EntryModule": {}}.
    module = values.get("entry_module")
    if module is not None and is_blank_model(module):
        values["entry_module"] = None


def finish_network(converter: Converter, values: dict[str, Any], legacy: dict[str, tuple[str, Any]], path: str) -> None:
    if "type" not in values:
        values["type"] = models.Network.NONE


LEGACY_HANDLERS: dict[type[BaseModel], tuple[frozenset[str], Any]] = {
    models.ModelJob: (frozenset({"clientid"}), finish_job),
    models.ModelSpec: (
        frozenset(
            {
                "enginespec",
                "verifier",
                "verifiername",
                "enginename",
                "publishername",
                "language",
                "sharding",
                "executionplan",
                "contexts",
            }
        ),
        finish_spec,
    ),
    models.ModelDeal: (frozenset({"confidence", "minbids"}), finish_deal),
    models.ModelMetadata: (frozenset(), finish_metadata),
    models.ModelLabelSelectorRequirement: (frozenset(), finish_selector),
    models.ModelStorageSpec: (frozenset(), finish_storage),
    models.ModelNetworkConfig: (frozenset(), finish_network),
    models.ModelJobSpecWasm: (frozenset(), finish_wasm),
}


# Hints for unknown keys that people commonly write, by model and folded key.

_SPEC_KEYS = {fold_key(field.wire): field.wire for field in FIELD_TABLES[models.ModelSpec].values()}
_METADATA_KEYS = {
    "id": "ID",
    "createdat": "CreatedAt",
    "requesternodeid": "Requester.RequesterNodeID",
    "requesterpublickey": "Requester.RequesterPublicKey",
}
_FLAT_V1ALPHA1_KEYS = {
    "jobapiversion",
    "enginename",
    "verifiername",
    "publishername",
    "jobspecdocker",
    "jobspeclanguage",
    "inputvolumes",
    "outputvolumes",
    "donottrack",
    "contexts",
    "sharding",
    "verifier",
    "executionplan",
}


def hint_for_unknown_key(model: type[BaseModel], key: str) -> str | None:
    """Return a specific hint for an unknown key, or None to fall back to the closest-name suggestion."""
    folded = fold_key(key)
    if model is models.ModelJob:
        if folded in _SPEC_KEYS:
            return f"{key!r} belongs inside Spec; move it to Spec.{_SPEC_KEYS[folded]}"
        if folded in _METADATA_KEYS:
            return f"{key!r} belongs inside Metadata; move it to Metadata.{_METADATA_KEYS[folded]}"
        if folded in ("jobstate", "state", "history"):
            return "this looks like `bacalhau describe` output; submit only APIVersion, Metadata and Spec"
        if folded in _FLAT_V1ALPHA1_KEYS:
            return (
                "this key belongs to the flat job layout used before V1beta1; V1beta1 puts the job's fields under Spec"
            )
        if folded == "type":
            return (
                "Type (batch, ops) belongs to Bacalhau's newer job format; in V1beta1 use "
                "Spec.Deal.TargetingMode: true to run on every matching node"
            )
    if model is models.ModelSpec:
        if folded == "labels":
            return "V1beta1 has no Spec.Labels; to choose nodes by their labels use Spec.NodeSelectors"
        if folded == "jobspecdocker":
            return "did you mean 'Docker'? (JobSpecDocker is the V1alpha1 name)"
        if folded in ("storage", "tasks", "constraints", "count"):
            return f"{key!r} is not a V1beta1 field (it belongs to a newer Bacalhau job format)"
    if model is models.ModelStorageSpec and folded in ("storageengine", "enginename", "engine"):
        return f"did you mean 'StorageSource'? ({key!r} is the name used before Bacalhau 0.3)"
    return None
