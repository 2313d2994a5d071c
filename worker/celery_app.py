"""The worker's Celery app: `celery -A worker worker` finds it as `worker.app`."""

from __future__ import annotations

import logging

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from modeljob import logs
from modeljob.queue import make_celery_app
from modeljob.settings import get_settings


def create_app() -> Celery:
    settings = get_settings()
    # Without a broker Celery would fall back to a default broker of its own.
    if not settings.broker_url:
        raise RuntimeError(
            "MODELJOB_BROKER_URL is not set: point it at the Redis that producers use, "
            "for example MODELJOB_BROKER_URL=redis://127.0.0.1:6379/0"
        )
    app = make_celery_app(settings, main="worker")
    app.conf.include = ["worker.tasks"]
    return app


@after_setup_logger.connect
@after_setup_task_logger.connect
def _add_bound_ids(logger: logging.Logger, *args: object, **kwargs: object) -> None:
    for handler in logger.handlers:
        logs.install(handler)


app = create_app()
