"""modeljob worker: a Celery app that runs the executions of ModelJob specs.

Start it with `celery -A worker worker`; it reads `MODELJOB_*` settings.
"""

from worker.celery_app import app

__all__ = ["app"]
