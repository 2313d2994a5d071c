"""Output folders: one empty, writable host folder per output, mounted at its `Path`."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from worker.storage.base import Mount, StorageError, describe_storage_spec

if TYPE_CHECKING:
    from modeljob.spec import ModelStorageSpec

OUTPUTS_DIR_NAME = "outputs"
# Limit on the bytes a job may write to its output folders when Spec.Resources.Disk is
# not set. It is a guess at a size that any worker's disk can spare per execution.
DEFAULT_MAX_OUTPUT_FOLDER_BYTES = 1024 * 1024 * 1024

logger = logging.getLogger(__name__)


def prepare_outputs(outputs: Sequence[ModelStorageSpec], work_dir: Path) -> list[Mount]:
    """Create `work_dir/outputs/<Name>` for every output and return their writable mounts.

    Publishers read the results from these folders after the program ends.
    """
    mounts: list[Mount] = []
    for index, spec in enumerate(outputs):
        label = describe_storage_spec(f"Spec.Outputs[{index}]", spec)
        if not spec.path or not spec.path.startswith("/"):
            raise StorageError(
                f"{label}: Path {spec.path!r} is not an absolute path; set where the job writes it, such as /outputs"
            )
        folder = output_folder(work_dir, spec, index)
        folder.mkdir(parents=True, exist_ok=False)
        # Mount host paths are resolved (see Mount), so the check before use detects a swap.
        folder = Path(os.path.realpath(folder))
        logger.info("prepared output label=%s host_path=%s mount_path=%s", label, folder, spec.path)
        mounts.append(Mount(host_path=folder, mount_path=spec.path, read_only=False))
    return mounts


def output_folder(work_dir: Path, spec: ModelStorageSpec, index: int) -> Path:
    """Return the host folder of an output: named after the output, or its index without a Name."""
    name = spec.name or str(index)
    if name in (".", "..") or "/" in name or "\0" in name:
        label = describe_storage_spec(f"Spec.Outputs[{index}]", spec)
        raise StorageError(f"{label}: Name {name!r} is not a plain folder name; use letters, digits, '-' or '_'")
    return work_dir / OUTPUTS_DIR_NAME / name


def measure_disk_usage(paths: Iterable[Path], stop_after: int | None = None) -> int:
    """Return the bytes used by the files in `paths` and in the directory trees under them.

    A file counts with the larger of its size and its allocated blocks, so sparse and
    preallocated files count in full. Symlinks are not followed. The walk ends early,
    with a partial sum, once the sum passes `stop_after`. Entries that vanish during
    the walk are skipped, because the program may still be writing.
    """
    total = 0
    pending_dirs: list[str] = []
    for path in paths:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(info.st_mode):
            pending_dirs.append(str(path))
        else:
            total += _file_bytes(info)

    while pending_dirs and not _passed(total, stop_after):
        try:
            with os.scandir(pending_dirs.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending_dirs.append(entry.path)
                    else:
                        total += _entry_bytes(entry)
                    if _passed(total, stop_after):
                        break
        except FileNotFoundError:
            continue
    return total


def _passed(total: int, stop_after: int | None) -> bool:
    return stop_after is not None and total > stop_after


def _entry_bytes(entry: os.DirEntry[str]) -> int:
    try:
        return _file_bytes(entry.stat(follow_symlinks=False))
    except FileNotFoundError:
        return 0


def _file_bytes(info: os.stat_result) -> int:
    return max(info.st_size, info.st_blocks * 512)
