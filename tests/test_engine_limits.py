"""Resource limits of the Wasm engine: output sizes, memories, tables, exit codes, module size."""

from __future__ import annotations

import gzip
import io
import tarfile
import time
from pathlib import Path

import pytest
from test_engine_wasm import LIBRARY_WAT, USES_LIBRARY_WAT, data_url, inline_module, run_job, wasm_job

from worker.engines import wasm_modules
from worker.storage.base import MAX_INLINE_BYTES
from worker.storage.outputs import measure_disk_usage

# Writes 64 KiB to file descriptor {fd} in an endless loop.
FLOOD_WAT = """
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 65536))
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $forever
      (drop (call $fd_write (i32.const {fd}) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br $forever))))
"""

# Creates big.bin in the first preopened directory (fd 3), writes {chunks} chunks of
# 64 KiB to it, then runs {after}. Exits 90 when the file cannot be created.
WRITE_FILE_WAT = """
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 64) "big.bin")
  (func (export "_start") (local $fd i32) (local $i i32)
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 7)
          (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 8))
      (then (call $proc_exit (i32.const 90))))
    (local.set $fd (i32.load (i32.const 8)))
    (i32.store (i32.const 16) (i32.const 65536))
    (i32.store (i32.const 20) (i32.const 65536))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const {chunks})))
        (drop (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 24)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    {after}))
"""
SPIN_FOREVER = "(loop $spin (br $spin))"
RETURN_NORMALLY = "(nop)"

# Writes one 64 KiB chunk to stdout and returns.
ONE_CHUNK_WAT = FLOOD_WAT.replace("(br $forever)", "")

TWO_MEMORIES_WAT = '(module (memory 1) (memory (export "memory") 1) (func (export "_start")))'

LIBRARY_WITH_MEMORY_WAT = LIBRARY_WAT.replace("(module ", "(module (memory 1) ")

HUGE_TABLE_WAT = '(module (table 2000000 funcref) (func (export "_start")))'

EXIT_200_WAT = """
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $proc_exit (i32.const 200))))
"""

EMPTY_WAT = '(module (func (export "_start")))'

CHUNK_BYTES = 64 * 1024
MIB = 1024 * 1024


def outputs_job(module: str, disk: str | None = None):
    fields = {"Outputs": [{"Name": "out", "Path": "/outputs"}]}
    if disk is not None:
        fields["Resources"] = {"Disk": disk}
    return wasm_job(inline_module(module), **fields)


# --- stdout and stderr ------------------------------------------------------------


@pytest.mark.parametrize(("fd", "stream"), [(1, "stdout"), (2, "stderr")])
def test_stream_flood_stopped(tmp_path: Path, fd: int, stream: str):
    started = time.monotonic()
    outcome = run_job(wasm_job(inline_module(FLOOD_WAT.format(fd=fd))), tmp_path, timeout_s=30, max_output_bytes=MIB)
    elapsed_s = time.monotonic() - started

    assert outcome.exit_code == -1
    assert outcome.timed_out is False
    assert f"{stream} exceeded the limit of {MIB} bytes (MODELJOB_MAX_OUTPUT_BYTES)" in outcome.error
    assert "stopped" in outcome.error
    assert elapsed_s < 5
    stream_path = outcome.stdout_path if stream == "stdout" else outcome.stderr_path
    assert stream_path.stat().st_size == MIB


def test_stream_past_limit_after_exit(tmp_path: Path):
    outcome = run_job(wasm_job(inline_module(ONE_CHUNK_WAT.format(fd=1))), tmp_path, max_output_bytes=1000)
    assert outcome.exit_code == 0
    assert "exited with code 0, but stdout exceeded the limit of 1000 bytes" in outcome.error
    assert outcome.stdout_path.stat().st_size == 1000


def test_stream_at_limit_accepted(tmp_path: Path):
    outcome = run_job(wasm_job(inline_module(ONE_CHUNK_WAT.format(fd=1))), tmp_path, max_output_bytes=CHUNK_BYTES)
    assert outcome.error is None
    assert outcome.exit_code == 0
    assert outcome.stdout_path.stat().st_size == CHUNK_BYTES


# --- Output folders ---------------------------------------------------------------


def test_output_folder_stopped_at_disk_limit(tmp_path: Path):
    module = WRITE_FILE_WAT.format(chunks=64, after=SPIN_FOREVER)
    started = time.monotonic()
    outcome = run_job(outputs_job(module, disk="1Mi"), tmp_path, timeout_s=30)
    elapsed_s = time.monotonic() - started

    assert outcome.exit_code == -1
    assert outcome.timed_out is False
    assert f"output folders exceeded the limit of {MIB} bytes (Spec.Resources.Disk)" in outcome.error
    assert "stopped" in outcome.error
    assert elapsed_s < 5
    assert (tmp_path / "outputs" / "out" / "big.bin").stat().st_size == 64 * CHUNK_BYTES


def test_output_folder_past_limit_after_exit(tmp_path: Path):
    module = WRITE_FILE_WAT.format(chunks=32, after=RETURN_NORMALLY)
    outcome = run_job(outputs_job(module, disk="1Mi"), tmp_path)
    assert outcome.exit_code == 0
    assert "exited with code 0, but the output folders exceeded the limit" in outcome.error


def test_output_folder_within_disk_limit(tmp_path: Path):
    module = WRITE_FILE_WAT.format(chunks=8, after=RETURN_NORMALLY)
    outcome = run_job(outputs_job(module, disk="1Mi"), tmp_path)
    assert outcome.error is None
    assert outcome.exit_code == 0
    assert (tmp_path / "outputs" / "out" / "big.bin").stat().st_size == 8 * CHUNK_BYTES


