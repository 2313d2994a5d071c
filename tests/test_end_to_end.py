"""A real Redis, a real `celery -A worker worker -c 2` process, real wasmtime.

Jobs go in through the Producer API and through the installed `modeljob` CLI, run
on the worker, and come out through `describe`.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import wasmtime
import yaml
from conftest import corpus_file
from fleet import settings_env

from modeljob.errors import SpecValidationError
from modeljob.settings import Settings

# Generous limit for a job that should finish in well under a second, in seconds.
JOB_WAIT_S = 60.0

LOOP_FOREVER_WAT = """
(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $forever (br $forever))))
"""


def inline_url(module: bytes) -> str:
    return "data:application/wasm;base64," + base64.b64encode(module).decode("ascii")


def wasm_spec(module: bytes, **wasm: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "Engine": "Wasm",
        "PublisherSpec": {"Type": "Noop"},
        "Wasm": {"EntryModule": {"StorageSource": "Inline", "Name": "main.wasm", "URL": inline_url(module)}, **wasm},
    }
    return {"APIVersion": "V1beta1", "Spec": spec}


def corpus_module(corpus_dir: Path, name: str) -> bytes:
    return corpus_file(corpus_dir, f"wasm/bacalhau-v1.0.3-{name}__main.wasm").read_bytes()


def only_execution(described: dict[str, Any]) -> dict[str, Any]:
    executions = described["State"]["Executions"]
    assert len(executions) == 1
    return executions[0]


def cli(settings: Settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `modeljob` console script against the test fleet."""
    executable = shutil.which("modeljob", path=str(Path(sys.executable).parent))
    assert executable, "the modeljob console script is not installed beside this Python"
    return subprocess.run(
        [executable, *args],
        env=settings_env(settings),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_noop_module_prints_hello(producer, corpus_dir):
    handle = producer.submit(wasm_spec(corpus_module(corpus_dir, "noop")))
    state = handle.wait(JOB_WAIT_S)

    assert state.state.value == "Completed"
    assert handle.stdout() == "Hello, world!\n"
    execution = only_execution(handle.describe())
    assert execution["State"] == "Completed"
    assert execution["RunOutput"]["exitCode"] == 0
    assert execution["RunOutput"]["stdout"] == "Hello, world!\n"
    assert execution["NodeId"] == producer.settings.node_id


def test_env_module_sees_spec_environment(producer, corpus_dir):
    spec = wasm_spec(corpus_module(corpus_dir, "env"), EnvironmentVariables={"HELLO": "world", "FOO": "bar"})
    handle = producer.submit(spec)

    assert handle.wait(JOB_WAIT_S).state.value == "Completed"
    assert handle.stdout().splitlines() == ["FOO=bar", "HELLO=world"]


def test_exit_code_3_gives_error_state(producer, corpus_dir):
    spec = wasm_spec(corpus_module(corpus_dir, "exit_code"), EnvironmentVariables={"EXIT_CODE": "3"})
    handle = producer.submit(spec)
    state = handle.wait(JOB_WAIT_S)

    assert state.state.value == "Error"
    execution = only_execution(handle.describe())
    assert execution["State"] == "Failed"
    assert execution["RunOutput"]["exitCode"] == 3
    assert "exited with code 3" in execution["Status"]


def test_cat_reads_preopened_input(producer, corpus_dir, allowed_dir):
    inputs = allowed_dir / "cat-inputs"
    inputs.mkdir(exist_ok=True)
    (inputs / "config.yaml").write_text("greeting: hello from the host\n")
    spec = wasm_spec(corpus_module(corpus_dir, "cat"), Parameters=["/inputs/config.yaml"])
    spec["Spec"]["Inputs"] = [{"StorageSource": "LocalDirectory", "SourcePath": str(inputs), "Path": "/inputs"}]
    handle = producer.submit(spec)

    assert handle.wait(JOB_WAIT_S).state.value == "Completed", handle.describe()
    assert handle.stdout() == "greeting: hello from the host\n"


def test_input_outside_allowed_paths_fails(producer, corpus_dir, tmp_path):
    (tmp_path / "secret.txt").write_text("not for jobs\n")
    spec = wasm_spec(corpus_module(corpus_dir, "cat"), Parameters=["/inputs/secret.txt"])
    spec["Spec"]["Inputs"] = [{"StorageSource": "LocalDirectory", "SourcePath": str(tmp_path), "Path": "/inputs"}]
    handle = producer.submit(spec)

    assert handle.wait(JOB_WAIT_S).state.value == "Error"
    assert "MODELJOB_ALLOWED_LOCAL_PATHS" in only_execution(handle.describe())["Status"]
    assert handle.stdout() == ""


def test_describe_shows_bacalhau_shape(producer, corpus_dir):
    handle = producer.submit(wasm_spec(corpus_module(corpus_dir, "noop")))
    handle.wait(JOB_WAIT_S)
    described = handle.describe()

    assert set(described) == {"Job", "State", "History"}
    assert described["Job"]["Metadata"]["ID"] == handle.id
    assert len(described["Job"]["Metadata"]["ClientID"]) == 64
    assert described["State"]["State"] == "Completed"
    execution = only_execution(described)
    assert execution["ComputeReference"].startswith("e-")
    assert execution["DesiredState"] == 2
    job_changes = [
        (entry["JobState"]["Previous"], entry["JobState"]["New"])
        for entry in described["History"]
        if entry["Type"] == "JobLevel"
    ]
    assert job_changes == [("New", "New"), ("New", "InProgress"), ("InProgress", "Completed")]
    execution_changes = [
        (entry["ExecutionState"]["Previous"], entry["ExecutionState"]["New"])
        for entry in described["History"]
        if entry["Type"] == "ExecutionLevel"
    ]
    assert execution_changes == [("New", "New"), ("New", "BidAccepted"), ("BidAccepted", "Completed")]
    versions = [entry["NewVersion"] for entry in described["History"]]
    assert versions == sorted(versions)
    assert described["State"]["Version"] == versions[-1]


def test_timeout_ends_in_error_and_frees_worker(producer, corpus_dir):
    looping = wasm_spec(wasmtime.wat2wasm(LOOP_FOREVER_WAT))
    looping["Spec"]["Timeout"] = 2
    # Two at once occupy both worker slots.
    handles = [producer.submit(looping) for _ in range(2)]
    for handle in handles:
        state = handle.wait(JOB_WAIT_S)
        assert state.state.value == "Error"
        status = only_execution(handle.describe())["Status"]
        assert "timed out" in status

    started = time.monotonic()
    quick = [producer.submit(wasm_spec(corpus_module(corpus_dir, "noop"))) for _ in range(2)]
    for handle in quick:
        assert handle.wait(JOB_WAIT_S).state.value == "Completed"
    # Both slots took new work, which they could not if a loop still held them.
    assert time.monotonic() - started < JOB_WAIT_S


def queue_and_store_snapshot(settings: Settings, client) -> tuple[int, list[str]]:
    return client.llen(settings.queue), sorted(client.scan_iter(f"{settings.key_prefix}:*"))


@pytest.mark.parametrize(
    "spec",
    [
        {"APIVersion": "V1beta1", "Spec": {"Engine": "Wasm", "PublisherSpec": {"Type": "Noop"}}},
        {"APIVersion": "V1beta1", "Spec": {"Engine": "Nope", "PublisherSpec": {"Type": "Noop"}}},
    ],
    ids=["wasm-without-entry-module", "unknown-engine"],
)
def test_invalid_spec_reaches_nothing(producer, redis_server, fleet_settings, spec):
    client = redis_server.client()
    before = queue_and_store_snapshot(fleet_settings, client)

    with pytest.raises(SpecValidationError) as caught:
        producer.submit(spec)
    assert caught.value.errors, "the error lists no field"
    assert queue_and_store_snapshot(fleet_settings, client) == before

    result = cli(fleet_settings, "submit", "-", stdin=json.dumps(spec))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Spec." in result.stderr
    assert queue_and_store_snapshot(fleet_settings, client) == before


def test_cli_submit_wait_and_describe(fleet_settings, worker, corpus_dir, tmp_path):
    spec_path = tmp_path / "exit3.json"
    spec_path.write_text(
        json.dumps(wasm_spec(corpus_module(corpus_dir, "exit_code"), EnvironmentVariables={"EXIT_CODE": "3"}))
    )
    submitted = cli(fleet_settings, "submit", str(spec_path), "--wait", "--id-only")
    assert submitted.returncode == 1, submitted.stderr
    job_id = submitted.stdout.strip()
    assert len(job_id.splitlines()) == 1
    assert "Error" in submitted.stderr

    described = cli(fleet_settings, "describe", job_id)
    assert described.returncode == 0, described.stderr
    document = yaml.safe_load(described.stdout)
    assert document["State"]["State"] == "Error"
    execution = document["State"]["Executions"][0]
    assert execution["RunOutput"]["exitCode"] == 3
    assert execution["NodeId"]
    assert [entry["Type"] for entry in document["History"]].count("ExecutionLevel") == 3


@pytest.mark.parametrize("name", ["noop", "env"])
def test_cli_submit_wait_completes(fleet_settings, worker, corpus_dir, tmp_path, name):
    spec_path = tmp_path / f"{name}.yaml"
    spec_path.write_text(yaml.safe_dump(wasm_spec(corpus_module(corpus_dir, name), EnvironmentVariables={"A": "1"})))
    submitted = cli(fleet_settings, "submit", str(spec_path), "--wait")
    assert submitted.returncode == 0, submitted.stderr
    job_id, summary = submitted.stdout.splitlines()
    assert summary == f"job {job_id}: Completed"

    described = cli(fleet_settings, "describe", job_id, "--output", "json")
    assert json.loads(described.stdout)["State"]["State"] == "Completed"


def test_describe_unknown_job_fails(fleet_settings, worker):
    result = cli(fleet_settings, "describe", "no-such-job")
    assert result.returncode == 1
    assert "not found" in result.stderr


def test_run_embedded_prints_hello(tmp_path):
    """`modeljob run` with no broker configured starts its own Redis and worker."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MODELJOB_")}
    example = Path(__file__).resolve().parent.parent / "examples" / "hello-wasm.yaml"
    executable = shutil.which("modeljob", path=str(Path(sys.executable).parent))
    result = subprocess.run([executable, "run", str(example)], env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello, world!\n"
