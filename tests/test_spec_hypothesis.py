"""Property tests: any input parses or raises SpecValidationError, and accepted jobs round-trip."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modeljob.errors import SpecValidationError
from modeljob.spec import dump_job, load_canonical, parse_job
from modeljob.spec.fields import FIELD_TABLES

CID = "QmeeEB1YMrG6K8z43VdsdoYmQV46gAPQCHotZs9pwusCm9"
EXAMPLES = 2000

WIRE_KEYS = sorted({field.wire for table in FIELD_TABLES.values() for field in table.values()})
ENUM_WORDS = [
    "Docker",
    "wasm",
    "NOOP",
    "ipfs",
    "S3",
    "URLDownload",
    "inline",
    "None",
    "HTTP",
    "full",
    "in",
    "=",
    "v1beta1",
]

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(ENUM_WORDS)
)
json_keys = st.sampled_from(WIRE_KEYS) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(json_keys, children, max_size=6),
    max_leaves=40,
)
# Documents shaped like a job, so that the deeper parts of the parser are reached.
job_shaped = st.fixed_dictionaries(
    {"APIVersion": st.sampled_from(["V1beta1", "v1beta2", "V1alpha1", 1])},
    optional={"Spec": st.dictionaries(json_keys, json_values, max_size=8), "Metadata": json_values},
)


def _parse_or_reject(source: Any) -> None:
    try:
        parsed = parse_job(source)
    except SpecValidationError as error:
        assert error.errors, "a rejection must list at least one error"
        for item in error.errors:
            assert not item.message.startswith("internal error"), str(error)
        return
    _assert_round_trip(parsed.job)


def _assert_round_trip(job: Any) -> None:
    dumped = dump_job(job)
    again = parse_job(dumped)
    assert again.job == job
    assert again.warnings == []
    assert dump_job(again.job) == dumped
    assert load_canonical(json.loads(json.dumps(dumped))) == job


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values | job_shaped)
def test_any_json_value(document: Any) -> None:
    _parse_or_reject(document)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200).map(bytes))
def test_any_text(text: str | bytes) -> None:
    _parse_or_reject(text)


# Valid jobs in random spellings.


def _spell(key: str) -> st.SearchStrategy[str]:
    """A wire key as clients write it: PascalCase, lower case, camelCase or snake_case."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", key).lower()
    return st.sampled_from([key, key.lower(), key[:1].lower() + key[1:], snake])


def _enum_spelling(value: str, number: int | None) -> st.SearchStrategy[Any]:
    options: list[Any] = [value, value.lower(), value.upper(), f" {value} "]
    if number is not None:
        options.append(number)
    return st.sampled_from(options)


@st.composite
def _mapping(draw: st.DrawFn, fields: dict[str, Any]) -> dict[str, Any]:
    return {draw(_spell(key)): value for key, value in fields.items() if value is not None}


names = st.text(alphabet="abcxyz019_", max_size=10).map(lambda text: "n" + text)
label_values = st.text(alphabet="abcxyz019", max_size=8).map(lambda text: "v" + text)
absolute_paths = st.lists(names, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))
arguments = st.lists(st.text(max_size=15).filter(lambda text: "\x00" not in text and "{{" not in text), max_size=4)
env_entries = st.lists(
    st.tuples(names, st.text(alphabet="abc123 =", max_size=8)).map(lambda pair: f"{pair[0].upper()}={pair[1]}"),
    max_size=3,
)


@st.composite
def storage_inputs(draw: st.DrawFn, path: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["ipfs", "url", "s3", "inline", "local"]))
    fields: dict[str, Any] = {"Path": path, "Name": draw(st.none() | names)}
    if kind == "ipfs":
        fields |= {"StorageSource": draw(_enum_spelling("IPFS", 1)), "CID": CID}
    elif kind == "url":
        fields |= {
            "StorageSource": draw(_enum_spelling("URLDownload", 4)),
            "URL": f"https://example.com/{draw(names)}.csv",
        }
    elif kind == "s3":
        s3 = draw(_mapping({"Bucket": draw(names), "Key": draw(st.none() | names), "Region": "eu-west-1"}))
        fields |= {"StorageSource": draw(_enum_spelling("S3", 8)), "S3": s3}
    elif kind == "inline":
        fields |= {"StorageSource": draw(_enum_spelling("Inline", 6)), "URL": "data:text/plain;base64,SGVsbG8="}
    else:
        fields |= {
            "StorageSource": draw(_enum_spelling("LocalDirectory", 7)),
            "SourcePath": path,
            "ReadWrite": draw(st.booleans()),
        }
    return draw(_mapping(fields))


