"""Structured logging: `job_id` and `execution_id` bound once, carried by every line.

A worker binds the ids when it starts an execution. Every record logged in that
context, by any module, then carries them as attributes and in the formatted line.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s job_id=%(job_id)s execution_id=%(execution_id)s"

_job_id: ContextVar[str] = ContextVar("modeljob_job_id", default="-")
_execution_id: ContextVar[str] = ContextVar("modeljob_execution_id", default="-")


@contextlib.contextmanager
def bound_ids(job_id: str, execution_id: str = "-") -> Iterator[None]:
    """Bind the ids to every log record emitted inside the block."""
    job_token = _job_id.set(job_id)
    execution_token = _execution_id.set(execution_id)
    try:
        yield
    finally:
        _execution_id.reset(execution_token)
        _job_id.reset(job_token)


class BoundIdsFilter(logging.Filter):
    """Copy the bound ids onto each record so that formatters and handlers see them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "job_id"):
            record.job_id = _job_id.get()
        if not hasattr(record, "execution_id"):
            record.execution_id = _execution_id.get()
        return True


def install(handler: logging.Handler, fmt: str = LOG_FORMAT) -> None:
    """Attach the ids filter and the structured format to a handler."""
    handler.addFilter(BoundIdsFilter())
    handler.setFormatter(logging.Formatter(fmt))


def configure(level: int = logging.INFO) -> None:
    """Set up the root logger for a modeljob process that has no logging set up yet."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        install(handler)
    root.setLevel(level)
