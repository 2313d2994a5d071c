"""The Wasm engine: runs a WASI preview 1 module of a job with wasmtime.

The environment of the program:
- argv is `[EntryModule.Name, *Parameters]`. Without a Name, argv[0] is the file name
  of a LocalDirectory module, or `main.wasm`.
- The environment is `EnvironmentVariables`, sorted by name, and nothing else.
- Every input is preopened at its `Path`, writable only when the storage source
  allowed a read-write mount. WASI preopens only directories, so file inputs are
  linked into a directory per parent path (see `_preopen_directories`).
- Every output is an empty folder preopened, writable, at its `Path`.
- stdout and stderr go to `work_dir/stdout` and `work_dir/stderr`.
- No network: WASI preview 1 has no sockets, and no other host functions are linked.

Limits of a run, enforced by wasmtime or by the watchdog thread:
- Wall-clock time: the resolved timeout of the execution.
- Memory: `Spec.Resources.Memory` bounds each linear memory. Each module may define at
  most one memory (multi-memory is disabled), and with a memory limit the job may
  create only one memory, so the limit bounds the whole job.
- stdout and stderr: each file may hold `Settings.max_output_bytes` bytes.
- Output folders (with read-write Inline inputs, which are private copies in the
  work_dir): `Spec.Resources.Disk` bytes in all, or DEFAULT_MAX_OUTPUT_FOLDER_BYTES.
A run that passes a limit is interrupted and reported with a runner error.

ImportModules are compiled, instantiated and linked under their `Name`, in spec order,
so the entry module (and later import modules) can import their exports as
`(import "<Name>" "<export>" ...)`.

Every run gets its own wasmtime engine. The epoch counter that interrupts a running
module belongs to the engine, so a private engine lets this run's watchdog interrupt
this run alone when several executions share a process.
"""

from __future__ import annotations

import contextvars
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import wasmtime

from worker.engines.base import STDERR_FILE_NAME, STDOUT_FILE_NAME, EngineOutcome, ExecutionContext
from worker.engines.wasm_modules import (
    LoadedModule,
    ModuleCache,
    WasmSetupError,
    check_entry_point,
    compile_module,
    find_missing_imports,
    new_wasmtime_config,
    read_module_file,
)
from worker.storage import Mount, StorageError, describe_storage_spec, prepare_outputs, stage_inputs, stage_storage
from worker.storage.base import InlineBudget
from worker.storage.outputs import DEFAULT_MAX_OUTPUT_FOLDER_BYTES, measure_disk_usage

if TYPE_CHECKING:
    from modeljob.spec import ModelStorageSpec

ENGINE_NAME = "Wasm"
DEFAULT_ENTRY_POINT = "_start"
DEFAULT_PROGRAM_NAME = "main.wasm"
WASI_MODULE_NAME = "wasi_snapshot_preview1"
MODULES_DIR_NAME = "modules"
PREOPENS_DIR_NAME = "preopens"
# How often the watchdog checks the deadline and the sizes of stdout and stderr, in
# seconds. A program can write past a limit for this long before a check detects it. The
# 64 KiB fd_write loop of FLOOD_WAT in tests/test_engine_limits.py wrote about 2 GB/s
# into the page cache (wasmtime 51, 2-core development machine), so the interval is
# short. Two stat calls per check cost little.
WATCHDOG_INTERVAL_S = 0.02
# How often the watchdog calls `should_stop`, in seconds.
STOP_CHECK_INTERVAL_S = 0.1
# Measuring the output folders walks their trees, so between two walks the watchdog
# waits MIN_OUTPUT_FOLDER_CHECK_INTERVAL_S seconds, or OUTPUT_FOLDER_CHECK_WAIT_FACTOR
# times as long as the last walk took when that is longer. Walks of large trees then
# use about 5% of a core, and small trees are checked at every watchdog interval.
MIN_OUTPUT_FOLDER_CHECK_INTERVAL_S = WATCHDOG_INTERVAL_S
OUTPUT_FOLDER_CHECK_WAIT_FACTOR = 20
# Upper bound on the elements of each table. A function table has one entry per
# function that is called indirectly, so this is an estimate well above real modules.
MAX_TABLE_ELEMENTS = 1_000_000
# Upper bound on the tables of the whole job. Toolchains emit about one table per module.
MAX_TABLES = 64
# Exit code reported when the program did not exit by itself.
NO_EXIT_CODE = -1

