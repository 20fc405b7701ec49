"""Moderators' decisions as labelled examples, for the classifier's retraining."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Comment, CommentStatus, ModerationAction, Thread

# A moderator's approval labels a comment acceptable; a rejection or deletion labels it bad.
LABELS = {CommentStatus.APPROVED.value: "ok", CommentStatus.REJECTED.value: "bad", CommentStatus.DELETED.value: "bad"}


@dataclass(frozen=True)
class LabelledExample:
    """A comment's text with the label of the latest moderator decision on it."""

    comment_id: int
    site_id: int
    text: str
    label: str  # ok or bad
    moderator: str
    previous_status: str
    decided_at: datetime
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        """Return the example as plain JSON-ready data."""
        return {"comment_id": self.comment_id, "site_id": self.site_id, "text": self.text, "label": self.label,
                "moderator": self.moderator, "previous_status": self.previous_status,
                "decided_at": self.decided_at.isoformat(), "note": self.note}


def labelled_examples(session: Session, site_id: int | None = None,
                      since: datetime | None = None) -> Iterator[LabelledExample]:
    """Yield one example per comment a moderator decided (the latest decision wins), oldest first."""
    query = (
        select(ModerationAction, Comment.text, Thread.site_id)
        .join(Comment, Comment.id == ModerationAction.comment_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(ModerationAction.new_status.in_(list(LABELS)))
        .order_by(ModerationAction.id)
    )
    if site_id is not None:
        query = query.where(Thread.site_id == site_id)
    if since is not None:
        query = query.where(ModerationAction.created_at >= since)
    latest: dict[int, LabelledExample] = {}
    for action, text, site in session.execute(query.execution_options(yield_per=1000)):
        latest.pop(action.comment_id, None)  # re-inserted last: dict order follows the latest decision
        latest[action.comment_id] = LabelledExample(
            comment_id=action.comment_id, site_id=site, text=text, label=LABELS[action.new_status],
            moderator=action.moderator, previous_status=action.previous_status, decided_at=action.created_at,
            note=action.note,
        )
    yield from latest.values()