@st.composite
def valid_jobs(draw: st.DrawFn) -> dict[str, Any]:
    engine = draw(st.sampled_from(["Docker", "Wasm", "Noop"]))
    paths = draw(st.lists(absolute_paths, max_size=4, unique_by=lambda path: path.rstrip("/")))
    split = draw(st.integers(min_value=0, max_value=len(paths)))
    inputs = [draw(storage_inputs(path)) for path in paths[:split]]
    outputs = [draw(_mapping({"Name": f"out{index}", "Path": path})) for index, path in enumerate(paths[split:])]

    spec: dict[str, Any] = {
        "Engine": draw(_enum_spelling(engine, {"Noop": 1, "Docker": 2, "Wasm": 3}[engine])),
        "Inputs": inputs,
        "Outputs": outputs,
        "Annotations": draw(st.lists(names, max_size=2)),
        "Timeout": draw(st.none() | st.integers(min_value=0, max_value=10**6)),
        "DoNotTrack": draw(st.booleans()),
    }
    if engine == "Docker":
        spec["Docker"] = draw(
            _mapping(
                {
                    "Image": draw(st.sampled_from(["ubuntu:22.04", "python:3.11-slim", "alpine"])),
                    "Entrypoint": draw(arguments),
                    "Parameters": draw(arguments),
                    "EnvironmentVariables": draw(env_entries),
                    "WorkingDirectory": draw(st.none() | absolute_paths),
                }
            )
        )
    elif engine == "Wasm":
        module = draw(storage_inputs("/module"))
        module = {key: value for key, value in module.items() if key.lower() != "path"}
        spec["Wasm"] = draw(
            _mapping(
                {
                    "EntryModule": module,
                    "EntryPoint": draw(st.none() | st.sampled_from(["_start", "main"])),
                    "Parameters": draw(arguments),
                    "EnvironmentVariables": draw(
                        st.dictionaries(names, st.text(alphabet="xyz 1", max_size=5), max_size=3)
                    ),
                }
            )
        )
    if draw(st.booleans()):
        publisher = draw(st.sampled_from([("Ipfs", 2), ("Noop", 1), ("Estuary", 3), ("Local", None)]))
        spec["PublisherSpec"] = draw(_mapping({"Type": draw(_enum_spelling(*publisher))}))
    if draw(st.booleans()):
        spec["Resources"] = draw(
            _mapping(
                {
                    "CPU": draw(st.none() | st.sampled_from(["100m", "0.5", "2", ""])),
                    "Memory": draw(st.none() | st.sampled_from(["512Mi", "1.5Gb", "1GiB", "2048"])),
                    "Disk": draw(st.none() | st.sampled_from(["10Gi", "1tb"])),
                    "GPU": draw(st.none() | st.sampled_from(["0", "1", "2"])),
                }
            )
        )
    if draw(st.booleans()):
        network = draw(st.sampled_from([("None", 0), ("Full", 1), ("HTTP", 2)]))
        domains = (
            draw(st.lists(st.sampled_from(["example.com", ".example.org", "10.0.0.1"]), max_size=2))
            if network[0] == "HTTP"
            else []
        )
        spec["Network"] = draw(_mapping({"Type": draw(_enum_spelling(*network)), "Domains": domains}))
    if draw(st.booleans()):
        targeting = draw(st.booleans())
        concurrency = draw(
            st.integers(min_value=0, max_value=1) if targeting else st.integers(min_value=1, max_value=64)
        )
        spec["Deal"] = draw(_mapping({"Concurrency": concurrency, "TargetingMode": targeting}))
    if draw(st.booleans()):
        spec["NodeSelectors"] = [draw(_mapping({"Key": "zone", "Operator": "in", "Values": [draw(label_values)]}))]

    job = {"APIVersion": draw(st.sampled_from(["V1beta1", "v1beta1"])), "Spec": draw(_mapping(spec))}
    if draw(st.booleans()):
        job["Metadata"] = draw(
            _mapping({"ID": draw(names), "ClientID": draw(names), "CreatedAt": "2024-01-02T03:04:05Z"})
        )
    return draw(_mapping(job))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_jobs())
def test_valid_jobs_accepted_and_round_trip(document: dict[str, Any]) -> None:
    parsed = parse_job(document)
    _assert_round_trip(parsed.job)


@settings(max_examples=EXAMPLES // 4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_jobs(), st.sampled_from(["Spec", "Docker", "Inputs"]), json_values)
def test_damaged_jobs(document: dict[str, Any], target: str, damage: Any) -> None:
    spec_key = next(key for key in document if key.lower() == "spec")
    spec = document[spec_key]
    if target == "Spec":
        spec[f"x{len(spec)}"] = damage
    elif target == "Docker":
        spec["Docker"] = damage
    else:
        spec["Inputs"] = damage
    _parse_or_reject(document)
