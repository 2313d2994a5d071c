"""Every job spec of the public corpus gets the verdict its index records.

The corpus index gives each legacy job file a verdict. VALID files must be
accepted, INVALID, MALFORMED, TEMPLATE and UNSUPPORTED ones rejected, and the new
format under v2-not-supported/ rejected. HYBRID and OTHER VERSION files are decided
per file (see docs/spec.md): EngineSpec inside Spec and V1beta2 labels are accepted
with a warning, anything else they get wrong is rejected. The Python snippets are
read with `ast`, never imported, and their SDK constructors are replaced by a small
class with `to_dict()`.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import corpus_file

from modeljob.errors import SpecValidationError
from modeljob.spec import Engine, Publisher, SelectionOperator, StorageSourceType, dump_job, parse_job


@dataclass(frozen=True)
class Expected:
    """What parsing one corpus file must give: accepted or not, and text that must appear."""

    accepted: bool
    # Substrings that must appear in the warnings (accepted) or errors (rejected).
    needles: tuple[str, ...] = ()


def accept(*warnings: str) -> Expected:
    return Expected(True, warnings)


def reject(*errors: str) -> Expected:
    return Expected(False, errors)


V1ALPHA1 = "V1alpha1 jobs (Bacalhau 0.2 and earlier) are not supported"
OUTSIDE_SPEC = "belongs inside Spec"
TEMPLATE = "unrendered Go template"
PLACEHOLDER = "unexpanded ${VAR} placeholder"
SAME_SCHEMA = "has the same job schema as V1beta1"
ENGINE_SPEC = "EngineSpec (Bacalhau 1.1 form) was converted"
NEW_FORMAT = "Bacalhau's newer format"

JOBS: dict[str, Expected] = {
    "bacalhau-16539de__job.yaml": reject(V1ALPHA1, "job_spec_docker: unknown field"),
    "bacalhau-2a4ad01__job-s3.yaml": accept(SAME_SCHEMA, ENGINE_SPEC, "Spec.Verifier: removed field"),
    "bacalhau-2a4ad01__job.json": accept(SAME_SCHEMA, ENGINE_SPEC),
    "bacalhau-2a4ad01__job.yaml": accept(SAME_SCHEMA, ENGINE_SPEC, "Spec.Deal.MinBids: removed field"),
    "bacalhau-2c05a03__job-wasm-engine-spec.json": reject("Outputs: unknown field; 'Outputs' " + OUTSIDE_SPEC),
    "bacalhau-2e39a30__simplejob.yaml": reject(V1ALPHA1),
    "bacalhau-3cc5b37__chinook_query_raw_exec.json": reject("Spec.EngineSpec.Type: unsupported value: rawexec"),
    "bacalhau-3cc5b37__curl_download_bacalhau.json": reject("Spec.EngineSpec.Type: unsupported value: rawexec"),
    "bacalhau-694d3d0__job.yaml": reject("APIVersion: missing", "JobAPIVersion: unknown field"),
    "bacalhau-7029aac__job.yaml": reject("Deal: unknown field; 'Deal' " + OUTSIDE_SPEC),
    "bacalhau-7a107b3__job.yaml": accept("Spec.Sharding: removed field", "Spec.PublisherSpec.Type: Estuary"),
    "bacalhau-7b816d0__job.yaml": reject(V1ALPHA1),
    "bacalhau-a9ea599__job-noop.json": accept("Spec.PublisherSpec.Type: Noop"),
    "bacalhau-a9ea599__job.yaml": accept("Spec.sharding: removed field", "Spec.Deal.minBids: removed field"),
    "bacalhau-b446e52__job-test.json": reject(V1ALPHA1),
    "bacalhau-deffbc2__job.json": accept("Spec.PublisherSpec.Type: Ipfs"),
    "bacalhau-e08f661__job.yaml": reject(V1ALPHA1, "InputVolumes: unknown field"),
    "bacalhau-f562554__job-url.yaml": reject(V1ALPHA1),
    "bacalhau-onprem-0a0425e__job.yaml": reject("APIVersion: missing", "Spec.Docker.Image: contains an " + PLACEHOLDER),
    "bacalhau-onprem-6cfed54__onprem-demo-job-images.yaml": reject("APIVersion: missing", PLACEHOLDER),
    "bacalhau-onprem-c52ecb0__onprem-demo-job-inference-server.yaml": reject(
        "APIVersion: missing", "Spec.Inputs[0].StorageSource: unsupported value: CIDStream"
    ),
    "bacalhau-v1.0.3__job-invalid.yml": reject("APIVersion: missing"),
    "bacalhau-v1.0.3__job-noop-url.yaml": accept("Spec.Verifier: removed field"),
    "bacalhau-v1.0.3__job-noop.json": accept(),
    "bacalhau-v1.0.3__job-noop.yaml": accept(),
    "bacalhau-v1.0.3__job-s3.yaml": accept(),
    "bacalhau-v1.0.3__job-test.yaml": reject("JobSpecDocker: unknown field", "Spec: missing"),
    "bacalhau-v1.0.3__job-url.yaml": accept(),
    "bacalhau-v1.0.3__job.json": accept(),
    "bacalhau-v1.0.3__job.yaml": accept(),
    "bacalhau-v1.0.3__job_cancel.json": accept(),
    "bacalhau-v1.1.4__job-docker-engine-spec.json": reject("Resources: unknown field; 'Resources' " + OUTSIDE_SPEC),
    "bacalhau-v1.1.4__job-docker-engine-spec.yaml": reject("Inputs: unknown field; 'Inputs' " + OUTSIDE_SPEC),
    "bacalhau-v1.1.4__job-noop-url.yaml": accept(),
    "bacalhau-v1.1.4__job-wasm-engine-spec.json": reject(OUTSIDE_SPEC),
    "bacalhau-v1.1.4__job.yaml": accept(),
    "bacalhau-v1.4.0__job-test.yaml": reject("JobSpecDocker: unknown field"),
    "bacalhau-v1.4.0__job-wasm-engine-spec.json": reject(OUTSIDE_SPEC),
    "bacalhau-v1.4.0__job.yaml": accept("Spec.PublisherSpec.Type: Local"),
    "darts-cowsay-c48344d__module.yaml": reject(
        "Spec.EngineSpec.Params.EnvironmentVariablets: unknown field; did you mean 'EnvironmentVariables'?"
    ),
    "darts-cowsay-f05ab80__module.json": accept("machine: Lilypad's machine requirements", SAME_SCHEMA, ENGINE_SPEC),
    "examples-duckdb-89924a8__job_multizone.yaml": accept(),
    "examples-duckdb-ac8b7f8__job.yaml": accept(SAME_SCHEMA, ENGINE_SPEC),
    "examples-duckdb-d117b82__job-one-region.yaml": reject("Spec.Labels: unknown field", "Spec.NodeSelectors"),
    "examples-justicons-ef114f1__job.yaml": reject("Type: unknown field", "newer job format"),
    "examples-logwindow-b885e32__job_multizone.yaml": accept(SAME_SCHEMA, ENGINE_SPEC),
    "examples-motherduck-ce46c01__job.yaml": accept(ENGINE_SPEC),
    "examples-motherduck-ce46c01__job_multizone.yaml": accept(ENGINE_SPEC),
    "examples-motherduck-f6fcc88__job.yaml": accept(),
    "examples-multisqlite-b41647d__job.yaml": accept(),
    "examples-sdgallery-ce3109a__metadata": reject(V1ALPHA1, "JobState: unknown field"),
    "examples-yolo5-42ad50f__job.yaml": reject("Spec.Storage: unknown field"),
    "lilypad-a79c3fb__cowsay.json": reject(TEMPLATE),
    "lilypad-f3df1c1__cowsay.json": reject("Spec.Docker.Entrypoint[1]: contains an " + TEMPLATE),
    "lilypad-lilysay-5bca449__lilypad_module.json.tmpl": reject(TEMPLATE),
    "lilypad-lora-7c7714f__lilypad_module.json.tmpl": reject(TEMPLATE),
    "lilypad-sdxl-pipeline-e0c6492__lilypad_module.json.tmpl": reject(TEMPLATE),
}

NEW_FORMAT_FILES = [
    "bacalhau-v1.1.4__docker-output.json",
    "bacalhau-v1.1.4__docker-s3.yaml",
    "bacalhau-v1.1.4__docker.yaml",
    "bacalhau-v1.1.4__wasm.yaml",
    "examples-wasm-sensors-90bcc0d__config-reader.yaml",
]

# Python snippets: how many jobs each builds, and what parsing them must give.
PYTHON: dict[str, tuple[int, Expected]] = {
    "bacalhau-airflow-a22fca6__example1.py": (2, accept("Spec.Publisher: deprecated field was converted")),
    "bacalhau-flyte-8790356__example1.py": (1, accept("Spec.language: empty section of the removed Language engine")),
    "bacalhau-sdk-9153fae__submit_job.py": (1, accept("Spec.sharding: removed field", "Spec.execution_plan")),
    "bacalhau-v1.1.4-airflow__hello_world.py": (2, accept("Spec.PublisherSpec.Type: Ipfs")),
    "bacalhau-v1.1.4-flyte__chained-jobs.py": (2, accept("Spec.verifier: removed field")),
    "bacalhau-v1.1.4__submit_job.py": (1, accept()),
    "examples-ddw-62c9db8__task_L1-82.py": (1, accept(SAME_SCHEMA)),
    "examples-fleet-48dabc7__task_L1-66.py": (1, accept(SAME_SCHEMA)),
    "metaflow-bacalhau-e2f6e1e__bacalhau_job_L99-163.py": (1, reject(NEW_FORMAT)),
}

# Values for the names a snippet reads from its surroundings (function arguments,
# configuration objects). Anything else unknown becomes the string "placeholder".
SNIPPET_NAMES: dict[str, Any] = {
    "config.image": "duckdb/duckdb:latest",
    "config.input.source": "/var/data",
    "config.input.target": "/inputs",
    "config.publisher.bucket": "results-bucket",
    "config.publisher.prefix": "runs/{jobID}/",
    "query": "select 1",
    "bac_task": "QmWG3ZCXTbdMUh6GWq2Pb1n7MMNxPQFa9NMswdZXuVKFUX",
}

# Which rows of the index carry a verdict (first bold text on the row).
_INDEX_ROW = re.compile(r"^\| `(?P<file>[^`]+)` \|.*?\*\*(?P<verdict>[^*]+)\*\*", re.MULTILINE)


def _index_verdicts(corpus_dir: Path) -> dict[str, str]:
    text = corpus_file(corpus_dir, "INDEX.md").read_text(encoding="utf-8")
    return {match["file"]: match["verdict"] for match in _INDEX_ROW.finditer(text)}


def _outcome(source: Any) -> tuple[bool, str]:
    try:
        parsed = parse_job(source)
    except SpecValidationError as error:
        return False, str(error)
    assert parse_job(dump_job(parsed.job)).job == parsed.job, "accepted job does not round-trip"
    return True, "\n".join(parsed.warnings)


def _check(expected: Expected, accepted: bool, text: str) -> None:
    assert accepted == expected.accepted, text
    for needle in expected.needles:
        assert needle in text


# Legacy job files.


@pytest.mark.parametrize("name", sorted(JOBS))
def test_job_file_verdict(corpus_dir: Path, name: str) -> None:
    path = corpus_file(corpus_dir, f"jobs/{name}")
    accepted, text = _outcome(path)
    _check(JOBS[name], accepted, text)


@pytest.mark.parametrize("name", sorted(JOBS))
def test_job_file_agrees_with_index(corpus_dir: Path, name: str) -> None:
    verdict = _index_verdicts(corpus_dir).get(name)
    assert verdict is not None, f"{name} has no verdict in INDEX.md"

    expected = JOBS[name]
    if verdict.startswith("VALID"):
        # An unknown key is an error in this contract, even where the index
        # still calls the rest of the file valid.
        assert expected.accepted or "UNKNOWN FIELD" in verdict
    elif verdict.startswith(("INVALID", "MALFORMED", "TEMPLATE", "UNSUPPORTED")):
        assert not expected.accepted
    else:
        assert verdict.startswith(("HYBRID", "OTHER VERSION")), verdict


def test_every_job_file_has_an_expectation(corpus_dir: Path) -> None:
    present = {path.name for path in (corpus_dir / "jobs").iterdir() if path.is_file()}
    assert present - set(JOBS) == set()
    assert set(JOBS) - present == set()


def test_rejected_files_name_the_field(corpus_dir: Path) -> None:
    path = corpus_file(corpus_dir, "jobs/bacalhau-v1.0.3__job-invalid.yml")
    with pytest.raises(SpecValidationError) as caught:
        parse_job(path)
    assert [error.path for error in caught.value.errors] == ["APIVersion"]
    assert caught.value.source == str(path)


def test_accepted_files_are_normalised(corpus_dir: Path) -> None:
    job = parse_job(corpus_file(corpus_dir, "jobs/bacalhau-v1.0.3__job.json")).job
    assert job.api_version == "V1beta1"
    assert job.spec.engine is Engine.DOCKER
    assert job.spec.publisher_spec is not None
    assert job.spec.publisher_spec.type is Publisher.IPFS
    assert job.spec.outputs[0].storage_source is StorageSourceType.IPFS
    assert job.spec.outputs[0].cid is None
    assert job.spec.resources is None
    assert job.spec.deal.concurrency == 1


def test_unquoted_equals_operator(corpus_dir: Path) -> None:
    job = parse_job(corpus_file(corpus_dir, "jobs/examples-multisqlite-b41647d__job.yaml")).job
    selector = job.spec.node_selectors[0]
    assert selector.operator is SelectionOperator.EQUALS
    assert selector.values == ["northcentralus"]


def test_hybrid_engine_spec_fills_docker(corpus_dir: Path) -> None:
    job = parse_job(corpus_file(corpus_dir, "jobs/examples-motherduck-ce46c01__job_multizone.yaml")).job
    assert job.spec.engine is Engine.DOCKER
    assert job.spec.docker is not None
    assert job.spec.docker.image == "docker.io/bacalhauproject/motherduck-log-processor:1.1.6"
    assert job.spec.docker.working_directory is None
    assert job.spec.deal.targeting_mode is True


# New-format files.


@pytest.mark.parametrize("name", NEW_FORMAT_FILES)
def test_new_format_rejected(corpus_dir: Path, name: str) -> None:
    accepted, text = _outcome(corpus_file(corpus_dir, f"v2-not-supported/{name}"))
    _check(reject(NEW_FORMAT), accepted, text)


def test_every_new_format_file_listed(corpus_dir: Path) -> None:
    present = {path.name for path in (corpus_dir / "v2-not-supported").iterdir() if path.is_file()}
    assert present == set(NEW_FORMAT_FILES)


# Python snippets.


class SdkObject:
    """Stands in for a bacalhau_apiclient model: keyword arguments and `to_dict()`."""

    def __init__(self, class_name: str, attributes: dict[str, Any]) -> None:
        self.class_name = class_name
        self.attributes = attributes

    def to_dict(self) -> dict[str, Any]:
        return {key: _sdk_to_plain(value) for key, value in self.attributes.items()}


def _sdk_to_plain(value: Any) -> Any:
    if isinstance(value, SdkObject):
        return value.to_dict()
    if isinstance(value, list):
        return [_sdk_to_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _sdk_to_plain(item) for key, item in value.items()}
    return value


def _dotted_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted_name(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _evaluate(node: ast.AST) -> Any:
    """Evaluate the literal part of a snippet expression; calls to SDK classes become SdkObjects."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_evaluate(item) for item in node.elts]
    if isinstance(node, ast.Dict):
        return {_evaluate(key): _evaluate(value) for key, value in zip(node.keys, node.values, strict=True)}
    if isinstance(node, ast.JoinedStr):
        return "".join(
            str(_evaluate(part.value if isinstance(part, ast.FormattedValue) else part)) for part in node.values
        )
    if isinstance(node, ast.Call):
        callee = _dotted_name(node.func) or ""
        keywords = {keyword.arg: _evaluate(keyword.value) for keyword in node.keywords if keyword.arg}
        if callee == "dict":
            return keywords
        if callee[:1].isupper():
            return SdkObject(callee, keywords)
        return "placeholder"
    dotted = _dotted_name(node)
    if dotted is not None:
        return SNIPPET_NAMES.get(dotted, "placeholder")
    return "placeholder"


