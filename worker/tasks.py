"""Celery tasks of the worker."""

from __future__ import annotations

from modeljob.logs import bound_ids
from modeljob.queue import EXECUTE_TASK
from worker.celery_app import app
from worker.executor import Executor

_executor: Executor | None = None


def _get_executor() -> Executor:
    # Built on first use inside the pool process, so that every forked child opens
    # its own Redis connections.
    global _executor
    if _executor is None:
        _executor = Executor.from_settings()
    return _executor


@app.task(name=EXECUTE_TASK)
def execute(job_id: str, execution_id: str) -> str:
    """Run one execution of a job; returns the execution state it ended in."""
    with bound_ids(job_id, execution_id):
        return _get_executor().run(job_id, execution_id)
