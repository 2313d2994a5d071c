"""The executor records an ending for every execution it claims, whatever fails."""

from __future__ import annotations

import uuid

import pytest
import redis

from modeljob.lifecycle import new_job_state
from modeljob.settings import Settings
from modeljob.spec import dump_job, parse_job
from modeljob.state import ExecutionStateType, JobStateType
from modeljob.store import JobStore
from worker.executor import DROPPED, Executor

RETENTION_S = 3600


class FailingOutputStore(JobStore):
    """A real store whose output write fails, as when Redis drops mid-execution."""

    def save_output(self, job_id: str, execution_id: str, stdout: str, stderr: str) -> None:
        raise redis.ConnectionError("connection reset while saving output")


def submit_noop(store: JobStore) -> tuple[str, str]:
    job = parse_job({"APIVersion": "V1beta1", "Spec": {"Engine": "Noop"}}).job
    job_id = str(uuid.uuid4())
    state, history = new_job_state(job_id, 1)
    assert store.create_job(job_id, dump_job(job), state, history)
    return job_id, state.executions[0].compute_reference


@pytest.fixture
def settings(redis_server) -> Settings:
    return Settings(broker_url=redis_server.url, key_prefix=f"modeljob-executor-test-{uuid.uuid4().hex[:8]}")


def test_noop_execution_completes(redis_server, settings):
    store = JobStore(redis_server.client(), settings.key_prefix, RETENTION_S)
    job_id, execution_id = submit_noop(store)

    assert Executor(store=store, settings=settings).run(job_id, execution_id) == "Completed"
    assert store.get_state(job_id).state is JobStateType.COMPLETED


def test_store_failure_still_ends_execution(redis_server, settings):
    store = FailingOutputStore(redis_server.client(), settings.key_prefix, RETENTION_S)
    job_id, execution_id = submit_noop(store)

    ended = Executor(store=store, settings=settings).run(job_id, execution_id)

    assert ended == "Failed"
    execution = store.get_state(job_id).execution(execution_id)
    assert execution.state is ExecutionStateType.FAILED
    assert "internal error in the worker" in execution.status
    assert "connection reset" in execution.status
    assert store.get_state(job_id).state is JobStateType.ERROR


def test_duplicate_delivery_is_dropped(redis_server, settings):
    store = JobStore(redis_server.client(), settings.key_prefix, RETENTION_S)
    job_id, execution_id = submit_noop(store)
    executor = Executor(store=store, settings=settings)
    executor.run(job_id, execution_id)

    assert executor.run(job_id, execution_id) == DROPPED
    assert store.get_state(job_id).version == 3


def test_unknown_job_is_dropped(redis_server, settings):
    store = JobStore(redis_server.client(), settings.key_prefix, RETENTION_S)
    assert Executor(store=store, settings=settings).run("no-such-job", "e-none") == DROPPED
