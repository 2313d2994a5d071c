"""The `validate` and `schema` subcommands, run through argparse."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import pytest

from producer.commands import schema, validate

VALID_JOB = """\
APIVersion: V1beta1
Spec:
  Engine: Docker
  Publisher: ipfs
  Docker:
    Image: ubuntu:22.04
    Entrypoint: [echo, hello]
  Outputs:
    - Name: outputs
      Path: /outputs
"""

INVALID_JOB = """\
Spec:
  Engine: Docker
  Docker:
    WorkingDirectory: work
"""


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="modeljob")
    subparsers = parser.add_subparsers(required=True)
    validate.register(subparsers)
    schema.register(subparsers)
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def valid_file(tmp_path: Path) -> Path:
    path = tmp_path / "valid.yaml"
    path.write_text(VALID_JOB, encoding="utf-8")
    return path


@pytest.fixture
def invalid_file(tmp_path: Path) -> Path:
    path = tmp_path / "invalid.yaml"
    path.write_text(INVALID_JOB, encoding="utf-8")
    return path


def test_valid_file_exit_zero(valid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", str(valid_file)]) == 0
    captured = capsys.readouterr()
    assert captured.out == (
        f"{valid_file}: valid (Docker ubuntu:22.04, 0 inputs, 1 output, publisher Ipfs, concurrency 1)\n"
    )
    assert f"{valid_file}: warning: Spec.Publisher: deprecated field" in captured.err


def test_invalid_file_lists_every_error(invalid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", str(invalid_file)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{invalid_file}: invalid, 3 errors:"
    assert "  APIVersion: missing; add APIVersion: V1beta1 at the top of the job" in lines
    assert "  Spec.Docker.Image: missing; the Docker engine needs an image such as ubuntu:22.04" in lines
    assert "  Spec.Docker.WorkingDirectory: must be an absolute path starting with / (value: 'work')" in lines


def test_one_invalid_file_fails_all(valid_file: Path, invalid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", str(valid_file), str(invalid_file)]) == 1
    out = capsys.readouterr().out
    assert f"{valid_file}: valid" in out
    assert f"{invalid_file}: invalid" in out


def test_missing_file_is_invalid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "absent.yaml"
    assert run(["validate", str(missing)]) == 1
    assert "cannot read the job file" in capsys.readouterr().out


def test_json_output(valid_file: Path, invalid_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["validate", "--output", "json", str(valid_file), str(invalid_file)]) == 1
    results = json.loads(capsys.readouterr().out)
    assert [result["valid"] for result in results] == [True, False]
    assert results[0]["summary"].startswith("Docker ubuntu:22.04")
    assert results[0]["warnings"] == ["Spec.Publisher: deprecated field was converted to Spec.PublisherSpec.Type: Ipfs"]
    paths = [error["path"] for error in results[1]["errors"]]
    assert paths == ["APIVersion", "Spec.Docker.Image", "Spec.Docker.WorkingDirectory"]
    assert results[1]["errors"][2]["value"] == "work"


def test_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(VALID_JOB.encode())))
    assert run(["validate", "-"]) == 0
    assert capsys.readouterr().out.startswith("-: valid (Docker ubuntu:22.04")


def test_schema_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schema"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "Spec" in document["properties"]
    assert "ModelStorageSpec" in document["$defs"]
