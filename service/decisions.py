"""Moderators' decisions on comments: the site check, the audit record, the cache and the signal, in one place."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis import Redis

from service.accounts import Principal, require_site
from service.comments import ThreadCache
from service.config import Config
from service.db import Database
from service.exceptions import CommentNotFound, InvalidField, ModeratoError
from service.metrics import count_decisions
from service.models import Comment, CommentStatus, Thread
from service.moderation import moderate
from service.signals import comment_decided


# The statuses a decision may expect: what a moderator can have seen in a queue or a list.
_EXPECTABLE = frozenset(s.value for s in CommentStatus if s is not CommentStatus.DELETED)


def expected_status(data: Any) -> str | None:
    """Return the `expected_status` of a decision's body or form (the status the moderator saw), checked."""
    value = data.get("expected_status")
    if value in (None, ""):
        return None
    if value not in _EXPECTABLE:
        raise InvalidField("'expected_status' must be pending, held, approved or rejected.", field="expected_status")
    return str(value)


@dataclass(frozen=True)
class Outcome:
    """What happened to one comment of a (bulk) decision."""

    comment_id: int
    status: str
    error: str | None = None
    message: str | None = None
    current_status: str | None = None


def decide(db: Database, redis: Redis, config: Config, principal: Principal, comment_id: int,
           status: CommentStatus, note: str | None = None, expected_status: str | None = None) -> Outcome:
    """Apply a moderator's decision to one comment of a site they moderate, and tell the subscribers.

    `expected_status` is the status the moderator saw; if the comment has another now, StaleDecision.
    """
    with db.write() as session:
        comment = session.get(Comment, comment_id)
        if comment is None:
            raise CommentNotFound()
        thread = session.get(Thread, comment.thread_id)
        require_site(principal, thread.site_id)
        moderate(session, comment_id, status, principal.username, note, expected_status)
        site_id, thread_key = thread.site_id, thread.key
    ThreadCache(redis, config.thread_cache_ttl).invalidate(site_id, thread_key)
    count_decisions(redis, [(status.value, "moderator")])
    comment_decided.send(comment_id, comment_id=comment_id, status=status.value, decided_by="moderator")
    return Outcome(comment_id, status.value)


def decide_many(db: Database, redis: Redis, config: Config, principal: Principal, comment_ids: list[int],
                status: CommentStatus, note: str | None = None,
                expected_status: str | None = None) -> list[Outcome]:
    """Apply one decision to several comments, each in its own transaction; report each one's outcome."""
    outcomes = []
    for comment_id in dict.fromkeys(comment_ids):
        try:
            outcomes.append(decide(db, redis, config, principal, comment_id, status, note, expected_status))
        except ModeratoError as err:
            outcomes.append(Outcome(comment_id, "unchanged", err.code, err.message,
                                    err.details.get("current_status")))
    return outcomes


def confirm(db: Database, principal: Principal, comment_id: int) -> Outcome:
    """Record that a moderator reviewed a comment the filters published and keeps it (publish-then-review)."""
    from service.exceptions import Conflict
    from service.models import ModerationAction, utcnow

    with db.write() as session:
        comment = session.get(Comment, comment_id)
        if comment is None:
            raise CommentNotFound()
        require_site(principal, session.get(Thread, comment.thread_id).site_id)
        if comment.status != CommentStatus.APPROVED.value:
            raise Conflict(f"The comment is {comment.status}, not published.")
        # Also a labelled example: a moderator looked at it and found it acceptable.
        session.add(ModerationAction(comment_id=comment_id, moderator=principal.username,
                                     previous_status=comment.status, new_status=comment.status, note="reviewed",
                                     created_at=utcnow()))
    return Outcome(comment_id, CommentStatus.APPROVED.value)
