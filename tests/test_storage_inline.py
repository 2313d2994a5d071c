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
from worker.storage.inline import MAX_INLINE_BYTES, parse_data_url

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
    with pytest.raises(StorageError, match="more than the limit"):
        stage_one(inline_input(base64_url(bomb)), tmp_path)


def test_missing_url_rejected(tmp_path: Path):
    spec = ModelStorageSpec(storage_source=StorageSourceType.INLINE, path="/inputs/data.txt")
    with pytest.raises(StorageError, match="URL is missing"):
        stage_one(spec, tmp_path)


def test_invalid_url_names_input(tmp_path: Path):
    with pytest.raises(StorageError, match=r"Spec\.Inputs\[0\]: URL is not a valid data URL"):
        stage_one(inline_input("data:no-comma"), tmp_path)
