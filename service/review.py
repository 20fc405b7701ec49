"""What the console shows moderators: the filtered queue with reasons and highlights, reports, the audit log."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from service.bans import author_key_column, author_key_of
from service.models import (
    AuditEvent, Comment, CommentStatus, ModerationAction, Report, Site, Thread, VerdictRecord,
)
from service.trust import author_history


@dataclass(frozen=True)
class Part:
    """A piece of a comment's text, matched by a filter (`labels` not empty) or not."""

    text: str
    labels: tuple[str, ...] = ()


def highlight(text: str, spans: list[dict[str, Any]], field_name: str = "text") -> list[Part]:
    """Split the original text at the spans' offsets; the template escapes each part on its own."""
    cuts = {0, len(text)}
    ranges = []
    for span in spans:
        if span.get("field", "text") != field_name:
            continue
        try:
            start, end = max(0, int(span["start"])), min(len(text), int(span["end"]))
        except (KeyError, TypeError, ValueError):
            continue
        if start < end:
            cuts.update((start, end))
            ranges.append((start, end, str(span.get("label") or "")))
    points = sorted(cuts)
    parts = []
    for start, end in zip(points, points[1:]):
        labels = tuple(dict.fromkeys(label or "match" for s, e, label in ranges if s <= start and end <= e))
        if parts and parts[-1].labels == labels:
            parts[-1] = Part(parts[-1].text + text[start:end], labels)
        else:
            parts.append(Part(text[start:end], labels))
    return parts


# How much of the comment a reply answers the queue shows beside it.
PARENT_EXCERPT = 300


@dataclass(frozen=True)
class QueueFilter:
    """The console's queue filters; None means any."""

    status: str = CommentStatus.HELD.value
    site_id: int | None = None
    thread: str | None = None
    reason: str | None = None  # a filter name
    author: str | None = None
    search: str | None = None


@dataclass
class QueueItem:
    """One comment as the queue shows it."""

    id: int
    site_id: int
    site_name: str
    thread_key: str
    thread_title: str | None
    thread_url: str | None
    author: str
    author_key: str
    ip_hash: str | None
    created_at: datetime
    status: str
    decided_by: str | None
    parts: list[Part]
    verdicts: list[dict[str, Any]]
    history: dict[str, int] = field(default_factory=dict)
    reports: int = 0
    parent_id: int | None = None
    # The comment this one answers: {"id", "author", "text", "status"}, so a reply is judged in context.
    parent: dict[str, Any] | None = None


def _thread_url(site: Site, key: str) -> str | None:
    origins = site.origins or []
    return f"{origins[0].rstrip('/')}{key}" if origins else None


def queue_items(session: Session, site_ids: tuple[int, ...] | None, flt: QueueFilter, limit: int = 50,
                after: int | None = None) -> list[QueueItem]:
    """Return comments with the given status, oldest first, filtered, with history and highlighted reasons."""
    query = (
        select(Comment, Thread, Site)
        .join(Thread, Thread.id == Comment.thread_id)
        .join(Site, Site.id == Thread.site_id)
        .options(selectinload(Comment.verdicts))
        .order_by(Comment.id)
        .limit(limit)
    )
    query = _filtered(query, site_ids, flt, flt.status)
    if after is not None:
        query = query.where(Comment.id > after)
    rows = session.execute(query).all()
    items = [_item(comment, thread, site) for comment, thread, site in rows]
    _add_history_and_reports(session, items)
    return items


def _filtered(query: Any, site_ids: tuple[int, ...] | None, flt: QueueFilter, status: str) -> Any:
    """Narrow a query over Comment joined with Thread to the queue's status and filters."""
    if status == "review":
        # Published by the filters although one of them asked to hold: publish-then-review and trusted authors.
        reviewed = select(ModerationAction.comment_id)
        held_verdict = select(VerdictRecord.comment_id).where(VerdictRecord.action == "hold")
        query = query.where(Comment.status == CommentStatus.APPROVED.value, Comment.decided_by == "filters",
                            Comment.id.in_(held_verdict), Comment.id.not_in(reviewed))
    else:
        query = query.where(Comment.status == status)
    if site_ids is not None:
        query = query.where(Thread.site_id.in_(site_ids))
    if flt.site_id is not None:
        query = query.where(Thread.site_id == flt.site_id)
    if flt.thread:
        query = query.where(Thread.key == flt.thread)
    if flt.author:
        query = query.where(author_key_column() == flt.author)
    if flt.reason:
        query = query.where(Comment.id.in_(
            select(VerdictRecord.comment_id).where(VerdictRecord.filter == flt.reason,
                                                   VerdictRecord.action != "allow")))
    if flt.search:
        query = query.where(or_(Comment.text.contains(flt.search, autoescape=True),
                                Comment.author.contains(flt.search, autoescape=True)))
    return query


