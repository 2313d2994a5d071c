"""Runs one execution: claim it, run its engine, record the result.

The store is the source of truth. A message only names the job and the execution,
and a claim is a compare-and-set, so a redelivered message for an execution that
another worker took, or that already ended, does nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic

from modeljob.errors import JobNotFoundError, ModelJobError
from modeljob.lifecycle import ClaimRejected, claim_execution, finish_execution
from modeljob.settings import Settings, get_settings
from modeljob.spec import ModelJob, load_canonical
from modeljob.state import RUN_OUTPUT_PREVIEW_BYTES, ExecutionStateType, RunCommandResult
from modeljob.store import JobStore
from worker.engines import get_engine
from worker.engines.base import EngineOutcome, ExecutionContext
from worker.publishers import PublisherUnavailableError, get_publisher
from worker.storage.outputs import OUTPUTS_DIR_NAME

logger = logging.getLogger(__name__)

DROPPED = "Dropped"


@dataclass
class Executor:
    """Runs the executions that this worker process receives, one at a time."""

    store: JobStore
    settings: Settings

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Executor:
        settings = settings or get_settings()
        return cls(store=JobStore.from_settings(settings), settings=settings)

    def run(self, job_id: str, execution_id: str) -> str:
        """Run the execution unless it was claimed already; return its final state name."""
        node_id = self.settings.node_id
        try:
            self.store.update_state(job_id, lambda state: claim_execution(state, execution_id, node_id))
        except ClaimRejected as rejected:
            logger.info("dropped delivery: %s", rejected)
            return DROPPED
        except (JobNotFoundError, KeyError) as missing:
            # The job expired, or producer and worker disagree on MODELJOB_STORE_URL or
            # MODELJOB_KEY_PREFIX; retrying would not help in either case.
            logger.error("dropped delivery of an unknown job or execution: %s", missing)
            return DROPPED

        logger.info("execution started on node %s", node_id)
        # NOTE: an execution whose worker dies from here on (killed process, lost
        # Redis, Celery's hard time limit) stays BidAccepted. The redelivered message
        # finds it claimed and drops it. Leases that expire and retry close this gap.
        try:
            report = self._execute(job_id, execution_id)
        except Exception as error:
            # Whatever went wrong, the claimed execution must end in a recorded state.
            logger.exception("execution failed inside the worker")
            report = RunReport.failed(f"internal error in the worker: {type(error).__name__}: {error}")

        outcome = report.outcome
        succeeded = outcome.error is None and outcome.exit_code == 0
        status = _status_of(outcome)
        final = self.store.update_state(
            job_id,
            lambda state: finish_execution(
                state, execution_id, report.run_output, succeeded, status, report.published_results
            ),
        )
        ended = final.execution(execution_id).state
        log = logger.info if ended is ExecutionStateType.COMPLETED else logger.warning
        log("execution ended: state=%s exit_code=%d status=%r", ended.value, outcome.exit_code, status)
        return ended.value

    def _execute(self, job_id: str, execution_id: str) -> RunReport:
        """Run the program in a private work folder, keep its output and publish its results."""
        # NOTE: a pool process killed mid-run (SIGKILL, out of memory) leaves this
        # folder behind; nothing sweeps stale ones yet.
        work_dir = Path(tempfile.mkdtemp(prefix=f"modeljob-{execution_id}-"))
        try:
            try:
                # Stored jobs are canonical dumps, validated when they were submitted.
                job = load_canonical(self.store.get_job(job_id))
            except pydantic.ValidationError as error:
                # The producer that stored it speaks another version of the contract.
                logger.error("stored job cannot be loaded: %s", error)
                return RunReport.failed(f"stored job cannot be loaded by this worker: {error}")

            try:
                publisher = get_publisher(job)
            except PublisherUnavailableError as error:
                logger.warning("execution rejected before the program ran: %s", error)
                return RunReport.failed(str(error))

            context = ExecutionContext(
                job=job,
                job_id=job_id,
                execution_id=execution_id,
                work_dir=work_dir,
                settings=self.settings,
                timeout_s=self.timeout_of(job),
            )
            outcome = self._call_engine(context)
            stdout = _read_capped(outcome.stdout_path, self.settings.max_output_bytes)
            stderr = _read_capped(outcome.stderr_path, self.settings.max_output_bytes)
            self.store.save_output(job_id, execution_id, stdout, stderr)

            published_results = None
            if outcome.error is None and outcome.exit_code == 0:
                try:
                    published_results = publisher.publish(job, execution_id, work_dir / OUTPUTS_DIR_NAME)
                except ModelJobError as error:
                    logger.warning("publishing failed: %s", error)
                    outcome = dataclasses.replace(outcome, error=f"publishing the results failed: {error}")
            return RunReport(outcome, _run_command_result(outcome, stdout, stderr), published_results)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)

    def _call_engine(self, context: ExecutionContext) -> EngineOutcome:
        try:
            return get_engine(context.job.spec.engine).run(context)
        except ModelJobError as error:
            # An expected failure, such as an engine this worker does not have.
            logger.warning("execution failed before the program ran: %s", error)
            return _failed_before_start(str(error))
        except Exception as error:
            logger.exception("engine raised an unexpected error")
            engine = context.job.spec.engine.value
            return _failed_before_start(f"internal error in the {engine} engine: {type(error).__name__}: {error}")

    def timeout_of(self, job: ModelJob) -> float:
        """Resolve the spec's Timeout: 0 or absent means the default, capped at the maximum."""
        requested_s = job.spec.timeout or self.settings.default_job_timeout_s
        return float(min(requested_s, self.settings.max_job_timeout_s))


