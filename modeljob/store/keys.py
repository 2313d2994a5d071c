"""Every Redis key and channel modeljob uses, under one configurable prefix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str

    def job(self, job_id: str) -> str:
        """Hash with fields `spec`, `state`, `version` and the executions' full output."""
        return f"{self.prefix}:job:{job_id}"

    def history(self, job_id: str) -> str:
        """List of JobHistory entries, oldest first."""
        return f"{self.prefix}:job:{job_id}:history"

    def changes(self, job_id: str) -> str:
        """Pub/sub channel that carries the new version after every state change."""
        return f"{self.prefix}:job:{job_id}:changes"

    def job_index(self) -> str:
        """Sorted set of job IDs scored by creation time (unix seconds).

        NOTE: entries outlive their jobs, which expire after the retention period;
        nothing prunes the index yet, so readers must skip IDs whose job is gone.
        """
        return f"{self.prefix}:jobs"

    @staticmethod
    def output_field(execution_id: str, stream: str) -> str:
        return f"output:{execution_id}:{stream}"
