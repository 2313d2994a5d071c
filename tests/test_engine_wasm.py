"""The Wasm engine on real wasmtime: WAT modules written here and compiled corpus modules."""

from __future__ import annotations

import base64
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import corpus_file

from modeljob.settings import Settings
from modeljob.spec import parse_job
from worker.engines.base import EngineOutcome, ExecutionContext
from worker.engines.wasm import WasmEngine
from worker.engines.wasm_modules import ModuleCache

# Modules that call WASI export their memory as "memory", because wasmtime's WASI
# functions (proc_exit included) fail without that export.

HELLO_WAT = """
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "hello from wasm\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
"""

# Writes the same 64-byte line to stdout {count} times and once to stderr.
REPEATED_OUTPUT_WAT = """
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "0123456789abcdef0123456789abcdef0123456789abcdef012345678901234\\n")
  (func (export "_start") (local $i i32)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 64))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const {count})))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))))
"""

EXIT_3_WAT = """
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $proc_exit (i32.const 3))))
"""

INFINITE_LOOP_WAT = '(module (func (export "_start") (loop $forever (br $forever))))'

UNREACHABLE_WAT = '(module (func (export "_start") unreachable))'

# Prints the NUL-separated strings of environ_get (or args_get) one per line.
STRINGS_PRINTER_WAT = """
(module
  (import "wasi_snapshot_preview1" "{sizes_get}" (func $sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "{strings_get}" (func $strings_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $size i32) (local $i i32)
    (drop (call $sizes_get (i32.const 0) (i32.const 4)))
    (local.set $size (i32.load (i32.const 4)))
    (drop (call $strings_get (i32.const 1024) (i32.const 4096)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $size)))
        (if (i32.eqz (i32.load8_u (i32.add (i32.const 4096) (local.get $i))))
          (then (i32.store8 (i32.add (i32.const 4096) (local.get $i)) (i32.const 10))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.store (i32.const 8) (i32.const 4096))
    (i32.store (i32.const 12) (local.get $size))
    (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 16)))))
"""
ENV_PRINTER_WAT = STRINGS_PRINTER_WAT.format(sizes_get="environ_sizes_get", strings_get="environ_get")
ARGS_PRINTER_WAT = STRINGS_PRINTER_WAT.format(sizes_get="args_sizes_get", strings_get="args_get")

# Creates `created.txt` in the first preopened directory (fd 3) with write rights,
# and exits with the WASI errno of path_open (0 on success).
CREATE_FILE_WAT = """
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "created.txt")
  (func (export "_start")
    (call $proc_exit
      (call $path_open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 11)
        (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 8)))))
"""

# Grows memory by 4 MiB and exits 1 when the growth is rejected, 0 otherwise.
GROW_MEMORY_WAT = """
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $proc_exit (i32.eq (memory.grow (i32.const 64)) (i32.const -1)))))
"""

CUSTOM_IMPORT_WAT = """
(module
  (import "env" "host_log" (func $host_log (param i32)))
  (func (export "_start") (call $host_log (i32.const 1))))
"""

LIBRARY_WAT = '(module (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))))'

USES_LIBRARY_WAT = """
(module
  (import "mathlib" "double" (func $double (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $proc_exit (call $double (i32.const 21)))))
"""

NAMED_ENTRY_WAT = """
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $proc_exit (i32.const 1)))
  (func (export "run") (call $proc_exit (i32.const 7)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
"""


def data_url(module: str | bytes) -> str:
    raw = module.encode() if isinstance(module, str) else module
    return "data:application/wasm;base64," + base64.b64encode(raw).decode()


def inline_module(module: str | bytes, name: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"StorageSource": "Inline", "URL": data_url(module)}
    if name:
        spec["Name"] = name
    return spec


def wasm_job(entry_module: dict[str, Any], **wasm_fields: Any) -> Any:
    """Parse a Wasm job. `Inputs`, `Outputs`, `Resources` and `Timeout` go to Spec, other fields to Spec.Wasm."""
    spec: dict[str, Any] = {"Engine": "Wasm", "PublisherSpec": {"Type": "Noop"}}
    for key in ("Inputs", "Outputs", "Resources", "Timeout"):
        if key in wasm_fields:
            spec[key] = wasm_fields.pop(key)
    spec["Wasm"] = {"EntryModule": entry_module, "EntryPoint": "_start", **wasm_fields}
    return parse_job({"APIVersion": "V1beta1", "Spec": spec}).job