logger = logging.getLogger(__name__)

_shared_module_cache = ModuleCache()


class WasmEngine:
    """Runs the entry module of a Wasm job and reports its exit code and output files."""

    name = ENGINE_NAME

    def __init__(self, module_cache: ModuleCache | None = None) -> None:
        self.module_cache = module_cache if module_cache is not None else _shared_module_cache

    def run(self, context: ExecutionContext) -> EngineOutcome:
        context.work_dir.mkdir(parents=True, exist_ok=True)
        stdout_path = context.work_dir / STDOUT_FILE_NAME
        stderr_path = context.work_dir / STDERR_FILE_NAME
        # Both files exist even when the run fails before the program starts.
        stdout_path.touch()
        stderr_path.touch()

        try:
            program = self._prepare(context, stdout_path, stderr_path)
        except (StorageError, WasmSetupError) as error:
            logger.warning("wasm execution failed before start error=%s", error)
            return EngineOutcome(NO_EXIT_CODE, stdout_path, stderr_path, error=str(error))
        except OSError as error:
            # Reading a module or staging an input failed on the host (permissions, disk full).
            logger.warning("wasm execution failed before start error=%s", error)
            return EngineOutcome(
                NO_EXIT_CODE, stdout_path, stderr_path, error=f"Wasm job could not be prepared: {error}"
            )
        except MemoryError:
            # A module or input too large for this worker's memory, despite the size limits.
            logger.warning("wasm execution failed before start: out of memory")
            message = "Wasm job could not be prepared: the worker ran out of memory while loading modules or inputs"
            return EngineOutcome(NO_EXIT_CODE, stdout_path, stderr_path, error=message)

        logger.info(
            "wasm execution started module_sha256=%s entry_point=%s timeout_s=%g",
            program.entry.sha256,
            program.entry_point,
            context.timeout_s,
        )
        outcome = _execute(program, context, stdout_path, stderr_path)
        logger.info(
            "wasm execution finished exit_code=%d timed_out=%s error=%s",
            outcome.exit_code,
            outcome.timed_out,
            outcome.error,
        )
        return outcome

    def _prepare(self, context: ExecutionContext, stdout_path: Path, stderr_path: Path) -> _Program:
        wasm_spec = context.job.spec.wasm
        if wasm_spec is None or wasm_spec.entry_module is None:
            raise WasmSetupError("Spec.Wasm.EntryModule is missing; a Wasm job needs the module to run")

        engine = wasmtime.Engine(new_wasmtime_config())
        # The modules and inputs of the execution share one limit on inline data.
        inline_budget = InlineBudget()
        modules_dir = context.work_dir / MODULES_DIR_NAME
        entry = self._load(
            engine, wasm_spec.entry_module, "Spec.Wasm.EntryModule", modules_dir / "entry", context, inline_budget
        )
        import_modules = self._load_import_modules(
            engine, wasm_spec.import_modules or [], modules_dir, context, inline_budget
        )

        entry_point = wasm_spec.entry_point or DEFAULT_ENTRY_POINT
        check_entry_point(entry.module, entry_point)
        _check_imports(entry, "Spec.Wasm.EntryModule", {WASI_MODULE_NAME, *import_modules})

        input_mounts = stage_inputs(context.job.spec.inputs or [], context.work_dir, context.settings, inline_budget)
        output_mounts = prepare_outputs(context.job.spec.outputs or [], context.work_dir)
        wasi = _wasi_config(
            argv=[_program_name(wasm_spec.entry_module, entry), *(wasm_spec.parameters or [])],
            environment=wasm_spec.environment_variables or {},
            stdout_path=stdout_path,
            stderr_path=stderr_path,
            preopens=_preopen_directories(input_mounts + output_mounts, context.work_dir / PREOPENS_DIR_NAME),
        )
        return _Program(
            engine=engine,
            entry=entry,
            entry_point=entry_point,
            import_modules=import_modules,
            wasi=wasi,
            memory_bytes=_memory_limit(context),
            output_limits=_output_limits(context, stdout_path, stderr_path, input_mounts, output_mounts),
        )

    def _load(
        self,
        engine: wasmtime.Engine,
        spec: ModelStorageSpec,
        field_path: str,
        scratch_dir: Path,
        context: ExecutionContext,
        inline_budget: InlineBudget,
    ) -> LoadedModule:
        label = describe_storage_spec(field_path, spec)
        mount = stage_storage(spec, label, scratch_dir, context.settings, inline_budget)
        source, file_name = read_module_file(mount, label)
        return compile_module(self.module_cache, engine, source, file_name, label)

    def _load_import_modules(
        self,
        engine: wasmtime.Engine,
        specs: list[ModelStorageSpec],
        modules_dir: Path,
        context: ExecutionContext,
        inline_budget: InlineBudget,
    ) -> dict[str, LoadedModule]:
        loaded: dict[str, LoadedModule] = {}
        for index, spec in enumerate(specs):
            field_path = f"Spec.Wasm.ImportModules[{index}]"
            if not spec.name:
                raise WasmSetupError(
                    f"{field_path}: Name is missing; an import module is linked under its Name, "
                    "the module name that the entry module imports from"
                )
            if spec.name == WASI_MODULE_NAME or spec.name in loaded:
                raise WasmSetupError(f"{field_path}: Name {spec.name!r} is already taken by another module")

            module = self._load(engine, spec, field_path, modules_dir / f"import-{index}", context, inline_budget)
            # An import module may use WASI and the import modules listed before it.
            _check_imports(module, describe_storage_spec(field_path, spec), {WASI_MODULE_NAME, *loaded})
            loaded[spec.name] = module
        return loaded


