"""Types shared by the storage sources that stage job inputs on a worker."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from modeljob.errors import ModelJobError

if TYPE_CHECKING:
    from modeljob.settings import Settings
    from modeljob.spec import ModelStorageSpec, StorageSourceType

# Upper bound on all Inline data that one execution materialises (entry module, import
# modules and inputs together, after decoding, decompressing and unpacking), in bytes.
# Real inline data is small because Bacalhau's requester moves inline data larger than
# 5 KiB out of the spec. The bound stops small compressed payloads from filling the
# worker's disk.
MAX_INLINE_BYTES = 64 * 1024 * 1024


class StorageError(ModelJobError):
    """An input or module could not be staged; the message names the storage spec."""


class UnsupportedStorageSourceError(StorageError):
    """The spec uses a storage source that this worker has no implementation for."""


@dataclass(frozen=True)
class Mount:
    """A staged input: a host file or directory and its path inside the job.

    `host_path` is a resolved path (absolute, without symlinks or `..`). `mount_path`
    is the absolute path inside the job (the spec's `Path`), or an empty string for a
    storage spec that is only read by the worker, such as a Wasm module.
    """

    host_path: Path
    mount_path: str
    read_only: bool

    @property
    def is_dir(self) -> bool:
        return self.host_path.is_dir()

    def check_unchanged(self, label: str) -> None:
        """Raise StorageError when `host_path` no longer resolves to itself.

        Call it right before the host path is opened. A difference means that a
        directory on the path was replaced by a symlink after staging checked it.
        """
        current = os.path.realpath(self.host_path)
        if current != str(self.host_path):
            raise StorageError(
                f"{label}: host path {str(self.host_path)!r} now resolves to {current!r}; "
                "a directory on the path was replaced by a symlink after staging, so the input is not mounted"
            )


class InlineBudget:
    """The bytes of Inline data that one execution may still materialise on disk.

    One budget is shared by every storage spec of an execution, so that many small
    inline specs cannot add up past `max_bytes`. It is not thread-safe, because an
    execution stages its specs one after another.
    """

    def __init__(self, max_bytes: int = MAX_INLINE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.used_bytes = 0

    @property
    def remaining_bytes(self) -> int:
        return self.max_bytes - self.used_bytes

    def reserve(self, size: int, label: str) -> None:
        """Count `size` bytes against the budget; raise StorageError naming `label` when they do not fit."""
        if size > self.remaining_bytes:
            raise StorageError(f"{label}: inline data is {size} bytes, {self.describe_excess()}")
        self.used_bytes += size

    def describe_excess(self) -> str:
        """Return the end of a message saying that the data does not fit in the budget."""
        return (
            f"more than the {self.remaining_bytes} bytes left of the limit of {self.max_bytes} bytes "
            f"for all inline data of one execution ({self.used_bytes} bytes are used by earlier inline "
            "modules and inputs); move large data out of the spec, for example to a LocalDirectory input"
        )


@dataclass(frozen=True)
class StagingRequest:
    """One storage spec to stage and where its data may be written.

    `label` names the spec in error messages, for example `Spec.Inputs[1] (Name 'data')`.
    `scratch_dir` is an empty, resolved directory under the execution's work_dir that
    belongs to this spec alone. Sources that materialise data (Inline) write into it
    and count what they write against `inline_budget`, which the execution's other
    specs share.
    """

    spec: ModelStorageSpec
    label: str
    scratch_dir: Path
    settings: Settings
    inline_budget: InlineBudget = field(default_factory=InlineBudget)


class StorageSource(Protocol):
    """Makes the data of one kind of storage spec available on this host."""

    source_type: StorageSourceType

    def stage(self, request: StagingRequest) -> Mount: ...


def describe_storage_spec(field_path: str, spec: ModelStorageSpec) -> str:
    """Return a label for messages: the field path, plus the spec's Name when it has one."""
    if spec.name:
        return f"{field_path} (Name {spec.name!r})"
    return field_path