def run_job(
    job: Any,
    work_dir: Path,
    *,
    allowed: list[str] | None = None,
    timeout_s: float = 30,
    should_stop: Callable[[], bool] = lambda: False,
    engine: WasmEngine | None = None,
    max_output_bytes: int | None = None,
) -> EngineOutcome:
    settings_fields: dict[str, Any] = {"allowed_local_paths": allowed or []}
    if max_output_bytes is not None:
        settings_fields["max_output_bytes"] = max_output_bytes
    context = ExecutionContext(
        job=job,
        job_id="j-test",
        execution_id="e-test",
        work_dir=work_dir,
        settings=Settings(**settings_fields),
        timeout_s=timeout_s,
        should_stop=should_stop,
    )
    return (engine or WasmEngine()).run(context)


def watchdog_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("wasm-watchdog")]


# --- Modules written here -------------------------------------------------------


def test_hello_world_stdout(tmp_path: Path):
    outcome = run_job(wasm_job(inline_module(HELLO_WAT)), tmp_path / "work")
    assert outcome.exit_code == 0
    assert outcome.error is None
    assert outcome.timed_out is False
    assert outcome.stdout_path == tmp_path / "work" / "stdout"
    assert outcome.stdout_path.read_text() == "hello from wasm\n"
    assert outcome.stderr_path.read_text() == ""


def test_proc_exit_code(tmp_path: Path):
    outcome = run_job(wasm_job(inline_module(EXIT_3_WAT)), tmp_path)
    assert outcome.exit_code == 3
    assert outcome.error is None


def test_environment_sorted(tmp_path: Path):
    job = wasm_job(inline_module(ENV_PRINTER_WAT), EnvironmentVariables={"ZED": "last", "ALPHA": "first", "MID": "a=b"})
    outcome = run_job(job, tmp_path)
    assert outcome.exit_code == 0
    assert outcome.stdout_path.read_text() == "ALPHA=first\nMID=a=b\nZED=last\n"


def test_argv_uses_module_name(tmp_path: Path):
    job = wasm_job(inline_module(ARGS_PRINTER_WAT, name="tool.wasm"), Parameters=["--flag", "two words"])
    outcome = run_job(job, tmp_path)
    assert outcome.stdout_path.read_text() == "tool.wasm\n--flag\ntwo words\n"


def test_argv_default_program_name(tmp_path: Path):
    outcome = run_job(wasm_job(inline_module(ARGS_PRINTER_WAT)), tmp_path)
    assert outcome.stdout_path.read_text() == "main.wasm\n"


def test_timeout_interrupts_loop(tmp_path: Path):
    started = time.monotonic()
    outcome = run_job(wasm_job(inline_module(INFINITE_LOOP_WAT)), tmp_path, timeout_s=2)
    elapsed_s = time.monotonic() - started

    assert outcome.timed_out is True
    assert outcome.exit_code == -1
    assert "timed out after 2 s" in outcome.error
    assert 1.9 <= elapsed_s < 5
    assert watchdog_threads() == []


def test_should_stop_interrupts_loop(tmp_path: Path):
    stop_after = time.monotonic() + 0.3
    started = time.monotonic()
    outcome = run_job(
        wasm_job(inline_module(INFINITE_LOOP_WAT)),
        tmp_path,
        timeout_s=30,
        should_stop=lambda: time.monotonic() >= stop_after,
    )
    elapsed_s = time.monotonic() - started

    assert outcome.timed_out is False
    assert outcome.exit_code == -1
    assert "stopped" in outcome.error
    assert elapsed_s < 3
    assert watchdog_threads() == []


def test_failing_should_stop_keeps_timeout(tmp_path: Path):
    def broken_check() -> bool:
        raise ConnectionError("store unreachable")

    outcome = run_job(wasm_job(inline_module(INFINITE_LOOP_WAT)), tmp_path, timeout_s=1, should_stop=broken_check)
    assert outcome.timed_out is True


def test_trap_reported(tmp_path: Path):
    outcome = run_job(wasm_job(inline_module(UNREACHABLE_WAT)), tmp_path)
    assert outcome.exit_code == -1
    assert outcome.timed_out is False
    assert "trapped: unreachable" in outcome.error


