"""Inline inputs: RFC 2397 `data:` URLs carried in the spec, written out as files.

Both encodings of RFC 2397 are accepted: `data:[mediatype];base64,<base64>` and
`data:[mediatype],<percent-encoded bytes>`. Content that starts with the gzip magic
bytes is decompressed, because Bacalhau's CLI compresses larger inline data. When the
decompressed content is a tar archive it is unpacked into a directory, and any other
content becomes one file.

All inline data of one execution counts against one `InlineBudget` (`MAX_INLINE_BYTES`
by default): the decompressed size bounds the gunzip, and the written bytes (the file,
or the sizes of all archive members) are reserved before anything is written.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import logging
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

from worker.storage.base import MAX_INLINE_BYTES, InlineBudget, Mount, StagingRequest, StorageError

if TYPE_CHECKING:
    from modeljob.spec import StorageSourceType

DATA_URL_SCHEME = "data:"
BASE64_MARKER = ";base64"
GZIP_MAGIC = b"\x1f\x8b"
# A POSIX tar archive carries "ustar" at this offset of its first header block.
TAR_MAGIC = b"ustar"
TAR_MAGIC_OFFSET = 257
DEFAULT_FILE_NAME = "inline-data"
DIRECTORY_NAME = "inline-data"

logger = logging.getLogger(__name__)

__all__ = ["MAX_INLINE_BYTES", "DataUrl", "InlineSource", "decode_inline_content", "is_tar_archive", "parse_data_url"]


@dataclass(frozen=True)
class DataUrl:
    """A parsed `data:` URL: its media type (may be empty) and the decoded bytes."""

    media_type: str
    data: bytes


def parse_data_url(url: str) -> DataUrl:
    """Decode an RFC 2397 data URL; raise ValueError with the reason when it is invalid."""
    if not url[: len(DATA_URL_SCHEME)].lower() == DATA_URL_SCHEME:
        raise ValueError("it does not start with 'data:'")
    header, separator, payload = url[len(DATA_URL_SCHEME) :].partition(",")
    if not separator:
        raise ValueError("it has no ',' between the media type and the data")

    is_base64 = header.lower().endswith(BASE64_MARKER)
    media_type = header[: -len(BASE64_MARKER)] if is_base64 else header
    raw = unquote_to_bytes(payload)
    if not is_base64:
        return DataUrl(media_type=media_type, data=raw)

    compact = b"".join(raw.split())
    compact += b"=" * (-len(compact) % 4)
    try:
        if b"-" in compact or b"_" in compact:
            data = base64.urlsafe_b64decode(compact)
        else:
            data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"its base64 data is invalid ({error})") from error
    return DataUrl(media_type=media_type, data=data)


def decode_inline_content(url: str, label: str, budget: InlineBudget) -> bytes:
    """Return the content of an Inline storage spec, gunzipped when it is gzip data.

    Raises StorageError when the content is larger than what is left of `budget`. The
    caller reserves the bytes it writes.
    """
    try:
        content = parse_data_url(url).data
    except ValueError as error:
        raise StorageError(f"{label}: URL is not a valid data URL because {error}") from error

    if content.startswith(GZIP_MAGIC):
        content = _gunzip(content, label, budget)
    if len(content) > budget.remaining_bytes:
        raise StorageError(f"{label}: inline data is {len(content)} bytes, {budget.describe_excess()}")
    return content


def is_tar_archive(content: bytes) -> bool:
    return content[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + len(TAR_MAGIC)] == TAR_MAGIC


class InlineSource:
    """Writes the data URL's content under the spec's scratch directory."""

    def __init__(self, source_type: StorageSourceType) -> None:
        self.source_type = source_type

    def stage(self, request: StagingRequest) -> Mount:
        spec = request.spec
        if not spec.url:
            raise StorageError(f"{request.label}: URL is missing; an Inline storage spec needs a data: URL")

        content = decode_inline_content(spec.url, request.label, request.inline_budget)
        if is_tar_archive(content):
            host_path = request.scratch_dir / DIRECTORY_NAME
            _extract_tar(content, host_path, request.label, request.inline_budget)
        else:
            request.inline_budget.reserve(len(content), request.label)
            host_path = request.scratch_dir / _file_name_for(spec.path)
            host_path.write_bytes(content)

        logger.debug("staged inline data label=%s host_path=%s bytes=%d", request.label, host_path, len(content))
        # The data is a private copy, so a ReadWrite mount cannot change anything outside
        # this execution.
        return Mount(host_path=host_path, mount_path=spec.path or "", read_only=not spec.read_write)


def _file_name_for(mount_path: str | None) -> str:
    name = PurePosixPath(mount_path or "").name
    return name or DEFAULT_FILE_NAME


def _gunzip(content: bytes, label: str, budget: InlineBudget) -> bytes:
    # Reading one byte past the budget shows whether the stream is too large, without
    # decompressing the rest of it.
    max_bytes = budget.remaining_bytes
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(content)) as stream:
            data = stream.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise StorageError(
            f"{label}: inline data starts with the gzip magic bytes but is not valid gzip ({error})"
        ) from error
    if len(data) > max_bytes:
        raise StorageError(f"{label}: inline data decompresses to {budget.describe_excess()}")
    return data


def _extract_tar(content: bytes, target: Path, label: str, budget: InlineBudget) -> None:
    target.mkdir(parents=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(content)) as archive:
            members = archive.getmembers()
            _check_tar_members(members, label, budget)
            # The "data" filter rejects absolute names, `..` segments, links that
            # point outside the target, and device files.
            archive.extractall(target, members=members, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise StorageError(f"{label}: inline data is a tar archive that cannot be unpacked ({error})") from error


def _check_tar_members(members: list[tarfile.TarInfo], label: str, budget: InlineBudget) -> None:
    """Reject sparse members, and reserve the unpacked size of all members in `budget`.

    A sparse member stores only its data blocks, so its unpacked size (`size`) can be
    far larger than the archive. Rejecting sparse members keeps the sum of `size`
    equal to what extraction writes.
    """
    for member in members:
        if member.issparse():
            raise StorageError(
                f"{label}: inline tar archive member {member.name!r} is a sparse file, which is not supported; "
                "create the archive without sparse handling (no --sparse option)"
            )
    total_bytes = sum(member.size for member in members)
    if total_bytes > budget.remaining_bytes:
        raise StorageError(
            f"{label}: inline tar archive unpacks to {total_bytes} bytes in {len(members)} members, "
            f"{budget.describe_excess()}"
        )
    budget.reserve(total_bytes, label)
