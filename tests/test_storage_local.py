"""LocalDirectory staging and its allow-list, on real files, directories and symlinks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modeljob.settings import Settings
from modeljob.spec import StorageSourceType
from modeljob.spec.models import ModelStorageSpec
from worker.storage import (
    ALLOW_LIST_VARIABLE,
    LocalPathNotAllowedError,
    StorageError,
    UnsupportedStorageSourceError,
    stage_inputs,
)
from worker.storage.local_directory import AllowedPath, find_allowed_path, parse_allow_list


def local_input(
    source_path: Path | str, mount_path: str = "/inputs", read_write: bool = False, name: str | None = None
) -> ModelStorageSpec:
    return ModelStorageSpec(
        storage_source=StorageSourceType.LOCAL_DIRECTORY,
        source_path=str(source_path),
        path=mount_path,
        read_write=read_write,
        name=name,
    )


def stage(inputs: list[ModelStorageSpec], allowed: list[str], work_dir: Path):
    return stage_inputs(inputs, work_dir, Settings(allowed_local_paths=allowed))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    (directory / "sub").mkdir(parents=True)
    (directory / "sub" / "in.csv").write_text("a,b\n")
    return directory


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "work"
    directory.mkdir()
    return directory


# --- Allow-list entries ---------------------------------------------------------


def test_entry_without_suffix_is_read_only():
    entry = AllowedPath.parse("/data")
    assert entry.read_write is False
    assert entry.pattern == os.path.realpath("/data")


@pytest.mark.parametrize(
    ("text", "read_write"),
    [("/data:rw", True), ("/data:ro", False), ("/data:RW", True)],
)
def test_entry_mode_suffix(text: str, read_write: bool):
    entry = AllowedPath.parse(text)
    assert entry.read_write is read_write
    assert entry.pattern == os.path.realpath("/data")


def test_relative_entry_rejected():
    with pytest.raises(StorageError) as raised:
        AllowedPath.parse("data/in:rw")
    assert ALLOW_LIST_VARIABLE in str(raised.value)
    assert "'data/in:rw'" in str(raised.value)


def test_empty_entries_ignored():
    assert parse_allow_list(["", "  "]) == []


def test_entry_allows_nested_paths(data_dir: Path):
    entry = AllowedPath.parse(str(data_dir))
    assert entry.matches(data_dir)
    assert entry.matches(data_dir / "sub" / "in.csv")
    assert not entry.matches(data_dir.parent)
    assert not entry.matches(Path(str(data_dir) + "-other"))


def test_single_star_stays_in_segment(data_dir: Path):
    entry = AllowedPath.parse(f"{data_dir}/*.csv")
    assert entry.matches(data_dir / "top.csv")
    assert entry.matches(data_dir / "top.csv" / "inside")
    assert not entry.matches(data_dir / "sub")
    assert not entry.matches(data_dir)


def test_double_star_spans_segments(data_dir: Path):
    entry = AllowedPath.parse(f"{data_dir}/**/in.csv")
    assert entry.matches(data_dir / "sub" / "in.csv")
    assert entry.matches(data_dir / "in.csv")
    assert not entry.matches(data_dir / "sub" / "out.csv")


def test_glob_entry_with_symlinked_prefix(tmp_path: Path, data_dir: Path):
    link = tmp_path / "link-to-data"
    link.symlink_to(data_dir)
    entry = AllowedPath.parse(f"{link}/s*b")
    assert entry.matches(data_dir / "sub")


def test_read_write_needs_rw_entry(data_dir: Path):
    allow_list = parse_allow_list([f"{data_dir}:ro", f"{data_dir}/sub:rw"])
    assert find_allowed_path(data_dir, allow_list, read_write=True) is None
    assert find_allowed_path(data_dir, allow_list, read_write=False) is not None
    assert find_allowed_path(data_dir / "sub", allow_list, read_write=True) is not None


# --- Staging --------------------------------------------------------------------


def test_allowed_directory_staged_in_place(data_dir: Path, work_dir: Path):
    mounts = stage([local_input(data_dir, "/inputs")], [str(data_dir)], work_dir)
    assert len(mounts) == 1
    assert mounts[0].host_path == data_dir.resolve()
    assert mounts[0].mount_path == "/inputs"
    assert mounts[0].read_only is True
    assert mounts[0].is_dir


def test_allowed_file_staged(data_dir: Path, work_dir: Path):
    source = data_dir / "sub" / "in.csv"
    mounts = stage([local_input(source, "/inputs/in.csv")], [f"{data_dir}/**"], work_dir)
    assert mounts[0].host_path == source.resolve()
    assert not mounts[0].is_dir


def test_read_write_with_rw_entry(data_dir: Path, work_dir: Path):
    mounts = stage([local_input(data_dir, read_write=True)], [f"{data_dir}:rw"], work_dir)
    assert mounts[0].read_only is False


def test_outside_path_rejected(tmp_path: Path, data_dir: Path, work_dir: Path):
    outside = tmp_path / "secret"
    outside.mkdir()
    with pytest.raises(LocalPathNotAllowedError) as raised:
        stage([local_input(outside, name="secrets")], [str(data_dir)], work_dir)
    message = str(raised.value)
    assert "Spec.Inputs[0]" in message
    assert "'secrets'" in message
    assert str(outside) in message
    assert ALLOW_LIST_VARIABLE in message


def test_rejection_names_input_index(tmp_path: Path, data_dir: Path, work_dir: Path):
    outside = tmp_path / "secret"
    outside.mkdir()
    inputs = [local_input(data_dir, "/a"), local_input(outside, "/b")]
    with pytest.raises(LocalPathNotAllowedError, match=r"Spec\.Inputs\[1\]"):
        stage(inputs, [str(data_dir)], work_dir)


def test_dotdot_escape_rejected(tmp_path: Path, data_dir: Path, work_dir: Path):
    (tmp_path / "secret").mkdir()
    escaping = f"{data_dir}/sub/../../secret"
    with pytest.raises(LocalPathNotAllowedError) as raised:
        stage([local_input(escaping)], [str(data_dir)], work_dir)
    assert f"resolved to '{tmp_path / 'secret'}'" in str(raised.value)


def test_symlink_escape_rejected(tmp_path: Path, data_dir: Path, work_dir: Path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (data_dir / "shortcut").symlink_to(secret)
    with pytest.raises(LocalPathNotAllowedError, match="resolved to"):
        stage([local_input(data_dir / "shortcut")], [str(data_dir)], work_dir)


def test_symlink_inside_allowed_dir_accepted(data_dir: Path, work_dir: Path):
    (data_dir / "shortcut").symlink_to(data_dir / "sub")
    mounts = stage([local_input(data_dir / "shortcut")], [str(data_dir)], work_dir)
    assert mounts[0].host_path == (data_dir / "sub").resolve()


def test_read_write_without_rw_entry_rejected(data_dir: Path, work_dir: Path):
    with pytest.raises(LocalPathNotAllowedError) as raised:
        stage([local_input(data_dir, read_write=True)], [str(data_dir)], work_dir)
    message = str(raised.value)
    assert "read-only" in message
    assert f"{data_dir.resolve()}:rw" in message


def test_empty_allow_list_rejects_everything(data_dir: Path, work_dir: Path):
    with pytest.raises(LocalPathNotAllowedError, match=f"{ALLOW_LIST_VARIABLE} is empty"):
        stage([local_input(data_dir)], [], work_dir)


def test_missing_allowed_path_reported(data_dir: Path, work_dir: Path):
    with pytest.raises(StorageError, match="does not exist"):
        stage([local_input(data_dir / "missing")], [str(data_dir)], work_dir)


def test_relative_source_path_rejected(data_dir: Path, work_dir: Path):
    with pytest.raises(StorageError, match="not an absolute path"):
        stage([local_input("data/sub")], [str(data_dir)], work_dir)


def test_missing_source_path_rejected(data_dir: Path, work_dir: Path):
    spec = ModelStorageSpec(storage_source=StorageSourceType.LOCAL_DIRECTORY, path="/inputs")
    with pytest.raises(StorageError, match="SourcePath is missing"):
        stage([spec], [str(data_dir)], work_dir)


def test_relative_mount_path_rejected(data_dir: Path, work_dir: Path):
    with pytest.raises(StorageError, match=r"Path 'inputs' is not an absolute path"):
        stage([local_input(data_dir, "inputs")], [str(data_dir)], work_dir)


def test_duplicate_mount_path_rejected(data_dir: Path, work_dir: Path):
    inputs = [local_input(data_dir, "/inputs"), local_input(data_dir / "sub", "/inputs")]
    with pytest.raises(StorageError, match=r"already used by Spec\.Inputs\[0\]"):
        stage(inputs, [str(data_dir)], work_dir)


@pytest.mark.parametrize(
    "source_type",
    [
        StorageSourceType.IPFS,
        StorageSourceType.URL_DOWNLOAD,
        StorageSourceType.S3,
        StorageSourceType.REPO_CLONE,
        StorageSourceType.ESTUARY,
    ],
)
def test_unsupported_source_rejected(source_type: StorageSourceType, work_dir: Path):
    spec = ModelStorageSpec(storage_source=source_type, path="/inputs", cid="QmExample")
    with pytest.raises(UnsupportedStorageSourceError) as raised:
        stage([spec], [], work_dir)
    message = str(raised.value)
    assert f"cannot stage {source_type.value} storage yet" in message
    assert "Inline, LocalDirectory" in message


# --- Swaps between staging and use --------------------------------------------------


def test_unchanged_mount_passes_check(data_dir: Path, work_dir: Path):
    (mount,) = stage([local_input(data_dir / "sub")], [str(data_dir)], work_dir)
    mount.check_unchanged("Spec.Inputs[0]")


def test_symlink_swap_after_staging_detected(data_dir: Path, work_dir: Path, tmp_path: Path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (mount,) = stage([local_input(data_dir / "sub")], [str(data_dir)], work_dir)

    # Replace the staged directory's parent by a symlink to a directory outside the allow-list.
    data_dir.rename(tmp_path / "moved")
    data_dir.symlink_to(secret)
    (secret / "sub").mkdir()

    with pytest.raises(StorageError, match=r"Spec\.Inputs\[0\]: host path .* now resolves to .*secret/sub"):
        mount.check_unchanged("Spec.Inputs[0]")
