"""Exception types shared by the producer and the worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ModelJobError(Exception):
    """Base class of every error that modeljob raises on purpose."""


@dataclass(frozen=True)
class FieldError:
    """One problem found in a submitted spec.

    `path` uses the spelling of the wire form, for example `Spec.Inputs[0].Path`.
    `value` is the value as given, or `None` when the field is missing. `message`
    states what is wrong and what would be valid.
    """

    path: str
    message: str
    value: Any = None

    def __str__(self) -> str:
        where = self.path or "(document)"
        if self.value is None:
            return f"{where}: {self.message}"
        return f"{where}: {self.message} (value: {self.value!r})"


class SpecValidationError(ModelJobError, ValueError):
    """A spec was rejected; `errors` lists every problem found, not only the first."""

    def __init__(self, errors: list[FieldError], source: str | None = None) -> None:
        self.errors = list(errors)
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"{self.source}: " if self.source else ""
        count = len(self.errors)
        noun = "error" if count == 1 else "errors"
        lines = [f"{head}invalid job spec, {count} {noun}:"]
        lines.extend(f"  - {error}" for error in self.errors)
        return "\n".join(lines)


class ConfigurationError(ModelJobError, ValueError):
    """A setting needed for the requested operation is missing or invalid."""


class JobNotFoundError(ModelJobError, LookupError):
    """No job with the given ID exists in the store (it may have expired)."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id!r} not found; check the ID, or the job expired after the retention period")


class AmbiguousJobIdError(ModelJobError, LookupError):
    """A short job ID matches more than one job."""


class StoreConflictError(ModelJobError):
    """A compare-and-set in the job store lost against a concurrent writer."""
