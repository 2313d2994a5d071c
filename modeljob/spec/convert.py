"""Conversion of decoded values into models: key folding, type checks and caps.

`Converter` walks a decoded document along the model tables of `fields.py`. It
records every problem it finds in `errors` (path in wire spelling, value as given)
and keeps going, so one pass reports all of them. Keys that are not fields of a
model go to the model's legacy handler (see `legacy.py`) when it handles them, and
are reported as unknown otherwise, with the closest field name suggested.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel

from modeljob.errors import FieldError
from modeljob.spec import models
from modeljob.spec.enums import REMOVED_NAMES, SDK_NUMBERS, SelectionOperator, lookup_enum
from modeljob.spec.fields import FIELD_TABLES, FieldInfo, closest_field, construct, fold_key
from modeljob.spec.load import MAX_PAYLOAD_BYTES

# Maximum length of a string in any field except URL. A URL may carry a whole Wasm
# module as an inline data: URL, so only the payload limit bounds it.
MAX_STRING_CHARS = 64 * 1024
# Maximum number of items in one list (inputs, parameters, environment variables).
MAX_LIST_ITEMS = 4096
# Maximum nesting depth inside free-form values (PublisherSpec.Params). The typed
# part of a job nests at most five levels (Spec.Wasm.EntryModule.S3.Bucket).
MAX_DEPTH = 32
# Maximum number of values visited in one document. YAML aliases can make a small file expand
# into a huge tree; this bounds the work whatever the input.
MAX_VALUES = 200_000
# Maximum value of Go's int64, the type of Timeout and Concurrency.
MAX_INT64 = 2**63 - 1

# An unrendered Go template action, as in Lilypad module templates.
GO_TEMPLATE_PATTERN = re.compile(r"\{\{.*?\}\}", re.DOTALL)
# An unexpanded envsubst or shell placeholder such as ${IMAGE}. Commands run by a
# shell may contain these on purpose, so Entrypoint and Parameters are exempt.
PLACEHOLDER_PATTERN = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:?+=-][^}]*)?\}")

# Go's zero time, which Bacalhau marshals for a job that was never submitted.
_GO_ZERO_TIME = "0001-01-01T00:00:00Z"
_RFC3339_PATTERN = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})")

# Operators that the Kubernetes comment in the SDK docs spells in capitals; the
# Go code only accepts the lower-case or symbolic form.
_OPERATOR_SPELLINGS = {
    "in": SelectionOperator.IN,
    "notin": SelectionOperator.NOT_IN,
    "exists": SelectionOperator.EXISTS,
    "doesnotexist": SelectionOperator.DOES_NOT_EXIST,
    "gt": SelectionOperator.GREATER_THAN,
    "lt": SelectionOperator.LESS_THAN,
}

# Fields whose strings may legitimately contain ${VAR}: shell commands.
_SHELL_FIELDS = {
    (models.ModelJobSpecDocker, "entrypoint"),
    (models.ModelJobSpecDocker, "parameters"),
    (models.ModelJobSpecWasm, "parameters"),
}
# Fields that also accept a bare number (YAML `CPU: 1`), turned into its string.
_NUMERIC_STRING_FIELDS = {(models.ModelResourceUsageConfig, name) for name in ("cpu", "memory", "disk", "gpu")}

INVALID = object()

LegacyHandler = Callable[["Converter", dict[str, Any], dict[str, tuple[str, Any]], str], None]


class AbortConversion(Exception):
    """Raised when a cap is hit and walking further would only waste time."""


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def preview(value: Any) -> Any:
    """Shorten a value for an error message: long strings and big containers are summarised."""
    if isinstance(value, str) and len(value) > 120:
        return f"{value[:100]}… ({len(value)} characters)"
    if isinstance(value, (list, tuple, dict)) and len(value) > 10:
        return f"<{type(value).__name__} of {len(value)} items>"
    if isinstance(value, (list, tuple, dict)) and len(repr(value)) > 240:
        return f"<{type(value).__name__} of {len(value)} items>"
    return value


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"


class Converter:
    """Converts one decoded document; collects `errors` and `warnings` as it goes."""

    def __init__(self, legacy_handlers: Mapping[type[BaseModel], tuple[frozenset[str], LegacyHandler]]) -> None:
        self.errors: list[FieldError] = []
        self.warnings: list[str] = []
        self._legacy = legacy_handlers
        self._visited = 0

    def error(self, path: str, message: str, value: Any = None) -> None:
        self.errors.append(FieldError(path, message, preview(value)))

    def has_error_at(self, path: str) -> bool:
        """Tell whether an error was already recorded at `path` or below it."""
        return any(error.path == path or error.path.startswith((path + ".", path + "[")) for error in self.errors)

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(f"{path}: {message}" if path else message)

    def _count(self, path: str) -> None:
        self._visited += 1
        if self._visited > MAX_VALUES:
            self.error(path, f"the document has more than {MAX_VALUES} values; it is too large to be a job")
            raise AbortConversion

    # Mappings and models.

    def as_mapping(self, value: Any, path: str) -> Mapping[Any, Any] | None:
        """Return `value` as a mapping (calling `to_dict()` on SDK objects), or None after an error."""
        if isinstance(value, Mapping):
            return value
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json", by_alias=True)
        to_dict = getattr(value, "to_dict", None)
        if callable(to_dict) and not isinstance(value, (str, bytes, type)):
            try:
                converted = to_dict()
            # An SDK object's to_dict() may fail in any way; report it as a spec error.
            except Exception as error:  # noqa: BLE001
                self.error(path, f"calling to_dict() on {type(value).__name__} failed: {error}")
                return None
            if isinstance(converted, Mapping):
                return converted
            self.error(path, f"to_dict() of {type(value).__name__} returned {type_name(converted)}, not a mapping")
            return None
        self.error(path, f"expected a mapping, got {type_name(value)}", value)
        return None

    def convert_model(self, value: Any, model: type[BaseModel], path: str) -> BaseModel | None:
        """Convert a mapping into `model`; return None when it is null or not a mapping."""
        self._count(path)
        if value is None:
            return None
        mapping = self.as_mapping(value, path)
        if mapping is None:
            return None

        table = FIELD_TABLES[model]
        known_legacy, handler = self._legacy.get(model, (frozenset(), None))
        values: dict[str, Any] = {}
        given_keys: dict[str, str] = {}
        legacy: dict[str, tuple[str, Any]] = {}

        for key, item in mapping.items():
            if not isinstance(key, str):
                self.error(path, f"keys must be strings, got {type_name(key)}", key)
                continue
            folded = fold_key(key)
            field = table.get(folded)
            if field is None:
                if folded in known_legacy and folded not in legacy:
                    legacy[folded] = (key, item)
                else:
                    self.unknown_key(model, path, key, item)
                continue
            if field.name in given_keys:
                self.error(
                    join_path(path, field.wire),
                    f"set twice, as {given_keys[field.name]!r} and {key!r} (keys match in any letter case); keep one",
                )
                continue
            given_keys[field.name] = key
            converted = self.convert_field(item, model, field, join_path(path, field.wire))
            if converted is not INVALID:
                values[field.name] = converted

        if handler is not None:
            handler(self, values, legacy, path)
        return construct(model, values)

    def unknown_key(self, model: type[BaseModel], path: str, key: str, value: Any) -> None:
        from modeljob.spec.legacy import hint_for_unknown_key

        hint = hint_for_unknown_key(model, key)
        if hint is None:
            suggestion = closest_field(model, key)
            hint = f"did you mean {suggestion!r}?" if suggestion else self._known_fields(model)
        self.error(join_path(path, key), f"unknown field; {hint}")

    @staticmethod
    def _known_fields(model: type[BaseModel]) -> str:
        names = ", ".join(field.wire for field in FIELD_TABLES[model].values())
        return f"valid fields here: {names}"

    # Values of one field.

    def convert_field(self, value: Any, model: type[BaseModel], field: FieldInfo, path: str) -> Any:
        kind = field.kind
        if value is None:
            # Go's decoder ignores null for every field type; so does this parser.
            return INVALID

        if kind == "str":
            return self.convert_string(value, path, model, field)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            self.error(path, f"expected true or false, got {type_name(value)}", value)
            return INVALID
        if kind == "int":
            return self.convert_int(value, path, field.wire)
        if kind == "enum":
            return self.convert_enum(value, field.target, path)
        if kind == "datetime":
            return self.convert_datetime(value, path)

        if kind == "model":
            converted = self.convert_model(value, field.target, path)
            return INVALID if converted is None else converted
        if kind == "model_list":
            return self.convert_list(
                value, path, lambda item, item_path: self.convert_model(item, field.target, item_path)
            )
        if kind == "str_list":
            allow_placeholders = (model, field.name) in _SHELL_FIELDS
            return self.convert_list(
                value, path, lambda item, item_path: self.convert_string_item(item, item_path, allow_placeholders)
            )
        if kind == "str_map":
            return self.convert_string_map(value, path)
        if kind == "any_map":
            return self.convert_free_mapping(value, path)
        raise AssertionError(f"unhandled field kind {kind}")

    def convert_string(self, value: Any, path: str, model: type[BaseModel], field: FieldInfo) -> Any:
        if (
            (model, field.name) in _NUMERIC_STRING_FIELDS
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
        ):
            value = str(value)
        if not isinstance(value, str):
            self.error(path, f"expected a string, got {type_name(value)}", value)
            return INVALID
        limit = MAX_PAYLOAD_BYTES if field.wire == "URL" else MAX_STRING_CHARS
        if not self.check_text(value, path, limit, allow_placeholders=False):
            return INVALID
        # Go's omitempty treats "" as unset; the canonical form does the same.
        return value if value else INVALID

    def convert_string_item(self, value: Any, path: str, allow_placeholders: bool) -> Any:
        self._count(path)
        if not isinstance(value, str):
            self.error(path, f"expected a string, got {type_name(value)}", value)
            return INVALID
        if not self.check_text(value, path, MAX_STRING_CHARS, allow_placeholders):
            return INVALID
        return value

    def check_text(self, text: str, path: str, limit: int, allow_placeholders: bool) -> bool:
        if len(text) > limit:
            self.error(path, f"longer than the limit of {limit} characters", text)
            return False
        if "{{" in text and GO_TEMPLATE_PATTERN.search(text):
            self.error(
                path, "contains an unrendered Go template placeholder ({{ ... }}); render the template first", text
            )
            return False
        if not allow_placeholders and "${" in text and PLACEHOLDER_PATTERN.search(text):
            self.error(
                path,
                "contains an unexpanded ${VAR} placeholder; substitute the variable (for example with envsubst) first",
                text,
            )
            return False
        return True

    def convert_int(self, value: Any, path: str, wire: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.error(path, f"expected a whole number, got {type_name(value)}", value)
            return INVALID
        if isinstance(value, float):
            # JSON clients written in JavaScript or Python send 1800.0; a whole
            # float is the same number, a fractional one is an error.
            if not math.isfinite(value) or not value.is_integer():
                unit = " of seconds" if wire == "Timeout" else ""
                self.error(path, f"expected a whole number{unit}, got a fraction", value)
                return INVALID
            value = int(value)
        if abs(value) > MAX_INT64:
            self.error(path, "out of range: larger than 2^63-1", value)
            return INVALID
        return value

    def convert_enum(self, value: Any, enum: type, path: str) -> Any:
        if enum is SelectionOperator:
            return self.convert_operator(value, path)
        if isinstance(value, enum):
            return value
        if isinstance(value, str):
            member = lookup_enum(enum, value)
            if member is not None:
                return member
            reason = REMOVED_NAMES.get(enum, {}).get(value.strip().casefold())
            if reason:
                self.error(path, f"unsupported value: {reason}; valid values: {self.enum_choices(enum)}", value)
            else:
                self.error(path, f"unknown value; valid values: {self.enum_choices(enum)} (any letter case)", value)
            return INVALID
        if isinstance(value, int) and not isinstance(value, bool):
            member = SDK_NUMBERS[enum].get(value)
            if member is not None:
                return member
            numbers = ", ".join(f"{number}={item.value}" for number, item in SDK_NUMBERS[enum].items())
            self.error(path, f"unknown SDK enum number; valid numbers: {numbers}", value)
            return INVALID
        self.error(path, f"expected one of {self.enum_choices(enum)}, got {type_name(value)}", value)
        return INVALID

    @staticmethod
    def enum_choices(enum: type) -> str:
        return ", ".join(member.value for member in enum)

    def convert_operator(self, value: Any, path: str) -> Any:
        if isinstance(value, SelectionOperator):
            return value
        if not isinstance(value, str):
            self.error(path, f"expected an operator string, got {type_name(value)}", value)
            return INVALID
        try:
            return SelectionOperator(value)
        except ValueError:
            pass
        member = _OPERATOR_SPELLINGS.get(value.strip().replace(" ", "").casefold())
        if member is not None:
            # Kubernetes (and so Bacalhau's scheduler) would reject this spelling.
            self.warn(path, f"operator {value!r} was read as {member.value!r}; write {member.value!r}")
            return member
        choices = ", ".join(repr(member.value) for member in SelectionOperator)
        self.error(path, f"unknown operator; valid operators: {choices}", value)
        return INVALID

    def convert_list(self, value: Any, path: str, convert_item: Callable[[Any, str], Any]) -> Any:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            self.error(path, f"expected a list, got {type_name(value)}", value)
            return INVALID
        if len(value) > MAX_LIST_ITEMS:
            self.error(path, f"more than {MAX_LIST_ITEMS} items", value)
            return INVALID
        converted = []
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if item is None:
                self.error(item_path, "null is not allowed in this list")
                continue
            result = convert_item(item, item_path)
            if result is not INVALID and result is not None:
                converted.append(result)
        return converted

    def convert_string_map(self, value: Any, path: str) -> Any:
        mapping = self.as_mapping(value, path)
        if mapping is None:
            return INVALID
        if len(mapping) > MAX_LIST_ITEMS:
            self.error(path, f"more than {MAX_LIST_ITEMS} entries", value)
            return INVALID
        converted: dict[str, str] = {}
        for key, item in mapping.items():
            self._count(path)
            if not isinstance(key, str):
                self.error(path, f"keys must be strings, got {type_name(key)}", key)
                continue
            item_path = f"{path}[{key!r}]"
            if not isinstance(item, str):
                self.error(item_path, f"expected a string, got {type_name(item)}; quote the value", item)
                continue
            if self.check_text(key, item_path, MAX_STRING_CHARS, False) and self.check_text(
                item, item_path, MAX_STRING_CHARS, False
            ):
                converted[key] = item
        return converted

    def convert_free_mapping(self, value: Any, path: str) -> Any:
        mapping = self.as_mapping(value, path)
        if mapping is None:
            return INVALID
        converted = self.convert_free_value(mapping, path, depth=path.count(".") + 1)
        return INVALID if converted is INVALID else converted

    def convert_free_value(self, value: Any, path: str, depth: int) -> Any:
        """Copy a free-form JSON value, checking types, sizes and depth."""
        self._count(path)
        if depth > MAX_DEPTH:
            self.error(path, f"nested more than {MAX_DEPTH} levels deep")
            return INVALID

        if value is None or isinstance(value, (bool, int)):
            return value
        if isinstance(value, float):
            if math.isfinite(value):
                return value
            self.error(path, "NaN and infinity are not valid JSON numbers", value)
            return INVALID
        if isinstance(value, str):
            return value if self.check_text(value, path, MAX_STRING_CHARS, False) else INVALID

        if isinstance(value, (list, tuple)):
            if len(value) > MAX_LIST_ITEMS:
                self.error(path, f"more than {MAX_LIST_ITEMS} items", value)
                return INVALID
            items = [self.convert_free_value(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)]
            return INVALID if any(item is INVALID for item in items) else items

        mapping = self.as_mapping(value, path)
        if mapping is None:
            return INVALID
        if len(mapping) > MAX_LIST_ITEMS:
            self.error(path, f"more than {MAX_LIST_ITEMS} entries", value)
            return INVALID
        converted: dict[str, Any] = {}
        for key, item in mapping.items():
            if not isinstance(key, str):
                self.error(path, f"keys must be strings, got {type_name(key)}", key)
                return INVALID
            result = self.convert_free_value(item, join_path(path, key), depth + 1)
            if result is INVALID:
                return INVALID
            converted[key] = result
        return converted

    def convert_datetime(self, value: Any, path: str) -> Any:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                self.error(path, "a datetime without a time zone is ambiguous; give an aware datetime (UTC)", value)
                return INVALID
            return value.astimezone(UTC)
        if not isinstance(value, str):
            self.error(path, f"expected an RFC 3339 time string, got {type_name(value)}", value)
            return INVALID
        if value in ("", _GO_ZERO_TIME):
            return INVALID
        parsed = parse_rfc3339(value)
        if parsed is None:
            self.error(path, "expected an RFC 3339 time with a time zone, such as 2023-08-07T12:00:00Z", value)
            return INVALID
        return parsed


def parse_rfc3339(text: str) -> datetime | None:
    """Parse an RFC 3339 time into an aware UTC datetime; None when `text` is not one.

    Go writes nanoseconds; Python keeps microseconds, so digits beyond six are cut.
    """
    match = _RFC3339_PATTERN.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    if zone in ("Z", "z"):
        offset_minutes = 0
    else:
        sign = -1 if zone[0] == "-" else 1
        offset_minutes = sign * (int(zone[1:3]) * 60 + int(zone[4:6]))
    try:
        zone_info = timezone(timedelta(minutes=offset_minutes))
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tzinfo=zone_info)
        return local.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
