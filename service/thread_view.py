"""The thread page readers get: approved comments in the chosen order (oldest, newest or hot), pinned ones
first, each with its like count and avatar digits, and whether the thread is closed.

Hot (热评) ranks top-level comments by `(1 + likes + 2 × direct replies) / (hours since posting + 2) ** 1.5`
(the gravity of Hacker News's ranking): a reply counts as two likes, and a comment's weight halves in about
its first 1.2 hours and keeps falling, so yesterday's favourite gives way to today's. Ties go to the newer
comment. A hot page's `next` is an offset into that ranking, not an id; the ranking moves as readers like,
so a reader paging through a busy thread may meet a comment twice, which is cheaper than freezing it.

Pinned comments lead the first page of every order and are left out of the ranking below them.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.avatars import avatar_key
from service.comments import public_fields, thread_page
from service.models import Comment, CommentStatus, Like, Site, Thread, utcnow
from service.thread_admin import pinned_ids

ORDERS = ("oldest", "newest", "hot")
HOT_GRAVITY = 1.5
REPLY_WEIGHT = 2


def hot_score(likes: int, replies: int, created_at: datetime, now: datetime) -> float:
    """Return a top-level comment's hot score: likes and replies, decayed with the comment's age."""
    hours = max(0.0, (now - created_at).total_seconds() / 3600)
    return (1 + likes + REPLY_WEIGHT * replies) / (hours + 2) ** HOT_GRAVITY


def thread_view(session: Session, site: Site, key: str, after: int | None, limit: int, order: str,
                secret: str) -> dict[str, Any]:
    """Return a page of a thread for readers: ordered, pinned comments first, likes and avatars, closed or not."""
    thread = session.execute(select(Thread.id, Thread.key, Thread.title, Thread.closed_at)
                             .where(Thread.site_id == site.id, Thread.key == key)).first()
    if thread is None:
        # A new article's thread exists only once its first comment is posted: until then it is an empty
        # thread, not an error (a 404 would log a red console error on every fresh article page).
        return empty_thread(site, key, order)
    pins = pinned_ids(session, thread.id)
    if order == "hot":
        page = _hot_page(session, thread, after or 0, limit, set(pins))
    else:
        # Asked for as many more as there are pins, so that a page without them is still full.
        page = thread_page(session, site.id, key, after, limit + len(pins), newest_first=order == "newest")
        kept = [c for c in page["comments"] if c["id"] not in pins]
        if len(kept) > limit:
            kept = kept[:limit]
            page["next"] = str(kept[-1]["id"])
        page["comments"] = kept
    if not after and pins:  # the first page (after=0 is cached as the first page too)
        pinned = _with_replies(session, thread.id, _comments_in_order(session, pins))
        for node in pinned:
            node["pinned"] = True
        page["comments"] = pinned + page["comments"]
    page["order"] = order
    page["closed"] = thread.closed_at is not None
    page["domains"] = _domains(site)
    _decorate(session, site.id, page["comments"], secret)
    return page


def empty_thread(site: Site, key: str, order: str) -> dict[str, Any]:
    """Return the page of a thread nobody has commented on yet: no comments, open."""
    return {"thread": key, "title": None, "total": 0, "comments": [], "next": None, "order": order,
            "closed": False, "domains": _domains(site)}


def _domains(site: Site) -> list[str]:
    # The site's own domains: the widget links to them without rel="nofollow".
    domains = (site.settings or {}).get("allowed_domains") or []
    return [str(d) for d in domains if isinstance(d, str)][:50]


def _approved_top(thread_id: int) -> tuple[Any, ...]:
    return (Comment.thread_id == thread_id, Comment.status == CommentStatus.APPROVED.value,
            Comment.parent_id.is_(None))


def _hot_page(session: Session, thread: Any, offset: int, limit: int, pinned: set[int]) -> dict[str, Any]:
    approved = CommentStatus.APPROVED.value
    total = session.scalar(select(func.count()).select_from(Comment)
                           .where(Comment.thread_id == thread.id, Comment.status == approved))
    tops = session.execute(select(Comment.id, Comment.created_at).where(*_approved_top(thread.id))).all()
    likes = dict(session.execute(
        select(Like.comment_id, func.count()).join(Comment, Comment.id == Like.comment_id)
        .where(*_approved_top(thread.id)).group_by(Like.comment_id)).all())
    replies = dict(session.execute(
        select(Comment.parent_id, func.count())
        .where(Comment.thread_id == thread.id, Comment.status == approved, Comment.parent_id.is_not(None))
        .group_by(Comment.parent_id)).all())
    now = utcnow()
    ranked = sorted((row for row in tops if row.id not in pinned),
                    key=lambda row: (-hot_score(likes.get(row.id, 0), replies.get(row.id, 0), row.created_at, now),
                                     -row.id))
    chosen = [row.id for row in ranked[offset:offset + limit]]
    return {
        "thread": thread.key,
        "title": thread.title,
        "total": total,
        "comments": _with_replies(session, thread.id, _comments_in_order(session, chosen)),
        "next": str(offset + limit) if len(ranked) > offset + limit else None,
    }


def _comments_in_order(session: Session, ids: list[int]) -> list[Comment]:
    if not ids:
        return []
    found = {c.id: c for c in session.scalars(select(Comment).where(Comment.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def _with_replies(session: Session, thread_id: int, tops: list[Comment]) -> list[dict[str, Any]]:
    """Return nodes for top-level comments with their approved replies at any depth, oldest first."""
    nodes = {c.id: public_fields(c) for c in tops}
    frontier = list(nodes)
    while frontier:
        replies = session.scalars(
            select(Comment).where(Comment.thread_id == thread_id, Comment.status == CommentStatus.APPROVED.value,
                                  Comment.parent_id.in_(frontier)).order_by(Comment.id))
        frontier = []
        for reply in replies:
            nodes[reply.id] = public_fields(reply)
            nodes[reply.parent_id]["replies"].append(nodes[reply.id])
            frontier.append(reply.id)
    return [nodes[c.id] for c in tops]


def _walk(nodes: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node["replies"])


def _decorate(session: Session, site_id: int, top: list[dict[str, Any]], secret: str) -> None:
    """Give every comment of a page its like count and its author's avatar digits (one query per 500)."""
    nodes = {node["id"]: node for node in _walk(top)}
    ids = list(nodes)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Comment.id, Comment.user_id, Comment.email, Comment.author, Comment.reader_id, func.count(Like.id))
            .outerjoin(Like, Like.comment_id == Comment.id)
            .where(Comment.id.in_(ids[start:start + 500]))
            .group_by(Comment.id, Comment.user_id, Comment.email, Comment.author, Comment.reader_id))
        for comment_id, user_id, email, author, reader_id, likes in rows:
            node = nodes[comment_id]
            node["likes"] = likes
            node["avatar"] = avatar_key(secret, site_id, user_id, email, author, reader_id)
