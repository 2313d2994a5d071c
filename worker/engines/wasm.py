"""The Wasm engine: runs a WASI preview 1 module of a job with wasmtime.

The environment of the program:
- argv is `[EntryModule.Name, *Parameters]`. Without a Name, argv[0] is the file name
  of a LocalDirectory module, or `main.wasm`.
- The environment is `EnvironmentVariables`, sorted by name, and nothing else.
- Every input is preopened at its `Path`, writable only when the storage source
  allowed a read-write mount. WASI preopens only directories, so file inputs are
  linked into a directory per parent path (see `_preopen_directories`).
- Every output is an empty folder preopened, writable, at its `Path`.
- stdout and stderr go in full to `work_dir/stdout` and `work_dir/stderr`.
- No network: WASI preview 1 has no sockets, and no other host functions are linked.

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

from worker.engines.base import EngineOutcome, ExecutionContext
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

if TYPE_CHECKING:
    from modeljob.spec import ModelStorageSpec

ENGINE_NAME = "Wasm"
DEFAULT_ENTRY_POINT = "_start"
DEFAULT_PROGRAM_NAME = "main.wasm"
WASI_MODULE_NAME = "wasi_snapshot_preview1"
STDOUT_FILE_NAME = "stdout"
STDERR_FILE_NAME = "stderr"
MODULES_DIR_NAME = "modules"
PREOPENS_DIR_NAME = "preopens"
# How often the watchdog checks the deadline and `should_stop`, in seconds.
WATCHDOG_INTERVAL_S = 0.1
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
        modules_dir = context.work_dir / MODULES_DIR_NAME
        entry = self._load(engine, wasm_spec.entry_module, "Spec.Wasm.EntryModule", modules_dir / "entry", context)
        import_modules = self._load_import_modules(engine, wasm_spec.import_modules or [], modules_dir, context)

        entry_point = wasm_spec.entry_point or DEFAULT_ENTRY_POINT
        check_entry_point(entry.module, entry_point)
        _check_imports(entry, "Spec.Wasm.EntryModule", {WASI_MODULE_NAME, *import_modules})

        mounts = stage_inputs(context.job.spec.inputs or [], context.work_dir, context.settings)
        mounts += prepare_outputs(context.job.spec.outputs or [], context.work_dir)
        wasi = _wasi_config(
            argv=[_program_name(wasm_spec.entry_module, entry), *(wasm_spec.parameters or [])],
            environment=wasm_spec.environment_variables or {},
            stdout_path=stdout_path,
            stderr_path=stderr_path,
            preopens=_preopen_directories(mounts, context.work_dir / PREOPENS_DIR_NAME),
        )
        return _Program(
            engine=engine,
            entry=entry,
            entry_point=entry_point,
            import_modules=import_modules,
            wasi=wasi,
            memory_bytes=_memory_limit(context),
        )

    def _load(
        self,
        engine: wasmtime.Engine,
        spec: ModelStorageSpec,
        field_path: str,
        scratch_dir: Path,
        context: ExecutionContext,
    ) -> LoadedModule:
        label = describe_storage_spec(field_path, spec)
        mount = stage_storage(spec, label, scratch_dir, context.settings)
        source, file_name = read_module_file(mount, label)
        return compile_module(self.module_cache, engine, source, file_name, label)

    def _load_import_modules(
        self, engine: wasmtime.Engine, specs: list[ModelStorageSpec], modules_dir: Path, context: ExecutionContext
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

            module = self._load(engine, spec, field_path, modules_dir / f"import-{index}", context)
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


def _execute(program: _Program, context: ExecutionContext, stdout_path: Path, stderr_path: Path) -> EngineOutcome:
    store = wasmtime.Store(program.engine)
    store.set_wasi(program.wasi)
    if program.memory_bytes:
        store.set_limits(memory_size=program.memory_bytes)
    # The watchdog increments the epoch once, so the module traps at its next epoch check.
    store.set_epoch_deadline(1)

    linker = wasmtime.Linker(program.engine)
    linker.define_wasi()

    watchdog = _Watchdog(program.engine, context.timeout_s, context.should_stop, context.execution_id)
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

    if failure is None:
        return EngineOutcome(exit_code, stdout_path, stderr_path)
    if watchdog.reason == _Watchdog.TIMED_OUT:
        message = f"Wasm program timed out after {context.timeout_s:g} s and was interrupted"
        return EngineOutcome(NO_EXIT_CODE, stdout_path, stderr_path, error=message, timed_out=True)
    if watchdog.reason == _Watchdog.STOPPED:
        message = "Wasm program was stopped on request before it finished"
        return EngineOutcome(NO_EXIT_CODE, stdout_path, stderr_path, error=message)
    return EngineOutcome(NO_EXIT_CODE, stdout_path, stderr_path, error=_describe_failure(failure, program))


def _describe_failure(failure: Exception, program: _Program) -> str:
    if isinstance(failure, wasmtime.Trap):
        code = failure.trap_code
        code_name = code.name.lower().replace("_", " ") if code is not None else "unknown trap"
        return f"Wasm program trapped: {code_name}.\n{failure.message.strip()}"

    text = str(failure)
    if program.memory_bytes and "memory" in text.lower():
        return f"Wasm program failed within the memory limit of {program.memory_bytes} bytes (Spec.Resources.Memory): {text}"
    return f"Wasm program failed to link or start: {text}"


class _Watchdog:
    """A thread that interrupts the run at its deadline or when `should_stop` returns True.

    Use it as a context manager around the call into wasm. On exit the thread is
    stopped and joined, so no thread outlives the run.
    """

    TIMED_OUT = "timed out"
    STOPPED = "stopped"

    def __init__(
        self, engine: wasmtime.Engine, timeout_s: float, should_stop: Callable[[], bool], execution_id: str
    ) -> None:
        self.reason: str | None = None
        self._engine = engine
        self._timeout_s = timeout_s
        self._should_stop = should_stop
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
        deadline = time.monotonic() + self._timeout_s
        while True:
            remaining_s = deadline - time.monotonic()
            if remaining_s <= 0:
                self._interrupt(self.TIMED_OUT)
                return
            if self._finished.wait(min(WATCHDOG_INTERVAL_S, remaining_s)):
                return
            if self._stop_requested():
                self._interrupt(self.STOPPED)
                return

    def _stop_requested(self) -> bool:
        try:
            return bool(self._should_stop())
        except Exception:
            # A failing check must not end the watchdog, or the timeout would be lost too.
            logger.exception("should_stop check failed")
            return False

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
