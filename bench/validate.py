"""Measure job-spec validation throughput on the corpus, against json.loads of the same bytes.

Usage: python bench/validate.py [--seconds S]

Reads every file under jobs/ and v2-not-supported/ of the corpus (MODELJOB_CORPUS,
default ../shared/corpus beside the checkout) and reports, per second of one core:
  - json.loads of the raw bytes of the JSON files (the floor: decoding only);
  - parse_job on the raw bytes of every file (decode + validate, YAML included);
  - parse_job on already-decoded documents (validation alone, as for an API request);
  - load_canonical on canonical dumps (the worker's re-read of a stored job).
Rejected files count too: rejecting is also validation work.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from modeljob.errors import SpecValidationError  # noqa: E402
from modeljob.spec import dump_job, load_canonical, parse_job  # noqa: E402
from modeljob.spec.load import decode_text  # noqa: E402

DEFAULT_SECONDS = 2.0
# Repetitions behind each job's own time in the per-job line.
PER_JOB_RUNS = 300


def corpus_root() -> Path:
    configured = os.environ.get("MODELJOB_CORPUS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def validate_quietly(source: Any) -> None:
    try:
        parse_job(source)
    except SpecValidationError:
        pass


def rate(items: list[Any], work: Callable[[Any], Any], seconds: float) -> float:
    """Run `work` over `items` repeatedly for about `seconds`; return items per second."""
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for item in items:
            work(item)
        count += len(items)
    return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=DEFAULT_SECONDS, help="time spent on each measurement, in seconds"
    )
    args = parser.parse_args()

    root = corpus_root()
    files = sorted(
        path for folder in ("jobs", "v2-not-supported") for path in (root / folder).iterdir() if path.is_file()
    )
    raw = [path.read_bytes() for path in files]
    json_raw = [data for path, data in zip(files, raw, strict=True) if path.suffix == ".json" and _is_json(data)]
    decoded = [document for document in (_decode(data) for data in raw) if document is not None]
    canonical = [dump_job(parse_job(document).job) for document in decoded if _accepted(document)]

    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"corpus: {root} ({len(files)} files, {len(json_raw)} strict JSON, {len(canonical)} accepted)")
    rows = [
        ("json.loads, strict JSON files (bytes)", rate(json_raw, json.loads, args.seconds)),
        ("parse_job, JSON files (bytes)", rate(json_raw, validate_quietly, args.seconds)),
        ("parse_job, all files (bytes, YAML and JSON)", rate(raw, validate_quietly, args.seconds)),
        ("parse_job, decoded documents", rate(decoded, validate_quietly, args.seconds)),
        ("parse_job, canonical dumps", rate(canonical, validate_quietly, args.seconds)),
        ("load_canonical, canonical dumps", rate(canonical, load_canonical, args.seconds)),
    ]
    for label, per_second in rows:
        print(f"{label:48s} {per_second:10.0f} specs/s {1e6 / per_second:9.1f} us/spec")

    accepted = [document for document in decoded if _accepted(document)]
    per_job_us = sorted(_time_one_us(document, PER_JOB_RUNS) for document in accepted)
    print(
        f"parse_job per accepted decoded job ({PER_JOB_RUNS} runs each): "
        f"min {per_job_us[0]:.0f} us, median {statistics.median(per_job_us):.0f} us, max {per_job_us[-1]:.0f} us"
    )
    return 0


def _time_one_us(document: Any, runs: int) -> float:
    started = time.perf_counter()
    for _ in range(runs):
        parse_job(document)
    return (time.perf_counter() - started) / runs * 1e6


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


def _decode(data: bytes) -> Any:
    try:
        return decode_text(data)
    except Exception:  # noqa: BLE001 - undecodable corpus files are skipped for this row
        return None


def _accepted(document: Any) -> bool:
    try:
        parse_job(document)
    except SpecValidationError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
