"""Atomic, versioned reads and writes of jobs in Redis.

Every state change is a compare-and-set on the job's version, done by a Lua script
that also appends the history entries and publishes the new version, so job state,
execution state and history never disagree.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import redis

from modeljob.errors import AmbiguousJobIdError, ConfigurationError, JobNotFoundError, StoreConflictError
from modeljob.settings import Settings
from modeljob.state import JobHistory, JobState, utc_now
from modeljob.store.keys import Keys

logger = logging.getLogger(__name__)

# A compare-and-set that keeps losing against other writers gives up after this
# many attempts; each attempt re-reads the state.
MAX_CAS_ATTEMPTS = 50

# A job ID prefix shorter than this is not looked up, as Bacalhau's short IDs are 8
# characters and a shorter prefix would match too many jobs to be useful.
MIN_ID_PREFIX_CHARS = 8

# Returns the history entries of a change, or None when the state needs no change.
StateMutation = Callable[[JobState], "list[JobHistory] | None"]


@dataclass(frozen=True)
class OutputText:
    """Full stdout and stderr of one execution, as kept in the store."""

    stdout: str
    stderr: str


def _load_script(name: str) -> str:
    return resources.files("modeljob.store").joinpath(name).read_text(encoding="utf-8")


class JobStore:
    """Jobs, job states and history in Redis, under one key prefix."""

    def __init__(self, client: redis.Redis, key_prefix: str, retention_s: int) -> None:
        self.client = client
        self.keys = Keys(key_prefix)
        self.retention_s = retention_s
        self._create = client.register_script(_load_script("create_job.lua"))
        self._compare_and_set = client.register_script(_load_script("compare_and_set.lua"))

    @classmethod
    def from_settings(cls, settings: Settings) -> JobStore:
        url = settings.effective_store_url
        if not url:
            raise ConfigurationError(
                "no job store configured: set MODELJOB_STORE_URL or MODELJOB_BROKER_URL "
                "to a Redis URL such as redis://127.0.0.1:6379/0"
            )
        client = redis.Redis.from_url(url, decode_responses=True)
        return cls(client, settings.key_prefix, settings.retention_s)

    def create_job(self, job_id: str, job_wire: dict[str, Any], state: JobState, history: list[JobHistory]) -> bool:
        """Store a new job; return False when a job with this ID already exists."""
        created = self._create(
            keys=[self.keys.job(job_id), self.keys.history(job_id), self.keys.job_index()],
            args=[
                job_id,
                json.dumps(job_wire, separators=(",", ":")),
                _dump(state),
                state.create_time.timestamp(),
                self.keys.changes(job_id),
                *(_dump(entry) for entry in history),
            ],
        )
        return created == 1

    def resolve_id(self, id_or_prefix: str) -> str:
        """Return the full job ID for a full ID or a unique prefix of one (such as 8 characters).

        A prefix is looked up in the job index, so it costs a scan of the index; a full ID
        costs one EXISTS.
        """
        if self.client.exists(self.keys.job(id_or_prefix)):
            return id_or_prefix
        if len(id_or_prefix) < MIN_ID_PREFIX_CHARS:
            raise JobNotFoundError(id_or_prefix)

        matches = [
            job_id
            for job_id, _ in self.client.zscan_iter(self.keys.job_index(), match=f"{_escape_glob(id_or_prefix)}*")
            if self.client.exists(self.keys.job(job_id))
        ]
        if not matches:
            raise JobNotFoundError(id_or_prefix)
        if len(matches) > 1:
            first_matches = ", ".join(sorted(matches)[:5])
            raise AmbiguousJobIdError(
                f"job ID prefix {id_or_prefix!r} matches {len(matches)} jobs ({first_matches}); give more of the ID"
            )
        return matches[0]

    def get_job(self, job_id: str) -> dict[str, Any]:
        """Return the job in its canonical wire form."""
        spec = self.client.hget(self.keys.job(job_id), "spec")
        if spec is None:
            raise JobNotFoundError(job_id)
        return json.loads(spec)

    def get_state(self, job_id: str) -> JobState:
        raw = self.client.hget(self.keys.job(job_id), "state")
        if raw is None:
            raise JobNotFoundError(job_id)
        return JobState.model_validate_json(raw)

    def get_history(self, job_id: str) -> list[JobHistory]:
        entries = self.client.lrange(self.keys.history(job_id), 0, -1)
        return [JobHistory.model_validate_json(entry) for entry in entries]

    def get_job_with_history(self, job_id: str) -> tuple[dict[str, Any], JobState, list[JobHistory]]:
        """Return the job's wire form, its state and its history, read in one round trip."""
        pipeline = self.client.pipeline(transaction=True)
        pipeline.hmget(self.keys.job(job_id), ["spec", "state"])
        pipeline.lrange(self.keys.history(job_id), 0, -1)
        (spec, state), entries = pipeline.execute()
        if spec is None or state is None:
            raise JobNotFoundError(job_id)
        history = [JobHistory.model_validate_json(entry) for entry in entries]
        return json.loads(spec), JobState.model_validate_json(state), history

    def update_state(self, job_id: str, mutate: StateMutation) -> JobState:
        """Apply `mutate` to the current state and write it back atomically.

        `mutate` works on a fresh copy on every attempt and returns the history
        entries of its change (the store fills in their `NewVersion`), or None to
        leave the state as it is. Returns the state as stored afterwards.
        """
        for _ in range(MAX_CAS_ATTEMPTS):
            current = self.get_state(job_id)
            expected_version = current.version
            candidate = current.model_copy(deep=True)
            history = mutate(candidate)
            if history is None:
                return current

            candidate.version = expected_version + 1
            candidate.update_time = utc_now()
            for entry in history:
                entry.new_version = candidate.version
            expiry_s = self.retention_s if candidate.state.is_terminal else 0
            outcome = self._compare_and_set(
                keys=[self.keys.job(job_id), self.keys.history(job_id)],
                args=[
                    expected_version,
                    candidate.version,
                    _dump(candidate),
                    expiry_s,
                    self.keys.changes(job_id),
                    *(_dump(entry) for entry in history),
                ],
            )
            if outcome == 1:
                return candidate
            if outcome == -1:
                raise JobNotFoundError(job_id)
            logger.debug("state of job %s moved past version %d; retrying", job_id, expected_version)
        raise StoreConflictError(f"job {job_id}: state kept changing during {MAX_CAS_ATTEMPTS} update attempts")

    def save_output(self, job_id: str, execution_id: str, stdout: str, stderr: str) -> None:
        """Keep the full stdout and stderr of an execution beside the job."""
        self.client.hset(
            self.keys.job(job_id),
            mapping={
                Keys.output_field(execution_id, "stdout"): stdout,
                Keys.output_field(execution_id, "stderr"): stderr,
            },
        )

    def get_output(self, job_id: str, execution_id: str) -> OutputText:
        stdout, stderr = self.client.hmget(
            self.keys.job(job_id),
            [Keys.output_field(execution_id, "stdout"), Keys.output_field(execution_id, "stderr")],
        )
        return OutputText(stdout=stdout or "", stderr=stderr or "")

    def wait_for_change(self, job_id: str, seen_version: int, timeout_s: float) -> JobState:
        """Block until the job's version passes `seen_version` or the timeout ends.

        Returns the latest state either way; the caller checks what it needs.
        """
        deadline = time.monotonic() + timeout_s
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(self.keys.changes(job_id))
            state = self.get_state(job_id)
            while state.version <= seen_version:
                remaining_s = deadline - time.monotonic()
                if remaining_s <= 0:
                    break
                # A bounded wait, so that a missed message only delays the next read.
                pubsub.get_message(timeout=min(remaining_s, 1.0))
                state = self.get_state(job_id)
            return state
        finally:
            pubsub.close()


def _escape_glob(text: str) -> str:
    """Escape the characters that Redis MATCH patterns treat specially."""
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)


def _dump(model: JobState | JobHistory) -> str:
    return json.dumps(model.to_wire(), separators=(",", ":"))