def queue_counts(session: Session, site_ids: tuple[int, ...] | None, flt: QueueFilter,
                 statuses: tuple[str, ...]) -> dict[str, int]:
    """Return how many comments each status tab holds under the queue's other filters."""
    counts = {}
    for status in statuses:
        query = select(func.count(Comment.id)).join(Thread, Thread.id == Comment.thread_id)
        counts[status] = int(session.execute(_filtered(query, site_ids, flt, status)).scalar_one())
    return counts


def _item(comment: Comment, thread: Thread, site: Site) -> QueueItem:
    verdicts = [
        {"filter": v.filter, "action": v.action, "score": v.score, "reasons": v.reasons or [],
         "spans": v.spans or []}
        for v in comment.verdicts if v.action != "allow"
    ]
    spans = [s for v in verdicts for s in v["spans"]]
    return QueueItem(
        id=comment.id, site_id=site.id, site_name=site.name, thread_key=thread.key, thread_title=thread.title,
        thread_url=_thread_url(site, thread.key), author=comment.author, author_key=author_key_of(comment),
        ip_hash=comment.ip_hash, created_at=comment.created_at, status=comment.status,
        decided_by=comment.decided_by, parts=highlight(comment.text, spans), verdicts=verdicts,
        parent_id=comment.parent_id,
    )


def _add_history_and_reports(session: Session, items: list[QueueItem]) -> None:
    if not items:
        return
    history = author_history(session, None, sorted({i.author_key for i in items}))
    reports = dict(session.execute(
        select(Report.comment_id, func.count(Report.id)).where(Report.comment_id.in_([i.id for i in items]))
        .group_by(Report.comment_id)
    ).all())
    parent_ids = {i.parent_id for i in items if i.parent_id is not None}
    parents = {
        row.id: {"id": row.id, "author": row.author, "text": row.text[:PARENT_EXCERPT], "status": row.status,
                 "cut": len(row.text) > PARENT_EXCERPT}
        for row in session.execute(select(Comment.id, Comment.author, Comment.text, Comment.status)
                                   .where(Comment.id.in_(parent_ids)))
    } if parent_ids else {}
    for item in items:
        item.history = history.get((item.site_id, item.author_key), {"approved": 0, "rejected": 0})
        item.reports = int(reports.get(item.id, 0))
        item.parent = parents.get(item.parent_id) if item.parent_id is not None else None


def comment_states(session: Session, site_ids: tuple[int, ...] | None, ids: list[int]) -> list[dict[str, Any]]:
    """Return the status of each comment, with the moderator who decided it last (None: the filters or nobody)."""
    if not ids:
        return []
    query = select(Comment.id, Comment.status).join(Thread, Thread.id == Comment.thread_id).where(Comment.id.in_(ids))
    if site_ids is not None:
        query = query.where(Thread.site_id.in_(site_ids))
    states = {comment_id: {"id": comment_id, "status": status, "by": None}
              for comment_id, status in session.execute(query)}
    for comment_id, moderator in session.execute(
            select(ModerationAction.comment_id, ModerationAction.moderator)
            .where(ModerationAction.comment_id.in_(list(states))).order_by(ModerationAction.id)):
        states[comment_id]["by"] = moderator
    return [states[i] for i in sorted(states)]


@dataclass
class ReportGroup:
    """A reported comment with how often and why it was reported."""

    item: QueueItem
    count: int
    reasons: dict[str, int]
    texts: list[str]
    last_at: datetime


