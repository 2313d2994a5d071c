"""Producer.submit: the forms a spec may take, and what is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeljob.errors import ModelJobError
from producer.api import SpecFileNotFoundError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOOP_YAML = "APIVersion: V1beta1\nSpec:\n  Engine: Noop\n"


def test_path_string_is_read(producer):
    handle = producer.submit(str(EXAMPLES / "noop.yaml"))
    assert handle.wait(60).state.value == "Completed"


@pytest.mark.parametrize(
    "spec",
    [NOOP_YAML, {"APIVersion": "V1beta1", "Spec": {"Engine": "Noop"}}, EXAMPLES / "noop.yaml"],
    ids=["yaml-text", "dict", "path"],
)
def test_spec_forms_are_accepted(producer, spec):
    handle = producer.submit(spec)
    assert handle.wait(60).state.value == "Completed"
    assert handle.describe()["Job"]["Spec"]["Engine"] == "Noop"


def test_missing_spec_file_raises(producer):
    with pytest.raises(SpecFileNotFoundError, match="spec file not found: no/such/job.yaml"):
        producer.submit("no/such/job.yaml")
    assert issubclass(SpecFileNotFoundError, ModelJobError)


def test_warnings_reach_the_handle(producer):
    spec = {"APIVersion": "V1beta1", "Spec": {"Engine": "Noop", "Publisher": "noop", "Verifier": "Noop"}}
    handle = producer.submit(spec)

    assert any("Spec.Verifier" in warning for warning in handle.warnings)
    assert any("Spec.Publisher" in warning for warning in handle.warnings)
    assert handle.wait(60).state.value == "Completed"
