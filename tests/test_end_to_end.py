"""A real Redis, a real `celery -A worker worker -c 2` process, real wasmtime.

Jobs go in through the Producer API and through the installed `modeljob` CLI, run
on the worker, and come out through `describe`.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class CorpusCase:
    """A corpus module, how the spec runs it, and what the job must end with."""

    module: str
    wasm: dict[str, Any] = field(default_factory=dict)
    with_input: bool = False
    state: str = "Completed"
    exit_code: int = 0
    stdout: str = ""


CORPUS_CASES = [
    CorpusCase("noop", stdout="Hello, world!\n"),
    CorpusCase("env", wasm={"EnvironmentVariables": {"HELLO": "world", "FOO": "bar"}}, stdout="FOO=bar\nHELLO=world\n"),
    CorpusCase(
        "exit_code",
        wasm={"EnvironmentVariables": {"EXIT_CODE": "3"}},
        state="Error",
        exit_code=3,
        stdout="Exiting with 3\n",
    ),
    CorpusCase(
        "cat",
        wasm={"Parameters": ["/inputs/config.yaml"]},
        with_input=True,
        stdout="greeting: hello from the host\n",
    ),
]


def corpus_case_spec(case: CorpusCase, corpus_dir: Path, allowed_dir: Path) -> dict[str, Any]:
    spec = wasm_spec(corpus_module(corpus_dir, case.module), **case.wasm)
    if case.with_input:
        inputs = allowed_dir / "cat-inputs"
        inputs.mkdir(exist_ok=True)
        (inputs / "config.yaml").write_text("greeting: hello from the host\n")
        spec["Spec"]["Inputs"] = [{"StorageSource": "LocalDirectory", "SourcePath": str(inputs), "Path": "/inputs"}]
    return spec


def check_described(described: dict[str, Any], case: CorpusCase) -> None:
    assert described["State"]["State"] == case.state
    execution = only_execution(described)
    assert execution["State"] == ("Completed" if case.state == "Completed" else "Failed")
    assert execution["NodeId"]
    assert execution["RunOutput"]["exitCode"] == case.exit_code
    assert execution["RunOutput"]["stdout"] == case.stdout
    assert execution["RunOutput"]["stdouttruncated"] is False
    assert [entry["Type"] for entry in described["History"]].count("ExecutionLevel") == 3
    if case.exit_code:
        assert f"exited with code {case.exit_code}" in execution["Status"]


@pytest.mark.parametrize("case", CORPUS_CASES, ids=lambda case: case.module)
def test_producer_runs_corpus_module(producer, corpus_dir, allowed_dir, case):
    handle = producer.submit(corpus_case_spec(case, corpus_dir, allowed_dir))
    state = handle.wait(JOB_WAIT_S)

    assert state.state.value == case.state, handle.describe()
    assert handle.stdout() == case.stdout
    check_described(handle.describe(), case)
    assert only_execution(handle.describe())["NodeId"] == producer.settings.node_id


@pytest.mark.parametrize("case", CORPUS_CASES, ids=lambda case: case.module)
def test_cli_runs_corpus_module(fleet_settings, worker, corpus_dir, allowed_dir, tmp_path, case):
    spec_path = tmp_path / f"{case.module}.yaml"
    spec_path.write_text(yaml.safe_dump(corpus_case_spec(case, corpus_dir, allowed_dir)))

    submitted = cli(fleet_settings, "submit", str(spec_path), "--wait")
    assert submitted.returncode == (0 if case.state == "Completed" else 1), submitted.stderr
    job_id, summary = submitted.stdout.splitlines()
    assert summary.startswith(f"job {job_id}: {case.state}")

    described = cli(fleet_settings, "describe", job_id)
    assert described.returncode == 0, described.stderr
    check_described(yaml.safe_load(described.stdout), case)


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
    # The spec set no Timeout; the producer records the default it applied.
    assert described["Job"]["Spec"]["Timeout"] == producer.settings.default_job_timeout_s
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
    """Length of the queue, and every job-store key (Celery's own keys change as it works)."""
    store_keys = sorted(client.scan_iter(f"{settings.key_prefix}:job*"))
    return client.llen(f"{settings.key_prefix}:{settings.queue}"), store_keys


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


def test_cli_id_only_prints_only_the_id(fleet_settings, worker, corpus_dir, tmp_path):
    spec_path = tmp_path / "exit3.json"
    spec_path.write_text(
        json.dumps(wasm_spec(corpus_module(corpus_dir, "exit_code"), EnvironmentVariables={"EXIT_CODE": "3"}))
    )
    submitted = cli(fleet_settings, "submit", str(spec_path), "--wait", "--id-only")

    assert submitted.returncode == 1, submitted.stderr
    assert len(submitted.stdout.splitlines()) == 1
    job_id = submitted.stdout.strip()
    assert f"job {job_id}: Error" in submitted.stderr

    # Bacalhau's short form: the first 8 characters of the ID.
    described = cli(fleet_settings, "describe", job_id[:8], "--output", "json")
    document = json.loads(described.stdout)
    assert document["Job"]["Metadata"]["ID"] == job_id
    assert document["State"]["State"] == "Error"


def test_describe_unknown_job_fails(fleet_settings, worker):
    result = cli(fleet_settings, "describe", "no-such-job")
    assert result.returncode == 1
    assert "not found" in result.stderr


def test_run_embedded_prints_hello(tmp_path):
    """`modeljob run` with no broker configured starts its own Redis and worker."""
    env = embedded_env()
    example = Path(__file__).resolve().parent.parent / "examples" / "hello-wasm.yaml"
    executable = shutil.which("modeljob", path=str(Path(sys.executable).parent))
    result = subprocess.run([executable, "run", str(example)], env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello, world!\n"


WRITE_OUTPUT_WAT = """
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "result.txt")
  (data (i32.const 16) "done\\n")
  ;; iovec {pointer 16, length 5} at offset 32
  (data (i32.const 32) "\\10\\00\\00\\00\\05\\00\\00\\00")
  (func (export "_start")
    (local $errno i32)
    ;; fd 3 is the first preopen: the output folder. O_CREAT is 1; rights allow writing.
    (local.set $errno (call $path_open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 10)
      (i32.const 1) (i64.const 0x0fffffff) (i64.const 0x0fffffff) (i32.const 0) (i32.const 48)))
    (if (local.get $errno) (then (call $proc_exit (i32.add (i32.const 100) (local.get $errno)))))
    (drop (call $fd_write (i32.load (i32.const 48)) (i32.const 32) (i32.const 1) (i32.const 40)))))
"""


def test_wasm_writes_to_output_folder(producer):
    spec = wasm_spec(wasmtime.wat2wasm(WRITE_OUTPUT_WAT))
    spec["Spec"]["Outputs"] = [{"Name": "outputs", "Path": "/outputs"}]
    handle = producer.submit(spec)

    state = handle.wait(JOB_WAIT_S)
    assert state.state.value == "Completed", handle.describe()
    execution = only_execution(handle.describe())
    assert execution["RunOutput"]["exitCode"] == 0
    # The Noop publisher keeps nothing, as Bacalhau's does.
    assert execution["PublishedResults"] is None


def test_unavailable_publisher_fails_before_running(producer, corpus_dir):
    spec = wasm_spec(corpus_module(corpus_dir, "noop"))
    spec["Spec"]["PublisherSpec"] = {"Type": "Ipfs"}
    handle = producer.submit(spec)

    assert handle.wait(JOB_WAIT_S).state.value == "Error"
    execution = only_execution(handle.describe())
    assert "'Ipfs' is not available on this worker" in execution["Status"]
    assert execution["RunOutput"]["exitCode"] == -1
    assert handle.stdout() == ""


def embedded_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("MODELJOB_")}


def children_of(pid: int) -> list[int]:
    result = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line) for line in result.stdout.split()]


