"""A real Redis server and real Celery worker processes for integration tests."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import redis

from modeljob.settings import Settings
from producer.embedded import LOOPBACK, free_loopback_port, start_redis, stop_process, worker_command

# How long a worker may take to connect and announce itself, in seconds.
WORKER_READY_TIMEOUT_S = 60.0


@dataclass
class RedisServer:
    url: str
    process: subprocess.Popen[bytes] | None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, 5.0)


def start_test_redis(data_dir: Path) -> RedisServer:
    """Use MODELJOB_TEST_REDIS_URL if set, else start a private Redis on a free loopback port."""
    configured = os.environ.get("MODELJOB_TEST_REDIS_URL")
    if configured:
        return RedisServer(url=configured, process=None)
    private = start_redis(free_loopback_port(), data_dir)
    return RedisServer(url=private.url, process=private.process)


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path
    hostname: str

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def isolated_settings(redis_url: str, allowed_local_paths: list[str]) -> Settings:
    """Settings with a key prefix (and so a queue) of their own, so that nothing else is touched."""
    return Settings(
        broker_url=redis_url,
        store_url=redis_url,
        key_prefix=f"modeljob-test-{uuid.uuid4().hex[:8]}",
        allowed_local_paths=allowed_local_paths,
    )


def settings_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "MODELJOB_BROKER_URL": settings.broker_url or "",
            "MODELJOB_STORE_URL": settings.effective_store_url or "",
            "MODELJOB_KEY_PREFIX": settings.key_prefix,
            "MODELJOB_QUEUE": settings.queue,
            "MODELJOB_ALLOWED_LOCAL_PATHS": ",".join(settings.allowed_local_paths),
        }
    )
    return env


def start_worker(settings: Settings, log_dir: Path, concurrency: int = 2, name: str = "w1") -> WorkerProcess:
    """Start `celery -A worker worker` and wait until it consumes from the test queue."""
    hostname = f"{name}-{uuid.uuid4().hex[:6]}@{LOOPBACK}"
    log_path = log_dir / f"worker-{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            worker_command(concurrency, hostname),
            env=settings_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = WorkerProcess(process=process, log_path=log_path, hostname=hostname)
    deadline = time.monotonic() + WORKER_READY_TIMEOUT_S
    while "ready." not in worker.log():
        if process.poll() is not None:
            raise RuntimeError(f"worker exited with code {process.returncode}:\n{worker.log()}")
        if time.monotonic() > deadline:
            worker.stop()
            raise RuntimeError(f"worker not ready after {WORKER_READY_TIMEOUT_S} s:\n{worker.log()}")
        time.sleep(0.1)
    return worker