def test_custom_import_rejected(tmp_path: Path):
    outcome = run_job(wasm_job(inline_module(CUSTOM_IMPORT_WAT)), tmp_path)
    assert outcome.exit_code == -1
    assert "env.host_log" in outcome.error
    assert "does not provide" in outcome.error


def test_missing_entry_point_lists_exports(tmp_path: Path):
    job = wasm_job(inline_module(NAMED_ENTRY_WAT), EntryPoint="main")
    outcome = run_job(job, tmp_path)
    assert outcome.exit_code == -1
    assert "'main' is not an exported function" in outcome.error
    assert "_start, add, run" in outcome.error


def test_entry_point_with_arguments_rejected(tmp_path: Path):
    outcome = run_job(wasm_job(inline_module(NAMED_ENTRY_WAT), EntryPoint="add"), tmp_path)
    assert "takes 2 arguments" in outcome.error


def test_named_entry_point_called(tmp_path: Path):
    outcome = run_job(wasm_job(inline_module(NAMED_ENTRY_WAT), EntryPoint="run"), tmp_path)
    assert outcome.exit_code == 7


def test_invalid_module_rejected(tmp_path: Path):
    outcome = run_job(wasm_job(inline_module(b"\x00asm\x01\x00\x00\x00garbage")), tmp_path)
    assert outcome.exit_code == -1
    assert "Spec.Wasm.EntryModule: not a valid WebAssembly module" in outcome.error


def test_memory_limit_refuses_growth(tmp_path: Path):
    limited = run_job(wasm_job(inline_module(GROW_MEMORY_WAT), Resources={"Memory": "2Mi"}), tmp_path / "limited")
    unlimited = run_job(wasm_job(inline_module(GROW_MEMORY_WAT)), tmp_path / "unlimited")
    assert limited.exit_code == 1
    assert unlimited.exit_code == 0


def test_stdout_file_holds_full_output(tmp_path: Path):
    job = wasm_job(inline_module(REPEATED_OUTPUT_WAT.replace("{count}", "2000")))
    outcome = run_job(job, tmp_path, max_output_bytes=2000 * 64)
    assert outcome.error is None
    assert outcome.exit_code == 0
    assert outcome.stdout_path.stat().st_size == 2000 * 64
    assert outcome.stderr_path.stat().st_size == 64


def test_import_module_linked_by_name(tmp_path: Path):
    job = wasm_job(inline_module(USES_LIBRARY_WAT), ImportModules=[inline_module(LIBRARY_WAT, name="mathlib")])
    outcome = run_job(job, tmp_path)
    assert outcome.error is None
    assert outcome.exit_code == 42


def test_import_module_without_name_rejected(tmp_path: Path):
    job = wasm_job(inline_module(USES_LIBRARY_WAT), ImportModules=[inline_module(LIBRARY_WAT)])
    outcome = run_job(job, tmp_path)
    assert "Spec.Wasm.ImportModules[0]: Name is missing" in outcome.error


def test_compiled_module_cached(tmp_path: Path):
    cache = ModuleCache()
    engine = WasmEngine(module_cache=cache)
    first = run_job(wasm_job(inline_module(HELLO_WAT)), tmp_path / "first", engine=engine)
    second = run_job(wasm_job(inline_module(HELLO_WAT)), tmp_path / "second", engine=engine)
    assert first.stdout_path.read_text() == second.stdout_path.read_text() == "hello from wasm\n"
    assert cache.misses == 1
    assert cache.hits == 1
    assert len(cache) == 1


def test_module_cache_evicts_oldest(tmp_path: Path):
    cache = ModuleCache(max_entries=2)
    engine = WasmEngine(module_cache=cache)
    for index, module in enumerate([HELLO_WAT, EXIT_3_WAT, UNREACHABLE_WAT, HELLO_WAT]):
        run_job(wasm_job(inline_module(module)), tmp_path / str(index), engine=engine)
    assert len(cache) == 2
    assert cache.misses == 4


def test_unsupported_entry_module_source(tmp_path: Path):
    job = wasm_job({"StorageSource": "IPFS", "CID": "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR"})
    outcome = run_job(job, tmp_path)
    assert outcome.exit_code == -1
    assert "Spec.Wasm.EntryModule: this worker cannot stage IPFS storage yet" in outcome.error


# --- Inputs ---------------------------------------------------------------------


