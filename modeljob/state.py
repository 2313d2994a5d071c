"""State side of the Bacalhau v1beta1 job model: job and execution states, history.

Wire names follow Bacalhau's JSON tags, including their irregular spellings
(`NodeId` on an execution, lower-case keys in `RunCommandResult`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum, IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from modeljob.spec import ModelJob, dump_job

# The first bytes of stdout and stderr kept in a RunCommandResult, as Bacalhau does.
RUN_OUTPUT_PREVIEW_BYTES = 2048


def utc_now() -> datetime:
    return datetime.now(UTC)


def _format_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _NamedEnum(str, Enum):
    """A string enum that also accepts its SDK integer, and names in any case."""

    @classmethod
    def _missing_(cls, value: object) -> Enum | None:
        members = list(cls)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(members):
            return members[value]
        if isinstance(value, str):
            folded = value.strip().lower()
            for member in members:
                if member.value.lower() == folded:
                    return member
        return None


class JobStateType(_NamedEnum):
    UNDEFINED = "Undefined"
    NEW = "New"
    IN_PROGRESS = "InProgress"
    CANCELLED = "Cancelled"
    ERROR = "Error"
    COMPLETED = "Completed"
    QUEUED = "Queued"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL_JOB_STATES


_TERMINAL_JOB_STATES = frozenset({JobStateType.CANCELLED, JobStateType.ERROR, JobStateType.COMPLETED})


class ExecutionStateType(_NamedEnum):
    UNDEFINED = "Undefined"
    NEW = "New"
    ASK_FOR_BID = "AskForBid"
    ASK_FOR_BID_ACCEPTED = "AskForBidAccepted"
    ASK_FOR_BID_REJECTED = "AskForBidRejected"
    # Bacalhau's name for a running execution.
    BID_ACCEPTED = "BidAccepted"
    BID_REJECTED = "BidRejected"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL_EXECUTION_STATES

    @property
    def is_pending(self) -> bool:
        return self in _PENDING_EXECUTION_STATES


_TERMINAL_EXECUTION_STATES = frozenset(
    {
        ExecutionStateType.ASK_FOR_BID_REJECTED,
        ExecutionStateType.BID_REJECTED,
        ExecutionStateType.COMPLETED,
        ExecutionStateType.FAILED,
        ExecutionStateType.CANCELLED,
    }
)
_PENDING_EXECUTION_STATES = frozenset(
    {ExecutionStateType.NEW, ExecutionStateType.ASK_FOR_BID, ExecutionStateType.ASK_FOR_BID_ACCEPTED}
)


class ExecutionDesiredState(IntEnum):
    """Travels as a JSON integer, unlike the other enums."""

    PENDING = 0
    RUNNING = 1
    STOPPED = 2


class JobHistoryType(_NamedEnum):
    UNDEFINED = "jobHistoryTypeUndefined"
    JOB_LEVEL = "JobLevel"
    EXECUTION_LEVEL = "ExecutionLevel"


class _WireModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid", use_enum_values=False)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class RunCommandResult(_WireModel):
    stdout: str = Field(default="", alias="stdout")
    stdout_truncated: bool = Field(default=False, alias="stdouttruncated")
    stderr: str = Field(default="", alias="stderr")
    stderr_truncated: bool = Field(default=False, alias="stderrtruncated")
    # -1 until the program exits by itself.
    exit_code: int = Field(default=-1, alias="exitCode")
    runner_error: str = Field(default="", alias="runnerError")


class ResourceUsageData(_WireModel):
    cpu: float = Field(default=0.0, alias="CPU")
    memory: int = Field(default=0, alias="Memory")
    disk: int = Field(default=0, alias="Disk")
    gpu: int = Field(default=0, alias="GPU")


class PublishedResult(_WireModel):
    node_id: str = Field(default="", alias="NodeID")
    data: dict[str, Any] | None = Field(default=None, alias="Data")


class _Timestamped(_WireModel):
    @field_serializer("create_time", "update_time", check_fields=False)
    def _serialize_time(self, value: datetime) -> str:
        return _format_time(value)


class ExecutionState(_Timestamped):
    job_id: str = Field(alias="JobID")
    node_id: str = Field(default="", alias="NodeId")
    # The execution ID, `e-<uuid>`.
    compute_reference: str = Field(alias="ComputeReference")
    state: ExecutionStateType = Field(default=ExecutionStateType.NEW, alias="State")
    status: str = Field(default="", alias="Status")
    desired_state: ExecutionDesiredState = Field(default=ExecutionDesiredState.PENDING, alias="DesiredState")
    # A StorageSpec in the wire form of the job model.
    published_results: dict[str, Any] | None = Field(default=None, alias="PublishedResults")
    run_output: RunCommandResult | None = Field(default=None, alias="RunOutput")
    version: int = Field(default=1, alias="Version")
    create_time: datetime = Field(default_factory=utc_now, alias="CreateTime")
    update_time: datetime = Field(default_factory=utc_now, alias="UpdateTime")

    @property
    def id(self) -> str:
        return self.compute_reference


class JobState(_Timestamped):
    job_id: str = Field(alias="JobID")
    executions: list[ExecutionState] = Field(default_factory=list, alias="Executions")
    state: JobStateType = Field(default=JobStateType.NEW, alias="State")
    version: int = Field(default=1, alias="Version")
    create_time: datetime = Field(default_factory=utc_now, alias="CreateTime")
    update_time: datetime = Field(default_factory=utc_now, alias="UpdateTime")
    timeout_at: datetime | None = Field(default=None, alias="TimeoutAt")

    @field_validator("executions", mode="before")
    @classmethod
    def _null_executions(cls, value: object) -> object:
        # Bacalhau emits `"Executions": null` for a job without executions.
        return [] if value is None else value

    @field_serializer("timeout_at")
    def _serialize_timeout_at(self, value: datetime | None) -> str | None:
        return None if value is None else _format_time(value)

    def execution(self, execution_id: str) -> ExecutionState:
        for execution in self.executions:
            if execution.compute_reference == execution_id:
                return execution
        raise KeyError(f"job {self.job_id} has no execution {execution_id}")


class StateChange(_WireModel):
    previous: str = Field(alias="Previous")
    new: str = Field(alias="New")


class JobHistory(_WireModel):
    type: JobHistoryType = Field(alias="Type")
    job_id: str = Field(alias="JobID")
    node_id: str = Field(default="", alias="NodeID")
    compute_reference: str = Field(default="", alias="ComputeReference")
    job_state: StateChange | None = Field(default=None, alias="JobState")
    execution_state: StateChange | None = Field(default=None, alias="ExecutionState")
    new_version: int = Field(alias="NewVersion")
    comment: str = Field(default="", alias="Comment")
    time: datetime = Field(default_factory=utc_now, alias="Time")

    @field_serializer("time")
    def _serialize_time(self, value: datetime) -> str:
        return _format_time(value)


class JobWithInfo(_WireModel):
    """A job with its state and history, as Bacalhau's `describe` and `list` return it."""

    job: ModelJob = Field(alias="Job")
    state: JobState = Field(alias="State")
    history: list[JobHistory] = Field(default_factory=list, alias="History")

    def to_wire(self) -> dict[str, Any]:
        return {
            "Job": dump_job(self.job),
            "State": self.state.to_wire(),
            "History": [entry.to_wire() for entry in self.history],
        }


# The SDK's names for the same types.
ModelJobState = JobState
ModelExecutionState = ExecutionState
ModelJobHistory = JobHistory
ModelRunCommandResult = RunCommandResult
ModelPublishedResult = PublishedResult
ModelResourceUsageData = ResourceUsageData
ModelJobWithInfo = JobWithInfo
ModelStateChangeModelJobStateType = StateChange
ModelStateChangeModelExecutionStateType = StateChange
