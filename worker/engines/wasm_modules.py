"""Loading and compiling the WebAssembly modules of a Wasm job.

Compiling a module costs far more than running a small one, so compiled modules are
cached per process, keyed by the sha256 of their bytes. One measurement with wasmtime
51 on a 2-core development machine: a 650 KB TinyGo module took about 140 ms to compile.

The cache keeps serialized artifacts rather than `wasmtime.Module` objects because a
module belongs to one `wasmtime.Engine`, and every run gets its own engine (see
`worker.engines.wasm`). In the same measurement, deserializing the artifact into a
fresh engine took about 0.4 ms.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

import wasmtime

from modeljob.errors import ModelJobError
from worker.storage import Mount

# Bounds of the per-process cache of compiled modules.
MAX_CACHED_MODULES = 32
MAX_CACHED_BYTES = 256 * 1024 * 1024
# File name endings accepted when a storage spec points at a directory of modules.
MODULE_FILE_SUFFIXES = (".wasm", ".wat")
# Largest module file that is read and compiled, in bytes. It is an estimate with room
# above large real modules, such as interpreters built for WASI (a few tens of MB).
MAX_MODULE_BYTES = 128 * 1024 * 1024
# Text of the wasmtime 51 validation error for a module with more than one memory.
MULTIPLE_MEMORIES_ERROR = "multiple memories"

logger = logging.getLogger(__name__)


class WasmSetupError(ModelJobError):
    """A Wasm job cannot start: bad module, missing export or import, or bad spec field."""


def new_wasmtime_config() -> wasmtime.Config:
    """Return the engine configuration of every run; cached artifacts depend on it staying the same."""
    config = wasmtime.Config()
    config.epoch_interruption = True
    # wasmtime 51 enables multi-memory by default. With one memory per module, the
    # store's limit on the number of memories bounds the memory of the whole job.
    config.wasm_multi_memory = False
    return config


@dataclass(frozen=True)
class LoadedModule:
    """A compiled module with the facts that messages and argv need."""

    module: wasmtime.Module
    sha256: str
    file_name: str


class ModuleCache:
    """A bounded LRU of compiled module artifacts, safe to share between threads."""

    def __init__(self, max_entries: int = MAX_CACHED_MODULES, max_bytes: int = MAX_CACHED_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self._artifacts: OrderedDict[str, bytes] = OrderedDict()
        self._total_bytes = 0
        self._lock = threading.Lock()

    def compile(self, engine: wasmtime.Engine, source: bytes) -> tuple[wasmtime.Module, str]:
        """Return the module compiled from `source` (binary or WAT text) and its sha256.

        Raises wasmtime.WasmtimeError when `source` is neither a valid binary module nor
        valid WAT text.
        """
        digest = hashlib.sha256(source).hexdigest()
        with self._lock:
            artifact = self._artifacts.get(digest)
            if artifact is not None:
                self._artifacts.move_to_end(digest)
                self.hits += 1
        if artifact is not None:
            return wasmtime.Module.deserialize(engine, artifact), digest

        module = wasmtime.Module(engine, source)
        self._store(digest, bytes(module.serialize()))
        return module, digest

    def clear(self) -> None:
        with self._lock:
            self._artifacts.clear()
            self._total_bytes = 0

    def __len__(self) -> int:
        return len(self._artifacts)

    def _store(self, digest: str, artifact: bytes) -> None:
        with self._lock:
            self.misses += 1
            if digest in self._artifacts or len(artifact) > self.max_bytes:
                return
            self._artifacts[digest] = artifact
            self._total_bytes += len(artifact)
            while len(self._artifacts) > self.max_entries or self._total_bytes > self.max_bytes:
                _, evicted = self._artifacts.popitem(last=False)
                self._total_bytes -= len(evicted)


def read_module_file(mount: Mount, label: str) -> tuple[bytes, str]:
    """Return the bytes and file name of the module a staged storage spec points at.

    A file is the module itself. A directory must contain exactly one `.wasm` or `.wat`
    file, which is the form an unpacked archive or a LocalDirectory folder takes.
    Raises WasmSetupError when the file is larger than MAX_MODULE_BYTES, and
    StorageError when the mount's host path has changed since staging.
    """
    mount.check_unchanged(label)
    path = mount.host_path
    if path.is_dir():
        candidates = sorted(
            entry for entry in path.iterdir() if entry.is_file() and entry.suffix in MODULE_FILE_SUFFIXES
        )
        if len(candidates) != 1:
            found = ", ".join(entry.name for entry in candidates) or "none"
            raise WasmSetupError(
                f"{label}: the directory must contain exactly one .wasm or .wat file, found {found}; "
                "point SourcePath at the module file instead"
            )
        path = candidates[0]

    size = path.stat().st_size
    if size > MAX_MODULE_BYTES:
        raise WasmSetupError(f"{label}: module file {path.name!r} is {size} bytes, {_describe_module_limit()}")
    # The file may grow after the check, so the read is bounded too.
    with path.open("rb") as stream:
        source = stream.read(MAX_MODULE_BYTES + 1)
    if len(source) > MAX_MODULE_BYTES:
        raise WasmSetupError(f"{label}: module file {path.name!r} grew while it was read, {_describe_module_limit()}")
    return source, path.name


def _describe_module_limit() -> str:
    return f"more than the limit of {MAX_MODULE_BYTES} bytes for one module on this worker"


def compile_module(
    cache: ModuleCache, engine: wasmtime.Engine, source: bytes, file_name: str, label: str
) -> LoadedModule:
    """Compile `source` through the cache; raise WasmSetupError naming `label` when it is invalid."""
    try:
        module, digest = cache.compile(engine, source)
    except wasmtime.WasmtimeError as error:
        message = f"{label}: not a valid WebAssembly module (binary or WAT text): {error}"
        if MULTIPLE_MEMORIES_ERROR in str(error):
            message += "\nThis worker runs modules with one linear memory each (the multi-memory proposal is disabled)."
        raise WasmSetupError(message) from error
    logger.debug("loaded module label=%s sha256=%s bytes=%d", label, digest, len(source))
    return LoadedModule(module=module, sha256=digest, file_name=file_name)


def check_entry_point(module: wasmtime.Module, entry_point: str) -> None:
    """Raise WasmSetupError unless `entry_point` is an exported function that takes no arguments."""
    functions = {export.name: export.type for export in module.exports if isinstance(export.type, wasmtime.FuncType)}
    func_type = functions.get(entry_point)
    if func_type is None:
        listed = ", ".join(sorted(functions)) or "none"
        raise WasmSetupError(
            f"Spec.Wasm.EntryPoint {entry_point!r} is not an exported function of the entry module; "
            f"exported functions: {listed}"
        )
    if func_type.params:
        raise WasmSetupError(
            f"Spec.Wasm.EntryPoint {entry_point!r} takes {len(func_type.params)} arguments; "
            "the entry point must be a function without arguments, such as _start"
        )


def find_missing_imports(module: wasmtime.Module, provided_modules: set[str]) -> list[str]:
    """Return `module.name` of every import whose module is not in `provided_modules`."""
    return [f"{item.module}.{item.name}" for item in module.imports if item.module not in provided_modules]
