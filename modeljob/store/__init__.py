"""The Redis job store: the source of truth for jobs, their state and history."""

from modeljob.store.jobstore import JobStore, OutputText
from modeljob.store.keys import Keys

__all__ = ["JobStore", "Keys", "OutputText"]
