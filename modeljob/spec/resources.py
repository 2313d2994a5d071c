"""Parsing of the resource strings of `Spec.Resources` (CPU, memory, disk, GPU).

Bacalhau (pkg/compute/capacity/parser.go at commit 2bc2902a) silently turns any
string it cannot parse into 0, meaning "unspecified", so `1.5Gb` or `1GiB` asked for
nothing at all. Here every string is either parsed to the amount it spells or
rejected with a ValueError that gives the reason, so nothing is zeroed by accident.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Go stores these amounts in uint64.
MAX_AMOUNT = 2**64 - 1

MILLIS_PER_CORE = 1000

# Every unit is binary, as in Bacalhau's parser: 1 kb = 1 Ki = 1024 bytes. Keys are
# lower case; lookups lower-case the unit first.
_SIZE_UNITS: dict[str, int] = {}
for _power, _letter, _word in (
    (0, "", "byte"),
    (1, "k", "kilobyte"),
    (2, "m", "megabyte"),
    (3, "g", "gigabyte"),
    (4, "t", "terabyte"),
    (5, "p", "petabyte"),
    (6, "e", "exabyte"),
):
    _factor = 1024**_power
    for _unit in (_word, _word + "s"):
        _SIZE_UNITS[_unit] = _factor
    if _letter:
        for _unit in (_letter, _letter + "b", _letter + "i", _letter + "ib"):
            _SIZE_UNITS[_unit] = _factor
    else:
        _SIZE_UNITS[""] = 1
        _SIZE_UNITS["b"] = 1

_SIZE_PATTERN = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]*)")
_CPU_MILLIS_PATTERN = re.compile(r"(\d+)[mM]")
_CPU_CORES_PATTERN = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_GPU_PATTERN = re.compile(r"\d+")

SIZE_EXAMPLES = "a whole number of bytes or a number with a binary unit, e.g. 512Mi, 2Gb, 1.5Gi, 10GiB"
CPU_EXAMPLES = "cores (1, 0.5) or whole millicores (500m)"


def parse_cpu_millis(text: str | None) -> int:
    """Return the CPU amount in millicores; 0 when `text` is None or empty."""
    value = _strip(text)
    if not value:
        return 0

    millis_match = _CPU_MILLIS_PATTERN.fullmatch(value)
    if millis_match:
        millis = int(millis_match.group(1))
    elif _CPU_CORES_PATTERN.fullmatch(value):
        millis_exact = Decimal(value) * MILLIS_PER_CORE
        if millis_exact != millis_exact.to_integral_value():
            raise ValueError(f"invalid CPU amount {text!r}: finer than one millicore; use {CPU_EXAMPLES}")
        millis = int(millis_exact)
    else:
        raise ValueError(f"invalid CPU amount {text!r}: use {CPU_EXAMPLES}")

    _check_range("CPU amount", text, millis)
    return millis


def parse_size_bytes(text: str | None) -> int:
    """Return a memory or disk size in bytes; 0 when `text` is None or empty.

    A fractional number is accepted when it comes to a whole number of bytes
    (`1.5Gb` is 1,610,612,736 bytes, `0.3Gb` is rejected).
    """
    value = _strip(text)
    if not value:
        return 0

    match = _SIZE_PATTERN.fullmatch(value)
    if not match:
        raise ValueError(f"invalid size {text!r}: use {SIZE_EXAMPLES}")
    number, unit = match.groups()
    factor = _SIZE_UNITS.get(unit.lower())
    if factor is None:
        raise ValueError(f"invalid size {text!r}: unknown unit {unit!r}; use {SIZE_EXAMPLES}")

    try:
        exact = Decimal(number) * factor
    except InvalidOperation:
        raise ValueError(f"invalid size {text!r}: use {SIZE_EXAMPLES}") from None
    if exact != exact.to_integral_value():
        raise ValueError(f"invalid size {text!r}: not a whole number of bytes; use a smaller unit (e.g. 300Mi)")

    size = int(exact)
    _check_range("size", text, size)
    return size


def parse_gpu_count(text: str | None) -> int:
    """Return the number of GPUs; 0 when `text` is None or empty."""
    value = _strip(text)
    if not value:
        return 0
    if not _GPU_PATTERN.fullmatch(value):
        raise ValueError(f"invalid GPU count {text!r}: use a whole number such as 1")
    count = int(value)
    _check_range("GPU count", text, count)
    return count


def _strip(text: str | None) -> str:
    return "" if text is None else text.strip()


def _check_range(quantity: str, text: str | None, amount: int) -> None:
    if amount > MAX_AMOUNT:
        raise ValueError(f"invalid {quantity} {text!r}: larger than 2^64-1")
