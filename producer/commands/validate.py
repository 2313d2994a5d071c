"""`modeljob validate FILE...`: check job specs without submitting them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from modeljob.admission import check_deployment_limits
from modeljob.errors import SpecValidationError
from modeljob.settings import get_settings
from modeljob.spec import Engine, ModelJob, parse_job

STDIN_NAME = "-"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check job specs and print every problem found; exit 1 if any spec is invalid",
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="job spec file (YAML or JSON), or - for standard input"
    )
    parser.add_argument(
        "--output",
        choices=("text", "json"),
        default="text",
        help="text: one line per file and per error; json: one JSON document listing every file",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    results = [_validate(name) for name in args.files]

    for result in results:
        for warning in result["warnings"]:
            print(f"{result['file']}: warning: {warning}", file=sys.stderr)

    if args.output == "json":
        print(json.dumps(results, indent=2, default=str))
    else:
        for result in results:
            _print_text(result)
    return 0 if all(result["valid"] for result in results) else 1


def _validate(name: str) -> dict[str, Any]:
    source: Any = sys.stdin.buffer.read() if name == STDIN_NAME else Path(name)
    try:
        parsed = parse_job(source, source_name=name)
        check_deployment_limits(parsed.job, get_settings(), source=name)
    except SpecValidationError as error:
        errors = [{"path": item.path, "message": item.message, "value": item.value} for item in error.errors]
        return {"file": name, "valid": False, "summary": None, "errors": errors, "warnings": []}
    return {"file": name, "valid": True, "summary": summarize(parsed.job), "errors": [], "warnings": parsed.warnings}


def _print_text(result: dict[str, Any]) -> None:
    if result["valid"]:
        print(f"{result['file']}: valid ({result['summary']})")
        return
    count = len(result["errors"])
    print(f"{result['file']}: invalid, {count} error{'s' if count != 1 else ''}:")
    for error in result["errors"]:
        where = error["path"] or "(document)"
        value_text = "" if error["value"] is None else f" (value: {error['value']!r})"
        print(f"  {where}: {error['message']}{value_text}")


def summarize(job: ModelJob) -> str:
    """Describe a valid job in one line: engine, program, data, publisher and deal."""
    spec = job.spec
    parts = [spec.engine.value]
    if spec.engine is Engine.DOCKER and spec.docker is not None:
        parts[0] = f"Docker {spec.docker.image}"
    elif spec.engine is Engine.WASM and spec.wasm is not None and spec.wasm.entry_module is not None:
        module = spec.wasm.entry_module
        parts[0] = f"Wasm module from {module.storage_source.value if module.storage_source else 'unknown source'}"

    parts.append(_count(len(spec.inputs), "input"))
    parts.append(_count(len(spec.outputs), "output"))
    if spec.publisher_spec is not None and spec.publisher_spec.type is not None:
        parts.append(f"publisher {spec.publisher_spec.type.value}")
    if spec.deal.targeting_mode:
        parts.append("on every matching node")
    else:
        parts.append(f"concurrency {spec.deal.concurrency}")
    if spec.timeout:
        parts.append(f"timeout {spec.timeout} s")
    if spec.network is not None:
        parts.append(f"network {spec.network.type.value}")
    return ", ".join(parts)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