@dataclass(frozen=True)
class _Program:
    """Everything a run needs, prepared before the watchdog starts."""

    engine: wasmtime.Engine
    entry: LoadedModule
    entry_point: str
    import_modules: dict[str, LoadedModule]
    wasi: wasmtime.WasiConfig
    memory_bytes: int | None
    output_limits: _OutputLimits


@dataclass(frozen=True)
class _OutputLimits:
    """The bytes a run may write to stdout, stderr and its writable folders."""

    streams: dict[str, Path]
    max_stream_bytes: int
    folders: list[Path]
    max_folder_bytes: int
    # The folders and the source of max_folder_bytes, as named in messages.
    folders_description: str
    folder_limit_source: str

    def check_streams(self) -> str | None:
        """Return a message naming the first stream larger than max_stream_bytes, or None."""
        for name, path in self.streams.items():
            size = path.stat().st_size
            if size > self.max_stream_bytes:
                logger.info("output limit exceeded stream=%s bytes=%d", name, size)
                return f"{name} exceeded the limit of {self.max_stream_bytes} bytes (MODELJOB_MAX_OUTPUT_BYTES)"
        return None

    def check_folders(self) -> str | None:
        """Return a message when the writable folders hold more than max_folder_bytes, or None."""
        if not self.folders:
            return None
        size = measure_disk_usage(self.folders, stop_after=self.max_folder_bytes)
        if size <= self.max_folder_bytes:
            return None
        logger.info("output limit exceeded folders=%d bytes_at_least=%d", len(self.folders), size)
        return (
            f"{self.folders_description} exceeded the limit of {self.max_folder_bytes} bytes "
            f"({self.folder_limit_source})"
        )

    def truncate_streams(self) -> None:
        """Cut stdout and stderr to max_stream_bytes, the part that the executor reads back."""
        for path in self.streams.values():
            if path.stat().st_size > self.max_stream_bytes:
                os.truncate(path, self.max_stream_bytes)


