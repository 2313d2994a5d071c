"""Output folders: one empty, writable host folder per output, mounted at its `Path`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from worker.storage.base import Mount, StorageError, describe_storage_spec

if TYPE_CHECKING:
    from modeljob.spec import ModelStorageSpec

OUTPUTS_DIR_NAME = "outputs"

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
