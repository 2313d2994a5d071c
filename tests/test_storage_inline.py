"""Inline staging: RFC 2397 data URLs in base64 and percent-encoded form, plain and gzipped."""

from __future__ import annotations

import base64
import gzip
import io
import tarfile
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest

from modeljob.settings import Settings
from modeljob.spec import StorageSourceType
from modeljob.spec.models import ModelStorageSpec
from worker.storage import StorageError, stage_inputs
from worker.storage.base import InlineBudget
from worker.storage.inline import MAX_INLINE_BYTES, _check_tar_members, parse_data_url

PAYLOAD = b"line one\nline two, with \x00 a NUL byte and \xff\n"


def base64_url(data: bytes, media_type: str = "text/plain") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def inline_input(url: str, mount_path: str = "/inputs/data.txt", read_write: bool = False) -> ModelStorageSpec:
    return ModelStorageSpec(storage_source=StorageSourceType.INLINE, url=url, path=mount_path, read_write=read_write)


def stage_one(spec: ModelStorageSpec, tmp_path: Path):
    (mount,) = stage_inputs([spec], tmp_path / "work", Settings())
    return mount


def test_base64_url_decoded():
    parsed = parse_data_url(base64_url(PAYLOAD))
    assert parsed.media_type == "text/plain"
    assert parsed.data == PAYLOAD


def test_percent_encoded_url_decoded():
    parsed = parse_data_url("data:," + quote_from_bytes(PAYLOAD))
    assert parsed.media_type == ""
    assert parsed.data == PAYLOAD


def test_media_type_parameters_kept():
    parsed = parse_data_url("data:text/plain;charset=utf-8;base64,aGk=")
    assert parsed.media_type == "text/plain;charset=utf-8"
    assert parsed.data == b"hi"


def test_unpadded_base64_accepted():
    assert parse_data_url("data:;base64,aGk").data == b"hi"


def test_urlsafe_base64_accepted():
    data = bytes([0xFB, 0xFF, 0xFE])
    encoded = base64.urlsafe_b64encode(data).decode()
    assert "-" in encoded or "_" in encoded
    assert parse_data_url(f"data:;base64,{encoded}").data == data


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://example.invalid/data.txt", "does not start with 'data:'"),
        ("data:text/plain;base64", "no ','"),
        ("data:;base64,!!!!", "base64 data is invalid"),
    ],
)
def test_invalid_url_rejected(url: str, reason: str):
    with pytest.raises(ValueError, match=reason):
        parse_data_url(url)


def test_file_written_under_work_dir(tmp_path: Path):
    mount = stage_one(inline_input(base64_url(PAYLOAD)), tmp_path)
    assert mount.host_path.read_bytes() == PAYLOAD
    assert mount.host_path.name == "data.txt"
    assert mount.host_path.is_relative_to(tmp_path / "work")
    assert mount.mount_path == "/inputs/data.txt"
    assert mount.read_only is True


def test_read_write_inline_mount(tmp_path: Path):
    mount = stage_one(inline_input(base64_url(PAYLOAD), read_write=True), tmp_path)
    assert mount.read_only is False


def test_gzip_content_decompressed(tmp_path: Path):
    mount = stage_one(inline_input(base64_url(gzip.compress(PAYLOAD), "application/gzip")), tmp_path)
    assert mount.host_path.read_bytes() == PAYLOAD


