"""Execution engines, looked up by the spec's `Engine` field.

A new engine (Docker, for instance) is one class implementing `worker.engines.base.Engine`
and one more entry in `_ENGINE_FACTORIES`.
"""

from __future__ import annotations

from collections.abc import Callable

from modeljob.errors import ModelJobError
from modeljob.spec import Engine as EngineType
from worker.engines.base import Engine, EngineOutcome, ExecutionContext
from worker.engines.noop import NoopEngine
from worker.engines.wasm import WasmEngine


class EngineUnavailableError(ModelJobError):
    """The job requests an engine that this worker cannot run."""


_ENGINE_FACTORIES: dict[EngineType, Callable[[], Engine]] = {
    EngineType.NOOP: NoopEngine,
    EngineType.WASM: WasmEngine,
}

# Engines that are valid in a spec but not built into this worker yet, with the reason.
_UNAVAILABLE_ENGINES: dict[EngineType, str] = {
    EngineType.DOCKER: "Docker engine is not available on this worker yet",
}


def get_engine(engine: EngineType) -> Engine:
    """Return a new engine instance for `engine`; raise EngineUnavailableError when there is none."""
    factory = _ENGINE_FACTORIES.get(engine)
    if factory is not None:
        return factory()

    reason = _UNAVAILABLE_ENGINES.get(engine)
    if reason is None:
        available = ", ".join(sorted(known.value for known in _ENGINE_FACTORIES))
        reason = f"engine {engine!s} is not supported by this worker; available engines: {available}"
    raise EngineUnavailableError(reason)


__all__ = ["Engine", "EngineOutcome", "EngineUnavailableError", "ExecutionContext", "get_engine"]
