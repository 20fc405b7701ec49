"""Readers' reports of published comments: one per reader per comment, rate-limited, kept for moderators."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError

from service.db import Database
from service.exceptions import AlreadyReported, CommentNotFound, InvalidField, RateLimited
from service.models import Comment, CommentStatus, Report, ReportReason, Site, Thread, utcnow
from service.payload import text_field

logger = logging.getLogger(__name__)

MAX_REPORT_TEXT = 500
RATE_WINDOW = 3600


@dataclass(frozen=True)
class ReportSubmission:
    """A validated report."""

    reason: str
    text: str | None


def parse_report(data: dict[str, Any]) -> ReportSubmission:
    """Validate a report's reason (spam, abuse or other) and its optional free text."""
    reason = text_field(data, "reason", 16)
    if reason not in {r.value for r in ReportReason}:
        raise InvalidField("The field 'reason' must be one of spam, abuse, other.", field="reason")
    return ReportSubmission(reason=reason, text=text_field(data, "text", MAX_REPORT_TEXT, required=False))


class ReportRateLimit:
    """At most `limit` reports per reader (hashed IP) per hour, counted in Redis.

    Fails open: if Redis is unreachable the report is accepted, because a report only asks a moderator
    to look, and the one-report-per-reader rule in the database still holds.
    """

    def __init__(self, redis: Redis, limit: int) -> None:
        self.redis = redis
        self.limit = limit

    def hit(self, ip_hash: str | None) -> None:
        """Count one report of this reader, or raise RateLimited past the limit."""
        if ip_hash is None:
            return
        key = f"report-rate:{ip_hash}"
        try:
            pipe = self.redis.pipeline()
            # SET NX EX then INCR: the window starts at the first report (EXPIRE NX needs Redis 7).
            pipe.set(key, 0, ex=RATE_WINDOW, nx=True)
            pipe.incr(key)
            count = pipe.execute()[1]
        except RedisError:
            logger.warning("report rate limit unavailable (Redis); accepting the report")
            return
        if count > self.limit:
            raise RateLimited("Too many reports; try again later.")


def file_report(db: Database, site: Site, comment_id: int, submission: ReportSubmission,
                reporter_hash: str) -> Report:
    """Store a reader's report of a published comment of `site`; a second one by the same reader is refused."""
    try:
        with db.write() as session:
            comment = session.get(Comment, comment_id)
            thread = session.get(Thread, comment.thread_id) if comment is not None else None
            # Only what readers can see may be reported, and only through the site it is published on.
            if (comment is None or thread is None or thread.site_id != site.id
                    or comment.status != CommentStatus.APPROVED.value):
                raise CommentNotFound()
            report = Report(comment_id=comment_id, reason=submission.reason, text=submission.text,
                            reporter_hash=reporter_hash, created_at=utcnow())
            session.add(report)
            session.flush()
    except IntegrityError as err:
        raise AlreadyReported() from err
    return report
