"""RQ's own cost per job: the worker's CPU and round trips for jobs that do nothing.

    python -m bench.rq_job [--jobs 1000]

Enqueues `--jobs` jobs of a built-in function that does nothing worth counting, with the options of the
moderation jobs (no result kept), and runs them with the workers' class (`workers.worker.ModerationWorker`,
a SimpleWorker) in burst mode against an embedded Redis. Prints the worker's CPU per job and Redis's
commands per job: what every moderation job pays before its first comment, and why the web processes
gather comments into batches (`service/queue.py`).
"""
from __future__ import annotations

import argparse
import time

from bench.stack import with_embedded_redis
from service.embedded_redis import EmbeddedRedis


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    args = parser.parse_args()
    with_embedded_redis("moderato-rq-job-", lambda _tmp, redis_server: _run(args.jobs, redis_server))


def _run(jobs: int, redis_server: EmbeddedRedis) -> None:
    from redis import Redis
    from rq import Queue

    from workers.worker import ModerationWorker

    redis = Redis.from_url(redis_server.url)
    queue = Queue("bench-rq-job", connection=redis)
    queue.enqueue_many([Queue.prepare_data("builtins.len", ([],), result_ttl=0, failure_ttl=3600, timeout=60)
                        for _ in range(jobs)])
    worker = ModerationWorker([queue], connection=redis)
    calls_before = _calls(redis)
    cpu = time.process_time()
    worker.work(burst=True, logging_level="WARNING")
    cpu = time.process_time() - cpu
    calls = _calls(redis) - calls_before
    print(f"{jobs} jobs that do nothing, one {type(worker).__name__} in burst mode:")
    print(f"  worker CPU  {cpu * 1000 / jobs:.2f} ms per job")
    print(f"  Redis       {calls / jobs:.0f} commands per job")


def _calls(redis) -> int:  # type: ignore[no-untyped-def]
    return sum(int(v["calls"]) for name, v in redis.info("commandstats").items() if name != "cmdstat_info")


if __name__ == "__main__":
    main()
