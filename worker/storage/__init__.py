"""Input staging: makes the storage specs of a job available as host files and directories.

Each storage source (Inline, LocalDirectory, later URL, S3, IPFS and Git) stages one
storage spec into a `Mount`, and `stage_inputs` stages all inputs of a job. A source
is added with `register_storage_source`.
"""

from worker.storage.base import (
    Mount,
    StagingRequest,
    StorageError,
    StorageSource,
    UnsupportedStorageSourceError,
    describe_storage_spec,
)
from worker.storage.local_directory import ALLOW_LIST_VARIABLE, LocalPathNotAllowedError
from worker.storage.outputs import prepare_outputs
from worker.storage.registry import get_storage_source, register_storage_source, stage_inputs, stage_storage

__all__ = [
    "ALLOW_LIST_VARIABLE",
    "LocalPathNotAllowedError",
    "Mount",
    "StagingRequest",
    "StorageError",
    "StorageSource",
    "UnsupportedStorageSourceError",
    "describe_storage_spec",
    "get_storage_source",
    "prepare_outputs",
    "register_storage_source",
    "stage_inputs",
    "stage_storage",
]
