"""The Noop engine: runs nothing and reports success, like Bacalhau's test engine of that name."""

from __future__ import annotations

import logging

from worker.engines.base import STDERR_FILE_NAME, STDOUT_FILE_NAME, EngineOutcome, ExecutionContext

ENGINE_NAME = "Noop"

logger = logging.getLogger(__name__)


class NoopEngine:
    """Reports exit code 0 with empty stdout and stderr files, without running anything."""

    name = ENGINE_NAME

    def run(self, context: ExecutionContext) -> EngineOutcome:
        context.work_dir.mkdir(parents=True, exist_ok=True)
        stdout_path = context.work_dir / STDOUT_FILE_NAME
        stderr_path = context.work_dir / STDERR_FILE_NAME
        stdout_path.write_bytes(b"")
        stderr_path.write_bytes(b"")
        logger.info("noop execution finished")
        return EngineOutcome(exit_code=0, stdout_path=stdout_path, stderr_path=stderr_path)
