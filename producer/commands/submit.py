"""`modeljob submit FILE`: enqueue a job on the configured broker and print its ID."""

from __future__ import annotations

import argparse
import sys

from producer.commands.common import connect, exit_code_of, read_spec_argument, summarize


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("submit", help="submit a job spec and print its ID")
    parser.add_argument("file", help="job spec file (YAML or JSON), or - for standard input")
    parser.add_argument("--wait", action="store_true", help="wait until the job ends; exit 1 unless it completed")
    parser.add_argument(
        "--timeout", type=float, default=None, metavar="SECONDS", help="with --wait, give up after this many seconds"
    )
    parser.add_argument("--id-only", action="store_true", help="print only the job ID on stdout, for scripts")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    spec = read_spec_argument(args.file)
    producer = connect()
    handle = producer.submit(spec)
    for warning in handle.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(handle.id, flush=True)
    if not args.wait:
        return 0

    state = handle.wait(args.timeout)
    print(summarize(state), file=sys.stderr if args.id_only else sys.stdout)
    return exit_code_of(state)
