"""Enqueueing moderation jobs on RQ, by dotted path and comment id."""
from __future__ import annotations

import logging

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry

logger = logging.getLogger(__name__)

MODERATE_JOB = "workers.tasks.moderate"
# Transient failures (a locked database, a Redis blip) are retried with backoff; after the last
# retry the job fails, the comment stays pending and the reconciler or an operator picks it up.
RETRY = Retry(max=4, interval=[2, 10, 60, 300])


def job_id_for(comment_id: int) -> str:
    """Return the RQ job id of a comment's moderation job; one id per comment makes re-enqueueing safe."""
    return f"moderate-{comment_id}"


def enqueue_moderation(redis: Redis, queue_name: str, comment_id: int) -> bool:
    """Enqueue the moderation job; return False when Redis cannot take it (the reconciler will)."""
    try:
        # enqueue_many on a pipeline sends the job in one round trip instead of enqueue's two.
        job = Queue.prepare_data(
            MODERATE_JOB, (comment_id,), job_id=job_id_for(comment_id), retry=RETRY,
            # No result is kept: the decision is in the database, and storing it costs Redis writes per job.
            result_ttl=0, failure_ttl=7 * 24 * 3600, timeout=60,
        )
        with redis.pipeline() as pipe:
            Queue(queue_name, connection=redis).enqueue_many([job], pipeline=pipe)
            pipe.execute()
        return True
    except RedisError:
        # Fail open: the comment is already committed as pending, so nothing is lost.
        logger.warning("could not enqueue comment %s; the reconciler will retry", comment_id)
        return False


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
