"""The `modeljob` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from importlib import metadata

import kombu.exceptions
import pydantic
import redis

from modeljob import logs
from modeljob.errors import ModelJobError
from modeljob.settings import get_settings, redact_url
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
    except (redis.ConnectionError, redis.TimeoutError, kombu.exceptions.OperationalError) as error:
        print(f"error: {_connection_hint(error)}", file=sys.stderr)
        return 1
    except redis.RedisError as error:
        print(f"error: Redis rejected the request: {error}", file=sys.stderr)
        return 1
    except pydantic.ValidationError as error:
        # Invalid MODELJOB_* settings; pydantic names the variable's field.
        problems = "; ".join(str(detail["msg"]).removeprefix("Value error, ") for detail in error.errors())
        print(f"error: invalid settings: {problems}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _connection_hint(error: Exception) -> str:
    settings = get_settings()
    url = settings.effective_store_url or settings.broker_url or "(none)"
    return (
        f"cannot reach Redis at {redact_url(url)}: {error}; check that the server runs "
        "and that MODELJOB_BROKER_URL (and MODELJOB_STORE_URL, if set) point at it"
    )


if __name__ == "__main__":
    sys.exit(main())
