"""Field tables derived from the models: how each wire key is matched and converted.

Go's JSON decoder matches keys case-insensitively, and the SDKs send snake_case
names, so a key is matched after folding: underscores and hyphens removed, letters
lower-cased. `storage_source`, `storageSource`, `storagesource` and `StorageSource`
all fold to `storagesource`.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from modeljob.spec import models


@dataclass(frozen=True)
class FieldInfo:
    """How one model field is read: its attribute name, wire key and value kind."""

    name: str
    wire: str
    # One of: str, bool, int, datetime, enum, model, model_list, str_list, str_map, any_map.
    kind: str
    target: Any = None


# Folded forms of keys seen so far; bounded so that random keys cannot grow it forever.
_FOLDED: dict[str, str] = {}
_MAX_FOLDED_CACHE = 4096


def fold_key(key: str) -> str:
    """Fold a key the way the parser compares keys: no `_` or `-`, lower case."""
    folded = _FOLDED.get(key)
    if folded is None:
        folded = key.replace("_", "").replace("-", "").lower()
        if len(_FOLDED) < _MAX_FOLDED_CACHE:
            _FOLDED[key] = folded
    return folded


def _kind_of(annotation: Any) -> tuple[str, Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _kind_of(members[0])
    if origin is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return "model_list", item
        return "str_list", None
    if origin is dict:
        _, value = typing.get_args(annotation)
        return ("str_map", None) if value is str else ("any_map", None)
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return "model", annotation
        if issubclass(annotation, Enum):
            return "enum", annotation
        if annotation is bool:
            return "bool", None
        if annotation is int:
            return "int", None
        if annotation is datetime:
            return "datetime", None
        if annotation is str:
            return "str", None
    raise TypeError(f"no conversion for field type {annotation!r}")


def _build_table(model: type[BaseModel]) -> dict[str, FieldInfo]:
    table: dict[str, FieldInfo] = {}
    for name, field in model.model_fields.items():
        kind, target = _kind_of(field.annotation)
        wire = field.alias or name
        table[fold_key(wire)] = FieldInfo(name=name, wire=wire, kind=kind, target=target)
    return table


FIELD_TABLES: dict[type[BaseModel], dict[str, FieldInfo]] = {
    model: _build_table(model)
    for model in (
        models.ModelJob,
        models.ModelMetadata,
        models.ModelJobRequester,
        models.ModelSpec,
        models.ModelJobSpecDocker,
        models.ModelJobSpecWasm,
        models.ModelStorageSpec,
        models.ModelS3StorageSpec,
        models.ModelResourceUsageConfig,
        models.ModelNetworkConfig,
        models.ModelDeal,
        models.ModelPublisherSpec,
        models.ModelLabelSelectorRequirement,
    )
}


_DEFAULT_MAKERS: dict[type[BaseModel], list[tuple[str, Any, Any]]] = {}


def _default_makers(model: type[BaseModel]) -> list[tuple[str, Any, Any]]:
    makers = _DEFAULT_MAKERS.get(model)
    if makers is None:
        makers = [(name, field.default_factory, field.default) for name, field in model.model_fields.items()]
        _DEFAULT_MAKERS[model] = makers
    return makers


def construct(model: type[BaseModel], values: dict[str, Any]) -> BaseModel:
    """Build `model` from already converted values without validation, filling defaults.

    Does what pydantic's `model_construct` does for these models, about ten times
    faster: `model_construct` inspects the signature of every default factory on
    every call.
    """
    data: dict[str, Any] = {}
    for name, factory, default in _default_makers(model):
        if name in values:
            data[name] = values[name]
        elif factory is not None:
            data[name] = factory()
        else:
            data[name] = default
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", data)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


def closest_field(model: type[BaseModel], key: str) -> str | None:
    """Return the wire name of the field whose name is closest to `key`, if any is close."""
    table = FIELD_TABLES[model]
    matches = difflib.get_close_matches(fold_key(key), list(table), n=1, cutoff=0.75)
    return table[matches[0]].wire if matches else None
