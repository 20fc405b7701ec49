"""What a site's moderation mode, an author's standing and trust do to the filters' decision."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from service.bans import author_key_column
from service.models import Ban, Comment, CommentStatus, Thread


class ModerationMode(str, Enum):
    """How a site publishes: everything waits, the filters decide, or publish first and review after."""

    HOLD_ALL = "hold_all"
    FILTERS = "filters"
    PUBLISH_THEN_REVIEW = "publish_then_review"


def site_mode(settings: dict[str, Any]) -> ModerationMode:
    """Return the site's moderation mode (the filters decide unless set otherwise)."""
    try:
        return ModerationMode(settings.get("mode") or ModerationMode.FILTERS.value)
    except ValueError:
        return ModerationMode.FILTERS


def author_history(session: Session, site_id: int | None, author_keys: list[str]) -> dict[tuple[int, str], dict[str, int]]:
    """Return approved and rejected counts per (site id, author key)."""
    if not author_keys:
        return {}
    key = author_key_column()
    query = (
        select(Thread.site_id, key, Comment.status, func.count(Comment.id))
        .join(Thread, Thread.id == Comment.thread_id)
        .where(key.in_(author_keys),
               Comment.status.in_([CommentStatus.APPROVED.value, CommentStatus.REJECTED.value]))
        .group_by(Thread.site_id, key, Comment.status)
    )
    if site_id is not None:
        query = query.where(Thread.site_id == site_id)
    history: dict[tuple[int, str], dict[str, int]] = {}
    for site, author, status, count in session.execute(query):
        history.setdefault((site, author), {"approved": 0, "rejected": 0})[status] = count
    return history


@dataclass(frozen=True)
class AuthorStanding:
    """What the site knows of a comment's author before the filters run."""

    ban: Ban | None
    trusted: bool
    mode: ModerationMode

    def adjust(self, status: CommentStatus) -> CommentStatus:
        """Return the status after the site's mode and the author's trust; a rejection always stands."""
        if status is CommentStatus.REJECTED:
            return status
        if self.mode is ModerationMode.HOLD_ALL:
            return CommentStatus.APPROVED if self.trusted else CommentStatus.HELD
        if status is CommentStatus.HELD and (self.trusted or self.mode is ModerationMode.PUBLISH_THEN_REVIEW):
            # Trusted authors skip the hold band; publish-then-review keeps the verdicts for a later look.
            return CommentStatus.APPROVED
        return status


def standing_with_ban(session: Session | Connection, site_id: int, settings: dict[str, Any], author_key: str,
                      ban: Any) -> AuthorStanding:
    """Return the standing of an author whose ban (or None) is known: trust per `trust_after`, and the mode."""
    trusted = False
    trust_after = int(settings.get("trust_after") or 0)
    if trust_after > 0 and ban is None:
        counts = author_history(session, site_id, [author_key]).get(  # type: ignore[arg-type]
            (site_id, author_key), {"approved": 0, "rejected": 0})
        trusted = counts["approved"] >= trust_after and counts["rejected"] == 0
    return AuthorStanding(ban=ban, trusted=trusted, mode=site_mode(settings))
