"""The Python API of producers: validate a spec, record it, enqueue its executions."""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from celery import Celery

from modeljob.admission import check_deployment_limits
from modeljob.errors import ConfigurationError, ModelJobError
from modeljob.lifecycle import fail_pending, new_job_state
from modeljob.queue import EXECUTE_TASK, HARD_LIMIT_GRACE_S, make_celery_app, queue_for
from modeljob.settings import Settings, get_settings
from modeljob.spec import ModelJob, ModelJobRequester, ModelMetadata, dump_job, load_canonical, parse_job
from modeljob.state import ExecutionStateType, JobState, JobStateType, JobWithInfo, utc_now
from modeljob.store import JobStore

logger = logging.getLogger(__name__)

# A spec given as a str shorter than this, on one line, is tried as a file path first.
_MAX_PATH_CHARS = 4096
# A one-line str with one of these endings names a file, so a missing one is an error.
SPEC_FILE_SUFFIXES = (".yaml", ".yml", ".json")


class SpecFileNotFoundError(ModelJobError, FileNotFoundError):
    """A spec was given as a file path that does not exist."""


class JobTimeoutError(ModelJobError, TimeoutError):
    """A job did not reach a terminal state within the time a caller waited."""

    def __init__(self, job_id: str, state: JobStateType, waited_s: float) -> None:
        self.job_id = job_id
        self.state = state
        super().__init__(
            f"job {job_id} is still {state.value} after {waited_s:g} s; "
            f"wait longer or check it with `modeljob describe {job_id}`"
        )


def default_client_id() -> str:
    """Derive a stable client ID for this user on this host: 64 hex digits, as Bacalhau's are."""
    owner = f"{getpass.getuser()}@{socket.gethostname()}"
    return hashlib.sha256(owner.encode("utf-8")).hexdigest()


@dataclass
class JobHandle:
    """A submitted job: its ID and ways to follow it."""

    id: str
    producer: Producer
    warnings: list[str] = field(default_factory=list)

    def state(self) -> JobState:
        return self.producer.store.get_state(self.id)

    def wait(self, timeout_s: float | None = None) -> JobState:
        """Block until the job is Completed, Error or Cancelled, and return its state.

        Raises JobTimeoutError when `timeout_s` passes first; None waits without limit.
        """
        started = time.monotonic()
        state = self.state()
        while not state.state.is_terminal:
            remaining_s = None if timeout_s is None else timeout_s - (time.monotonic() - started)
            if remaining_s is not None and remaining_s <= 0:
                raise JobTimeoutError(self.id, state.state, timeout_s)
            slice_s = 5.0 if remaining_s is None else min(remaining_s, 5.0)
            state = self.producer.store.wait_for_change(self.id, state.version, slice_s)
        return state

    def describe(self) -> dict[str, Any]:
        return self.producer.describe(self.id)

    def stdout(self, execution_id: str | None = None) -> str:
        """Full stdout of an execution (by default the job's last one)."""
        return self.producer.output(self.id, execution_id).stdout

    def stderr(self, execution_id: str | None = None) -> str:
        return self.producer.output(self.id, execution_id).stderr


