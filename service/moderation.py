"""Decisions on comments, by the filters or by moderators, committed with their audit records."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from service.exceptions import CommentNotFound, Conflict
from service.models import (
    Comment, CommentStatus, DecidedBy, ModerationAction, Thread, VerdictRecord, utcnow,
)

# What each outcome tells the comment's author; filters' internals stay with the moderators.
AUTHOR_REASONS = {
    CommentStatus.APPROVED: [],
    CommentStatus.HELD: ["Your comment is waiting for a moderator."],
    CommentStatus.REJECTED: ["Your comment was not published because it breaks the site's rules."],
}


def record_filter_decision(session: Session, comment_id: int, status: CommentStatus,
                           verdicts: Iterable[dict[str, Any]]) -> bool:
    """Store the filters' decision and verdicts if the comment is still pending; return whether it was.

    The status change is a conditional UPDATE, so two runs of the same job cannot both decide.
    """
    from sqlalchemy import update

    now = utcnow()
    verdict_list = list(verdicts)
    author_reasons = list(AUTHOR_REASONS.get(status, []))
    if status is CommentStatus.REJECTED:
        author_reasons += [r for v in verdict_list if v["action"] == "reject" for r in v["reasons"][:1]][:3]
    result = session.execute(
        update(Comment)
        .where(Comment.id == comment_id, Comment.status == CommentStatus.PENDING.value)
        .values(status=status.value, decided_by=DecidedBy.FILTERS.value, decided_at=now,
                reasons=author_reasons)
    )
    if result.rowcount != 1:
        return False
    if verdict_list:
        from sqlalchemy import insert

        # One multi-row INSERT rather than ORM objects: it runs for every comment.
        session.execute(insert(VerdictRecord), [
            {"comment_id": comment_id, "filter": v["filter"], "action": v["action"], "score": v["score"],
             "reasons": v["reasons"], "spans": v["spans"], "created_at": now}
            for v in verdict_list
        ])
    return True


def moderate(session: Session, comment_id: int, new_status: CommentStatus, moderator: str,
             note: str | None = None) -> Comment:
    """Apply a moderator's decision to a comment and record it in the audit log."""
    comment = session.get(Comment, comment_id, with_for_update=True)
    if comment is None or comment.status == CommentStatus.DELETED.value:
        raise CommentNotFound()
    previous = comment.status
    if previous == new_status.value:
        raise Conflict(f"The comment is already {previous}.")
    comment.status = new_status.value
    comment.decided_by = DecidedBy.MODERATOR.value
    comment.decided_at = utcnow()
    comment.reasons = list(AUTHOR_REASONS.get(new_status, []))
    session.add(ModerationAction(comment_id=comment.id, moderator=moderator, previous_status=previous,
                                 new_status=new_status.value, note=note))
    return comment


def review_queue(session: Session, statuses: tuple[CommentStatus, ...] = (CommentStatus.HELD,),
                 limit: int = 50, after: int | None = None,
                 site_ids: tuple[int, ...] | None = None) -> list[dict[str, Any]]:
    """Return comments awaiting a moderator, oldest first, each with its thread and verdicts."""
    query = (
        select(Comment, Thread)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.status.in_([s.value for s in statuses]))
        .options(selectinload(Comment.verdicts))
        .order_by(Comment.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Comment.id > after)
    if site_ids is not None:
        query = query.where(Thread.site_id.in_(site_ids))
    items = []
    for comment, thread in session.execute(query):
        items.append({
            "id": comment.id,
            "thread": thread.key,
            "thread_title": thread.title,
            "author": comment.author,
            "text": comment.text,
            "status": comment.status,
            "ip_hash": comment.ip_hash[:8] if comment.ip_hash else None,
            "created_at": comment.created_at.isoformat(),
            "verdicts": [
                {"filter": v.filter, "action": v.action, "score": v.score, "reasons": v.reasons, "spans": v.spans}
                for v in comment.verdicts if v.action != "allow"
            ],
        })
    return items
