"""State transitions of jobs and executions, applied through JobStore.update_state.

Each function changes a JobState in place and returns the history entries of the
change, or None when there is nothing to change. The job state is always derived
from its executions here, so no caller sets it by hand.
"""

from __future__ import annotations

import uuid
from typing import Any

from modeljob.state import (
    ExecutionDesiredState,
    ExecutionState,
    ExecutionStateType,
    JobHistory,
    JobHistoryType,
    JobState,
    JobStateType,
    RunCommandResult,
    StateChange,
    utc_now,
)


class ClaimRejected(Exception):
    """An execution cannot be claimed: it is running elsewhere, finished, or stopped."""


def new_execution_id() -> str:
    return f"e-{uuid.uuid4()}"


def new_job_state(job_id: str, execution_count: int) -> tuple[JobState, list[JobHistory]]:
    """Build the state of a just-submitted job with its pending executions."""
    now = utc_now()
    executions = [
        ExecutionState(job_id=job_id, compute_reference=new_execution_id(), create_time=now, update_time=now)
        for _ in range(execution_count)
    ]
    state = JobState(job_id=job_id, executions=executions, create_time=now, update_time=now)
    history = [_job_entry(state, JobStateType.NEW, "Job created")]
    history.extend(
        _execution_entry(state, execution, ExecutionStateType.NEW, "Execution created") for execution in executions
    )
    for entry in history:
        entry.new_version = state.version
    return state, history


def claim_execution(state: JobState, execution_id: str, node_id: str) -> list[JobHistory]:
    """Mark a pending execution as running on `node_id`.

    Raises ClaimRejected when the execution is not pending, which is how a
    duplicate delivery of the same message finds out that it must do nothing.
    """
    execution = state.execution(execution_id)
    if not execution.state.is_pending:
        raise ClaimRejected(f"execution {execution_id} is {execution.state.value} on node {execution.node_id or '-'}")
    if execution.desired_state is ExecutionDesiredState.STOPPED:
        raise ClaimRejected(f"execution {execution_id} was asked to stop before it started")

    history = [_set_execution_state(state, execution, ExecutionStateType.BID_ACCEPTED, f"Running on {node_id}")]
    execution.node_id = node_id
    execution.desired_state = ExecutionDesiredState.RUNNING
    history[0].node_id = node_id
    history.extend(_derive_job_state(state))
    return history


def finish_execution(
    state: JobState,
    execution_id: str,
    run_output: RunCommandResult,
    succeeded: bool,
    status: str,
    published_results: dict[str, Any] | None = None,
) -> list[JobHistory] | None:
    """Record how a running execution ended; return None if it already ended."""
    execution = state.execution(execution_id)
    if execution.state.is_terminal:
        return None

    new_state = ExecutionStateType.COMPLETED if succeeded else ExecutionStateType.FAILED
    history = [_set_execution_state(state, execution, new_state, status)]
    execution.status = status
    execution.run_output = run_output
    execution.published_results = published_results
    execution.desired_state = ExecutionDesiredState.STOPPED
    history.extend(_derive_job_state(state))
    return history


def fail_pending(state: JobState, reason: str) -> list[JobHistory] | None:
    """Fail every execution that has not started, for example when enqueueing failed."""
    pending = [execution for execution in state.executions if execution.state.is_pending]
    if not pending:
        return None
    history = []
    for execution in pending:
        history.append(_set_execution_state(state, execution, ExecutionStateType.FAILED, reason))
        execution.status = reason
        execution.desired_state = ExecutionDesiredState.STOPPED
    history.extend(_derive_job_state(state))
    return history


def _derive_job_state(state: JobState) -> list[JobHistory]:
    """Set the job state that its executions imply, and return the history entry if it moved."""
    executions = state.executions
    if all(execution.state is ExecutionStateType.COMPLETED for execution in executions):
        target, comment = JobStateType.COMPLETED, "All executions completed"
    elif all(execution.state.is_terminal for execution in executions):
        failed = [execution for execution in executions if execution.state is not ExecutionStateType.COMPLETED]
        target, comment = JobStateType.ERROR, failed[-1].status or "Execution failed"
    elif any(execution.state is ExecutionStateType.BID_ACCEPTED for execution in executions):
        target, comment = JobStateType.IN_PROGRESS, "Execution started"
    else:
        return []

    if target is state.state:
        return []
    entry = _job_entry(state, target, comment)
    state.state = target
    return [entry]


def _set_execution_state(
    state: JobState, execution: ExecutionState, new_state: ExecutionStateType, comment: str
) -> JobHistory:
    entry = _execution_entry(state, execution, new_state, comment)
    execution.state = new_state
    execution.version += 1
    execution.update_time = utc_now()
    return entry


def _job_entry(state: JobState, new_state: JobStateType, comment: str) -> JobHistory:
    return JobHistory(
        type=JobHistoryType.JOB_LEVEL,
        job_id=state.job_id,
        job_state=StateChange(previous=state.state.value, new=new_state.value),
        new_version=state.version,
        comment=comment,
    )


def _execution_entry(
    state: JobState, execution: ExecutionState, new_state: ExecutionStateType, comment: str
) -> JobHistory:
    return JobHistory(
        type=JobHistoryType.EXECUTION_LEVEL,
        job_id=state.job_id,
        node_id=execution.node_id,
        compute_reference=execution.compute_reference,
        execution_state=StateChange(previous=execution.state.value, new=new_state.value),
        new_version=state.version,
        comment=comment,
    )
