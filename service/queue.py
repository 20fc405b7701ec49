"""Enqueueing moderation jobs on RQ: one job per batch of comment ids, gathered per web process.

Every accepted comment is committed as pending before its 202, so a job is only a reminder to decide
it; the reconciler enqueues again whatever the jobs missed. That is what lets the web process gather
the ids of a few milliseconds into one job: RQ's own bookkeeping costs about 1.7 ms of worker CPU per
job, more than the filters spend on a comment, and the worker reads and writes a batch in one
transaction. Measured in bench/e2e.py (README, "Performance").
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterable, Sequence

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry

logger = logging.getLogger(__name__)

MODERATE_BATCH_JOB = "workers.tasks.moderate_batch"
# Jobs enqueued by earlier versions, one comment each; the workers still run them.
MODERATE_JOB = "workers.tasks.moderate"
# Transient failures (a locked database, a Redis blip) are retried with backoff; after the last
# retry the job fails, its comments stay pending and the reconciler or an operator picks them up.
RETRY = Retry(max=4, interval=[2, 10, 60, 300])


def batch_job_id(comment_ids: Sequence[int]) -> str:
    """Return the RQ job id of a batch: its first comment's id and how many comments it holds."""
    return f"moderate-{comment_ids[0]}-{len(comment_ids)}"


def comment_ids_of(func_name: str | None, args: Sequence) -> list[int]:
    """Return the comment ids a moderation job's arguments name (none for other jobs)."""
    if func_name == MODERATE_BATCH_JOB and args:
        return [int(i) for i in args[0]]
    if func_name == MODERATE_JOB and args:
        return [int(args[0])]
    return []


def enqueue_moderation(redis: Redis, queue_name: str, comment_ids: Iterable[int], batch_size: int = 50) -> bool:
    """Enqueue moderation jobs of at most `batch_size` comments; False when Redis cannot take them."""
    ids = sorted(set(comment_ids))
    if not ids:
        return True
    jobs = [
        Queue.prepare_data(
            MODERATE_BATCH_JOB, (chunk,), job_id=batch_job_id(chunk), retry=RETRY,
            # No result is kept: the decisions are in the database, and storing them costs Redis writes.
            result_ttl=0, failure_ttl=7 * 24 * 3600, timeout=60 + 2 * len(chunk),
        )
        for chunk in (ids[i:i + batch_size] for i in range(0, len(ids), batch_size))
    ]
    try:
        # enqueue_many on a pipeline sends all the jobs in one round trip.
        with redis.pipeline() as pipe:
            Queue(queue_name, connection=redis).enqueue_many(jobs, pipeline=pipe)
            pipe.execute()
        return True
    except RedisError:
        # Fail open: the comments are already committed as pending, so nothing is lost.
        logger.warning("could not enqueue %d comment(s); the reconciler will retry", len(ids))
        return False


class ModerationBatcher:
    """Gathers the ids of comments this process accepted and enqueues them as one job per window.

    `add` returns at once; a background thread enqueues what arrived within `window` seconds of the
    first waiting id, or as soon as `batch_size` ids wait. A window of 0 enqueues inside `add`.
    A process that dies with ids waiting loses only their jobs: the reconciler re-enqueues comments
    that stay pending. Safe across fork: a child starts its own thread on its first `add`.
    """

    _instances: weakref.WeakSet[ModerationBatcher] = weakref.WeakSet()

    def __init__(self, redis: Redis, queue_name: str, window: float, batch_size: int) -> None:
        self.redis, self.queue_name = redis, queue_name
        self.window, self.batch_size = window, max(1, batch_size)
        self._pid: int | None = None
        self._cond = threading.Condition()
        self._waiting: list[int] = []
        self._inflight = 0
        ModerationBatcher._instances.add(self)

    def add(self, comment_id: int) -> None:
        """Have the comment's moderation enqueued (now, or within the window)."""
        if self.window <= 0:
            enqueue_moderation(self.redis, self.queue_name, [comment_id], self.batch_size)
            return
        if self._pid != os.getpid():
            self._start()
        with self._cond:
            self._waiting.append(comment_id)
            # Wake the thread to open a window, or to end it early when the batch is full.
            if len(self._waiting) == 1 or len(self._waiting) >= self.batch_size:
                self._cond.notify_all()

    def flush(self) -> None:
        """Enqueue what is waiting now, and wait for a batch the thread is enqueueing (tests, shutdown)."""
        if self._pid != os.getpid():
            return  # nothing was added in this process
        with self._cond:
            ids, self._waiting = self._waiting, []
            while self._inflight:
                self._cond.wait(1.0)
        enqueue_moderation(self.redis, self.queue_name, ids, self.batch_size)

    @classmethod
    def flush_all(cls) -> None:
        """Flush every batcher of this process."""
        for batcher in list(cls._instances):
            batcher.flush()

    def _start(self) -> None:
        with self._cond:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="moderation-batcher", daemon=True).start()

    @classmethod
    def _reset_in_child(cls) -> None:
        # Right after a fork, before any other thread runs: the parent's thread did not come along, and
        # its lock may have been held at the fork. The waiting ids are the parent's to enqueue.
        for batcher in list(cls._instances):
            batcher._cond = threading.Condition()
            batcher._waiting, batcher._inflight, batcher._pid = [], 0, None

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._waiting:
                    self._cond.wait()
                deadline = time.monotonic() + self.window
                while len(self._waiting) < self.batch_size and (left := deadline - time.monotonic()) > 0:
                    self._cond.wait(left)
                ids, self._waiting = self._waiting, []
                self._inflight += 1
            try:
                enqueue_moderation(self.redis, self.queue_name, ids, self.batch_size)
            except Exception:  # noqa: BLE001 - the thread must live on; the reconciler covers these ids
                logger.exception("enqueueing %d comment(s) failed; the reconciler will retry", len(ids))
            finally:
                with self._cond:
                    self._inflight -= 1
                    self._cond.notify_all()


atexit.register(ModerationBatcher.flush_all)
os.register_at_fork(after_in_child=ModerationBatcher._reset_in_child)


PREVIEW_JOB = "workers.preview.preview_text"


def enqueue_preview(redis: Redis, queue_name: str, site_id: int, text: str) -> str:
    """Enqueue a dry run of a site's filters over a sample text; return the job id to read the result by."""
    from service.exceptions import ServiceUnavailable

    try:
        job = Queue(queue_name, connection=redis).enqueue(
            PREVIEW_JOB, site_id, text, result_ttl=600, failure_ttl=600, job_timeout=30, at_front=True,
            meta={"site_id": site_id},
        )
    except RedisError as err:
        raise ServiceUnavailable("The queue is unavailable; try again.") from err
    return job.id


def preview_result(redis: Redis, job_id: str) -> dict:
    """Return a dry run's result: `{"state": "waiting"}` until a worker has run it."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=redis)
    except (NoSuchJobError, RedisError, ValueError):
        return {"state": "missing"}
    site_id = job.meta.get("site_id")
    status = job.get_status()
    if status == "finished" and isinstance(job.return_value(), dict):
        return {"state": "done", "site_id": site_id, **job.return_value()}
    if status == "failed":
        return {"state": "failed", "site_id": site_id}
    return {"state": "waiting", "site_id": site_id}
