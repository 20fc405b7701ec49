"""Comments: accepting a submission durably, telling its author where it stands, reading threads."""
from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import reader_reasons
from service.config import Config
from service.db import Database, PreparedInsert
from service.exceptions import CommentNotFound, FieldTooLong, InvalidField, ParentInOtherThread, ThreadNotFound
from service.keys import hash_token, new_token
from service.loop_writes import in_thread
from service.models import Comment, CommentStatus, Site, Thread, utcnow
from service.payload import int_field, text_field
from service.queue import ModerationBatcher
from service.signals import comment_submitted

logger = logging.getLogger(__name__)

MAX_THREAD_KEY = 500
MAX_TITLE = 300
MAX_EMAIL = 254
MAX_PAGE = 200


@dataclass(frozen=True)
class Submission:
    """A validated comment submission."""

    thread: str
    thread_title: str | None
    author: str
    email: str | None
    text: str
    parent: int | None


@dataclass(frozen=True)
class Accepted:
    """A comment just committed as pending: what its author is told."""

    id: int
    status: str


def normalise_thread_key(key: str) -> str:
    """Return a thread key with exactly one leading slash, so /a and a name the same article."""
    return "/" + key.strip().lstrip("/")


def parse_submission(data: dict[str, Any], config: Config) -> Submission:
    """Validate the fields of a new comment."""
    thread = normalise_thread_key(text_field(data, "thread", MAX_THREAD_KEY) or "")
    if len(thread) > MAX_THREAD_KEY:  # the leading slash added to "a" * 500 makes 501
        raise FieldTooLong(f"The field 'thread' is longer than {MAX_THREAD_KEY} characters.", field="thread",
                           max_length=MAX_THREAD_KEY)
    email = text_field(data, "email", MAX_EMAIL, required=False)
    if email is not None and ("@" not in email or any(c.isspace() for c in email)):
        raise InvalidField("The field 'email' is not an email address.", field="email")
    return Submission(
        thread=thread,
        thread_title=text_field(data, "thread_title", MAX_TITLE, required=False),
        author=text_field(data, "author", config.max_author_length) or "",
        email=email,
        text=text_field(data, "text", config.max_comment_length) or "",
        parent=int_field(data, "parent"),
    )


class ThreadIds:
    """Thread ids by (site, key), remembered per process: threads are never renamed or removed alone."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self.max_entries = max_entries
        self._ids: dict[tuple[int, str], int] = {}

    def cached(self, site_id: int, key: str) -> int | None:
        """Return the thread's id if this process has seen it."""
        return self._ids.get((site_id, key))

    def get_or_create(self, conn: Connection, site_id: int, key: str, title: str | None, remember: bool = True) -> int:
        """Return the thread's id, creating the thread on its first comment.

        With `remember=False` the id is not remembered: a thread created in a transaction that has not
        committed must not be handed to other requests (their INSERTs would fail its foreign key); the
        caller calls `remember` once it has committed.
        """
        cached = self._ids.get((site_id, key))
        if cached is not None:
            return cached
        where = (Thread.site_id == site_id, Thread.key == key)
        row = conn.execute(select(Thread.id, Thread.title).where(*where)).first()
        if row is None:
            try:
                with conn.begin_nested():
                    thread_id = conn.execute(
                        insert(Thread).values(site_id=site_id, key=key, title=title, created_at=utcnow())
                        .returning(Thread.id)
                    ).scalar_one()
            except IntegrityError:  # created by a concurrent request
                thread_id = conn.execute(select(Thread.id).where(*where)).scalar_one()
        else:
            thread_id = row.id
            if title and not row.title:
                conn.execute(update(Thread).where(Thread.id == thread_id).values(title=title))
        if remember:
            self.remember(site_id, key, thread_id)
        return thread_id

    def remember(self, site_id: int, key: str, thread_id: int) -> None:
        """Remember a thread's id (a committed thread's)."""
        if len(self._ids) >= self.max_entries:
            self._ids.clear()
        self._ids[(site_id, key)] = thread_id


