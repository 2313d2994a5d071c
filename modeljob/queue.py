"""Celery configuration shared by producers and workers, and queue routing.

Producers send executions by task name, so they never import worker code. Both
sides build their Celery app from `celery_config`, so they agree on serialization
and delivery guarantees.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from modeljob.settings import Settings

# Name of the task that runs one execution; the message carries IDs only.
EXECUTE_TASK = "modeljob.execute"
# Extra time the Celery hard limit leaves after a job's own timeout, in seconds, so
# that the engine's timeout fires first and the hard limit only catches a stuck task.
HARD_LIMIT_GRACE_S = 60


def celery_config(settings: Settings) -> dict[str, Any]:
    """Return the Celery settings that the delivery invariants depend on."""
    return {
        "broker_url": settings.broker_url,
        # Only JSON crosses the wire; pickle is never accepted.
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "event_serializer": "json",
        # The job store is the source of truth, so Celery keeps no results.
        "task_ignore_result": True,
        # Nothing accepted is lost: acknowledge after the task ran, requeue when the
        # worker process dies, and take one message at a time.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # Longer than the longest job may run, so Redis never redelivers a message
        # whose task is still running.
        "broker_transport_options": {
            "visibility_timeout": settings.visibility_timeout_s,
            # Celery's own keys (queues, unacked messages, bindings) live under the
            # same prefix as the job store's.
            "global_keyprefix": f"{settings.key_prefix}:",
        },
        "task_default_queue": settings.queue,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "broker_connection_retry_on_startup": True,
    }


def make_celery_app(settings: Settings, main: str = "modeljob") -> Celery:
    app = Celery(main)
    app.conf.update(celery_config(settings))
    return app


def queue_for(settings: Settings, job: Any) -> str:
    """Pick the queue of a job's executions.

    Every engine shares one queue for now; routing by engine, node selectors and
    GPU requests will choose among several queues here.
    """
    return settings.queue