def _jobs_in_snippet(source: str) -> list[Any]:
    """Return every job a snippet builds, in the form it would hand to the SDK."""
    jobs: list[Any] = []
    # Line-range excerpts start inside a method body, so their lines are indented.
    for node in ast.walk(ast.parse(textwrap.dedent(source))):
        if not isinstance(node, ast.Call):
            continue
        callee = _dotted_name(node.func) or ""
        keywords = {keyword.arg for keyword in node.keywords}
        if callee == "dict" and "APIVersion" in keywords:
            jobs.append(_evaluate(node))
        elif callee in ("JobCreatePayload", "Job"):
            jobs.append(_evaluate(node))
        elif "api_version" in keywords and keywords & {"spec", "job_spec"}:
            spec_nodes = [keyword.value for keyword in node.keywords if keyword.arg in ("spec", "job_spec")]
            if not isinstance(spec_nodes[0], (ast.Call, ast.Dict)):
                # flytekit's kwtypes(spec=dict, api_version=str) declares types, not a job.
                continue
            arguments = {keyword.arg: _evaluate(keyword.value) for keyword in node.keywords}
            spec = arguments.get("spec", arguments.get("job_spec"))
            jobs.append({"APIVersion": arguments["api_version"], "Spec": spec})
    return jobs


@pytest.mark.parametrize("name", sorted(PYTHON))
def test_python_snippet_verdict(corpus_dir: Path, name: str) -> None:
    count, expected = PYTHON[name]
    jobs = _jobs_in_snippet(corpus_file(corpus_dir, f"python/{name}").read_text(encoding="utf-8"))
    assert len(jobs) == count

    for job in jobs:
        accepted, text = _outcome(job)
        _check(expected, accepted, text)


def test_every_python_snippet_listed(corpus_dir: Path) -> None:
    present = {path.name for path in (corpus_dir / "python").iterdir() if path.is_file()}
    assert present == set(PYTHON)


def test_sdk_snippet_matches_yaml_twin(corpus_dir: Path) -> None:
    source = corpus_file(corpus_dir, "python/bacalhau-v1.1.4__submit_job.py").read_text(encoding="utf-8")
    (snippet_job,) = _jobs_in_snippet(source)
    job = parse_job(snippet_job).job
    assert job.metadata.client_id == "placeholder"
    assert job.spec.docker is not None
    assert job.spec.docker.entrypoint == ["echo", "Hello World!"]
    assert job.spec.timeout == 1800
    assert job.spec.outputs[0].name == "outputs"
    assert job.spec.publisher is Publisher.IPFS