def submit_comment(db: Database, batcher: ModerationBatcher, site: Site, submission: Submission,
                   ip_hash: str | None, thread_ids: ThreadIds | None = None,
                   user_id: str | None = None, reader_id: int | None = None,
                   reply_notice_lang: str | None = None) -> tuple[Accepted, str]:
    """Commit the comment as pending, then have its moderation enqueued; return it with the author's token."""
    token = new_token()
    values = dict(
        parent_id=submission.parent, author=submission.author, email=submission.email, text=submission.text,
        status=CommentStatus.PENDING.value, ip_hash=ip_hash, token_hash=hash_token(token), reasons=[],
        created_at=utcnow(), user_id=user_id, reader_id=reader_id, reply_notice_lang=reply_notice_lang,
    )
    thread_id = thread_ids.cached(site.id, submission.thread) if thread_ids is not None else None
    if thread_id is not None and submission.parent is None:
        # The usual case, a top-level comment in a known thread: one INSERT on the driver's cursor, committed
        # with those of other requests arriving at the same time (Database.insert_one). Through a Core
        # connection the whole POST cost 0.68-1.01 ms of CPU in process, 0.42-0.56 ms on the driver's cursor
        # (SQLite, three runs each; PostgreSQL within its noise).
        comment_id = db.insert_one(_INSERT_COMMENT_FAST, {"thread_id": thread_id, **values})
    else:  # on the web server's event loop, in an app thread (service/loop_writes.py)
        comment_id = in_thread(_insert_comment, db, site, submission, thread_ids, values)
    # Not an ORM Comment: building one cost a tenth of a millisecond per POST, for two fields.
    comment = Accepted(comment_id, CommentStatus.PENDING.value)
    # Committed above: from here on the comment cannot be lost, whatever happens to Redis or to this
    # process. Whether its job was queued is not written back (a second commit per comment); the
    # reconciler asks RQ instead.
    batcher.add(comment.id)
    comment_submitted.send(comment.id, comment_id=comment.id)
    return comment, token


def _insert_comment(db: Database, site: Site, submission: Submission, thread_ids: ThreadIds | None,
                    values: dict[str, Any]) -> int:
    """Insert a comment whose thread may be new or whose parent must be checked; return its id."""
    # A Core connection, not an ORM session: on this path the session's bookkeeping cost as much CPU as
    # the INSERT and the commit together (0.69 against 0.34 ms, measured).
    thread_ids = thread_ids or ThreadIds()
    with db.write_connection() as conn:
        thread_id = thread_ids.get_or_create(conn, site.id, submission.thread, submission.thread_title, remember=False)
        if submission.parent is not None:
            parent = conn.execute(
                select(Comment.thread_id, Comment.status).where(Comment.id == submission.parent)).first()
            if parent is None or parent.status == CommentStatus.DELETED.value:
                raise CommentNotFound("The comment replied to does not exist.")
            if parent.thread_id != thread_id:
                raise ParentInOtherThread()
        comment_id = conn.execute(_INSERT_COMMENT, {"thread_id": thread_id, **values}).scalar_one()
    thread_ids.remember(site.id, submission.thread, thread_id)  # committed: other requests may use it
    return comment_id


_INSERT_COMMENT = insert(Comment).returning(Comment.id)
_INSERT_COMMENT_FAST = PreparedInsert(_INSERT_COMMENT, (
    "thread_id", "parent_id", "author", "email", "text", "status", "ip_hash", "token_hash", "reasons", "created_at",
    "user_id", "reader_id", "reply_notice_lang"))


