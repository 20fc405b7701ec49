"""The worker class: a dead worker's job is handed back within EXECUTION_TTL, not its timeout plus 60 s."""
from __future__ import annotations

import signal
import subprocess
import sys
import time

from rq import Queue, Retry
from rq.job import JobStatus
from rq.registry import StartedJobRegistry

from service.config import PROJECT_ROOT
from workers.worker import EXECUTION_TTL, HEARTBEAT_INTERVAL, release_stale_scheduler_locks

WORKER = """
import sys
from redis import Redis
from rq import Queue
from workers.worker import ModerationWorker
redis = Redis.from_url(sys.argv[1])
ModerationWorker([Queue("moderation", connection=redis)], connection=redis).work(burst=True)
"""


def _wait(predicate, what: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


def test_a_killed_workers_job_is_retried_after_seconds_not_its_timeout(redis_server, redis_client):
    queue = Queue("moderation", connection=redis_client)
    # A long job timeout, as a batch of 50 has (160 s): RQ alone would wait 220 s before a retry.
    job = queue.enqueue("time.sleep", 60, job_timeout=160, retry=Retry(max=2, interval=[2]))
    worker = subprocess.Popen([sys.executable, "-c", WORKER, redis_server.url], cwd=PROJECT_ROOT)
    try:
        registry = StartedJobRegistry(queue=queue)
        _wait(lambda: registry.get_job_ids(cleanup=False), "the job to start")
        first = max(score for _, score in redis_client.zrange(registry.key, 0, -1, withscores=True))
        assert first - time.time() <= EXECUTION_TTL + 1
        # The heartbeat thread renews the entry while the job runs.
        time.sleep(HEARTBEAT_INTERVAL + 1)
        renewed = max(score for _, score in redis_client.zrange(registry.key, 0, -1, withscores=True))
        assert renewed > first
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        # Nothing renews it now: EXECUTION_TTL seconds on, RQ's clean-up (any worker's maintenance, every
        # 10 s, or the reconciler) hands the job to its retry.
        registry.cleanup(timestamp=time.time() + EXECUTION_TTL + 1)
        job.refresh()
        assert job.get_status() in (JobStatus.SCHEDULED, JobStatus.QUEUED)
        assert job.retries_left == 1
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_the_scheduler_lock_of_a_dead_scheduler_is_released(redis_client):
    redis_client.set("rq:scheduler-lock:moderation", "gone", ex=61)
    assert release_stale_scheduler_locks(redis_client, ["moderation"]) == ["moderation"]
    assert redis_client.get("rq:scheduler-lock:moderation") is None


def test_the_scheduler_lock_of_a_live_scheduler_is_kept(redis_client):
    from rq.utils import now, utcformat

    redis_client.set("rq:scheduler-lock:moderation", "alive", ex=61)
    redis_client.hset("rq:scheduler:alive", "last_heartbeat", utcformat(now()))
    assert release_stale_scheduler_locks(redis_client, ["moderation"]) == []
    assert redis_client.get("rq:scheduler-lock:moderation") == b"alive"
