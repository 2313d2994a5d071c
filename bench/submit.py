"""Measure the submit path: `Producer.submit` against a bare Celery `send_task`.

Both run in the same process against the same private Redis (started here on a free
loopback port), with no worker consuming, so the figures compare the producer's own
cost: parse and validate, one Lua call that stores job, state and history, and the
Celery message.

    python bench/submit.py [--jobs N] [--repeat R]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from celery import Celery

from modeljob.queue import EXECUTE_TASK, make_celery_app
from modeljob.settings import Settings
from modeljob.spec import parse_job
from producer.api import Producer
from producer.embedded import free_loopback_port, start_redis

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "hello-wasm.yaml"


def time_per_call_s(action, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        action()
    return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000, help="submits per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="measurements; the median is reported")
    args = parser.parse_args()

    spec_text = EXAMPLE.read_text()
    with tempfile.TemporaryDirectory() as data_dir:
        private_redis = start_redis(free_loopback_port(), Path(data_dir))
        try:
            url = private_redis.url
            settings = Settings(broker_url=url, key_prefix=f"bench-{uuid.uuid4().hex[:6]}", queue="bench")
            producer = Producer(settings)
            raw_celery: Celery = make_celery_app(settings, main="bench")
            payload = {"spec": spec_text}

            results: dict[str, list[float]] = {"parse_job": [], "Producer.submit": [], "Celery send_task": []}
            for _ in range(args.repeat):
                results["parse_job"].append(time_per_call_s(lambda: parse_job(spec_text), args.jobs))
                results["Producer.submit"].append(time_per_call_s(lambda: producer.submit(spec_text), args.jobs))
                results["Celery send_task"].append(
                    time_per_call_s(
                        lambda: raw_celery.send_task(EXECUTE_TASK, args=[payload], queue="bench"), args.jobs
                    )
                )
        finally:
            private_redis.stop()

    print(f"machine: {platform.machine()}, Python {platform.python_version()}, {args.jobs} calls x {args.repeat}")
    print(f"{'operation':<20} {'per call (ms)':>14} {'calls/s':>10}")
    for name, samples in results.items():
        median_s = statistics.median(samples)
        print(f"{name:<20} {median_s * 1000:>14.3f} {1 / median_s:>10.0f}")
    share = statistics.median(results["parse_job"]) / statistics.median(results["Producer.submit"])
    print(f"validation share of submit: {share:.1%}")


if __name__ == "__main__":
    main()