def comment_status(session: Session, comment_id: int, token: str | None,
                   lang: str = reader_reasons.DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Return a comment's status and, in `lang`, the reason for its author; the token proves authorship."""
    comment = session.get(Comment, comment_id)
    # The same 404 for a wrong token as for a missing comment: ids must not be probed.
    if comment is None or not token or not hmac.compare_digest(comment.token_hash, hash_token(token)):
        raise CommentNotFound()
    body: dict[str, Any] = {"id": comment.id, "status": comment.status}
    if comment.decided_by == "shadow_ban":
        # A shadow-banned author is shown their comment as published; nobody else sees it.
        body["status"] = CommentStatus.APPROVED.value
    if comment.status != CommentStatus.PENDING.value:
        # One sentence naming the kind of problem at most; empty for a shadow ban, shown as published.
        code, said = reader_reasons.sentence(comment.reasons or [], body["status"], lang)
        body["reasons"] = [said] if said else []
        body["reason_code"] = code or None
        body["decided_at"] = comment.decided_at.isoformat() if comment.decided_at else None
    return body


def public_fields(comment: Comment) -> dict[str, Any]:
    """Return what readers see of an approved comment, with an empty list for its replies."""
    body = {
        "id": comment.id,
        "parent": comment.parent_id,
        "author": comment.author,
        "verified": comment.user_id is not None,  # posted by a reader the site signed in
        "text": comment.text,
        "created_at": comment.created_at.isoformat(),
        "replies": [],
    }
    if not comment.text:  # a tombstone left by a privacy erasure (service/privacy.py)
        body["erased"] = True
    return body


def thread_page(session: Session, site_id: int, key: str, after: int | None, limit: int,
                newest_first: bool = False) -> dict[str, Any]:
    """Return approved comments of a thread, oldest (or newest) first, replies nested under their parents.

    Pages count top-level comments; each comes with all its approved replies, oldest first. `next` is the
    cursor: the last top-level comment's id, read as "after it" in the page's order.
    """
    thread = session.scalar(select(Thread).where(Thread.site_id == site_id, Thread.key == key))
    if thread is None:
        raise ThreadNotFound()
    approved = CommentStatus.APPROVED.value
    total = session.scalar(
        select(func.count()).select_from(Comment).where(Comment.thread_id == thread.id, Comment.status == approved)
    )
    top_query = (
        select(Comment)
        .where(Comment.thread_id == thread.id, Comment.status == approved, Comment.parent_id.is_(None))
        .order_by(Comment.id.desc() if newest_first else Comment.id)
        .limit(limit + 1)
    )
    if after is not None:
        top_query = top_query.where(Comment.id < after if newest_first else Comment.id > after)
    top = list(session.scalars(top_query))
    has_more = len(top) > limit
    top = top[:limit]
    nodes: dict[int, dict[str, Any]] = {c.id: public_fields(c) for c in top}
    if top:
        # Replies of this page's comments, at any depth: walk down level by level.
        frontier = list(nodes)
        while frontier:
            replies = list(session.scalars(
                select(Comment)
                .where(Comment.thread_id == thread.id, Comment.status == approved, Comment.parent_id.in_(frontier))
                .order_by(Comment.id)
            ))
            frontier = []
            for reply in replies:
                node = public_fields(reply)
                nodes[reply.id] = node
                nodes[reply.parent_id]["replies"].append(node)
                frontier.append(reply.id)
    return {
        "thread": thread.key,
        "title": thread.title,
        "total": total,
        "comments": [nodes[c.id] for c in top],
        "next": str(top[-1].id) if has_more and top else None,
    }


def thread_counts(session: Session, site_id: int, keys: list[str]) -> dict[str, int]:
    """Return the number of approved comments of each thread key (0 for unknown threads)."""
    counts = {key: 0 for key in keys}
    if not keys:
        return counts
    rows = session.execute(
        select(Thread.key, func.count(Comment.id))
        .join(Comment, Comment.thread_id == Thread.id)
        .where(Thread.site_id == site_id, Thread.key.in_(keys), Comment.status == CommentStatus.APPROVED.value)
        .group_by(Thread.key)
    )
    counts.update({key: count for key, count in rows})
    return counts


class ThreadCache:
    """Approved-comment pages cached in Redis, one hash per thread, dropped when a decision touches it.

    A generation counter per thread closes the race between a reader and a decision: the reader notes the
    generation before it reads the database, and its page is cached only if no decision bumped the
    generation meanwhile; otherwise a page read just before the decision could outlive its invalidation.
    Fails open: when Redis is unreachable the page is read from the database.
    """

    _PUT = (
        "if (redis.call('GET', KEYS[2]) or '0') == ARGV[3] then "
        "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]); redis.call('EXPIRE', KEYS[1], ARGV[4]) end"
    )
    GENERATION_TTL = 3600  # outlives any cached page by far

    def __init__(self, redis: Redis, ttl: int) -> None:
        self.redis = redis
        self.ttl = ttl

    @staticmethod
    def key(site_id: int, thread_key: str) -> str:
        """Return the Redis key of a thread's cached pages."""
        return f"thread-pages:{site_id}:{thread_key}"

    @staticmethod
    def generation_key(site_id: int, thread_key: str) -> str:
        """Return the Redis key of a thread's generation counter."""
        return f"thread-generation:{site_id}:{thread_key}"

    def get(self, site_id: int, thread_key: str, page: str) -> tuple[bytes | None, str | None]:
        """Return a cached page body (or None) and the thread's generation, for `put`."""
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.hget(self.key(site_id, thread_key), page)
            pipe.get(self.generation_key(site_id, thread_key))
            body, generation = pipe.execute()
        except RedisError:
            return None, None
        return body, (generation or b"0").decode()

    def cached(self, site_id: int, thread_key: str, page: str) -> bytes | None:
        """Return a cached page body, or None (not cached, or Redis unavailable): one round trip, for readers
        that will not `put` (the web server's fast lane)."""
        try:
            return self.redis.hget(self.key(site_id, thread_key), page)
        except RedisError:
            return None

    def put(self, site_id: int, thread_key: str, page: str, body: bytes, generation: str | None) -> None:
        """Cache a page body for `ttl` seconds, unless a decision changed the thread since `get`."""
        if generation is None:
            return
        try:
            self.redis.eval(self._PUT, 2, self.key(site_id, thread_key), self.generation_key(site_id, thread_key),
                            page, body, generation, self.ttl)
        except RedisError:
            pass

    def invalidate(self, site_id: int, thread_key: str) -> None:
        """Drop every cached page of a thread and bump its generation."""
        self.invalidate_many([(site_id, thread_key)])

    def invalidate_many(self, threads: Iterable[tuple[int, str]]) -> None:
        """Drop the cached pages of several (site, thread key) threads in one round trip.

        A worker's batch approves comments in many threads; one MULTI per thread was a round trip each.
        """
        try:
            pipe = self.redis.pipeline(transaction=True)
            for site_id, thread_key in threads:
                pipe.incr(self.generation_key(site_id, thread_key))
                pipe.expire(self.generation_key(site_id, thread_key), self.GENERATION_TTL)
                pipe.delete(self.key(site_id, thread_key))
            if len(pipe):
                pipe.execute()
        except RedisError:
            logger.warning("could not drop the cached pages of a thread; they expire on their own")


def page_json(page: dict[str, Any]) -> bytes:
    """Serialise a page for the cache and the response alike."""
    return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()
