"""RQ jobs. Each takes ids, reads what it needs, and is safe to run twice."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job
from rq.registry import StartedJobRegistry
from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.exc import SQLAlchemyError

from service.bans import apply_ban, author_key_for
from service.comments import ThreadCache
from service.models import Comment, CommentStatus, Site, Thread, utcnow
from service.metrics import count_decisions
from service.moderation import record_filter_decisions
from service.queue import comment_ids_of, enqueue_moderation
from service.signals import comment_decided
from service.trust import AuthorStanding
from workers.context import WorkerContext, worker_context
from workers.filters.base import Action, CommentInput

logger = logging.getLogger(__name__)

_STATUS_FOR_ACTION = {
    Action.ALLOW: CommentStatus.APPROVED,
    Action.HOLD: CommentStatus.HELD,
    Action.REJECT: CommentStatus.REJECTED,
}


# Built once: constructing the statement on every job cost a tenth of a millisecond.
_SELECT_COMMENTS = (
    select(Comment.id, Comment.status, Comment.text, Comment.author, Comment.email, Comment.ip_hash,
           Comment.user_id, Comment.reader_id, Thread.key, Thread.site_id, Site.settings)
    .join(Thread, Thread.id == Comment.thread_id).join(Site, Site.id == Thread.site_id)
    .where(Comment.id.in_(bindparam("comment_ids", expanding=True)))
)
# Errors that say the database or Redis is unavailable: the whole batch is retried by RQ.
_TRANSIENT = (RedisError, SQLAlchemyError)


def moderate(comment_id: int, context: WorkerContext | None = None) -> str:
    """Decide one pending comment (the jobs of earlier versions); a second run changes nothing."""
    return moderate_batch([comment_id], context)[comment_id]


def moderate_batch(comment_ids: list[int], context: WorkerContext | None = None) -> dict[int, str]:
    """Run the filters over pending comments and store the decisions; return each comment's outcome.

    The comments are read in one query and decided in one transaction, in id order so that the flood
    filter sees them as they arrived. A comment already decided is left alone, so a batch run twice
    decides each comment once. A comment whose filters raise is split off into a job of its own, so
    that it cannot hold the others back; an unavailable database or Redis fails the batch for a retry.
    """
    ctx = context or worker_context()
    ids = sorted({int(i) for i in comment_ids})
    outcomes: dict[int, str] = {}
    # Core connections and plain columns rather than ORM sessions: this runs for every comment, and the
    # ORM's bookkeeping cost more CPU here than the queries themselves.
    with ctx.db.read_connection() as conn:
        pending = _pending_rows(conn, ids, outcomes)
        standings = _standings(ctx, conn, pending)
    judged = _judge(ctx, pending, standings, alone=len(ids) == 1)
    decided: set[int] = set()
    if judged.decisions:
        with ctx.db.write_connection() as conn:
            decided.update(record_filter_decisions(conn, judged.decisions))
    for comment_id, ban in judged.banned:
        with ctx.db.write() as session:
            if apply_ban(session, comment_id, ban):
                decided.add(comment_id)
    if judged.split_off and not enqueue_moderation(ctx.redis, ctx.config.queue_name, judged.split_off,
                                                   batch_size=1):
        raise RuntimeError("could not enqueue the comments split off the batch")
    outcomes.update({comment_id: "split-off" for comment_id in judged.split_off})
    _announce(ctx, judged, decided, outcomes)
    return outcomes


@dataclass
class _Judged:
    """What the filters (or a ban) made of a batch's pending comments, before anything is stored."""

    decisions: list[tuple[int, CommentStatus, list[dict]]] = field(default_factory=list)
    banned: list[tuple[int, Any]] = field(default_factory=list)
    split_off: list[int] = field(default_factory=list)
    threads: dict[int, tuple[int, str]] = field(default_factory=dict)  # comment id -> (site, thread key)
    filter_cpu_ns: int = 0  # this thread's CPU inside the filters, for /metrics


def _judge(ctx: WorkerContext, pending: list[Row], standings: dict[int, AuthorStanding], alone: bool) -> _Judged:
    """Run each site's pipeline over its pending comments, in id order, except those of banned authors."""
    judged = _Judged()
    by_site: dict[int, list[tuple[int, CommentInput]]] = {}
    for row in pending:
        judged.threads[row.id] = (row.site_id, row.key)
        if standings[row.id].ban is not None:
            # A banned author's comment is refused without running the filters.
            judged.banned.append((row.id, standings[row.id].ban))
            continue
        by_site.setdefault(row.site_id, []).append((row.id, CommentInput(
            text=row.text, author=row.author, email=row.email or "", thread=row.key, site_id=row.site_id,
            comment_id=row.id, ip_hash=row.ip_hash or "", author_key=author_key_for(row.user_id, row.reader_id, row.author),
        )))
    for site_id, comments in by_site.items():
        started = time.thread_time_ns()
        try:
            # All of a site's comments at once: the flood filter's Redis calls go in one round trip.
            outcomes = ctx.pipeline_for(site_id).run_many([c for _, c in comments], redis=ctx.redis)
        finally:
            judged.filter_cpu_ns += time.thread_time_ns() - started
        for (comment_id, _), outcome in zip(comments, outcomes):
            if isinstance(outcome, _TRANSIENT):
                raise outcome
            if isinstance(outcome, Exception):
                if alone:
                    raise outcome  # alone already: RQ retries it, then keeps it in the failed registry
                logger.error("filters failed on comment %s; it gets a job of its own", comment_id, exc_info=outcome)
                judged.split_off.append(comment_id)
                continue
            status = standings[comment_id].adjust(_STATUS_FOR_ACTION[outcome.action])
            judged.decisions.append((comment_id, status, [v.to_dict() for v in outcome.verdicts if v.says_something()]))
    return judged


