"""The `modeljob` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from importlib import metadata

from modeljob import logs
from modeljob.errors import ModelJobError
from producer.commands import describe, run, schema, submit, validate

COMMANDS = (run, submit, describe, validate, schema)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modeljob",
        description="Validate Bacalhau v1beta1 job specs and run them on a Celery fleet.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {metadata.version('modeljob')}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(logging.INFO if args.verbose else logging.WARNING)
    try:
        return args.func(args)
    except ModelJobError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
