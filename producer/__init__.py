"""Everything a client touches: the Producer API and the `modeljob` CLI."""

from producer.api import JobHandle, JobTimeoutError, Producer

__all__ = ["JobHandle", "JobTimeoutError", "Producer"]
