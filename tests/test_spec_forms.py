"""Every input form of the same job gives the same canonical job."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from modeljob.errors import SpecValidationError
from modeljob.spec import (
    Engine,
    ModelJob,
    Network,
    Publisher,
    SelectionOperator,
    StorageSourceType,
    dump_job,
    dump_job_json,
    job_json_schema,
    load_canonical,
    parse_job,
)

CID = "QmeeEB1YMrG6K8z43VdsdoYmQV46gAPQCHotZs9pwusCm9"

WIRE: dict[str, Any] = {
    "APIVersion": "V1beta1",
    "Metadata": {"ClientID": "c0ffee", "CreatedAt": "2023-08-07T12:00:00.123456789Z"},
    "Spec": {
        "Engine": "Docker",
        "PublisherSpec": {"Type": "Ipfs"},
        "Docker": {
            "Image": "ubuntu:22.04",
            "Entrypoint": ["/bin/sh", "-c"],
            "Parameters": ["echo $HOME"],
            "EnvironmentVariables": ["A=1"],
            "WorkingDirectory": "/work",
        },
        "Resources": {"CPU": "500m", "Memory": "1Gi", "Disk": "2Gb", "GPU": "1"},
        "Network": {"Type": "HTTP", "Domains": ["example.com"]},
        "Timeout": 1800,
        "Inputs": [
            {"StorageSource": "IPFS", "Name": "data", "CID": CID, "Path": "/inputs"},
            {"StorageSource": "URLDownload", "URL": "https://example.com/a.csv", "Path": "/csv"},
            {"StorageSource": "S3", "S3": {"Bucket": "b", "Key": "k/", "Region": "eu-west-1"}, "Path": "/s3"},
        ],
        "Outputs": [{"StorageSource": "IPFS", "Name": "outputs", "Path": "/outputs"}],
        "Annotations": ["demo"],
        "NodeSelectors": [{"Key": "zone", "Operator": "in", "Values": ["a", "b"]}],
        "DoNotTrack": True,
        "Deal": {"Concurrency": 2},
    },
}

SNAKE: dict[str, Any] = {
    "api_version": "v1beta1",
    "metadata": {"client_id": "c0ffee", "created_at": "2023-08-07T14:00:00.123456+02:00"},
    "spec": {
        "engine": "docker",
        "publisher_spec": {"type": "ipfs"},
        "docker": {
            "image": "ubuntu:22.04",
            "entrypoint": ["/bin/sh", "-c"],
            "parameters": ["echo $HOME"],
            "environment_variables": ["A=1"],
            "working_directory": "/work",
        },
        "resources": {"cpu": "500m", "memory": "1Gi", "disk": "2Gb", "gpu": "1"},
        "network": {"type": "http", "domains": ["example.com"]},
        "timeout": 1800.0,
        "inputs": [
            {"storage_source": "ipfs", "name": "data", "cid": CID, "path": "/inputs"},
            {"storage_source": "urldownload", "url": "https://example.com/a.csv", "path": "/csv"},
            {"storage_source": "s3", "s3": {"bucket": "b", "key": "k/", "region": "eu-west-1"}, "path": "/s3"},
        ],
        "outputs": [{"storage_source": "IPFS", "name": "outputs", "path": "/outputs"}],
        "annotations": ["demo"],
        "node_selectors": [{"key": "zone", "operator": "in", "values": ["a", "b"]}],
        "do_not_track": True,
        "deal": {"concurrency": 2, "targeting_mode": False},
    },
}


def _rename_keys(value: Any, rename: Any) -> Any:
    if isinstance(value, dict):
        # Free-form maps keep their keys; only field names change.
        return {rename(key): _rename_keys(item, rename) for key, item in value.items()}
    if isinstance(value, list):
        return [_rename_keys(item, rename) for item in value]
    return value


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]


def _integer_enums() -> dict[str, Any]:
    document = json.loads(json.dumps(WIRE))
    spec = document["Spec"]
    spec["Engine"] = 2
    spec["PublisherSpec"]["Type"] = 2
    spec["Network"]["Type"] = 2
    spec["Inputs"][0]["StorageSource"] = 1
    spec["Inputs"][1]["StorageSource"] = 4
    spec["Inputs"][2]["StorageSource"] = 8
    spec["Outputs"][0]["StorageSource"] = 1
    return document


class SdkModel:
    """A minimal object in the style of bacalhau_apiclient models: snake_case `to_dict()`."""

    def __init__(self, **attributes: Any) -> None:
        self.attributes = attributes

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in self.attributes.items():
            if isinstance(value, SdkModel):
                value = value.to_dict()
            elif isinstance(value, list):
                value = [item.to_dict() if isinstance(item, SdkModel) else item for item in value]
            result[key] = value
        return result


def _sdk_objects() -> SdkModel:
    spec = SNAKE["spec"]
    return SdkModel(
        api_version="V1beta1",
        metadata=SdkModel(**SNAKE["metadata"]),
        spec=SdkModel(
            engine="Docker",
            publisher_spec=SdkModel(type="IPFS"),
            docker=SdkModel(**spec["docker"]),
            resources=SdkModel(**spec["resources"]),
            network=SdkModel(**spec["network"]),
            timeout=1800,
            inputs=[SdkModel(**item) for item in spec["inputs"]],
            outputs=[SdkModel(**item) for item in spec["outputs"]],
            annotations=["demo"],
            node_selectors=[SdkModel(key="zone", operator="in", values=["a", "b"])],
            do_not_track=True,
            deal=SdkModel(concurrency=2),
            wasm=None,
        ),
    )


FORMS: dict[str, Any] = {
    "snake_case": SNAKE,
    "lower case": _rename_keys(WIRE, str.lower),
    "camelCase": _rename_keys(WIRE, _camel),
    "integer enums": _integer_enums(),
    "to_dict objects": _sdk_objects(),
    "job wrapper": {"Job": WIRE},
    "json text": json.dumps(WIRE),
    "json bytes": json.dumps(WIRE).encode(),
    "yaml text": yaml.safe_dump(WIRE),
}


@pytest.fixture(scope="module")
def canonical() -> dict[str, Any]:
    return dump_job(parse_job(WIRE).job)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_form_gives_canonical_job(form: str, canonical: dict[str, Any]) -> None:
    assert dump_job(parse_job(FORMS[form]).job) == canonical


def test_path_source(tmp_path: Path, canonical: dict[str, Any]) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(SNAKE), encoding="utf-8")
    assert dump_job(parse_job(path).job) == canonical


def test_model_source(canonical: dict[str, Any]) -> None:
    job = parse_job(WIRE).job
    assert dump_job(parse_job(job).job) == canonical


def test_canonical_form(canonical: dict[str, Any]) -> None:
    spec = canonical["Spec"]
    assert canonical["APIVersion"] == "V1beta1"
    assert canonical["Metadata"]["CreatedAt"] == "2023-08-07T12:00:00.123456Z"
    assert spec["Engine"] == "Docker"
    assert spec["Publisher"] == "Ipfs"
    assert spec["Network"] == {"Type": "HTTP", "Domains": ["example.com"]}
    assert spec["Inputs"][1]["StorageSource"] == "URLDownload"
    assert spec["Deal"] == {"Concurrency": 2}
    assert "Wasm" not in spec


def test_parsed_attributes() -> None:
    job = parse_job(SNAKE).job
    assert job.spec.engine is Engine.DOCKER
    assert job.spec.publisher_spec is not None
    assert job.spec.publisher_spec.type is Publisher.IPFS
    assert job.spec.network is not None
    assert job.spec.network.type is Network.HTTP
    assert job.spec.inputs[2].storage_source is StorageSourceType.S3
    assert job.spec.node_selectors[0].operator is SelectionOperator.IN
    assert job.spec.timeout == 1800
    assert isinstance(job.spec.timeout, int)
    assert job.metadata.created_at == datetime(2023, 8, 7, 12, 0, 0, 123456, tzinfo=UTC)


def test_resource_properties() -> None:
    resources = parse_job(WIRE).job.spec.resources
    assert resources is not None
    assert resources.cpu_millis == 500
    assert resources.memory_bytes == 1024**3
    assert resources.disk_bytes == 2 * 1024**3
    assert resources.gpu_count == 1


@pytest.mark.parametrize(
    ("memory", "expected_bytes"),
    [("1.5Gb", 3 * 512 * 1024**2), ("1GiB", 1024**3), ("500Mi", 500 * 1024**2), ("2048", 2048), ("1 gb", 1024**3)],
)
def test_memory_spellings_never_zeroed(memory: str, expected_bytes: int) -> None:
    document = json.loads(json.dumps(WIRE))
    document["Spec"]["Resources"] = {"Memory": memory}
    resources = parse_job(document).job.spec.resources
    assert resources is not None
    assert resources.memory_bytes == expected_bytes


@pytest.mark.parametrize(("cpu", "millis"), [("100m", 100), ("0.5", 500), ("2", 2000), (1, 1000)])
def test_cpu_spellings(cpu: Any, millis: int) -> None:
    document = json.loads(json.dumps(WIRE))
    document["Spec"]["Resources"] = {"CPU": cpu}
    resources = parse_job(document).job.spec.resources
    assert resources is not None
    assert resources.cpu_millis == millis


def test_defaults_of_minimal_job() -> None:
    job = parse_job(
        {
            "APIVersion": "v1beta1",
            "Spec": {"Engine": "wasm", "Wasm": {"EntryModule": {"StorageSource": "ipfs", "CID": CID}}},
        }
    ).job
    assert job.spec.deal.concurrency == 1
    assert job.spec.deal.targeting_mode is False
    assert job.metadata.id is None
    assert job.spec.wasm is not None
    assert job.spec.wasm.entry_point is None
    assert job.spec.wasm.parameters == []
    assert job.spec.wasm.environment_variables == {}
    assert job.spec.inputs == []
    assert job.spec.timeout is None
    assert job.spec.publisher_spec is None
    assert dump_job(job) == {
        "APIVersion": "V1beta1",
        "Spec": {
            "Engine": "Wasm",
            "Wasm": {"EntryModule": {"StorageSource": "IPFS", "CID": CID}},
            "Deal": {"Concurrency": 1},
        },
    }


def test_legacy_publisher_warning() -> None:
    document = json.loads(json.dumps(WIRE))
    del document["Spec"]["PublisherSpec"]
    document["Spec"]["Publisher"] = "ipfs"
    parsed = parse_job(document)
    assert parsed.job.spec.publisher_spec is not None
    assert parsed.job.spec.publisher_spec.type is Publisher.IPFS
    assert parsed.warnings == ["Spec.Publisher: deprecated field was converted to Spec.PublisherSpec.Type: Ipfs"]


def test_capitalised_operator_warns() -> None:
    document = json.loads(json.dumps(WIRE))
    document["Spec"]["NodeSelectors"] = [{"Key": "zone", "Operator": "NotIn", "Values": ["a"]}]
    parsed = parse_job(document)
    assert parsed.job.spec.node_selectors[0].operator is SelectionOperator.NOT_IN
    assert parsed.warnings == ["Spec.NodeSelectors[0].Operator: operator 'NotIn' was read as 'notin'; write 'notin'"]


def test_yaml_core_schema_scalars() -> None:
    text = (
        "APIVersion: V1beta1\nMetadata:\n  CreatedAt: 2023-08-07T12:00:00Z\n"
        "Spec:\n  Engine: Noop\n  Annotations: [no, on, 0777]\n"
        "  NodeSelectors:\n  - Key: zone\n    Operator: =\n    Values: [yes]\n"
    )
    job = parse_job(text).job
    assert job.spec.annotations == ["no", "on", "0777"]
    assert job.spec.node_selectors[0].operator is SelectionOperator.EQUALS
    assert job.spec.node_selectors[0].values == ["yes"]
    assert job.metadata.created_at == datetime(2023, 8, 7, 12, 0, tzinfo=UTC)


def test_go_zero_time_means_unset() -> None:
    job = parse_job(
        {
            "APIVersion": "V1beta1",
            "Metadata": {"CreatedAt": "0001-01-01T00:00:00Z", "Requester": {}},
            "Spec": {"Engine": "Noop"},
        }
    ).job
    assert job.metadata.created_at is None
    assert job.metadata.requester is None


def test_load_canonical_matches_parse(canonical: dict[str, Any]) -> None:
    assert load_canonical(canonical) == parse_job(canonical).job


def test_dump_json_round_trip(canonical: dict[str, Any]) -> None:
    job = parse_job(WIRE).job
    assert json.loads(dump_job_json(job)) == canonical


def test_schema_lists_wire_keys() -> None:
    schema = job_json_schema()
    assert schema["required"] == ["Spec", "APIVersion"] or set(schema["required"]) == {"Spec", "APIVersion"}
    spec_schema = schema["$defs"]["ModelSpec"]
    assert "NodeSelectors" in spec_schema["properties"]
    assert spec_schema["additionalProperties"] is False
    assert schema["$defs"]["Engine"]["enum"] == ["Noop", "Docker", "Wasm"]


def test_schema_accepts_canonical_dump(canonical: dict[str, Any]) -> None:
    # The schema's own validator is pydantic: the canonical dump must load as a ModelJob.
    assert isinstance(ModelJob.model_validate(canonical), ModelJob)


def test_unsupported_source_type() -> None:
    with pytest.raises(SpecValidationError) as caught:
        parse_job(42)
    assert caught.value.errors[0].message == "a job must be a mapping with APIVersion and Spec, got a number"


def test_failing_to_dict_is_spec_error() -> None:
    class Broken:
        def to_dict(self) -> dict[str, Any]:
            raise RuntimeError("boom")

    with pytest.raises(SpecValidationError) as caught:
        parse_job(Broken())
    assert "calling to_dict() on Broken failed: boom" in str(caught.value)


def test_file_name_given_as_text() -> None:
    with pytest.raises(SpecValidationError) as caught:
        parse_job("job.yaml")
    assert "pass a pathlib.Path" in caught.value.errors[0].message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecValidationError) as caught:
        parse_job(tmp_path / "absent.yaml")
    assert "cannot read the job file" in caught.value.errors[0].message
