"""`modeljob schema`: print the JSON Schema of the canonical job form."""

from __future__ import annotations

import argparse
import json

from modeljob.spec import job_json_schema


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of a job in canonical form (validate also accepts older and looser spellings)",
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    print(json.dumps(job_json_schema(), indent=2))
    return 0
