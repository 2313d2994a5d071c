"""State models: wire names, SDK integers and round trips."""

from __future__ import annotations

from modeljob.spec import parse_job
from modeljob.state import (
    ExecutionDesiredState,
    ExecutionState,
    ExecutionStateType,
    JobHistoryType,
    JobState,
    JobStateType,
    JobWithInfo,
    RunCommandResult,
)


def test_enums_accept_sdk_integers():
    assert JobStateType(5) is JobStateType.COMPLETED
    assert ExecutionStateType(5) is ExecutionStateType.BID_ACCEPTED
    assert ExecutionStateType(8) is ExecutionStateType.FAILED
    assert JobHistoryType(2) is JobHistoryType.EXECUTION_LEVEL
    assert ExecutionDesiredState(2) is ExecutionDesiredState.STOPPED


def test_enums_accept_names_in_any_case():
    assert JobStateType("inprogress") is JobStateType.IN_PROGRESS
    assert ExecutionStateType(" bidaccepted ") is ExecutionStateType.BID_ACCEPTED


def test_run_command_result_wire_keys():
    result = RunCommandResult(stdout="hi", exit_code=3, runner_error="boom")
    assert result.to_wire() == {
        "stdout": "hi",
        "stdouttruncated": False,
        "stderr": "",
        "stderrtruncated": False,
        "exitCode": 3,
        "runnerError": "boom",
    }


def test_job_state_round_trips():
    state = JobState(job_id="j", executions=[ExecutionState(job_id="j", compute_reference="e-1")])
    wire = state.to_wire()
    assert wire["Executions"][0]["NodeId"] == ""
    assert wire["CreateTime"].endswith("Z")
    assert JobState.model_validate(wire) == state


def test_null_executions_read_as_empty():
    state = JobState.model_validate({"JobID": "j", "Executions": None, "State": "New"})
    assert state.executions == []


def test_job_with_info_uses_canonical_job():
    job = parse_job({"apiversion": "v1beta1", "spec": {"engine": "noop"}}).job
    info = JobWithInfo(job=job, state=JobState(job_id="j"))
    wire = info.to_wire()
    assert set(wire) == {"Job", "State", "History"}
    assert wire["Job"]["Spec"]["Engine"] == "Noop"
    assert wire["History"] == []
