"""The worker's Celery app: `celery -A worker worker` finds it as `worker.app`."""

from __future__ import annotations

import logging

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, celeryd_init

from modeljob import logs
from modeljob.queue import make_celery_app
from modeljob.settings import get_settings


def create_app() -> Celery:
    app = make_celery_app(get_settings(), main="worker")
    app.conf.include = ["worker.tasks"]
    return app


@celeryd_init.connect
def _require_broker(*args: object, **kwargs: object) -> None:
    # Checked when a worker starts rather than at import, so that engines and
    # staging stay importable (and testable) without a broker. Without the check
    # Celery would fall back to its own default broker, which is not ours.
    if not get_settings().broker_url:
        raise RuntimeError(
            "MODELJOB_BROKER_URL is not set: point it at the Redis that producers use, "
            "for example MODELJOB_BROKER_URL=redis://127.0.0.1:6379/0"
        )


@after_setup_logger.connect
@after_setup_task_logger.connect
def _add_bound_ids(logger: logging.Logger, *args: object, **kwargs: object) -> None:
    for handler in logger.handlers:
        logs.install(handler)


app = create_app()
