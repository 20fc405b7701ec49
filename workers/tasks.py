"""RQ jobs. Each takes ids, reads what it needs, and is safe to run twice."""
from __future__ import annotations

import logging
from datetime import timedelta

from redis.exceptions import RedisError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from sqlalchemy import bindparam, select

from service.bans import apply_ban
from service.comments import ThreadCache
from service.models import Comment, CommentStatus, Site, Thread, utcnow
from service.moderation import record_filter_decision
from service.queue import enqueue_moderation, job_id_for
from service.signals import comment_decided
from workers.context import WorkerContext, worker_context
from workers.filters.base import Action, CommentInput

logger = logging.getLogger(__name__)

_STATUS_FOR_ACTION = {
    Action.ALLOW: CommentStatus.APPROVED,
    Action.HOLD: CommentStatus.HELD,
    Action.REJECT: CommentStatus.REJECTED,
}
# A job in one of these states will still run; the reconciler leaves its comment alone.
_LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


# Built once: constructing the statement on every job cost a tenth of a millisecond.
_SELECT_COMMENT = (
    select(Comment.status, Comment.text, Comment.author, Comment.email, Comment.ip_hash, Comment.user_id,
           Thread.key, Thread.site_id, Site.settings)
    .join(Thread, Thread.id == Comment.thread_id).join(Site, Site.id == Thread.site_id)
    .where(Comment.id == bindparam("comment_id"))
)


def moderate(comment_id: int, context: WorkerContext | None = None) -> str:
    """Run the filters over a pending comment and store the decision; a second run changes nothing."""
    ctx = context or worker_context()
    # Core connections and plain columns rather than ORM sessions: this runs for every comment, and the
    # ORM's bookkeeping cost more CPU here than the queries themselves.
    with ctx.db.read_connection() as conn:
        row = conn.execute(_SELECT_COMMENT, {"comment_id": comment_id}).first()
        if row is None:
            logger.warning("comment %s does not exist; nothing to moderate", comment_id)
            return "missing"
        if row.status != CommentStatus.PENDING.value:
            return row.status
        site_id, thread_key = row.site_id, row.key
        author_key = row.user_id or row.author  # as service.bans.author_key_of
        standing = ctx.standing(conn, site_id, row.settings or {}, author_key, row.ip_hash)
        comment_input = CommentInput(
            text=row.text, author=row.author, email=row.email or "", thread=thread_key, site_id=site_id,
            comment_id=comment_id, ip_hash=row.ip_hash or "", author_key=author_key,
        )
    if standing.ban is not None:
        # A banned author's comment is refused without running the filters.
        with ctx.db.write() as session:
            decided = apply_ban(session, comment_id, standing.ban)
        if decided:
            comment_decided.send(comment_id, comment_id=comment_id, status=CommentStatus.REJECTED.value,
                                 decided_by="ban")
        return CommentStatus.REJECTED.value if decided else "already-decided"
    decision = ctx.pipeline_for(site_id).run(comment_input, redis=ctx.redis)
    status = standing.adjust(_STATUS_FOR_ACTION[decision.action])
    with ctx.db.write_connection() as conn:
        decided = record_filter_decision(conn, comment_id, status, [v.to_dict() for v in decision.verdicts])
    if not decided:
        return "already-decided"
    if status is CommentStatus.APPROVED:
        ThreadCache(ctx.redis, ctx.config.thread_cache_ttl).invalidate(site_id, thread_key)
    comment_decided.send(comment_id, comment_id=comment_id, status=status.value, decided_by="filters")
    return status.value


def reconcile(context: WorkerContext | None = None) -> dict[str, int]:
    """Re-enqueue comments left pending without a live job (Redis was down, or lost its data)."""
    ctx = context or worker_context()
    redis = ctx.redis
    queue = Queue(ctx.config.queue_name, connection=redis)
    # Jobs of workers that died are retried or failed by RQ's own clean-up.
    StartedJobRegistry(queue=queue).cleanup()
    cutoff = utcnow() - timedelta(seconds=ctx.config.reconcile_after)
    counts = {"pending": 0, "enqueued": 0, "live": 0, "failed": 0}
    last_id = 0
    while True:
        with ctx.db.read() as session:
            ids = list(session.scalars(
                select(Comment.id)
                .where(Comment.status == CommentStatus.PENDING.value, Comment.created_at <= cutoff,
                       Comment.id > last_id)
                .order_by(Comment.id).limit(500)
            ))
        if not ids:
            break
        last_id = ids[-1]
        for comment_id in ids:
            counts["pending"] += 1
            try:
                status = Job.fetch(job_id_for(comment_id), connection=redis).get_status(refresh=False)
            except NoSuchJobError:
                status = None
            except RedisError:
                raise
            if status in _LIVE:
                counts["live"] += 1
            elif status == JobStatus.FAILED:
                # Retries are spent: leave it pending for an operator (it shows in the pending queue).
                counts["failed"] += 1
            elif enqueue_moderation(redis, ctx.config.queue_name, comment_id):
                counts["enqueued"] += 1
    if counts["enqueued"] or counts["failed"]:
        logger.info("reconcile: %s", counts)
    return counts