def session_members(session_id: int) -> list[int]:
    result = subprocess.run(["ps", "-o", "pid=", "-s", str(session_id)], capture_output=True, text=True)
    return [int(line) for line in result.stdout.split()]


def is_running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_run_stops_embedded_fleet_on_sigterm(tmp_path):
    looping = wasm_spec(wasmtime.wat2wasm(LOOP_FOREVER_WAT))
    looping["Spec"]["Timeout"] = 120
    spec_path = tmp_path / "loop.json"
    spec_path.write_text(json.dumps(looping))
    executable = shutil.which("modeljob", path=str(Path(sys.executable).parent))
    process = subprocess.Popen([executable, "run", str(spec_path)], env=embedded_env(), stderr=subprocess.PIPE)

    # Wait until the embedded Redis and worker run, then stop `modeljob run`.
    deadline = time.monotonic() + JOB_WAIT_S
    children: list[int] = []
    while len(children) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        children = children_of(process.pid)
    assert len(children) == 2, "the embedded Redis and worker did not start"
    time.sleep(2)
    # The worker leads a session of its own; its pool processes belong to it.
    family = set(children)
    for child in children:
        family.update(session_members(child))
    assert len(family) > 2, "the worker's pool processes were not found"
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)

    assert process.returncode == 128 + signal.SIGTERM
    assert [pid for pid in family if is_running(pid)] == []


