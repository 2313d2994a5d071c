"""The job store and lifecycle transitions against a real Redis server."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from modeljob.errors import AmbiguousJobIdError, JobNotFoundError
from modeljob.lifecycle import ClaimRejected, claim_execution, fail_pending, finish_execution, new_job_state
from modeljob.state import ExecutionStateType, JobStateType, RunCommandResult
from modeljob.store import JobStore

RETENTION_S = 3600


@pytest.fixture
def store(redis_server) -> JobStore:
    return JobStore(redis_server.client(), f"modeljob-store-test-{uuid.uuid4().hex[:8]}", RETENTION_S)


def create(store: JobStore, executions: int = 1) -> str:
    job_id = str(uuid.uuid4())
    state, history = new_job_state(job_id, executions)
    assert store.create_job(job_id, {"APIVersion": "V1beta1"}, state, history)
    return job_id


def test_create_writes_job_state_history(store):
    job_id = create(store, executions=2)

    assert store.get_job(job_id) == {"APIVersion": "V1beta1"}
    state = store.get_state(job_id)
    assert state.state is JobStateType.NEW
    assert state.version == 1
    assert [e.state for e in state.executions] == [ExecutionStateType.NEW] * 2
    history = store.get_history(job_id)
    assert [entry.comment for entry in history] == ["Job created", "Execution created", "Execution created"]
    assert {entry.new_version for entry in history} == {1}


def test_create_refuses_taken_id(store):
    job_id = create(store)
    state, history = new_job_state(job_id, 1)
    assert not store.create_job(job_id, {}, state, history)


def test_every_key_has_the_prefix(store):
    before = set(store.client.scan_iter("*"))
    job_id = create(store)
    execution_id = store.get_state(job_id).executions[0].compute_reference
    store.update_state(job_id, lambda s: claim_execution(s, execution_id, "node-a"))
    store.save_output(job_id, execution_id, "out", "err")

    added = set(store.client.scan_iter("*")) - before
    assert len(added) == 3
    assert all(key.startswith(store.keys.prefix + ":") for key in added)


def test_claim_then_finish_derives_job_state(store):
    job_id = create(store)
    execution_id = store.get_state(job_id).executions[0].compute_reference

    claimed = store.update_state(job_id, lambda s: claim_execution(s, execution_id, "node-a"))
    assert claimed.state is JobStateType.IN_PROGRESS
    assert claimed.version == 2
    assert claimed.execution(execution_id).node_id == "node-a"

    result = RunCommandResult(stdout="hi\n", exit_code=0)
    done = store.update_state(job_id, lambda s: finish_execution(s, execution_id, result, True, "exit 0"))
    assert done.state is JobStateType.COMPLETED
    assert done.version == 3
    assert done.execution(execution_id).run_output == result
    assert [entry.new_version for entry in store.get_history(job_id)] == [1, 1, 2, 2, 3, 3]


def test_failed_execution_gives_error(store):
    job_id = create(store)
    execution_id = store.get_state(job_id).executions[0].compute_reference
    store.update_state(job_id, lambda s: claim_execution(s, execution_id, "node-a"))

    result = RunCommandResult(exit_code=3)
    done = store.update_state(job_id, lambda s: finish_execution(s, execution_id, result, False, "exited with code 3"))
    assert done.state is JobStateType.ERROR
    assert store.get_history(job_id)[-1].comment == "exited with code 3"


def test_job_completes_only_when_all_executions_do(store):
    job_id = create(store, executions=2)
    first, second = (e.compute_reference for e in store.get_state(job_id).executions)
    for execution_id in (first, second):
        store.update_state(job_id, lambda s, e=execution_id: claim_execution(s, e, "node-a"))

    ok = RunCommandResult(exit_code=0)
    after_first = store.update_state(job_id, lambda s: finish_execution(s, first, ok, True, "ok"))
    assert after_first.state is JobStateType.IN_PROGRESS
    after_second = store.update_state(job_id, lambda s: finish_execution(s, second, ok, True, "ok"))
    assert after_second.state is JobStateType.COMPLETED


def test_second_claim_is_rejected(store):
    job_id = create(store)
    execution_id = store.get_state(job_id).executions[0].compute_reference
    store.update_state(job_id, lambda s: claim_execution(s, execution_id, "node-a"))

    with pytest.raises(ClaimRejected, match="BidAccepted on node node-a"):
        store.update_state(job_id, lambda s: claim_execution(s, execution_id, "node-b"))


def test_concurrent_claims_have_one_winner(redis_server, store):
    job_id = create(store)
    execution_id = store.get_state(job_id).executions[0].compute_reference
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def claim(node: str) -> None:
        own_store = JobStore(redis_server.client(), store.keys.prefix, RETENTION_S)
        barrier.wait()
        try:
            own_store.update_state(job_id, lambda s: claim_execution(s, execution_id, node))
            winners.append(node)
        except ClaimRejected:
            pass

    threads = [threading.Thread(target=claim, args=(f"node-{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(winners) == 1
    state = store.get_state(job_id)
    assert state.execution(execution_id).node_id == winners[0]
    assert state.version == 2


def test_terminal_job_gets_retention_expiry(store):
    job_id = create(store)
    execution_id = store.get_state(job_id).executions[0].compute_reference
    store.update_state(job_id, lambda s: claim_execution(s, execution_id, "node-a"))
    assert store.client.ttl(store.keys.job(job_id)) == -1

    store.update_state(job_id, lambda s: finish_execution(s, execution_id, RunCommandResult(exit_code=0), True, "ok"))
    assert 0 < store.client.ttl(store.keys.job(job_id)) <= RETENTION_S
    assert 0 < store.client.ttl(store.keys.history(job_id)) <= RETENTION_S


def test_fail_pending_marks_unstarted_executions(store):
    job_id = create(store, executions=2)
    state = store.update_state(job_id, lambda s: fail_pending(s, "could not enqueue"))

    assert state.state is JobStateType.ERROR
    assert {e.state for e in state.executions} == {ExecutionStateType.FAILED}
    assert {e.status for e in state.executions} == {"could not enqueue"}


def test_unknown_job_raises_not_found(store):
    with pytest.raises(JobNotFoundError, match="not found"):
        store.get_state("missing")
    with pytest.raises(JobNotFoundError):
        store.update_state("missing", lambda s: [])


def test_wait_for_change_returns_on_update(store):
    job_id = create(store)
    execution_id = store.get_state(job_id).executions[0].compute_reference
    timer = threading.Timer(0.2, lambda: store.update_state(job_id, lambda s: claim_execution(s, execution_id, "n")))
    timer.start()
    started = time.monotonic()
    try:
        state = store.wait_for_change(job_id, seen_version=1, timeout_s=10)
    finally:
        timer.join()
    assert state.version == 2
    # The change message wakes the waiter; its fallback poll would take a full second.
    assert time.monotonic() - started < 0.8


def test_output_round_trip(store):
    job_id = create(store)
    store.save_output(job_id, "e-1", "all of stdout", "all of stderr")
    output = store.get_output(job_id, "e-1")
    assert (output.stdout, output.stderr) == ("all of stdout", "all of stderr")


def test_resolve_full_id(store):
    job_id = create(store)
    assert store.resolve_id(job_id) == job_id


def test_resolve_short_id(store):
    job_id = create(store)
    assert store.resolve_id(job_id[:8]) == job_id


def test_resolve_ambiguous_prefix(store):
    state, history = new_job_state("abcdefgh-1", 1)
    store.create_job("abcdefgh-1", {}, state, history)
    state, history = new_job_state("abcdefgh-2", 1)
    store.create_job("abcdefgh-2", {}, state, history)

    with pytest.raises(AmbiguousJobIdError, match="matches 2 jobs"):
        store.resolve_id("abcdefgh")


def test_resolve_rejects_short_or_unknown(store):
    job_id = create(store)
    with pytest.raises(JobNotFoundError):
        store.resolve_id(job_id[:7])
    with pytest.raises(JobNotFoundError):
        store.resolve_id("ffffffff-no-such-job")


def test_resolve_treats_glob_characters_literally(store):
    create(store)
    with pytest.raises(JobNotFoundError):
        store.resolve_id("********")


def test_job_with_history_in_one_read(store):
    job_id = create(store)
    job_wire, state, history = store.get_job_with_history(job_id)

    assert job_wire == store.get_job(job_id)
    assert state == store.get_state(job_id)
    assert history == store.get_history(job_id)
    with pytest.raises(JobNotFoundError):
        store.get_job_with_history("missing")
