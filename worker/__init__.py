"""modeljob worker: a Celery app that runs the executions of ModelJob specs.

Start it with `celery -A worker worker`; it reads `MODELJOB_*` settings.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # The Celery app is built on first access, which `celery -A worker` makes, so
    # engines and staging import without a broker configured.
    if name == "app":
        from worker.celery_app import app

        return app
    raise AttributeError(f"module 'worker' has no attribute {name!r}")


__all__ = ["app"]
