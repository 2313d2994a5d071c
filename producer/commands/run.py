"""`modeljob run FILE`: submit a job, wait for it and print its output.

Without MODELJOB_BROKER_URL it starts the embedded default (a private Redis and one
worker) for the duration of the command.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from collections.abc import Iterator

from modeljob.settings import get_settings
from modeljob.state import JobState
from producer.api import JobHandle, JobTimeoutError, Producer
from producer.commands.common import exit_code_of, read_spec_argument, summarize
from producer.embedded import EmbeddedCluster, embedded_cluster

# How often `run` checks that the embedded worker is still alive, in seconds.
WORKER_CHECK_INTERVAL_S = 1.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a job and print its stdout",
        description="Submit a job, wait for it and print its stdout; exit 1 unless it completed. "
        "Without MODELJOB_BROKER_URL a private Redis and worker are started for the run.",
    )
    parser.add_argument("file", help="job spec file (YAML or JSON), or - for standard input")
    parser.add_argument(
        "--timeout", type=float, default=None, metavar="SECONDS", help="give up waiting after this many seconds"
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    spec = read_spec_argument(args.file)
    settings = get_settings()
    # SIGTERM (from `timeout`, `kill` or a CI cancel) unwinds like Ctrl-C does, so the
    # embedded Redis and worker are stopped on the way out.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with _cluster(settings) as cluster:
        producer = Producer(cluster.settings if cluster else settings)
        handle = producer.submit(spec)
        for warning in handle.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        state = _wait(handle, cluster, args.timeout)

        sys.stdout.write(handle.stdout())
        sys.stdout.flush()
        stderr = handle.stderr()
        if stderr:
            sys.stderr.write(stderr)
        code = exit_code_of(state)
        if code != 0:
            print(summarize(state), file=sys.stderr)
        return code


def _exit_on_sigterm(signum: int, frame: object) -> None:
    print("terminated; stopping the job's worker", file=sys.stderr)
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _cluster(settings) -> Iterator[EmbeddedCluster | None]:
    if settings.broker_url:
        yield None
        return
    with embedded_cluster(settings) as cluster:
        yield cluster


def _wait(handle: JobHandle, cluster: EmbeddedCluster | None, timeout_s: float | None) -> JobState:
    if cluster is None:
        return handle.wait(timeout_s)

    # With the embedded worker, wait in slices so that a worker that died at start
    # is reported instead of waited on forever.
    started = time.monotonic()
    while True:
        cluster.check_worker()
        slice_s = WORKER_CHECK_INTERVAL_S
        if timeout_s is not None:
            slice_s = min(slice_s, max(timeout_s - (time.monotonic() - started), 0.0))
        try:
            return handle.wait(slice_s)
        except JobTimeoutError as timed_out:
            if timeout_s is not None and time.monotonic() - started >= timeout_s:
                raise JobTimeoutError(handle.id, timed_out.state, timeout_s) from None
