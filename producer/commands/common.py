"""Helpers shared by the subcommands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from modeljob.state import JobState, JobStateType
from producer.api import Producer

OUTPUT_FORMATS = ("yaml", "json")


def read_spec_argument(value: str) -> Any:
    """Resolve a FILE argument: a path, or `-` for standard input."""
    if value == "-":
        return sys.stdin.read()
    path = Path(value)
    if not path.is_file():
        raise SystemExit(f"error: spec file not found: {value}")
    return path


def connect() -> Producer:
    """Build a producer from the MODELJOB_* settings; errors reach the CLI's handler."""
    return Producer()


def render(document: Any, output: str) -> str:
    if output == "json":
        return json.dumps(document, indent=2)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def summarize(state: JobState) -> str:
    """Describe in one line how a job ended."""
    line = f"job {state.job_id}: {state.state.value}"
    if state.state is JobStateType.COMPLETED:
        return line
    reasons = [e.status for e in state.executions if e.status and e.state.is_terminal]
    return f"{line}: {reasons[-1]}" if reasons else line


def exit_code_of(state: JobState) -> int:
    return 0 if state.state is JobStateType.COMPLETED else 1
