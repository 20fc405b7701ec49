"""Labelled examples for the classifier's retraining: moderators' decisions, and the filters' that nobody overturned."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Comment, CommentStatus, ModerationAction, Report, Thread, utcnow

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
        # A comment put back in the queue (the console's undo) is a label withdrawn.
        .where(ModerationAction.new_status.in_([*LABELS, CommentStatus.HELD.value, CommentStatus.PENDING.value]))
        .order_by(ModerationAction.id)
    )
    if site_id is not None:
        query = query.where(Thread.site_id == site_id)
    if since is not None:
        query = query.where(ModerationAction.created_at >= since)
    latest: dict[int, LabelledExample] = {}
    for action, text, site in session.execute(query.execution_options(yield_per=1000)):
        latest.pop(action.comment_id, None)  # re-inserted last: dict order follows the latest decision
        if action.new_status not in LABELS:
            continue
        latest[action.comment_id] = LabelledExample(
            comment_id=action.comment_id, site_id=site, text=text, label=LABELS[action.new_status],
            moderator=action.moderator, previous_status=action.previous_status, decided_at=action.created_at,
            note=action.note,
        )
    yield from latest.values()


# Comments the filters decided and nobody overturned within this many days count as labelled: published
# and not taken down is fine, rejected and not restored is bad (a site's setting: `learning_settle_days`).
SETTLE_DAYS = 3.0
# A moderator looked at the comment, so the label is nearly always right; a settled filter decision is
# right as often as the filters are (nobody looks at most published comments), so it counts less. But
# moderators' decisions are a biased sample, mostly corrections of the filters' mistakes, and only the
# settled decisions show what ordinary comments look like: the heavier the moderators weigh, the more of
# that bias comes back. On the simulated news site of tests/workers/test_retrain.py, weights 1, 3 and 10
# gave new comments macro-F1 0.912, 0.935, 0.938 while the share of the newest published comments the
# adapter would flag rose 2.7%, 4.3%, 5.3%; 3 takes most of the gain (English site: 0.831, 0.864, 0.875).
MODERATOR_WEIGHT = 3.0
SETTLED_WEIGHT = 1.0
# At most this many settled decisions are read (an even sample across the site's history), so that a big
# site's retraining costs about as much as a small one's.
SETTLED_CAP = 5000
# Filter decisions that say nothing about the text: an author's ban refuses whatever they write.
_TEXT_DECISIONS = ("filters",)


@dataclass(frozen=True)
class TrainingExample:
    """A labelled comment for the site's adapter: a moderator's decision, or the filters' that nobody overturned."""

    comment_id: int
    text: str
    label: str  # ok or bad
    source: str  # moderator or settled
    weight: float
    created_at: datetime


def training_examples(session: Session, site_id: int, now: datetime | None = None,
                      settle_days: float = SETTLE_DAYS, cap: int = SETTLED_CAP) -> list[TrainingExample]:
    """Return a site's labelled comments, oldest first: its moderators' decisions (the latest wins) and a
    sample of at most `cap` filter decisions nobody overturned within `settle_days`."""
    decided = {e.comment_id: e for e in labelled_examples(session, site_id)}
    created = dict(session.execute(select(Comment.id, Comment.created_at).where(Comment.id.in_(list(decided))))
                   .all()) if decided else {}
    examples = [TrainingExample(e.comment_id, e.text, e.label, "moderator", MODERATOR_WEIGHT, created[e.comment_id])
                for e in decided.values()]
    settled_before = (now or utcnow()) - timedelta(days=settle_days)
    touched = select(ModerationAction.comment_id)
    reported = select(Report.comment_id)
    settled = (
        Comment.thread_id.in_(select(Thread.id).where(Thread.site_id == site_id)),
        Comment.decided_by.in_(_TEXT_DECISIONS),
        Comment.status.in_([CommentStatus.APPROVED.value, CommentStatus.REJECTED.value]),
        Comment.decided_at <= settled_before,
        Comment.id.not_in(touched),  # a moderator's decision, if any, is the label
        Comment.id.not_in(reported),  # reports not yet settled: someone disputes the publication
    )
    count = session.scalar(select(func.count()).select_from(Comment).where(*settled)) or 0
    # Every stride-th comment by id: an even sample of the site's history, chosen in the database, that
    # keeps the site's mix of published and rejected comments.
    stride = max(1, -(-count // cap)) if cap > 0 else 0
    if stride:
        query = select(Comment.id, Comment.text, Comment.status, Comment.created_at).where(*settled)
        if stride > 1:
            query = query.where(Comment.id % stride == 0)
        for comment_id, text, status, created_at in session.execute(query.order_by(Comment.id).limit(cap)):
            examples.append(TrainingExample(comment_id, text, LABELS[status], "settled", SETTLED_WEIGHT, created_at))
    examples.sort(key=lambda e: (e.created_at, e.comment_id))
    return examples


def recent_approved(session: Session, site_id: int, limit: int = 1000) -> list[str]:
    """Return the texts of a site's newest published comments (by the filters or a moderator), newest first."""
    query = (select(Comment.text).join(Thread, Thread.id == Comment.thread_id)
             .where(Thread.site_id == site_id, Comment.status == CommentStatus.APPROVED.value)
             .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit))
    return list(session.scalars(query))