def _announce(ctx: WorkerContext, judged: _Judged, decided: set[int], outcomes: dict[int, str]) -> None:
    """After the commit: drop the cached pages of threads that gained a comment, count, tell subscribers."""
    made = [(c, s, "filters") for c, s, _ in judged.decisions] + [
        (c, CommentStatus.REJECTED, "ban") for c, _ in judged.banned]
    cache = ThreadCache(ctx.redis, ctx.config.thread_cache_ttl)
    cache.invalidate_many({judged.threads[c] for c, s, _ in made if c in decided and s is CommentStatus.APPROVED})
    counted = []
    for comment_id, status, decided_by in made:
        if comment_id not in decided:
            outcomes[comment_id] = "already-decided"
            continue
        outcomes[comment_id] = status.value
        counted.append((status.value, decided_by))
        comment_decided.send(comment_id, comment_id=comment_id, status=status.value, decided_by=decided_by)
    count_decisions(ctx.redis, counted, filter_cpu_seconds=judged.filter_cpu_ns / 1e9)


def _pending_rows(conn: Connection, ids: list[int], outcomes: dict[int, str]) -> list[Row]:
    """Return the rows of the comments still pending, noting the others' outcomes."""
    rows = {row.id: row for row in conn.execute(_SELECT_COMMENTS, {"comment_ids": ids})}
    pending = []
    for comment_id in ids:
        row = rows.get(comment_id)
        if row is None:
            logger.warning("comment %s does not exist; nothing to moderate", comment_id)
            outcomes[comment_id] = "missing"
        elif row.status != CommentStatus.PENDING.value:
            outcomes[comment_id] = row.status
        else:
            pending.append(row)
    return pending


def _standings(ctx: WorkerContext, conn: Connection, rows: list[Row]) -> dict[int, AuthorStanding]:
    """Return each comment's author standing, reading the bans of a site's comments in one query."""
    standings: dict[int, AuthorStanding] = {}
    for site_id in {row.site_id for row in rows}:
        site_rows = [row for row in rows if row.site_id == site_id]
        authors = [(author_key_for(row.user_id, row.reader_id, row.author), row.ip_hash) for row in site_rows]
        found = ctx.standings(conn, site_id, site_rows[0].settings or {}, authors)
        standings.update({row.id: standing for row, standing in zip(site_rows, found)})
    return standings


def reconcile(context: WorkerContext | None = None) -> dict[str, int]:
    """Re-enqueue comments left pending without a live job (Redis was down, or lost its data).

    A job that moves between RQ's registries while they are read may be missed, and its comments
    enqueued a second time: harmless, as a comment is decided once however often its job runs.
    """
    ctx = context or worker_context()
    redis = ctx.redis
    queue = Queue(ctx.config.queue_name, connection=redis)
    # Jobs of workers that died are retried or failed by RQ's own clean-up.
    StartedJobRegistry(queue=queue).cleanup()
    live = _comment_ids_in_jobs(queue, queue.get_job_ids() + [
        job_id for registry in (queue.started_job_registry, queue.scheduled_job_registry,
                                queue.deferred_job_registry)
        for job_id in registry.get_job_ids()
    ])
    failed = _comment_ids_in_jobs(queue, queue.failed_job_registry.get_job_ids())
    cutoff = utcnow() - timedelta(seconds=ctx.config.reconcile_after)
    counts = {"pending": 0, "enqueued": 0, "live": 0, "failed": 0}
    last_id = 0
    while True:
        with ctx.db.read_connection() as conn:
            ids = list(conn.scalars(
                select(Comment.id)
                .where(Comment.status == CommentStatus.PENDING.value, Comment.created_at <= cutoff,
                       Comment.id > last_id)
                .order_by(Comment.id).limit(500)
            ))
        if not ids:
            break
        last_id = ids[-1]
        counts["pending"] += len(ids)
        counts["live"] += sum(1 for i in ids if i in live)
        # Retries spent: left pending for an operator (it shows in the pending queue).
        counts["failed"] += sum(1 for i in ids if i in failed and i not in live)
        orphans = [i for i in ids if i not in live and i not in failed]
        if orphans and enqueue_moderation(redis, ctx.config.queue_name, orphans, ctx.config.moderation_batch_size):
            counts["enqueued"] += len(orphans)
    if counts["enqueued"] or counts["failed"]:
        logger.info("reconcile: %s", counts)
    return counts


def _comment_ids_in_jobs(queue: Queue, job_ids: list[str]) -> set[int]:
    """Return the comment ids named by the moderation jobs among `job_ids`."""
    ids: set[int] = set()
    for start in range(0, len(job_ids), 500):
        for job in Job.fetch_many(job_ids[start:start + 500], connection=queue.connection):
            if job is not None:
                ids.update(comment_ids_of(job.func_name, job.args))
    return ids
