"""`modeljob describe ID`: print a job, its state and history as Bacalhau shows them."""

from __future__ import annotations

import argparse

from producer.commands.common import OUTPUT_FORMATS, connect, render


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("describe", help="show a job with its state and history")
    parser.add_argument(
        "job_id", metavar="ID", help="job ID printed by submit, or a unique prefix of it (8 characters or more)"
    )
    parser.add_argument("--output", "-o", choices=OUTPUT_FORMATS, default="yaml", help="output format (default: yaml)")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    document = connect().describe(args.job_id)
    print(render(document, args.output), end="" if args.output == "yaml" else "\n")
    return 0
