"""One bad input per validation rule: each must fail with its own path and message."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from modeljob.errors import SpecValidationError
from modeljob.spec import parse_job
from modeljob.spec.convert import MAX_LIST_ITEMS, MAX_STRING_CHARS
from modeljob.spec.load import MAX_PAYLOAD_BYTES
from modeljob.spec.rules import MAX_DEAL_CONCURRENCY

CID = "QmeeEB1YMrG6K8z43VdsdoYmQV46gAPQCHotZs9pwusCm9"

BASE: dict[str, Any] = {
    "APIVersion": "V1beta1",
    "Spec": {
        "Engine": "Docker",
        "PublisherSpec": {"Type": "Ipfs"},
        "Docker": {"Image": "ubuntu:22.04", "Entrypoint": ["echo", "hello"]},
        "Inputs": [{"StorageSource": "IPFS", "CID": CID, "Path": "/inputs"}],
        "Outputs": [{"Name": "outputs", "Path": "/outputs"}],
        "Deal": {"Concurrency": 1},
    },
}

WASM_MODULE = {"StorageSource": "Inline", "URL": "data:application/wasm;base64,AGFzbQEAAAA="}


def job_with(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    job = copy.deepcopy(BASE)
    change(job)
    return job


def spec(**fields: Any) -> dict[str, Any]:
    return job_with(lambda job: job["Spec"].update(fields))


def docker(**fields: Any) -> dict[str, Any]:
    return job_with(lambda job: job["Spec"]["Docker"].update(fields))


def first_input(**fields: Any) -> dict[str, Any]:
    return job_with(lambda job: job["Spec"]["Inputs"][0].update(fields))


def one_input(storage: dict[str, Any]) -> dict[str, Any]:
    return spec(Inputs=[storage])


def wasm(**fields: Any) -> dict[str, Any]:
    section = {"EntryModule": WASM_MODULE, **fields}
    return job_with(lambda job: job["Spec"].update(Engine="Wasm", Docker=None, Wasm=section))


def selector(**fields: Any) -> dict[str, Any]:
    return spec(NodeSelectors=[{"Key": "zone", "Operator": "=", "Values": ["eu"], **fields}])


def without(*path: str) -> dict[str, Any]:
    def change(job: dict[str, Any]) -> None:
        target = job
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return job_with(change)


def nested_list(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


# (case id, document, expected error path, text the message must contain)
CASES: list[tuple[str, Any, str, str]] = [
    # Document and version.
    ("not a mapping", ["APIVersion"], "", "a job must be a mapping"),
    ("empty text", "   \n", "", "the document is empty"),
    ("broken yaml", "APIVersion: [V1beta1\n", "", "not valid YAML or JSON"),
    ("duplicate yaml key", "APIVersion: V1beta1\nAPIVersion: V1beta1\nSpec: {Engine: Noop}\n", "", "duplicate key"),
    ("api version missing", without("APIVersion"), "APIVersion", "missing; add APIVersion: V1beta1"),
    ("api version alpha", job_with(lambda job: job.update(APIVersion="v1alpha1")), "APIVersion", "V1alpha1 jobs"),
    ("api version unknown", job_with(lambda job: job.update(APIVersion="v2")), "APIVersion", "unsupported API version"),
    ("spec missing", without("Spec"), "Spec", "missing; a job needs a Spec"),
    ("spec not mapping", job_with(lambda job: job.update(Spec=["Docker"])), "Spec", "expected a mapping, got a list"),
    ("new format", {"Type": "batch", "Tasks": []}, "", "Bacalhau's newer format"),
    ("new format in wrapper", {"Job": {"Name": "x", "Tasks": []}}, "Job", "Bacalhau's newer format"),
    ("key twice in other case", job_with(lambda job: job["Spec"].update(engine="docker")), "Spec.Engine", "set twice"),
    (
        "unknown key suggestion",
        docker(EnvironmentVariablets=[]),
        "Spec.Docker.EnvironmentVariablets",
        "did you mean 'EnvironmentVariables'?",
    ),
    ("unknown key list", spec(Colour="blue"), "Spec.Colour", "valid fields here: Engine"),
    ("key outside spec", job_with(lambda job: job.update(Deal={"Concurrency": 1})), "Deal", "belongs inside Spec"),
    ("wrapper sibling", {"Job": BASE, "Extra": 1}, "Extra", "unknown field beside the 'Job' wrapper"),
    ("go template", docker(Image="{{ .Image }}"), "Spec.Docker.Image", "unrendered Go template"),
    ("env placeholder", first_input(CID="${CID}"), "Spec.Inputs[0].CID", "unexpanded ${VAR} placeholder"),
    # Engines.
    ("engine missing", without("Spec", "Engine"), "Spec.Engine", "missing; set Engine to Docker, Wasm or Noop"),
    ("engine unknown", spec(Engine="podman"), "Spec.Engine", "unknown value; valid values: Noop, Docker, Wasm"),
    ("engine removed", spec(Engine="Language"), "Spec.Engine", "the Language engine was removed"),
    ("engine bad number", spec(Engine=7), "Spec.Engine", "unknown SDK enum number"),
    ("engine boolean", spec(Engine=True), "Spec.Engine", "expected one of Noop, Docker, Wasm"),
    ("docker image missing", docker(Image=""), "Spec.Docker.Image", "missing; the Docker engine needs an image"),
    ("docker image space", docker(Image="ubuntu latest"), "Spec.Docker.Image", "cannot contain whitespace"),
    (
        "docker section on wasm",
        wasm() | {"Spec": {**wasm()["Spec"], "Docker": {"Image": "x"}}},
        "Spec.Docker",
        "set, but Spec.Engine is Wasm",
    ),
    (
        "working directory relative",
        docker(WorkingDirectory="work"),
        "Spec.Docker.WorkingDirectory",
        "must be an absolute path",
    ),
    (
        "env without equals",
        docker(EnvironmentVariables=["DEBUG"]),
        "Spec.Docker.EnvironmentVariables[0]",
        "expected KEY=VALUE",
    ),
    (
        "env empty name",
        docker(EnvironmentVariables=["=1"]),
        "Spec.Docker.EnvironmentVariables[0]",
        "variable name before = must be non-empty",
    ),
    (
        "env as mapping",
        docker(EnvironmentVariables={"A": "1"}),
        "Spec.Docker.EnvironmentVariables",
        "expected a list, got a mapping",
    ),
    ("entrypoint not strings", docker(Entrypoint=["echo", 1]), "Spec.Docker.Entrypoint[1]", "expected a string"),
    ("entrypoint nul", docker(Entrypoint=["echo", "a\x00b"]), "Spec.Docker.Entrypoint[1]", "NUL character"),
    (
        "wasm entry module missing",
        job_with(lambda job: job["Spec"].update(Engine="Wasm", Docker=None, Wasm={})),
        "Spec.Wasm.EntryModule",
        "missing; the Wasm engine needs an entry module",
    ),
    (
        "wasm env empty key",
        wasm(EnvironmentVariables={"": "x"}),
        "Spec.Wasm.EnvironmentVariables",
        "a variable name is empty",
    ),
    (
        "wasm env nul",
        wasm(EnvironmentVariables={"A\x00": "x"}),
        "Spec.Wasm.EnvironmentVariables['A\\x00']",
        "cannot contain NUL",
    ),
    (
        "wasm env number",
        wasm(EnvironmentVariables={"PORT": 80}),
        "Spec.Wasm.EnvironmentVariables['PORT']",
        "quote the value",
    ),
    (
        "wasm module inline not data",
        wasm(EntryModule={"StorageSource": "Inline", "URL": "https://x.org/a.wasm"}),
        "Spec.Wasm.EntryModule.URL",
        "must be a data: URL",
    ),
    ("wasm entry point space", wasm(EntryPoint=" _start"), "Spec.Wasm.EntryPoint", "exported function"),
    # Resources.
    ("cpu fraction of millicore", spec(Resources={"CPU": "1.5m"}), "Spec.Resources.CPU", "invalid CPU amount"),
    ("cpu words", spec(Resources={"CPU": "two"}), "Spec.Resources.CPU", "cores (1, 0.5) or whole millicores"),
    ("memory unknown unit", spec(Resources={"Memory": "1Gx"}), "Spec.Resources.Memory", "unknown unit 'Gx'"),
    (
        "memory partial byte",
        spec(Resources={"Memory": "0.3Gb"}),
        "Spec.Resources.Memory",
        "not a whole number of bytes",
    ),
    ("disk garbage", spec(Resources={"Disk": "lots"}), "Spec.Resources.Disk", "invalid size"),
    ("gpu fraction", spec(Resources={"GPU": "0.5"}), "Spec.Resources.GPU", "use a whole number"),
    ("memory huge", spec(Resources={"Memory": "99999999Eb"}), "Spec.Resources.Memory", "larger than 2^64-1"),
    ("resources list", spec(Resources=["1"]), "Spec.Resources", "expected a mapping"),
    # Timeout.
    ("timeout fraction", spec(Timeout=1.5), "Spec.Timeout", "whole number of seconds"),
    ("timeout negative", spec(Timeout=-1), "Spec.Timeout", "must be 0 or more seconds"),
    ("timeout string", spec(Timeout="60"), "Spec.Timeout", "expected a whole number, got a string"),
    ("timeout too large", spec(Timeout=2**64), "Spec.Timeout", "out of range"),
    # Deal.
    ("concurrency zero", spec(Deal={"Concurrency": 0}), "Spec.Deal.Concurrency", "must be at least 1"),
    ("concurrency negative", spec(Deal={"Concurrency": -3}), "Spec.Deal.Concurrency", "must be at least 1"),
    (
        "targeting with concurrency",
        spec(Deal={"Concurrency": 2, "TargetingMode": True}),
        "Spec.Deal.Concurrency",
        "must be 0 or 1 when TargetingMode is true",
    ),
    (
        "concurrency above cap",
        spec(Deal={"Concurrency": MAX_DEAL_CONCURRENCY + 1}),
        "Spec.Deal.Concurrency",
        f"must be at most {MAX_DEAL_CONCURRENCY}",
    ),
    ("targeting not bool", spec(Deal={"TargetingMode": "yes"}), "Spec.Deal.TargetingMode", "expected true or false"),
    # Network.
    ("network unknown type", spec(Network={"Type": "Partial"}), "Spec.Network.Type", "valid values: None, Full, HTTP"),
    (
        "domains without http",
        spec(Network={"Domains": ["example.com"]}),
        "Spec.Network.Domains",
        "Network.Type is None",
    ),
    (
        "domain invalid",
        spec(Network={"Type": "HTTP", "Domains": ["exa mple"]}),
        "Spec.Network.Domains[0]",
        "invalid domain",
    ),
    (
        "domain upper case",
        spec(Network={"Type": "HTTP", "Domains": ["Example.com"]}),
        "Spec.Network.Domains[0]",
        "must be lower case",
    ),
    (
        "domain cidr",
        spec(Network={"Type": "HTTP", "Domains": ["10.0.0.0/8"]}),
        "Spec.Network.Domains[0]",
        "CIDR ranges are not supported",
    ),
    # Node selectors.
    ("selector operator unknown", selector(Operator="~"), "Spec.NodeSelectors[0].Operator", "unknown operator"),
    (
        "selector key missing",
        spec(NodeSelectors=[{"Operator": "exists"}]),
        "Spec.NodeSelectors[0].Key",
        "missing; a node selector needs a label Key",
    ),
    ("selector key invalid", selector(Key="-zone"), "Spec.NodeSelectors[0].Key", "invalid label key"),
    ("selector key prefix", selector(Key="Bad_Prefix/zone"), "Spec.NodeSelectors[0].Key", "prefix before /"),
    (
        "selector in without values",
        selector(Operator="in", Values=[]),
        "Spec.NodeSelectors[0].Values",
        "needs at least one value",
    ),
    (
        "selector equals two values",
        selector(Values=["a", "b"]),
        "Spec.NodeSelectors[0].Values",
        "needs exactly one value, got 2",
    ),
    ("selector exists with value", selector(Operator="exists"), "Spec.NodeSelectors[0].Values", "takes no values"),
    (
        "selector gt not integer",
        selector(Operator="gt", Values=["ten"]),
        "Spec.NodeSelectors[0].Values[0]",
        "compares integers",
    ),
    ("selector value invalid", selector(Values=["a b"]), "Spec.NodeSelectors[0].Values[0]", "invalid label value"),
    # Publisher.
    ("publisher unknown", spec(PublisherSpec={"Type": "Dropbox"}), "Spec.PublisherSpec.Type", "unknown value"),
    ("publisher disagree", spec(Publisher="S3"), "Spec.Publisher", "disagrees with Spec.PublisherSpec.Type"),
    (
        "publisher params without type",
        spec(PublisherSpec={"Params": {"Bucket": "b"}}),
        "Spec.PublisherSpec.Type",
        "missing; Params need a publisher Type",
    ),
    (
        "s3 publisher without bucket",
        spec(PublisherSpec={"Type": "S3", "Params": {"Key": "k"}}),
        "Spec.PublisherSpec.Params.Bucket",
        "missing; the S3 publisher needs Params.Bucket",
    ),
    # Storage sources.
    (
        "input source missing",
        one_input({"CID": CID, "Path": "/in"}),
        "Spec.Inputs[0].StorageSource",
        "missing; set one of IPFS",
    ),
    ("input source unknown", first_input(StorageSource="Dropbox"), "Spec.Inputs[0].StorageSource", "unknown value"),
    (
        "ipfs without cid",
        one_input({"StorageSource": "IPFS", "Path": "/in"}),
        "Spec.Inputs[0].CID",
        "IPFS data is addressed by its content ID",
    ),
    ("ipfs bad cid", first_input(CID="not-a-cid"), "Spec.Inputs[0].CID", "not an IPFS CID"),
    (
        "url without url",
        one_input({"StorageSource": "URLDownload", "Path": "/in"}),
        "Spec.Inputs[0].URL",
        "missing; URLDownload needs an http or https URL",
    ),
    (
        "url ftp",
        one_input({"StorageSource": "URLDownload", "URL": "ftp://x.org/a.csv", "Path": "/in"}),
        "Spec.Inputs[0].URL",
        "must be an http or https URL",
    ),
    (
        "url no file name",
        one_input({"StorageSource": "URLDownload", "URL": "https://x.org/dir/", "Path": "/in"}),
        "Spec.Inputs[0].URL",
        "must end in a file name",
    ),
    (
        "s3 without bucket",
        one_input({"StorageSource": "S3", "S3": {"Key": "a"}, "Path": "/in"}),
        "Spec.Inputs[0].S3.Bucket",
        "missing; S3 data needs at least a Bucket",
    ),
    (
        "inline bad base64",
        one_input({"StorageSource": "Inline", "URL": "data:;base64,@@@", "Path": "/in"}),
        "Spec.Inputs[0].URL",
        "base64 data after the comma is invalid",
    ),
    (
        "local without source path",
        one_input({"StorageSource": "LocalDirectory", "Path": "/in"}),
        "Spec.Inputs[0].SourcePath",
        "missing; LocalDirectory needs the host folder",
    ),
    (
        "local relative source path",
        one_input({"StorageSource": "LocalDirectory", "SourcePath": "data", "Path": "/in"}),
        "Spec.Inputs[0].SourcePath",
        "must be an absolute host path",
    ),
    (
        "repo without url",
        one_input({"StorageSource": "RepoClone", "Path": "/in"}),
        "Spec.Inputs[0].Repo",
        "missing; RepoClone needs the URL",
    ),
    (
        "repo bad scheme",
        one_input({"StorageSource": "RepoClone", "Repo": "file:///src", "Path": "/in"}),
        "Spec.Inputs[0].Repo",
        "must be a repository URL",
    ),
    ("read write not bool", first_input(ReadWrite="true"), "Spec.Inputs[0].ReadWrite", "expected true or false"),
    # Mounts and outputs.
    ("input path missing", first_input(Path=None), "Spec.Inputs[0].Path", "missing; the mount point"),
    ("input path relative", first_input(Path="inputs"), "Spec.Inputs[0].Path", "must be an absolute path"),
    ("input path dot dot", first_input(Path="/inputs/../etc"), "Spec.Inputs[0].Path", "must not contain .. segments"),
    ("input path root", first_input(Path="/"), "Spec.Inputs[0].Path", "cannot mount over the root folder"),
    (
        "two mounts one path",
        first_input(Path="/outputs/"),
        "Spec.Outputs[0].Path",
        "/outputs is already the mount point of Spec.Inputs[0].Path",
    ),
    (
        "output name missing",
        spec(Outputs=[{"Path": "/outputs"}]),
        "Spec.Outputs[0].Name",
        "missing; an output needs a Name",
    ),
    (
        "output name slash",
        spec(Outputs=[{"Name": "a/b", "Path": "/outputs"}]),
        "Spec.Outputs[0].Name",
        "must be a plain folder name",
    ),
    (
        "output names repeat",
        spec(Outputs=[{"Name": "out", "Path": "/a"}, {"Name": "out", "Path": "/b"}]),
        "Spec.Outputs[1].Name",
        "duplicate output name; Spec.Outputs[0].Name already uses it",
    ),
    (
        "output path missing",
        spec(Outputs=[{"Name": "out"}]),
        "Spec.Outputs[0].Path",
        "missing; the folder inside the job",
    ),
    ("inputs not list", spec(Inputs={"CID": CID}), "Spec.Inputs", "expected a list, got a mapping"),
    ("null in list", spec(Outputs=[None]), "Spec.Outputs[0]", "null is not allowed in this list"),
    # Metadata.
    (
        "created at naive",
        job_with(lambda job: job.update(Metadata={"CreatedAt": "2023-08-07T12:00:00"})),
        "Metadata.CreatedAt",
        "RFC 3339 time with a time zone",
    ),
    (
        "client id twice",
        job_with(lambda job: job.update(ClientID="a", Metadata={"ClientID": "b"})),
        "ClientID",
        "differs from Metadata.ClientID",
    ),
    # Legacy fields that cannot be kept.
    (
        "language engine in use",
        spec(Language={"Language": "python", "Command": "x"}),
        "Spec.Language",
        "Language engine was removed",
    ),
    ("sharding with glob", spec(Sharding={"GlobPattern": "*.csv"}), "Spec.Sharding", "input sharding (GlobPattern)"),
    (
        "engine spec disagrees",
        spec(EngineSpec={"Type": "wasm", "Params": {}}),
        "Spec.EngineSpec",
        "disagrees with Spec.Engine",
    ),
    (
        "engine spec rawexec",
        job_with(lambda job: job["Spec"].pop("Engine") and job["Spec"].update(EngineSpec={"Type": "rawexec"})),
        "Spec.EngineSpec.Type",
        "rawexec is an experimental engine",
    ),
    # Caps.
    (
        "string too long",
        docker(Image="u" * (MAX_STRING_CHARS + 1)),
        "Spec.Docker.Image",
        f"longer than the limit of {MAX_STRING_CHARS} characters",
    ),
    (
        "list too long",
        docker(Parameters=["x"] * (MAX_LIST_ITEMS + 1)),
        "Spec.Docker.Parameters",
        f"more than {MAX_LIST_ITEMS} items",
    ),
    ("payload too large", b" " * (MAX_PAYLOAD_BYTES + 1), "", "larger than the 10 MiB limit"),
    (
        "params too deep",
        spec(PublisherSpec={"Type": "Ipfs", "Params": {"a": nested_list(40)}}),
        "Spec.PublisherSpec.Params.a" + "[0]" * 29,
        "nested more than 32 levels deep",
    ),
]


def test_table_is_large() -> None:
    assert len(CASES) >= 50
    assert len({case_id for case_id, *_ in CASES}) == len(CASES)


@pytest.mark.parametrize(("document", "path", "needle"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_rule_rejects(document: Any, path: str, needle: str) -> None:
    with pytest.raises(SpecValidationError) as caught:
        parse_job(document)

    matching = [error for error in caught.value.errors if error.path == path]
    assert matching, f"no error at {path!r}; got {[str(error) for error in caught.value.errors]}"
    assert any(needle in error.message for error in matching), [error.message for error in matching]


def test_base_job_is_valid() -> None:
    parsed = parse_job(BASE)
    assert parsed.warnings == []


def test_all_errors_reported_at_once() -> None:
    document = spec(Timeout=-1, Deal={"Concurrency": 0}, Resources={"GPU": "x"}, Engine="podman")
    with pytest.raises(SpecValidationError) as caught:
        parse_job(document)
    paths = {error.path for error in caught.value.errors}
    assert {"Spec.Timeout", "Spec.Deal.Concurrency", "Spec.Resources.GPU", "Spec.Engine"} <= paths


def test_error_keeps_value_as_given() -> None:
    with pytest.raises(SpecValidationError) as caught:
        parse_job(first_input(Path="inputs"))
    (error,) = caught.value.errors
    assert error.value == "inputs"
    assert "Spec.Inputs[0].Path: must be an absolute path" in str(caught.value)


def test_invalid_field_reported_once() -> None:
    with pytest.raises(SpecValidationError) as caught:
        parse_job(docker(Image=42))
    assert [error.path for error in caught.value.errors] == ["Spec.Docker.Image"]
    assert caught.value.errors[0].message == "expected a string, got a number"