@dataclass(frozen=True)
class RunReport:
    """Result of one execution, ready to be recorded."""

    outcome: EngineOutcome
    run_output: RunCommandResult
    # A wire StorageSpec saying where the results went, or None when nothing was published.
    published_results: dict[str, Any] | None = None

    @classmethod
    def failed(cls, error: str) -> RunReport:
        """Build the report of an execution whose program never ran."""
        outcome = _failed_before_start(error)
        return cls(outcome, _run_command_result(outcome, "", ""))


def _failed_before_start(error: str) -> EngineOutcome:
    # Nothing ran, so there is no output to point at.
    return EngineOutcome(exit_code=-1, stdout_path=Path(os.devnull), stderr_path=Path(os.devnull), error=error)


def _status_of(outcome: EngineOutcome) -> str:
    if outcome.error:
        return outcome.error
    if outcome.exit_code != 0:
        return f"program exited with code {outcome.exit_code}"
    return "program exited with code 0"


def _read_capped(path: Path, max_bytes: int) -> str:
    try:
        with path.open("rb") as stream:
            data = stream.read(max_bytes)
    except FileNotFoundError:
        return ""
    return data.decode("utf-8", errors="replace")


def _run_command_result(outcome: EngineOutcome, stdout: str, stderr: str) -> RunCommandResult:
    stdout_preview, stdout_truncated = _preview(stdout)
    stderr_preview, stderr_truncated = _preview(stderr)
    return RunCommandResult(
        stdout=stdout_preview,
        stdout_truncated=stdout_truncated,
        stderr=stderr_preview,
        stderr_truncated=stderr_truncated,
        exit_code=outcome.exit_code,
        runner_error=outcome.error or "",
    )


def _preview(text: str) -> tuple[str, bool]:
    """Keep the first bytes of a stream, cut on a character boundary."""
    encoded = text.encode("utf-8")
    if len(encoded) <= RUN_OUTPUT_PREVIEW_BYTES:
        return text, False
    return encoded[:RUN_OUTPUT_PREVIEW_BYTES].decode("utf-8", errors="ignore"), True