def report_groups(session: Session, site_ids: tuple[int, ...] | None, site_id: int | None = None,
                  limit: int = 100) -> list[ReportGroup]:
    """Return reported comments still visible (published or held), most reported first."""
    query = (
        select(Report.comment_id, func.count(Report.id), func.max(Report.created_at))
        .join(Comment, Comment.id == Report.comment_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.status.in_([CommentStatus.APPROVED.value, CommentStatus.HELD.value]))
        .group_by(Report.comment_id)
        .order_by(func.count(Report.id).desc(), Report.comment_id)
        .limit(limit)
    )
    if site_ids is not None:
        query = query.where(Thread.site_id.in_(site_ids))
    if site_id is not None:
        query = query.where(Thread.site_id == site_id)
    counted = session.execute(query).all()
    if not counted:
        return []
    ids = [row[0] for row in counted]
    rows = session.execute(
        select(Comment, Thread, Site).join(Thread, Thread.id == Comment.thread_id)
        .join(Site, Site.id == Thread.site_id).where(Comment.id.in_(ids))
        .options(selectinload(Comment.verdicts))
    ).all()
    items = {comment.id: _item(comment, thread, site) for comment, thread, site in rows}
    _add_history_and_reports(session, list(items.values()))
    details: dict[int, tuple[dict[str, int], list[str]]] = {i: ({}, []) for i in ids}
    for report in session.scalars(select(Report).where(Report.comment_id.in_(ids)).order_by(Report.id)):
        reasons, texts = details[report.comment_id]
        reasons[report.reason] = reasons.get(report.reason, 0) + 1
        if report.text:
            texts.append(report.text)
    return [ReportGroup(items[cid], count, details[cid][0], details[cid][1][:10], last)
            for cid, count, last in counted if cid in items]


def dismiss_reports(session: Session, comment_id: int) -> int:
    """Drop a comment's reports (the moderator found nothing wrong); return how many."""
    reports = list(session.scalars(select(Report).where(Report.comment_id == comment_id)))
    for report in reports:
        session.delete(report)
    return len(reports)


@dataclass(frozen=True)
class AuditFilter:
    """The audit log's filters; None means any."""

    moderator: str | None = None
    site_id: int | None = None
    comment_id: int | None = None
    status: str | None = None


def audit_entries(session: Session, site_ids: tuple[int, ...] | None, flt: AuditFilter,
                  limit: int = 200) -> list[dict[str, Any]]:
    """Return moderators' decisions and other console actions, newest first, filtered."""
    query = (
        select(ModerationAction, Thread.site_id, Thread.key)
        .join(Comment, Comment.id == ModerationAction.comment_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .order_by(ModerationAction.id.desc())
        .limit(limit)
    )
    events = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if site_ids is not None:
        query = query.where(Thread.site_id.in_(site_ids))
        events = events.where(AuditEvent.site_id.in_(site_ids))
    if flt.site_id is not None:
        query = query.where(Thread.site_id == flt.site_id)
        events = events.where(AuditEvent.site_id == flt.site_id)
    if flt.moderator:
        query = query.where(ModerationAction.moderator == flt.moderator)
        events = events.where(AuditEvent.actor == flt.moderator)
    if flt.comment_id is not None:
        query = query.where(ModerationAction.comment_id == flt.comment_id)
        events = events.where(AuditEvent.target == f"comment:{flt.comment_id}")
    if flt.status:
        query = query.where(ModerationAction.new_status == flt.status)
    entries = [
        {"at": action.created_at, "actor": action.moderator, "action": "decide", "site_id": site_id,
         "comment_id": action.comment_id, "thread": thread_key, "previous": action.previous_status,
         "new": action.new_status, "note": action.note or ""}
        for action, site_id, thread_key in session.execute(query)
    ]
    if not flt.status:
        entries += [
            {"at": e.created_at, "actor": e.actor, "action": e.action, "site_id": e.site_id, "comment_id": None,
             "thread": None, "previous": "", "new": e.target,
             "note": ", ".join(f"{k}={v}" for k, v in sorted((e.details or {}).items())), "details": e.details or {}}
            for e in session.scalars(events)
        ]
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:limit]


def record_event(session: Session, actor: str, event: str, site_id: int | None, target: str,
                 **details: Any) -> None:
    """Add a console action to the audit log, in the caller's transaction."""
    session.add(AuditEvent(actor=actor, action=event, site_id=site_id, target=target[:200],
                           details={k: v for k, v in details.items() if v is not None}))
