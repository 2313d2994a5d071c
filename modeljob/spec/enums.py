"""Enumerations of the v1beta1 job model, with the spellings clients send for them.

Each member's value is the canonical wire string. Bacalhau compares enum names
case-insensitively after trimming whitespace, so `Engine("docker")` and
`Engine(" DOCKER ")` both return `Engine.DOCKER`. The SDK generated from Bacalhau's
swagger (commit 2bc2902a, 2023-08-07) shows the Go iota values instead of names.
`SDK_NUMBERS` maps those integers, and only those, to members.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class _WireEnum(str, Enum):
    """A string enum that also finds its members by name in any letter case."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str):
            return _lookup_by_name(cls, value)
        return None

    def __str__(self) -> str:
        return self.value


def _lookup_by_name(cls: type[_WireEnum], text: str) -> _WireEnum | None:
    table = _NAME_TABLES.get(cls)
    if table is None:
        table = {member.value.casefold(): member for member in cls}
        table.update({alias.casefold(): cls(target) for alias, target in _ALIASES.get(cls, {}).items()})
        _NAME_TABLES[cls] = table
    return table.get(text.strip().casefold())


_NAME_TABLES: dict[type, dict[str, Any]] = {}


class Engine(_WireEnum):
    """Execution engine of a job."""

    NOOP = "Noop"
    DOCKER = "Docker"
    WASM = "Wasm"


class Publisher(_WireEnum):
    """Where an execution's results are published."""

    NOOP = "Noop"
    IPFS = "Ipfs"
    ESTUARY = "Estuary"
    S3 = "S3"
    # Added in Bacalhau 1.2.3; writes results to the compute node's local disk.
    LOCAL = "Local"


class StorageSourceType(_WireEnum):
    """Where the data of an input (or a Wasm module) comes from."""

    IPFS = "IPFS"
    REPO_CLONE = "RepoClone"
    REPO_CLONE_LFS = "RepoCloneLFS"
    URL_DOWNLOAD = "URLDownload"
    ESTUARY = "Estuary"
    INLINE = "Inline"
    LOCAL_DIRECTORY = "LocalDirectory"
    S3 = "S3"


class Network(_WireEnum):
    """Network access of a job: none, unrestricted, or HTTP to listed domains."""

    NONE = "None"
    FULL = "Full"
    HTTP = "HTTP"


class SelectionOperator(str, Enum):
    """Operator of a node selector requirement (Kubernetes label selector syntax).

    Bacalhau passes these strings to Kubernetes' `labels.NewRequirement`, which
    compares them case-sensitively, so there is no case-insensitive lookup here.
    """

    DOES_NOT_EXIST = "!"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    IN = "in"
    NOT_EQUALS = "!="
    NOT_IN = "notin"
    EXISTS = "exists"
    GREATER_THAN = "gt"
    LESS_THAN = "lt"

    def __str__(self) -> str:
        return self.value


# Extra names accepted on input: the Go constant spellings that differ from the
# emitted string.
_ALIASES: dict[type, dict[str, str]] = {
    Engine: {},
    Publisher: {},
    StorageSourceType: {"URL": "URLDownload"},
    Network: {},
}

# Integer values of the SDK enums at Bacalhau commit 2bc2902a (the model set the
# Speakeasy SDK documents). 0 is "unknown" and the last value a sentinel, so both
# are absent here and rejected.
SDK_NUMBERS: dict[type, dict[int, Any]] = {
    Engine: {1: Engine.NOOP, 2: Engine.DOCKER, 3: Engine.WASM},
    Publisher: {1: Publisher.NOOP, 2: Publisher.IPFS, 3: Publisher.ESTUARY, 4: Publisher.S3},
    StorageSourceType: {
        1: StorageSourceType.IPFS,
        2: StorageSourceType.REPO_CLONE,
        3: StorageSourceType.REPO_CLONE_LFS,
        4: StorageSourceType.URL_DOWNLOAD,
        5: StorageSourceType.ESTUARY,
        6: StorageSourceType.INLINE,
        7: StorageSourceType.LOCAL_DIRECTORY,
        8: StorageSourceType.S3,
    },
    Network: {0: Network.NONE, 1: Network.FULL, 2: Network.HTTP},
}

# Names that older Bacalhau releases accepted and this contract does not, with the
# reason shown in the error message.
REMOVED_NAMES: dict[type, dict[str, str]] = {
    Engine: {
        "language": "the Language engine was removed in Bacalhau 1.0.4",
        "pythonwasm": "the PythonWasm engine was removed in Bacalhau 1.0.4",
        "rawexec": "rawexec is an experimental engine of Bacalhau 1.1+ and never part of v1beta1",
    },
    Publisher: {"filecoin": "the Filecoin publisher was removed from Bacalhau in June 2023"},
    StorageSourceType: {
        "filecoin": "the Filecoin storage source was removed from Bacalhau in June 2023",
        "filecoinunsealed": "the FilecoinUnsealed storage source was removed from Bacalhau in June 2023",
        "cidstream": "CIDStream is an experimental storage source of a Bacalhau fork, not part of v1beta1",
    },
    Network: {},
}


def lookup_enum(cls: type[_WireEnum], text: str) -> _WireEnum | None:
    """Return the member whose name matches `text` in any letter case, or None."""
    return _lookup_by_name(cls, text)