def _execute(program: _Program, context: ExecutionContext, stdout_path: Path, stderr_path: Path) -> EngineOutcome:
    store = wasmtime.Store(program.engine)
    store.set_wasi(program.wasi)
    store.set_limits(
        memory_size=program.memory_bytes or -1,
        memories=_max_memories(program),
        tables=MAX_TABLES,
        table_elements=MAX_TABLE_ELEMENTS,
    )
    # The watchdog increments the epoch once, so the module traps at its next epoch check.
    store.set_epoch_deadline(1)

    linker = wasmtime.Linker(program.engine)
    linker.define_wasi()

    watchdog = _Watchdog(
        program.engine, context.timeout_s, context.should_stop, context.execution_id, program.output_limits
    )
    exit_code = NO_EXIT_CODE
    failure: Exception | None = None
    with watchdog:
        try:
            for name, loaded in program.import_modules.items():
                linker.define_module(store, name, loaded.module)
            instance = linker.instantiate(store, program.entry.module)
            entry_function = instance.exports(store)[program.entry_point]
            entry_function(store)
            exit_code = 0
        except wasmtime.ExitTrap as exit_trap:
            exit_code = exit_trap.code
        except (wasmtime.Trap, wasmtime.WasmtimeError) as error:
            failure = error

    if watchdog.reason == _Watchdog.OUTPUT_LIMIT:
        program.output_limits.truncate_streams()
        message = f"Wasm program was stopped because {watchdog.limit_message}"
        return EngineOutcome(exit_code, stdout_path, stderr_path, error=message)
    if failure is None:
        return _check_output_after_exit(program.output_limits, exit_code, stdout_path, stderr_path)
    if watchdog.reason == _Watchdog.TIMED_OUT:
        message = f"Wasm program timed out after {context.timeout_s:g} s and was interrupted"
        return EngineOutcome(NO_EXIT_CODE, stdout_path, stderr_path, error=message, timed_out=True)
    if watchdog.reason == _Watchdog.STOPPED:
        message = "Wasm program was stopped on request before it finished"
        return EngineOutcome(NO_EXIT_CODE, stdout_path, stderr_path, error=message)
    return EngineOutcome(NO_EXIT_CODE, stdout_path, stderr_path, error=_describe_failure(failure, program))


def _check_output_after_exit(
    limits: _OutputLimits, exit_code: int, stdout_path: Path, stderr_path: Path
) -> EngineOutcome:
    """Apply the output limits once more, because a program can pass one and exit between two checks."""
    exceeded = limits.check_streams() or limits.check_folders()
    if exceeded is None:
        return EngineOutcome(exit_code, stdout_path, stderr_path)
    limits.truncate_streams()
    message = f"Wasm program exited with code {exit_code}, but {exceeded}"
    return EngineOutcome(exit_code, stdout_path, stderr_path, error=message)


def _max_memories(program: _Program) -> int:
    # Each module defines at most one memory. With a memory limit, only one memory may
    # exist, so the limit applies to the job and not to each module's memory.
    if program.memory_bytes:
        return 1
    return 1 + len(program.import_modules)


def _describe_failure(failure: Exception, program: _Program) -> str:
    if isinstance(failure, wasmtime.Trap):
        code = failure.trap_code
        code_name = code.name.lower().replace("_", " ") if code is not None else "unknown trap"
        return f"Wasm program trapped: {code_name}.\n{failure.message.strip()}"

    text = str(failure)
    if "invalid exit status" in text:
        # wasmtime rejects proc_exit codes of 126 and more, which POSIX shells reserve.
        return f"Wasm program exited with an invalid status: WASI exit codes must be below 126.\n{text.strip()}"
    if program.memory_bytes and "memory count" in text:
        return (
            f"Wasm program needs more than one linear memory, but a job with Spec.Resources.Memory "
            f"({program.memory_bytes} bytes) may create only one: {text}. "
            "Remove the memory limit or link import modules that define no memory of their own"
        )
    if program.memory_bytes and "memory" in text.lower():
        return f"Wasm program failed, likely by reaching the memory limit of {program.memory_bytes} bytes (Spec.Resources.Memory): {text}"
    return f"Wasm program failed to link or start: {text}"


