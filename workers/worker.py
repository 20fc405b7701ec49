"""The RQ worker class of `python -m workers work`: a SimpleWorker that notices death and outages quickly.

RQ's defaults suit long jobs on a forking worker; ours are short batches run in-process, so:

- **A dead worker's job is retried within about 30 s** (RQ's default: the job's timeout plus 60 s, and
  then only when some worker's ten-minute maintenance or the reconciler looks). A SimpleWorker sends
  no heartbeat while a job runs, so the started-job entry has to outlive the whole job; here a thread
  renews it every `HEARTBEAT_INTERVAL` seconds with a TTL of `EXECUTION_TTL`, and maintenance (which
  hands expired entries to RQ's retry, `StartedJobRegistry.cleanup`) runs every `MAINTENANCE_INTERVAL`.
  Killed after its commit, a batch runs once more and decides nothing: jobs are safe to run twice.
- **The scheduler child comes back within seconds after Redis does.** `work(with_scheduler=True)`
  forks an RQ scheduler that dies on a Redis error; the worker starts it again only in maintenance,
  and only once it holds the queue's scheduler lock. A lock whose owner died keeps its 61-second TTL
  (Redis's append-only file brings it back after a restart), so a replacement worker would wait that
  long: a lock whose owner sent no heartbeat for `STALE_SCHEDULER_AFTER` seconds is released first.
- **A dead worker stops counting** as alive in `/metrics` after about a minute, not eight (`WORKER_TTL`).
"""
from __future__ import annotations

import logging
import os
import threading

from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from rq.scripts import release_lock
from rq.utils import now, utcparse
from rq.worker import WorkerStatus

from service.supervisor import die_with_parent

logger = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 5
EXECUTION_TTL = 15
MAINTENANCE_INTERVAL = 10
# The idle wait for a job is WORKER_TTL - 15 s, so maintenance also runs when no job comes.
WORKER_TTL = 20
# An RQ scheduler beats every second; ten seconds of silence means it is dead.
STALE_SCHEDULER_AFTER = 10


class ModerationWorker(SimpleWorker):
    """A SimpleWorker whose running job stays marked alive by a heartbeat thread."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("worker_ttl", WORKER_TTL)
        kwargs.setdefault("maintenance_interval", MAINTENANCE_INTERVAL)
        kwargs.setdefault("job_monitoring_interval", HEARTBEAT_INTERVAL)
        super().__init__(*args, **kwargs)

    def _start_scheduler(self, *args: object, **kwargs: object) -> None:
        release_stale_scheduler_locks(self.connection, self.queue_names())
        super()._start_scheduler(*args, **kwargs)

    def run_maintenance_tasks(self) -> None:
        """Run RQ's maintenance; first free the scheduler lock of a dead scheduler if ours is not running."""
        if self.scheduler and (not self.scheduler._process or not self.scheduler._process.is_alive()):
            release_stale_scheduler_locks(self.connection, self.queue_names())
        super().run_maintenance_tasks()

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        """Return how long the running job's entry lives without a new heartbeat."""
        return EXECUTION_TTL

    def execute_job(self, job: Job, queue: Queue) -> None:
        """Run the job in this process while a thread renews its heartbeat."""
        execution = self.prepare_execution(job)
        done = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job, execution, done), name="job-heartbeat",
                                daemon=True)
        beat.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            done.set()
            beat.join()
        self.set_state(WorkerStatus.IDLE)

    def _beat(self, job: Job, execution: Execution, done: threading.Event) -> None:
        while not done.wait(HEARTBEAT_INTERVAL):
            try:
                self.maintain_heartbeats(job, execution)
            except RedisError:
                # Redis is away: the job goes on; if the entry expires meanwhile, RQ retries the job,
                # which is harmless (a comment is decided once however often its job runs).
                logger.warning("job %s: heartbeat failed", job.id)


def release_stale_scheduler_locks(redis: Redis, queue_names: list[str]) -> list[str]:
    """Release the scheduler locks of queues whose scheduler sent no heartbeat lately; return their names."""
    released = []
    for name in queue_names:
        key = RQScheduler.get_locking_key(name)
        owner = redis.get(key)
        if owner is None:
            continue
        owner = owner.decode() if isinstance(owner, bytes) else owner
        beat = redis.hget(SCHEDULER_KEY_TEMPLATE % owner, "last_heartbeat")
        silent = beat is None or (now() - utcparse(beat.decode())).total_seconds() > STALE_SCHEDULER_AFTER
        if silent and release_lock(redis, key, owner):
            logger.warning("released the scheduler lock of %s: its scheduler %s is gone", name, owner)
            released.append(name)
    return released


def tie_forks_to_this_process() -> None:
    """Have processes this worker forks (its RQ scheduler) die with it, even when it is killed."""
    os.register_at_fork(after_in_child=die_with_parent)


__all__ = ["ModerationWorker", "release_stale_scheduler_locks", "tie_forks_to_this_process"]
