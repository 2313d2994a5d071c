"""The engine registry and the Noop engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeljob.settings import Settings
from modeljob.spec import Engine, parse_job
from worker.engines import EngineUnavailableError, ExecutionContext, get_engine
from worker.engines.noop import NoopEngine
from worker.engines.wasm import WasmEngine


def test_registry_returns_wasm_engine():
    assert isinstance(get_engine(Engine.WASM), WasmEngine)


def test_registry_returns_noop_engine():
    assert isinstance(get_engine(Engine.NOOP), NoopEngine)


def test_docker_engine_unavailable():
    with pytest.raises(EngineUnavailableError, match="Docker engine is not available on this worker yet"):
        get_engine(Engine.DOCKER)


def test_noop_engine_reports_success(tmp_path: Path):
    job = parse_job({"APIVersion": "V1beta1", "Spec": {"Engine": "Noop", "PublisherSpec": {"Type": "Noop"}}}).job
    context = ExecutionContext(
        job=job,
        job_id="j-test",
        execution_id="e-test",
        work_dir=tmp_path / "work",
        settings=Settings(),
        timeout_s=10,
    )
    outcome = get_engine(Engine.NOOP).run(context)
    assert outcome.exit_code == 0
    assert outcome.error is None
    assert outcome.timed_out is False
    assert outcome.stdout_path.read_bytes() == b""
    assert outcome.stderr_path.read_bytes() == b""