class _Watchdog:
    """A thread that interrupts the run on timeout, stop request or passed output limit.

    The run is interrupted at its deadline, when `should_stop` returns True, or when it
    writes more than its output limits allow. Use it as a context manager around the
    call into wasm. On exit the thread is stopped and joined, so no thread outlives
    the run.
    """

    TIMED_OUT = "timed out"
    STOPPED = "stopped"
    OUTPUT_LIMIT = "output limit exceeded"

    def __init__(
        self,
        engine: wasmtime.Engine,
        timeout_s: float,
        should_stop: Callable[[], bool],
        execution_id: str,
        output_limits: _OutputLimits,
    ) -> None:
        self.reason: str | None = None
        # Set with reason OUTPUT_LIMIT: which limit was passed, as a sentence fragment.
        self.limit_message: str | None = None
        self._engine = engine
        self._timeout_s = timeout_s
        self._should_stop = should_stop
        self._output_limits = output_limits
        self._finished = threading.Event()
        # The thread runs in a copy of the caller's context, so its log lines carry
        # the job and execution ids bound there.
        self._thread = threading.Thread(
            target=contextvars.copy_context().run,
            args=(self._watch,),
            name=f"wasm-watchdog-{execution_id}",
            daemon=True,
        )

    def __enter__(self) -> _Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._finished.set()
        self._thread.join()

    def _watch(self) -> None:
        started = time.monotonic()
        deadline = started + self._timeout_s
        next_stop_check = started + STOP_CHECK_INTERVAL_S
        next_folder_check = started + MIN_OUTPUT_FOLDER_CHECK_INTERVAL_S
        while True:
            remaining_s = deadline - time.monotonic()
            if remaining_s <= 0:
                self._interrupt(self.TIMED_OUT)
                return
            if self._finished.wait(min(WATCHDOG_INTERVAL_S, remaining_s)):
                return

            now = time.monotonic()
            if now >= next_stop_check:
                next_stop_check = now + STOP_CHECK_INTERVAL_S
                if self._stop_requested():
                    self._interrupt(self.STOPPED)
                    return

            check_folders = now >= next_folder_check
            limit_message = self._check_output_limits(check_folders)
            if check_folders:
                walk_s = time.monotonic() - now
                next_folder_check = now + max(
                    MIN_OUTPUT_FOLDER_CHECK_INTERVAL_S, walk_s * OUTPUT_FOLDER_CHECK_WAIT_FACTOR
                )
            if limit_message is not None:
                self.limit_message = limit_message
                self._interrupt(self.OUTPUT_LIMIT)
                return

    def _stop_requested(self) -> bool:
        try:
            return bool(self._should_stop())
        except Exception:
            # A failing check must not end the watchdog, or the timeout would be lost too.
            logger.exception("should_stop check failed")
            return False

    def _check_output_limits(self, check_folders: bool) -> str | None:
        try:
            message = self._output_limits.check_streams()
            if message is None and check_folders:
                message = self._output_limits.check_folders()
        except OSError:
            # As with should_stop, a failing check must not end the watchdog. The
            # check after the run repeats it.
            logger.exception("output size check failed")
            return None
        return message

    def _interrupt(self, reason: str) -> None:
        self.reason = reason
        logger.info("interrupting wasm execution reason=%s", reason)
        # NOTE: the module traps at its next epoch check in wasm code. A module blocked in
        # a WASI call (such as a long poll_oneoff sleep) is interrupted only when that call
        # returns.
        self._engine.increment_epoch()


def _check_imports(loaded: LoadedModule, label: str, provided_modules: set[str]) -> None:
    missing = find_missing_imports(loaded.module, provided_modules)
    if missing:
        raise WasmSetupError(
            f"{label}: the module imports {', '.join(missing)}, which this worker does not provide; "
            f"only WASI preview 1 ({WASI_MODULE_NAME}) and the ImportModules of the spec, by their Name, can be imported"
        )


def _program_name(entry_spec: ModelStorageSpec, entry: LoadedModule) -> str:
    if entry_spec.name:
        return entry_spec.name
    if entry_spec.source_path:
        return entry.file_name
    return DEFAULT_PROGRAM_NAME


def _memory_limit(context: ExecutionContext) -> int | None:
    resources = context.job.spec.resources
    if resources is None or not resources.memory_bytes:
        return None
    return int(resources.memory_bytes)