def test_unreachable_redis_gives_message(fleet_settings, tmp_path):
    spec_path = tmp_path / "noop.yaml"
    spec_path.write_text("APIVersion: V1beta1\nSpec:\n  Engine: Noop\n")
    from producer.embedded import free_loopback_port

    unused = f"redis://127.0.0.1:{free_loopback_port()}/0"
    settings = fleet_settings.model_copy(update={"broker_url": unused, "store_url": unused})
    result = cli(settings, "submit", str(spec_path))

    assert result.returncode == 1
    assert "cannot reach Redis at" in result.stderr
    assert "Traceback" not in result.stderr


def test_non_redis_url_is_rejected(fleet_settings, tmp_path):
    env = settings_env(fleet_settings)
    env["MODELJOB_BROKER_URL"] = "http://user:secret@127.0.0.1:1/"
    env.pop("MODELJOB_STORE_URL")
    executable = shutil.which("modeljob", path=str(Path(sys.executable).parent))
    result = subprocess.run([executable, "describe", "x"], env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 1
    assert "MODELJOB_BROKER_URL" in result.stderr
    assert "is not a Redis URL" in result.stderr
    assert "secret" not in result.stderr


def test_fleet_writes_only_prefixed_keys(producer, redis_server, fleet_settings, corpus_dir):
    """Job store and Celery keys alike live under the deployment's key prefix."""
    client = redis_server.client()
    handle = producer.submit(wasm_spec(corpus_module(corpus_dir, "noop")))
    assert handle.wait(JOB_WAIT_S).state.value == "Completed"

    ours = [key for key in client.scan_iter("*") if fleet_settings.key_prefix in key]
    assert ours, "the fleet wrote no keys at all"
    strays = [key for key in ours if not key.startswith(f"{fleet_settings.key_prefix}:")]
    assert strays == []
    if redis_server.process is not None:
        # A private server holds only what the tests wrote, all of it under test prefixes.
        unprefixed = [key for key in client.scan_iter("*") if not key.startswith("modeljob-")]
        assert unprefixed == []


def test_concurrency_runs_every_execution(producer, corpus_dir):
    spec = wasm_spec(corpus_module(corpus_dir, "noop"))
    spec["Spec"]["Deal"] = {"Concurrency": 2}
    handle = producer.submit(spec)

    assert handle.wait(JOB_WAIT_S).state.value == "Completed"
    executions = handle.describe()["State"]["Executions"]
    assert len(executions) == 2
    assert {execution["State"] for execution in executions} == {"Completed"}
    assert len({execution["ComputeReference"] for execution in executions}) == 2
    for execution in executions:
        assert handle.stdout(execution["ComputeReference"]) == "Hello, world!\n"