class Producer:
    """Validates specs, records them in the job store and enqueues their executions."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        store: JobStore | None = None,
        celery_app: Celery | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        if not self.settings.broker_url:
            raise ConfigurationError(
                "MODELJOB_BROKER_URL is not set: point it at your Redis, for example "
                "redis://127.0.0.1:6379/0, or use `modeljob run` for the embedded default"
            )
        self.store = store or JobStore.from_settings(self.settings)
        self.celery_app = celery_app or make_celery_app(self.settings, main="producer")

    def submit(self, spec: Any, *, client_id: str | None = None) -> JobHandle:
        """Validate `spec`, store it and enqueue it; return a handle to follow it.

        `spec` may be a path, YAML or JSON text, a dict, a ModelJob or a Bacalhau SDK
        object. An invalid spec raises SpecValidationError and nothing is stored
        or enqueued.
        """
        parsed = parse_job(_as_source(spec))
        # Callers get the warnings on the handle; the CLI prints them.
        for warning in parsed.warnings:
            logger.info("spec: %s", warning)
        check_deployment_limits(parsed.job, self.settings)

        job = self._as_requested(parsed.job, client_id or default_client_id())
        job_id = job.metadata.id
        execution_count = max(job.spec.deal.concurrency, 1)
        state, history = new_job_state(job_id, execution_count)
        if not self.store.create_job(job_id, dump_job(job), state, history):
            raise RuntimeError(f"job ID {job_id} is already taken; submit again")

        # NOTE: a producer that dies here leaves the job New with no message on the
        # queue. A sweeper that re-enqueues old New jobs would close this gap; the
        # claim compare-and-set already makes a duplicate message harmless.
        self._enqueue(job, state)
        logger.info("job %s submitted with %d execution(s)", job_id, execution_count)
        return JobHandle(id=job_id, producer=self, warnings=list(parsed.warnings))

    def handle(self, job_id: str) -> JobHandle:
        """Return a handle to a job submitted earlier, by full ID or unique prefix.

        Raises JobNotFoundError if no job matches.
        """
        return JobHandle(id=self.store.resolve_id(job_id), producer=self)

    def describe(self, job_id: str) -> dict[str, Any]:
        """Return the job as Bacalhau's `describe` prints it: `Job`, `State` and `History`."""
        return self.job_with_info(job_id).to_wire()

    def job_with_info(self, job_id: str) -> JobWithInfo:
        """Return the job, its state and its history as models; `job_id` may be a unique prefix."""
        job_wire, state, history = self.store.get_job_with_history(self.store.resolve_id(job_id))
        return JobWithInfo(job=load_canonical(job_wire), state=state, history=history)

    def output(self, job_id: str, execution_id: str | None = None):
        if execution_id is None:
            executions = self.store.get_state(job_id).executions
            finished = [e for e in executions if e.state is not ExecutionStateType.NEW]
            execution_id = (finished or executions)[-1].compute_reference
        return self.store.get_output(job_id, execution_id)

    def _as_requested(self, job: ModelJob, client_id: str) -> ModelJob:
        """Fill what the requester owns: the metadata, and the default Timeout.

        Writing the resolved Timeout into the stored spec, as Bacalhau's requester
        does, makes the worker's engine timeout and the Celery hard limit set here
        agree even when the two sides run with different default settings.
        """
        metadata = ModelMetadata(
            id=str(uuid.uuid4()),
            created_at=utc_now(),
            client_id=client_id,
            requester=ModelJobRequester(requester_node_id=self.settings.node_id),
        )
        timeout_s = job.spec.timeout or self.settings.default_job_timeout_s
        spec = job.spec.model_copy(update={"timeout": timeout_s})
        return job.model_copy(update={"metadata": metadata, "spec": spec})

    def _enqueue(self, job: ModelJob, state: JobState) -> None:
        timeout_s = job.spec.timeout
        queue = queue_for(self.settings, job)
        try:
            for execution in state.executions:
                self.celery_app.send_task(
                    EXECUTE_TASK,
                    args=[state.job_id, execution.compute_reference],
                    queue=queue,
                    time_limit=timeout_s + HARD_LIMIT_GRACE_S,
                )
        except Exception as error:
            reason = f"could not enqueue on the broker: {error}"
            self.store.update_state(state.job_id, lambda current: fail_pending(current, reason))
            raise


def _as_source(spec: Any) -> Any:
    """Turn a path given as a str into a Path; leave YAML or JSON text as it is."""
    if isinstance(spec, os.PathLike):
        return Path(spec)
    if isinstance(spec, str) and "\n" not in spec and len(spec) < _MAX_PATH_CHARS:
        candidate = Path(spec).expanduser()
        if candidate.is_file():
            return candidate
        if candidate.suffix.lower() in SPEC_FILE_SUFFIXES:
            raise SpecFileNotFoundError(f"spec file not found: {spec}; check the path")
    return spec
