"""Flower, started as `celery -A worker flower`, shows the fleet's executions."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from fleet import settings_env

from producer.embedded import LOOPBACK, free_loopback_port

FLOWER_READY_TIMEOUT_S = 60.0
TASK_SEEN_TIMEOUT_S = 60.0


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def flower(fleet_settings, worker, tmp_path):
    port = free_loopback_port()
    env = settings_env(fleet_settings)
    # The JSON API returns 401 without authentication unless this is set. The test
    # server listens on loopback only.
    env["FLOWER_UNAUTHENTICATED_API"] = "true"

    log_path = tmp_path / "flower.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker", "flower", f"--port={port}", f"--address={LOOPBACK}"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    base_url = f"http://{LOOPBACK}:{port}"
    deadline = time.monotonic() + FLOWER_READY_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/healthcheck", timeout=2) as response:
                if response.read() == b"OK":
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"Flower did not start:\n{log_path.read_text()}")
        time.sleep(0.2)

    yield base_url
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=15)


def test_flower_lists_execution_task(flower, producer, worker):
    worker_hostname = worker.hostname
    handle = producer.submit({"APIVersion": "V1beta1", "Spec": {"Engine": "Noop"}})
    handle.wait(60)
    execution_id = handle.state().executions[0].compute_reference

    # Flower learns of the task from events, which may trail the job store.
    deadline = time.monotonic() + TASK_SEEN_TIMEOUT_S
    task: dict = {}
    while task.get("state") != "SUCCESS" and time.monotonic() < deadline:
        tasks = get_json(f"{flower}/api/tasks?taskname=modeljob.execute")
        matching = [seen for seen in tasks.values() if execution_id in str(seen.get("args"))]
        task = matching[0] if matching else {}
        time.sleep(0.3)

    assert task, "Flower never showed the execution's task"
    assert task["state"] == "SUCCESS"
    assert handle.id in task["args"]
    assert task["worker"] == worker_hostname


def test_flower_metrics_endpoint(flower):
    with urllib.request.urlopen(f"{flower}/metrics", timeout=5) as response:
        body = response.read().decode()
    assert "flower_" in body
