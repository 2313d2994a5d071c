"""Shared fixtures: the corpus of real job specs and modules."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from fleet import RedisServer, WorkerProcess, isolated_settings, start_test_redis, start_worker

from modeljob.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent


def _corpus_root() -> Path | None:
    configured = os.environ.get("MODELJOB_CORPUS")
    if configured:
        return Path(configured).resolve()
    fallback = REPO_ROOT.parent / "shared" / "corpus"
    return fallback if fallback.is_dir() else None


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """Root of the corpus of public job specs and WASI modules.

    With MODELJOB_CORPUS set, a missing folder fails the test. Without it the corpus
    is looked up beside the checkout, and tests that need it are skipped with the
    reason when it is absent (a fresh clone has no corpus).
    """
    root = _corpus_root()
    if root is None:
        pytest.skip("corpus not found: set MODELJOB_CORPUS to the corpus folder")
    if not root.is_dir():
        pytest.fail(f"MODELJOB_CORPUS={root} is not a directory")
    return root


def corpus_file(corpus_dir: Path, relative: str) -> Path:
    """Return a corpus file, failing the test (not skipping) when it is missing."""
    path = corpus_dir / relative
    if not path.is_file():
        pytest.fail(f"corpus file missing: {path}")
    return path


# Integration fixtures: one real Redis and one real worker process per test session.


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    server = start_test_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def allowed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A host folder that workers may mount LocalDirectory inputs from."""
    return tmp_path_factory.mktemp("allowed")


@pytest.fixture(scope="session")
def fleet_settings(redis_server: RedisServer, allowed_dir: Path) -> Settings:
    return isolated_settings(redis_server.url, [str(allowed_dir)])


@pytest.fixture(scope="session")
def worker(fleet_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    process = start_worker(fleet_settings, tmp_path_factory.mktemp("worker-logs"), concurrency=2)
    yield process
    process.stop()
    if process.process.returncode not in (0, -15):
        print(process.log(), file=sys.stderr)


@pytest.fixture
def producer(fleet_settings: Settings, worker: WorkerProcess):
    from producer.api import Producer

    return Producer(fleet_settings)
