"""The storage sources this worker can stage, keyed by StorageSourceType."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from modeljob.spec import StorageSourceType
from worker.storage.base import (
    InlineBudget,
    Mount,
    StagingRequest,
    StorageError,
    StorageSource,
    UnsupportedStorageSourceError,
    describe_storage_spec,
)
from worker.storage.inline import InlineSource
from worker.storage.local_directory import LocalDirectorySource

if TYPE_CHECKING:
    from modeljob.settings import Settings
    from modeljob.spec import ModelStorageSpec

# Staged inputs live in numbered folders under this directory of the work_dir.
INPUTS_DIR_NAME = "inputs"

logger = logging.getLogger(__name__)

_sources: dict[StorageSourceType, StorageSource] = {}


def register_storage_source(source: StorageSource) -> None:
    """Add or replace the implementation for `source.source_type`."""
    _sources[source.source_type] = source


def get_storage_source(source_type: StorageSourceType, label: str) -> StorageSource:
    """Return the implementation for `source_type`; raise UnsupportedStorageSourceError when none exists."""
    source = _sources.get(source_type)
    if source is None:
        supported = ", ".join(sorted(_wire_name(known) for known in _sources))
        raise UnsupportedStorageSourceError(
            f"{label}: this worker cannot stage {_wire_name(source_type)} storage yet; "
            f"supported storage sources: {supported}"
        )
    return source


def stage_storage(
    spec: ModelStorageSpec,
    label: str,
    scratch_dir: Path,
    settings: Settings,
    inline_budget: InlineBudget | None = None,
) -> Mount:
    """Stage one storage spec; `scratch_dir` is created when missing and must not be shared.

    Pass the execution's `inline_budget` to every call for one execution, so that the
    limit on inline data applies to all its specs together. Without it, the spec gets a
    budget of its own.
    """
    if spec.storage_source is None:
        raise StorageError(f"{label}: StorageSource is missing; set it to Inline or LocalDirectory, for example")
    source = get_storage_source(spec.storage_source, label)
    scratch_dir.mkdir(parents=True, exist_ok=True)
    request = StagingRequest(
        spec=spec,
        label=label,
        scratch_dir=Path(os.path.realpath(scratch_dir)),
        settings=settings,
        inline_budget=inline_budget if inline_budget is not None else InlineBudget(),
    )
    return source.stage(request)


def stage_inputs(
    inputs: Sequence[ModelStorageSpec],
    work_dir: Path,
    settings: Settings,
    inline_budget: InlineBudget | None = None,
) -> list[Mount]:
    """Stage every input of a job, in spec order, and return their mounts.

    All inputs share `inline_budget` (a new one when it is None). Raises StorageError
    for the first input that cannot be staged, or when two inputs share one mount path.
    """
    if inline_budget is None:
        inline_budget = InlineBudget()
    mounts: list[Mount] = []
    labels_by_mount_path: dict[str, str] = {}
    for index, spec in enumerate(inputs):
        label = describe_storage_spec(f"Spec.Inputs[{index}]", spec)
        mount_path = spec.path or ""
        if not mount_path.startswith("/"):
            raise StorageError(
                f"{label}: Path {mount_path!r} is not an absolute path; set the mount point inside the job, such as /inputs"
            )
        if mount_path in labels_by_mount_path:
            raise StorageError(f"{label}: Path {mount_path!r} is already used by {labels_by_mount_path[mount_path]}")
        labels_by_mount_path[mount_path] = label

        mount = stage_storage(spec, label, work_dir / INPUTS_DIR_NAME / str(index), settings, inline_budget)
        logger.info(
            "staged input label=%s source=%s host_path=%s mount_path=%s read_only=%s",
            label,
            _wire_name(spec.storage_source),
            mount.host_path,
            mount.mount_path,
            mount.read_only,
        )
        mounts.append(mount)
    return mounts


def _wire_name(source_type: StorageSourceType) -> str:
    return str(getattr(source_type, "value", source_type))


register_storage_source(InlineSource(StorageSourceType.INLINE))
register_storage_source(LocalDirectorySource(StorageSourceType.LOCAL_DIRECTORY))