def test_gzipped_tar_unpacked_to_directory(tmp_path: Path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, content in [("a.txt", b"alpha"), ("nested/b.txt", b"beta")]:
            member = tarfile.TarInfo(name)
            member.size = len(content)
            archive.addfile(member, io.BytesIO(content))
    url = base64_url(gzip.compress(buffer.getvalue()), "application/gzip")

    mount = stage_one(inline_input(url, "/inputs"), tmp_path)
    assert mount.is_dir
    assert (mount.host_path / "a.txt").read_bytes() == b"alpha"
    assert (mount.host_path / "nested" / "b.txt").read_bytes() == b"beta"


def test_tar_with_escaping_member_rejected(tmp_path: Path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        member = tarfile.TarInfo("../escaped.txt")
        member.size = 1
        archive.addfile(member, io.BytesIO(b"x"))
    url = base64_url(gzip.compress(buffer.getvalue()))

    with pytest.raises(StorageError, match="cannot be unpacked"):
        stage_one(inline_input(url, "/inputs"), tmp_path)
    assert not list(tmp_path.rglob("escaped.txt"))


def test_corrupt_gzip_rejected(tmp_path: Path):
    url = base64_url(b"\x1f\x8b" + b"not really gzip")
    with pytest.raises(StorageError, match=r"Spec\.Inputs\[0\].*not valid gzip"):
        stage_one(inline_input(url), tmp_path)


def test_gzip_bomb_rejected(tmp_path: Path):
    bomb = gzip.compress(b"\x00" * (MAX_INLINE_BYTES + 1))
    with pytest.raises(StorageError, match=f"decompresses to more than .* limit of {MAX_INLINE_BYTES} bytes"):
        stage_one(inline_input(base64_url(bomb)), tmp_path)


def test_inline_limit_applies_to_all_inputs(tmp_path: Path):
    inputs = [
        inline_input(base64_url(b"a" * 600), "/inputs/a.txt"),
        inline_input(base64_url(gzip.compress(b"\x00" * 600)), "/inputs/b.txt"),
    ]
    budget = InlineBudget(max_bytes=1000)
    with pytest.raises(StorageError, match=r"Spec\.Inputs\[1\]: inline data decompresses to more than the 400 bytes"):
        stage_inputs(inputs, tmp_path / "work", Settings(), budget)
    assert budget.used_bytes == 600
    assert not (tmp_path / "work" / "inputs" / "1" / "b.txt").exists()


def test_inline_limit_counts_plain_data(tmp_path: Path):
    inputs = [
        inline_input(base64_url(b"a" * 600), "/inputs/a.txt"),
        inline_input("data:," + "b" * 401, "/inputs/b.txt"),
    ]
    with pytest.raises(StorageError, match=r"Spec\.Inputs\[1\]: inline data is 401 bytes, more than the 400 bytes"):
        stage_inputs(inputs, tmp_path / "work", Settings(), InlineBudget(max_bytes=1000))


def test_inputs_share_default_inline_limit(tmp_path: Path):
    half = gzip.compress(b"\x00" * (MAX_INLINE_BYTES // 2 + 1), compresslevel=1)
    inputs = [inline_input(base64_url(half), "/inputs/a.bin"), inline_input(base64_url(half), "/inputs/b.bin")]
    with pytest.raises(StorageError, match=r"Spec\.Inputs\[1\]"):
        stage_inputs(inputs, tmp_path / "work", Settings())


def test_sparse_tar_member_rejected(tmp_path: Path):
    # A PAX archive in the GNU sparse 1.0 format: the member stores one 512-byte block
    # and claims an unpacked size of 8 GiB.
    sparse_map = b"1\n0\n512\n".ljust(512, b"\0")
    member = tarfile.TarInfo("GNUSparseFile.0/main.wasm")
    member.size = len(sparse_map) + 512
    member.pax_headers = {
        "GNU.sparse.major": "1",
        "GNU.sparse.minor": "0",
        "GNU.sparse.name": "main.wasm",
        "GNU.sparse.realsize": str(8 * 1024**3),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(member, io.BytesIO(sparse_map + b"\0asm".ljust(512, b"\0")))
    url = base64_url(gzip.compress(buffer.getvalue()), "application/gzip")

    with pytest.raises(StorageError, match="member 'main.wasm' is a sparse file"):
        stage_one(inline_input(url, "/inputs"), tmp_path)
    assert not list(tmp_path.rglob("main.wasm"))


def test_tar_member_sizes_counted():
    members = []
    for name in ("a.bin", "b.bin"):
        member = tarfile.TarInfo(name)
        member.size = 600
        members.append(member)
    budget = InlineBudget(max_bytes=1000)
    with pytest.raises(StorageError, match="unpacks to 1200 bytes in 2 members"):
        _check_tar_members(members, "Spec.Inputs[0]", budget)
    assert budget.used_bytes == 0

    _check_tar_members(members[:1], "Spec.Inputs[0]", budget)
    assert budget.used_bytes == 600


def test_mount_path_resolved_under_symlink(tmp_path: Path):
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    (mount,) = stage_inputs([inline_input(base64_url(PAYLOAD))], tmp_path / "linked" / "work", Settings())
    assert mount.host_path == tmp_path / "real" / "work" / "inputs" / "0" / "data.txt"
    mount.check_unchanged("Spec.Inputs[0]")


def test_missing_url_rejected(tmp_path: Path):
    spec = ModelStorageSpec(storage_source=StorageSourceType.INLINE, path="/inputs/data.txt")
    with pytest.raises(StorageError, match="URL is missing"):
        stage_one(spec, tmp_path)


def test_invalid_url_names_input(tmp_path: Path):
    with pytest.raises(StorageError, match=r"Spec\.Inputs\[0\]: URL is not a valid data URL"):
        stage_one(inline_input("data:no-comma"), tmp_path)