def test_output_folder_default_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("worker.engines.wasm.DEFAULT_MAX_OUTPUT_FOLDER_BYTES", MIB)
    module = WRITE_FILE_WAT.format(chunks=32, after=RETURN_NORMALLY)
    outcome = run_job(outputs_job(module), tmp_path)
    assert "the worker's default for jobs without Spec.Resources.Disk" in outcome.error


def test_read_write_inline_input_counted(tmp_path: Path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        member = tarfile.TarInfo("seed.txt")
        member.size = 4
        archive.addfile(member, io.BytesIO(b"seed"))
    inputs = [{"StorageSource": "Inline", "URL": data_url(buffer.getvalue()), "Path": "/data", "ReadWrite": True}]
    module = WRITE_FILE_WAT.format(chunks=32, after=RETURN_NORMALLY)
    outcome = run_job(wasm_job(inline_module(module), Inputs=inputs, Resources={"Disk": "1Mi"}), tmp_path)
    assert outcome.exit_code == 0
    assert "the output folders and read-write Inline inputs exceeded the limit" in outcome.error


def test_disk_usage_counts_nested_and_sparse_files(tmp_path: Path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.bin").write_bytes(b"x" * 1000)
    (tmp_path / "a" / "b" / "two.bin").write_bytes(b"y" * 3000)
    with (tmp_path / "sparse.bin").open("wb") as stream:
        stream.truncate(10 * MIB)
    (tmp_path / "link").symlink_to("/")

    total = measure_disk_usage([tmp_path / "a", tmp_path / "sparse.bin"])
    assert total >= 10 * MIB + 4000
    assert total < 11 * MIB
    assert measure_disk_usage([tmp_path / "missing"]) == 0


def test_disk_usage_stops_early(tmp_path: Path):
    for index in range(10):
        (tmp_path / f"{index}.bin").write_bytes(b"z" * 10_000)
    assert measure_disk_usage([tmp_path], stop_after=15_000) < 100_000


# --- Memories and tables ------------------------------------------------------------


def test_two_memories_rejected(tmp_path: Path):
    outcome = run_job(wasm_job(inline_module(TWO_MEMORIES_WAT)), tmp_path)
    assert outcome.exit_code == -1
    assert "multiple memories" in outcome.error
    assert "one linear memory each" in outcome.error


def test_memory_limit_allows_one_memory(tmp_path: Path):
    job = wasm_job(
        inline_module(USES_LIBRARY_WAT),
        ImportModules=[inline_module(LIBRARY_WITH_MEMORY_WAT, name="mathlib")],
        Resources={"Memory": "8Mi"},
    )
    outcome = run_job(job, tmp_path)
    assert outcome.exit_code == -1
    assert "may create only one" in outcome.error
    assert "Spec.Resources.Memory" in outcome.error


def test_import_module_memory_without_limit(tmp_path: Path):
    job = wasm_job(
        inline_module(USES_LIBRARY_WAT), ImportModules=[inline_module(LIBRARY_WITH_MEMORY_WAT, name="mathlib")]
    )
    outcome = run_job(job, tmp_path)
    assert outcome.error is None
    assert outcome.exit_code == 42


def test_huge_table_rejected(tmp_path: Path):
    outcome = run_job(wasm_job(inline_module(HUGE_TABLE_WAT)), tmp_path)
    assert outcome.exit_code == -1
    assert "table minimum size of 2000000 elements exceeds table limits" in outcome.error


# --- Exit codes ---------------------------------------------------------------------


def test_exit_code_200_reported_invalid(tmp_path: Path):
    outcome = run_job(wasm_job(inline_module(EXIT_200_WAT)), tmp_path)
    assert outcome.exit_code == -1
    assert "exited with an invalid status" in outcome.error
    assert "below 126" in outcome.error
    assert "link or start" not in outcome.error


# --- Preparation ------------------------------------------------------------------------


def test_module_file_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(wasm_modules, "MAX_MODULE_BYTES", 100)
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "big.wat").write_text(EMPTY_WAT + " " * 200)
    job = wasm_job({"StorageSource": "LocalDirectory", "SourcePath": str(modules / "big.wat")})
    outcome = run_job(job, tmp_path / "work", allowed=[str(modules)])
    assert outcome.exit_code == -1
    size = len(EMPTY_WAT) + 200
    assert f"module file 'big.wat' is {size} bytes, more than the limit of 100 bytes" in outcome.error


def test_memory_error_in_preparation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def exhausted(*args: object) -> None:
        raise MemoryError

    monkeypatch.setattr("worker.engines.wasm.compile_module", exhausted)
    outcome = run_job(wasm_job(inline_module(EMPTY_WAT)), tmp_path)
    assert outcome.exit_code == -1
    assert "ran out of memory" in outcome.error


def test_inline_limit_shared_by_module_and_inputs(tmp_path: Path):
    # Alone, the input fits the limit, but the entry module used part of it first.
    almost_all = gzip.compress(b"\0" * (MAX_INLINE_BYTES - 16), compresslevel=1)
    job = wasm_job(
        inline_module(EMPTY_WAT),
        Inputs=[{"StorageSource": "Inline", "URL": data_url(almost_all), "Path": "/inputs/zeros.bin"}],
    )
    outcome = run_job(job, tmp_path)
    assert outcome.exit_code == -1
    assert "Spec.Inputs[0]: inline data decompresses to more than" in outcome.error
    assert f"{len(EMPTY_WAT)} bytes are used by earlier inline modules and inputs" in outcome.error
    assert not (tmp_path / "inputs" / "0" / "zeros.bin").exists()
