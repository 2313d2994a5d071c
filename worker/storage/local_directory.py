"""LocalDirectory inputs: host paths mounted into the job, guarded by an allow-list.

The allow-list comes from `Settings.allowed_local_paths` (`MODELJOB_ALLOWED_LOCAL_PATHS`).
Each entry is an absolute path or glob pattern with an optional `:rw` or `:ro` suffix
(read-only when there is none). In a pattern, `*`, `?` and `[...]` match within one path
segment and a `**` segment matches any number of segments, as in doublestar globs.

A host path is allowed when an entry matches the path itself or one of its parent
directories, so the entry `/data` also allows `/data/2024/in.csv`. The path is resolved
first (symlinks and `..` segments), so a symlink or `..` cannot lead out of an allowed
directory. A ReadWrite input needs a matching entry with `:rw`.
"""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from worker.storage.base import Mount, StagingRequest, StorageError

if TYPE_CHECKING:
    from modeljob.spec import StorageSourceType

ALLOW_LIST_VARIABLE = "MODELJOB_ALLOWED_LOCAL_PATHS"
READ_WRITE_SUFFIX = "rw"
READ_ONLY_SUFFIX = "ro"
GLOB_CHARACTERS = frozenset("*?[")

logger = logging.getLogger(__name__)


class LocalPathNotAllowedError(StorageError):
    """A LocalDirectory input names a host path that the allow-list does not cover."""


@dataclass(frozen=True)
class AllowedPath:
    """One parsed allow-list entry: a normalised absolute pattern and its access mode."""

    entry: str
    pattern: str
    read_write: bool

    @classmethod
    def parse(cls, entry: str) -> AllowedPath:
        """Parse `PATH`, `PATH:ro` or `PATH:rw`; raise StorageError when PATH is not absolute."""
        text = entry.strip()
        read_write = False
        head, separator, suffix = text.rpartition(":")
        if separator and suffix.lower() in (READ_WRITE_SUFFIX, READ_ONLY_SUFFIX):
            text = head
            read_write = suffix.lower() == READ_WRITE_SUFFIX

        if not text.startswith("/"):
            raise StorageError(
                f"{ALLOW_LIST_VARIABLE} entry {entry!r} is invalid: it must be an absolute path "
                "or glob pattern, optionally followed by :rw or :ro"
            )
        return cls(entry=entry, pattern=_resolve_static_prefix(text), read_write=read_write)

    def matches(self, path: Path) -> bool:
        """Return True when the pattern matches `path` or one of its parent directories.

        `path` must already be resolved (absolute, no symlinks, no `..`).
        """
        pattern_segments = _split_segments(self.pattern)
        path_segments = _split_segments(str(path))
        for length in range(len(path_segments), -1, -1):
            if _match_segments(pattern_segments, path_segments[:length]):
                return True
        return False


def parse_allow_list(entries: Iterable[str]) -> list[AllowedPath]:
    """Parse every non-empty entry of the allow-list."""
    return [AllowedPath.parse(entry) for entry in entries if entry.strip()]


def find_allowed_path(path: Path, allow_list: list[AllowedPath], read_write: bool) -> AllowedPath | None:
    """Return an entry that allows `path` in the requested mode, or None."""
    for allowed in allow_list:
        if read_write and not allowed.read_write:
            continue
        if allowed.matches(path):
            return allowed
    return None


class LocalDirectorySource:
    """Mounts a host file or directory in place, without copying it."""

    def __init__(self, source_type: StorageSourceType) -> None:
        self.source_type = source_type

    def stage(self, request: StagingRequest) -> Mount:
        spec = request.spec
        if not spec.source_path:
            raise StorageError(
                f"{request.label}: SourcePath is missing; a LocalDirectory input needs the host path to mount"
            )
        if not os.path.isabs(spec.source_path):
            raise StorageError(
                f"{request.label}: SourcePath {spec.source_path!r} is not an absolute path; "
                "LocalDirectory inputs need an absolute host path"
            )

        # Check the allow-list before touching the file system, so that a rejected
        # request learns nothing about paths outside the allow-list.
        resolved = Path(os.path.realpath(spec.source_path))
        allow_list = parse_allow_list(request.settings.allowed_local_paths)
        check_allowed(request.label, spec.source_path, resolved, allow_list, read_write=bool(spec.read_write))

        if not resolved.exists():
            raise StorageError(
                f"{request.label}: LocalDirectory path {spec.source_path!r} does not exist on this worker"
            )
        return Mount(host_path=resolved, mount_path=spec.path or "", read_only=not spec.read_write)


def check_allowed(
    label: str, source_path: str, resolved: Path, allow_list: list[AllowedPath], read_write: bool
) -> None:
    """Raise LocalPathNotAllowedError unless the allow-list covers `resolved` in the requested mode."""
    if find_allowed_path(resolved, allow_list, read_write):
        return

    described_path = (
        repr(source_path) if str(resolved) == source_path else f"{source_path!r} (resolved to {str(resolved)!r})"
    )
    if not allow_list:
        reason = f"this worker allows no local paths because {ALLOW_LIST_VARIABLE} is empty"
    elif read_write and find_allowed_path(resolved, allow_list, read_write=False):
        reason = "the allow-list of this worker permits it read-only, and ReadWrite needs an entry ending in :rw"
    else:
        reason = "it is outside the allow-list of this worker"

    suffix = ":rw" if read_write else ""
    logger.warning("rejected LocalDirectory input label=%s path=%s read_write=%s", label, resolved, read_write)
    raise LocalPathNotAllowedError(
        f"{label}: LocalDirectory path {described_path} is not allowed: {reason}. "
        f"To allow it, add an entry such as {resolved}{suffix} to {ALLOW_LIST_VARIABLE} on the worker"
    )


def _resolve_static_prefix(pattern: str) -> str:
    """Normalise the pattern and resolve symlinks in its leading glob-free segments.

    Input paths are compared after resolution, so the literal part of the pattern is
    resolved too. Without that, an entry under a symlinked directory would never match.
    """
    segments = _split_segments(os.path.normpath(pattern))
    literal: list[str] = []
    for segment in segments:
        if GLOB_CHARACTERS.intersection(segment):
            break
        literal.append(segment)
    resolved_prefix = os.path.realpath("/" + "/".join(literal))
    rest = segments[len(literal) :]
    return str(PurePosixPath(resolved_prefix, *rest))


def _split_segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _match_segments(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return not path

    head = pattern[0]
    if head == "**":
        return any(_match_segments(pattern[1:], path[start:]) for start in range(len(path) + 1))
    if not path:
        return False
    return fnmatch.fnmatchcase(path[0], head) and _match_segments(pattern[1:], path[1:])
