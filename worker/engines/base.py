"""The interface every execution engine implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from modeljob.settings import Settings
    from modeljob.spec import ModelJob


# File names of the captured streams inside an execution's work_dir.
STDOUT_FILE_NAME = "stdout"
STDERR_FILE_NAME = "stderr"


@dataclass(frozen=True)
class ExecutionContext:
    """Inputs an engine gets to run one execution of a job."""

    job: ModelJob
    job_id: str
    execution_id: str
    # An empty directory private to this execution. The engine writes `stdout` and
    # `stderr` there and may keep scratch files; the caller removes it afterwards.
    work_dir: Path
    settings: Settings
    # Wall-clock limit in seconds, already resolved from the spec and the settings.
    timeout_s: float
    # Polled while the program runs; returning True requests an early stop.
    should_stop: Callable[[], bool] = field(default=lambda: False)


@dataclass(frozen=True)
class EngineOutcome:
    """Ending of one run of a program.

    `exit_code` is the program's own exit status, or -1 when it never exited by
    itself (trap, timeout, or a failure before it started). `error` is the runner
    error in words (None when the program ran to its end, whatever its exit code).
    """

    exit_code: int
    stdout_path: Path
    stderr_path: Path
    error: str | None = None
    timed_out: bool = False


class Engine(Protocol):
    """Runs the program of one execution and reports how it ended."""

    name: str

    def run(self, context: ExecutionContext) -> EngineOutcome: ...
