"""Decisions on comments, by the filters or by moderators, committed with their audit records."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.orm import Session, selectinload

from service import reader_reasons
from service.reason_text import render
from service.exceptions import CommentNotFound, Conflict, StaleDecision
from service.models import (
    Comment, CommentStatus, DecidedBy, ModerationAction, Thread, VerdictRecord, utcnow,
)

# What each outcome tells the comment's author; filters' internals stay with the moderators.
# Reason codes shown to a comment's author, as one sentence in their language (service/reader_reasons.py).
AUTHOR_REASONS = {
    CommentStatus.APPROVED: [],
    CommentStatus.HELD: [reader_reasons.HELD],
    CommentStatus.REJECTED: ["rules"],
}


def says_something(verdict: dict[str, Any]) -> bool:
    """Tell whether a filter's verdict is worth a row: anything but an allow with no score, reason or span.

    A comment met by seven filters got seven rows, five of them "allow, 0, nothing" that no page, statistic
    or API reads (the console, the moderation API and the statistics all skip allows). Leaving them out
    took a worker's CPU per comment outside the filters from 0.48-0.58 to 0.46 ms (`python -m bench.decide`,
    two A/B runs: a small gain, near the runs' spread). The classifier's allow keeps its row, for its score.
    """
    return (verdict["action"] != "allow" or bool(verdict["score"]) or bool(verdict["reasons"])
            or bool(verdict["spans"]))


_COMMENTS, _VERDICTS = Comment.__table__, VerdictRecord.__table__
# Built once, on the tables rather than the ORM classes: they run for every batch a worker decides. Built per
# job (an ORM UPDATE per outcome, its values coerced through the ORM each time, and an ORM INSERT), these and
# the bans' SELECT (service.bans.bans_in_force) cost about 1.3 ms more per batch (`python -m bench.decide
# --batch 10`, A/B: 0.448-0.461 -> 0.319-0.325 ms per comment outside the filters).
_DECIDE_PENDING = (
    update(_COMMENTS)
    .where(_COMMENTS.c.id.in_(bindparam("ids", expanding=True)), _COMMENTS.c.status == CommentStatus.PENDING.value)
    .values(status=bindparam("new_status"), decided_by=DecidedBy.FILTERS.value, decided_at=bindparam("now"),
            reasons=bindparam("author_reasons"))
    .returning(_COMMENTS.c.id)
)
_INSERT_VERDICTS = insert(_VERDICTS)


def record_filter_decisions(conn: Session | Connection,
                            decisions: Iterable[tuple[int, CommentStatus, list[dict[str, Any]]]]) -> list[int]:
    """Store the filters' decisions and verdicts of the comments still pending; return the ids decided.

    Each status change is a conditional UPDATE, so two runs of the same job cannot both decide. Comments
    with the same outcome and reasons are updated by one statement (a batch has few distinct ones), and
    the caller commits: a worker stores a whole batch in one transaction.
    """
    now = utcnow()
    verdicts_of: dict[int, list[dict[str, Any]]] = {}
    groups: dict[tuple[CommentStatus, tuple[str, ...]], list[int]] = {}
    for comment_id, status, verdicts in decisions:
        author_reasons = list(AUTHOR_REASONS.get(status, []))
        if status is CommentStatus.REJECTED:
            # The kind of problem only: the matched words and scores stay with the moderators.
            author_reasons = [reader_reasons.rejection_code(verdicts)]
        groups.setdefault((status, tuple(author_reasons)), []).append(comment_id)
        verdicts_of[comment_id] = verdicts
    decided: list[int] = []
    for (status, reasons), ids in groups.items():
        decided += conn.execute(_DECIDE_PENDING, {"ids": ids, "new_status": status.value, "now": now,
                                                  "author_reasons": list(reasons)}).scalars().all()
    verdict_rows = [
        {"comment_id": comment_id, "filter": v["filter"], "action": v["action"], "score": v["score"],
         "reasons": v["reasons"], "spans": v["spans"], "created_at": now}
        for comment_id in decided for v in verdicts_of[comment_id] if says_something(v)
    ]
    if verdict_rows:
        # One multi-row INSERT for the batch rather than ORM objects: it runs for every comment.
        conn.execute(_INSERT_VERDICTS, verdict_rows)
    return sorted(decided)


def moderate(session: Session, comment_id: int, new_status: CommentStatus, moderator: str,
             note: str | None = None, expected_status: str | None = None) -> Comment:
    """Apply a moderator's decision to a comment and record it in the audit log.

    With `expected_status` (the status the moderator saw), a comment whose status has changed since is
    left alone (StaleDecision): a stale tab must not overturn another moderator's decision. The row is
    locked first, so two decisions on one comment are checked one after the other.
    """
    comment = session.get(Comment, comment_id, with_for_update=True)
    if comment is None or comment.status == CommentStatus.DELETED.value:
        raise CommentNotFound()
    previous = comment.status
    if expected_status is not None and previous != expected_status:
        raise StaleDecision(expected_status, previous)
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
                 site_ids: tuple[int, ...] | None = None, language: str = "en") -> list[dict[str, Any]]:
    """Return comments awaiting a moderator, oldest first, each with its thread and verdicts.

    A verdict's reasons are codes with parameters; `reason_texts` has them as sentences in `language`.
    """
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
                {"filter": v.filter, "action": v.action, "score": v.score, "reasons": v.reasons,
                 "reason_texts": [render(r, language) for r in v.reasons or []], "spans": v.spans}
                for v in comment.verdicts if v.action != "allow"
            ],
        })
    return items