def _output_limits(
    context: ExecutionContext,
    stdout_path: Path,
    stderr_path: Path,
    input_mounts: list[Mount],
    output_mounts: list[Mount],
) -> _OutputLimits:
    # Read-write Inline inputs are private copies in the work_dir that the program can
    # grow, so they count against the same limit as the output folders.
    # NOTE: read-write LocalDirectory inputs lie outside the work_dir, and what the
    # program writes there is not limited.
    work_dir = Path(os.path.realpath(context.work_dir))
    writable_inputs = [
        mount.host_path for mount in input_mounts if not mount.read_only and mount.host_path.is_relative_to(work_dir)
    ]
    resources = context.job.spec.resources
    disk_bytes = resources.disk_bytes if resources is not None else None
    if disk_bytes:
        max_folder_bytes, source = int(disk_bytes), "Spec.Resources.Disk"
    else:
        max_folder_bytes = DEFAULT_MAX_OUTPUT_FOLDER_BYTES
        source = "the worker's default for jobs without Spec.Resources.Disk"
    return _OutputLimits(
        streams={STDOUT_FILE_NAME: stdout_path, STDERR_FILE_NAME: stderr_path},
        max_stream_bytes=context.settings.max_output_bytes,
        folders=[mount.host_path for mount in output_mounts] + writable_inputs,
        max_folder_bytes=max_folder_bytes,
        folders_description=(
            "the output folders and read-write Inline inputs" if writable_inputs else "the output folders"
        ),
        folder_limit_source=source,
    )


def _wasi_config(
    argv: list[str],
    environment: dict[str, str],
    stdout_path: Path,
    stderr_path: Path,
    preopens: list[tuple[Path, str, bool]],
) -> wasmtime.WasiConfig:
    wasi = wasmtime.WasiConfig()
    wasi.argv = argv
    wasi.env = sorted(environment.items())
    wasi.stdout_file = str(stdout_path)
    wasi.stderr_file = str(stderr_path)
    for host_dir, guest_path, writable in preopens:
        wasi.preopen_dir(str(host_dir), guest_path, fs_mutable=writable)
    return wasi


def _preopen_directories(mounts: list[Mount], links_dir: Path) -> list[tuple[Path, str, bool]]:
    """Return `(host directory, guest path, writable)` for every directory to preopen.

    A directory mount is preopened as it is. File mounts are hard-linked, under the file
    name of their mount path, into one directory per guest parent directory, and that
    directory is preopened at the parent (so `/inputs/data.csv` appears in `/inputs`).
    A hard link keeps writes to a read-write file visible on the host, and a read-only
    file is copied when it cannot be linked (another file system).
    """
    # Staging checked each host path (LocalDirectory against its allow-list), so check
    # that none was swapped for a symlink since.
    # NOTE: a swap in the short window between this check and the preopen or link below
    # is not detected. Once preopened, the directory is held open and later swaps of
    # its parents do not affect the job.
    for mount in mounts:
        mount.check_unchanged(f"mount {mount.mount_path!r}")
    preopens = [(mount.host_path, mount.mount_path, not mount.read_only) for mount in mounts if mount.is_dir]
    directory_paths = {guest_path for _, guest_path, _ in preopens}

    groups: dict[str, list[Mount]] = {}
    for mount in mounts:
        if not mount.is_dir:
            groups.setdefault(str(PurePosixPath(mount.mount_path).parent), []).append(mount)

    for index, (parent, files) in enumerate(sorted(groups.items())):
        if parent in directory_paths:
            raise WasmSetupError(
                f"file input {files[0].mount_path!r} lies in {parent!r}, which is already a directory input; "
                "the Wasm engine cannot add a file inside a mounted directory"
            )
        writable = {not mount.read_only for mount in files}
        if len(writable) > 1:
            raise WasmSetupError(
                f"file inputs in {parent!r} mix read-only and read-write mounts; "
                "the Wasm engine mounts the files of one directory with one mode"
            )

        group_dir = links_dir / str(index)
        group_dir.mkdir(parents=True)
        for mount in files:
            _link_or_copy(mount, group_dir / PurePosixPath(mount.mount_path).name)
        preopens.append((group_dir, parent, writable.pop()))
    return preopens


def _link_or_copy(mount: Mount, target: Path) -> None:
    try:
        os.link(mount.host_path, target)
        return
    except OSError as error:
        if not mount.read_only:
            raise WasmSetupError(
                f"read-write file input {mount.mount_path!r} cannot be linked into the job ({error}); "
                "mount its directory instead"
            ) from error
    shutil.copy2(mount.host_path, target)
