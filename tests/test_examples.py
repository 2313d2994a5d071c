"""The examples stay in step with their sources, and the package layout rules hold."""

from __future__ import annotations

import ast
import base64
from pathlib import Path

import wasmtime
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"


def test_hello_example_carries_compiled_wat():
    spec = yaml.safe_load((EXAMPLES / "hello-wasm.yaml").read_text())
    url = spec["Spec"]["Wasm"]["EntryModule"]["URL"]
    prefix = "data:application/wasm;base64,"
    assert url.startswith(prefix)

    expected = wasmtime.wat2wasm((EXAMPLES / "hello.wat").read_text())
    assert base64.b64decode(url[len(prefix) :]) == expected, (
        "examples/hello-wasm.yaml is stale: regenerate its URL with examples/inline_module.py"
    )


def imported_packages(package: str) -> set[str]:
    found = set()
    for path in (REPO_ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_producer_never_imports_worker():
    assert "worker" not in imported_packages("producer")


def test_worker_never_imports_producer():
    assert "producer" not in imported_packages("worker")


def test_contract_imports_neither_side():
    imported = imported_packages("modeljob")
    assert "producer" not in imported
    assert "worker" not in imported


def test_compose_file_declares_fleet():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    assert set(compose["services"]) >= {"redis", "worker", "flower"}
    assert compose["services"]["worker"]["command"][:3] == ["celery", "-A", "worker"]


def test_no_pickle_anywhere():
    for package in ("modeljob", "producer", "worker"):
        assert "pickle" not in imported_packages(package)
