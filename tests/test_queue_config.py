"""The Celery settings that the delivery invariants rest on."""

from __future__ import annotations

import subprocess
import sys

from modeljob.queue import celery_config
from modeljob.settings import Settings


def test_only_json_crosses_the_wire():
    config = celery_config(Settings(broker_url="redis://127.0.0.1:1/0"))
    assert config["accept_content"] == ["json"]
    assert config["task_serializer"] == "json"
    assert config["result_serializer"] == "json"
    assert config["event_serializer"] == "json"


def test_delivery_is_late_acked_one_at_a_time():
    config = celery_config(Settings(broker_url="redis://127.0.0.1:1/0"))
    assert config["task_acks_late"] is True
    assert config["task_reject_on_worker_lost"] is True
    assert config["worker_prefetch_multiplier"] == 1
    assert config["worker_send_task_events"] is True


def test_visibility_timeout_outlasts_longest_job():
    settings = Settings(broker_url="redis://127.0.0.1:1/0", max_job_timeout_s=600)
    visibility_s = celery_config(settings)["broker_transport_options"]["visibility_timeout"]
    assert visibility_s > settings.max_job_timeout_s


def test_worker_app_uses_shared_config():
    """The app that `celery -A worker` loads carries the same settings."""
    code = (
        "import worker; c = worker.app.conf; "
        "print(c.task_acks_late, c.worker_prefetch_multiplier, c.accept_content, c.task_default_queue)"
    )
    env = {"MODELJOB_BROKER_URL": "redis://127.0.0.1:1/0", "MODELJOB_QUEUE": "q-test", "PATH": ""}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "1", "['json']", "q-test"]


def test_worker_refuses_to_start_without_broker():
    env = {"PATH": ""}
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "worker", "worker", "--concurrency", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "MODELJOB_BROKER_URL is not set" in result.stderr + result.stdout
