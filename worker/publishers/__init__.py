"""Publishers: where an execution's outputs go after the program ends.

A job names its publisher in `Spec.PublisherSpec.Type`. The registry maps each
type to an implementation. A type without one is rejected before the program
runs, so a job never completes while its results are silently dropped.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from modeljob.errors import ModelJobError
from modeljob.spec import Publisher

if TYPE_CHECKING:
    from modeljob.spec import ModelJob

logger = logging.getLogger(__name__)


class PublisherUnavailableError(ModelJobError):
    """The job requests a publisher that this worker has no implementation for."""


class ResultPublisher(Protocol):
    """Publishes the output folders of one execution."""

    def publish(self, job: ModelJob, execution_id: str, outputs_dir: Path) -> dict[str, Any] | None:
        """Publish the outputs and return where they went, as a wire StorageSpec (or None)."""
        ...


class NoopPublisher:
    """Publishes nothing, as Bacalhau's Noop publisher does: outputs end with the execution."""

    def publish(self, job: ModelJob, execution_id: str, outputs_dir: Path) -> dict[str, Any] | None:
        return None


_PUBLISHERS: dict[Publisher, ResultPublisher] = {Publisher.NOOP: NoopPublisher()}


def get_publisher(job: ModelJob) -> ResultPublisher:
    """Return the publisher of a job; a job without a PublisherSpec uses Noop."""
    spec = job.spec.publisher_spec
    kind = spec.type if spec is not None and spec.type is not None else Publisher.NOOP
    publisher = _PUBLISHERS.get(kind)
    if publisher is None:
        available = ", ".join(sorted(p.value for p in _PUBLISHERS))
        raise PublisherUnavailableError(
            f"Spec.PublisherSpec.Type {kind.value!r} is not available on this worker yet "
            f"(available: {available}); set PublisherSpec.Type to Noop to run the job without publishing"
        )
    return publisher
