"""Types shared by the storage sources that stage job inputs on a worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from modeljob.errors import ModelJobError

if TYPE_CHECKING:
    from modeljob.settings import Settings
    from modeljob.spec import ModelStorageSpec, StorageSourceType


class StorageError(ModelJobError):
    """An input or module could not be staged; the message names the storage spec."""


class UnsupportedStorageSourceError(StorageError):
    """The spec uses a storage source that this worker has no implementation for."""


@dataclass(frozen=True)
class Mount:
    """A staged input: a host file or directory and its path inside the job.

    `mount_path` is the absolute path inside the job (the spec's `Path`), or an empty
    string for a storage spec that is only read by the worker, such as a Wasm module.
    """

    host_path: Path
    mount_path: str
    read_only: bool

    @property
    def is_dir(self) -> bool:
        return self.host_path.is_dir()


@dataclass(frozen=True)
class StagingRequest:
    """One storage spec to stage and where its data may be written.

    `label` names the spec in error messages, for example `Spec.Inputs[1] (Name 'data')`.
    `scratch_dir` is an empty directory under the execution's work_dir that belongs to
    this spec alone. Sources that materialise data (Inline) write into it.
    """

    spec: ModelStorageSpec
    label: str
    scratch_dir: Path
    settings: Settings


class StorageSource(Protocol):
    """Makes the data of one kind of storage spec available on this host."""

    source_type: StorageSourceType

    def stage(self, request: StagingRequest) -> Mount: ...


def describe_storage_spec(field_path: str, spec: ModelStorageSpec) -> str:
    """Return a label for messages: the field path, plus the spec's Name when it has one."""
    if spec.name:
        return f"{field_path} (Name {spec.name!r})"
    return field_path
