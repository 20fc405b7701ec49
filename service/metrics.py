"""Operators' figures in Prometheus's text format: what waits for a decision, the queue, decisions made.

`GET /metrics` answers admins of every site (a personal API token of an admin, or MODERATOR_TOKEN) so that a
Prometheus server can scrape it with a bearer token. Backlog figures are read when asked (the
pending and held counts use the status index); decisions are counters in one Redis hash, added to
once per batch by the workers and once per moderator decision, so the hot path pays one round trip
per batch. Counters start again from zero if Redis loses its data, which Prometheus's rate() expects.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from flask import Blueprint, Response, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from sqlalchemy import func, select

from service.accounts import require_unrestricted_admin
from service.config import Config
from service.db import get_db
from service.models import Comment, CommentStatus, utcnow
from service.redis_conn import get_redis

DECISIONS_KEY = "moderato:metrics:decisions"
FILTER_CPU_KEY = "moderato:metrics:filter-cpu-seconds"
metrics = Blueprint("metrics", __name__)


def count_decisions(redis: Redis, decisions: Iterable[tuple[str, str]], filter_cpu_seconds: float = 0.0) -> None:
    """Add (status, decided_by) decisions, and the CPU the filters spent on them, to the counters.

    A Redis failure only loses the count.
    """
    counts = Counter(f"{status}|{decided_by}" for status, decided_by in decisions)
    if not counts and not filter_cpu_seconds:
        return
    try:
        with redis.pipeline(transaction=False) as pipe:
            for field, n in counts.items():
                pipe.hincrby(DECISIONS_KEY, field, n)
            if filter_cpu_seconds:
                pipe.incrbyfloat(FILTER_CPU_KEY, round(filter_cpu_seconds, 6))
            pipe.execute()
    except RedisError:
        pass  # figures for operators must never fail a decision


@metrics.get("/metrics")
def scrape() -> Response:
    """Return the figures in Prometheus's text exposition format."""
    # The figures are of every site (the queue and the workers are shared), so a site-limited admin
    # may not read them.
    require_unrestricted_admin()
    config: Config = current_app.extensions["moderato.config"]
    with get_db().read() as session:
        waiting = dict(session.execute(
            select(Comment.status, func.count())
            .where(Comment.status.in_([CommentStatus.PENDING.value, CommentStatus.HELD.value]))
            .group_by(Comment.status)).all())
        oldest = session.scalar(select(func.min(Comment.created_at))
                                .where(Comment.status == CommentStatus.PENDING.value))
    lines = _family("moderato_comments_waiting", "gauge",
                    "Comments waiting for the filters (pending) or for a moderator (held).",
                    [(f'{{status="{s}"}}', waiting.get(s, 0)) for s in ("pending", "held")])
    lines += _family("moderato_oldest_pending_seconds", "gauge",
                     "Age of the oldest comment the filters have not decided.",
                     [("", (utcnow() - oldest).total_seconds() if oldest else 0)])
    redis = get_redis()
    try:
        queue = Queue(config.queue_name, connection=redis)
        queued, failed = queue.count, queue.failed_job_registry.count
        workers = Worker.count(connection=redis)
        decisions = {k.decode(): int(v) for k, v in redis.hgetall(DECISIONS_KEY).items()}
        filter_cpu = float(redis.get(FILTER_CPU_KEY) or 0)
    except RedisError:
        lines += _family("moderato_redis_up", "gauge", "Whether Redis answered.", [("", 0)])
    else:
        lines += _family("moderato_redis_up", "gauge", "Whether Redis answered.", [("", 1)])
        lines += _family("moderato_queue_jobs", "gauge", "Moderation jobs waiting in the RQ queue.", [("", queued)])
        lines += _family("moderato_failed_jobs", "gauge",
                         "Moderation jobs whose retries are spent (their comments stay pending).", [("", failed)])
        lines += _family("moderato_workers", "gauge", "RQ workers alive.", [("", workers)])
        lines += _family("moderato_decisions_total", "counter",
                         "Decisions made, by outcome and by whom (filters, ban, moderator).",
                         [(f'{{status="{status}",decided_by="{by}"}}', n) for key, n in sorted(decisions.items())
                          for status, _, by in [key.partition("|")]])
        lines += _family("moderato_filter_cpu_seconds_total", "counter",
                         "CPU seconds the workers spent inside the filters (the rest of a decision excluded).",
                         [("", filter_cpu)])
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


def _family(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}",
            *(f"{name}{labels} {value if isinstance(value, int) else round(value, 3)}" for labels, value in samples)]