def test_read_only_input_not_writable(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    job = wasm_job(
        inline_module(CREATE_FILE_WAT),
        Inputs=[{"StorageSource": "LocalDirectory", "SourcePath": str(data), "Path": "/data"}],
    )
    outcome = run_job(job, tmp_path / "work", allowed=[f"{data}:rw"])
    assert outcome.exit_code != 0
    assert not (data / "created.txt").exists()


def test_read_write_input_writable(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    job = wasm_job(
        inline_module(CREATE_FILE_WAT),
        Inputs=[{"StorageSource": "LocalDirectory", "SourcePath": str(data), "Path": "/data", "ReadWrite": True}],
    )
    outcome = run_job(job, tmp_path / "work", allowed=[f"{data}:rw"])
    assert outcome.exit_code == 0
    assert (data / "created.txt").exists()


def test_read_write_input_needs_rw_entry(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    job = wasm_job(
        inline_module(CREATE_FILE_WAT),
        Inputs=[{"StorageSource": "LocalDirectory", "SourcePath": str(data), "Path": "/data", "ReadWrite": True}],
    )
    outcome = run_job(job, tmp_path / "work", allowed=[str(data)])
    assert outcome.exit_code == -1
    assert "MODELJOB_ALLOWED_LOCAL_PATHS" in outcome.error
    assert not (data / "created.txt").exists()


# --- Corpus modules -------------------------------------------------------------


def corpus_module(corpus_dir: Path, name: str) -> dict[str, Any]:
    return inline_module(corpus_file(corpus_dir, f"wasm/{name}").read_bytes(), name="main.wasm")


def test_corpus_noop_prints_hello(corpus_dir: Path, tmp_path: Path):
    outcome = run_job(wasm_job(corpus_module(corpus_dir, "bacalhau-v1.0.3-noop__main.wasm")), tmp_path)
    assert outcome.exit_code == 0
    assert outcome.error is None
    assert outcome.stdout_path.read_text() == "Hello, world!\n"


def test_corpus_env_sorted(corpus_dir: Path, tmp_path: Path):
    job = wasm_job(
        corpus_module(corpus_dir, "bacalhau-v1.0.3-env__main.wasm"),
        EnvironmentVariables={"HELLO": "world", "FOO": "bar"},
    )
    outcome = run_job(job, tmp_path)
    assert outcome.exit_code == 0
    assert outcome.stdout_path.read_text() == "FOO=bar\nHELLO=world\n"


def test_corpus_exit_code(corpus_dir: Path, tmp_path: Path):
    job = wasm_job(
        corpus_module(corpus_dir, "bacalhau-v1.0.3-exit_code__main.wasm"), EnvironmentVariables={"EXIT_CODE": "3"}
    )
    outcome = run_job(job, tmp_path)
    assert outcome.exit_code == 3
    assert outcome.error is None
    assert outcome.stdout_path.read_text() == "Exiting with 3\n"


def test_corpus_cat_reads_input_dir(corpus_dir: Path, tmp_path: Path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "config.yaml").write_text("name: modeljob\nengine: wasm\n")
    job = wasm_job(
        corpus_module(corpus_dir, "bacalhau-v1.0.3-cat__main.wasm"),
        Parameters=["/inputs/config.yaml"],
        Inputs=[{"StorageSource": "LocalDirectory", "SourcePath": str(inputs), "Path": "/inputs"}],
    )
    outcome = run_job(job, tmp_path / "work", allowed=[str(inputs)])
    assert outcome.error is None
    assert outcome.exit_code == 0
    assert outcome.stdout_path.read_text() == "name: modeljob\nengine: wasm\n"


def test_corpus_cat_reads_inline_file(corpus_dir: Path, tmp_path: Path):
    content = "inline input\n"
    job = wasm_job(
        corpus_module(corpus_dir, "bacalhau-v1.0.3-cat__main.wasm"),
        Parameters=["/inputs/note.txt"],
        Inputs=[{"StorageSource": "Inline", "URL": "data:,inline%20input%0A", "Path": "/inputs/note.txt"}],
    )
    outcome = run_job(job, tmp_path)
    assert outcome.exit_code == 0
    assert outcome.stdout_path.read_text() == content


def test_corpus_cat_missing_file_fails(corpus_dir: Path, tmp_path: Path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    job = wasm_job(
        corpus_module(corpus_dir, "bacalhau-v1.0.3-cat__main.wasm"),
        Parameters=["/inputs/absent.yaml"],
        Inputs=[{"StorageSource": "LocalDirectory", "SourcePath": str(inputs), "Path": "/inputs"}],
    )
    outcome = run_job(job, tmp_path / "work", allowed=[str(inputs)])
    assert outcome.exit_code == 1
    assert outcome.error is None
    assert outcome.stderr_path.read_text() != ""


def test_corpus_http_import_rejected(corpus_dir: Path, tmp_path: Path):
    outcome = run_job(wasm_job(corpus_module(corpus_dir, "bacalhau-httpfn-d95e84d__main.wasm")), tmp_path)
    assert outcome.exit_code == -1
    assert "wasi:http/requests.http_request" in outcome.error


def test_local_entry_module_file(corpus_dir: Path, tmp_path: Path):
    modules = tmp_path / "modules"
    modules.mkdir()
    shutil.copy(corpus_file(corpus_dir, "wasm/bacalhau-v1.0.3-noop__main.wasm"), modules / "hello.wasm")
    job = wasm_job({"StorageSource": "LocalDirectory", "SourcePath": str(modules / "hello.wasm")})
    outcome = run_job(job, tmp_path / "work", allowed=[str(modules)])
    assert outcome.error is None
    assert outcome.stdout_path.read_text() == "Hello, world!\n"


def test_local_entry_module_directory(tmp_path: Path):
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "args.wat").write_text(ARGS_PRINTER_WAT)
    (modules / "README.txt").write_text("not a module")
    job = wasm_job({"StorageSource": "LocalDirectory", "SourcePath": str(modules)}, Parameters=["x"])
    outcome = run_job(job, tmp_path / "work", allowed=[str(modules)])
    assert outcome.error is None
    assert outcome.stdout_path.read_text() == "args.wat\nx\n"


def test_local_entry_module_directory_ambiguous(tmp_path: Path):
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "a.wat").write_text(HELLO_WAT)
    (modules / "b.wat").write_text(EXIT_3_WAT)
    job = wasm_job({"StorageSource": "LocalDirectory", "SourcePath": str(modules)})
    outcome = run_job(job, tmp_path / "work", allowed=[str(modules)])
    assert "exactly one .wasm or .wat file, found a.wat, b.wat" in outcome.error


def test_local_entry_module_outside_allow_list(tmp_path: Path):
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "hello.wat").write_text(HELLO_WAT)
    job = wasm_job({"StorageSource": "LocalDirectory", "SourcePath": str(modules / "hello.wat")})
    outcome = run_job(job, tmp_path / "work", allowed=[str(tmp_path / "elsewhere")])
    assert outcome.exit_code == -1
    assert "Spec.Wasm.EntryModule" in outcome.error
    assert "MODELJOB_ALLOWED_LOCAL_PATHS" in outcome.error
    assert outcome.stdout_path.read_text() == ""


def test_local_file_input_mounted(corpus_dir: Path, tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "config.yaml").write_text("single: file\n")
    (data / "other.txt").write_text("not mounted\n")
    job = wasm_job(
        corpus_module(corpus_dir, "bacalhau-v1.0.3-cat__main.wasm"),
        Parameters=["/config/config.yaml", "/config/other.txt"],
        Inputs=[
            {"StorageSource": "LocalDirectory", "SourcePath": str(data / "config.yaml"), "Path": "/config/config.yaml"}
        ],
    )
    outcome = run_job(job, tmp_path / "work", allowed=[str(data)])
    assert outcome.stdout_path.read_text() == "single: file\n"
    assert outcome.exit_code == 1
    assert "No such file or directory" in outcome.stderr_path.read_text()


def test_file_inside_directory_input_rejected(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    job = wasm_job(
        inline_module(HELLO_WAT),
        Inputs=[
            {"StorageSource": "LocalDirectory", "SourcePath": str(data), "Path": "/inputs"},
            {"StorageSource": "Inline", "URL": "data:,x", "Path": "/inputs/x.txt"},
        ],
    )
    outcome = run_job(job, tmp_path / "work", allowed=[str(data)])
    assert outcome.exit_code == -1
    assert "'/inputs/x.txt' lies in '/inputs', which is already a directory input" in outcome.error
