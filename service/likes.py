"""Readers' likes (点赞): one per reader per published comment, rate-limited, counted for the thread page.

A reader is named by a keyed hash (`SECRET_KEY`), never in clear:

- a signed-in reader (the host site's `user_token`) by their user id, as reports do;
- a guest by a browser token the service signs and the widget keeps (`reader_token`, issued with the
  guest's first like). Minting tokens is easy for a script, so each like also stores the hashed address,
  and one address may like one comment at most `likes_per_address` times (default 5: a household or an
  office behind one address still counts as several readers, a script behind one address does not).

Likes and un-likes count against sliding-window limits in Redis (`service/rate_limits.py`, failing open
as every limit there does): per address and per reader, each a site setting (`rate_likes_per_ip_minute`,
`rate_likes_per_reader_minute`; 0 turns a limit off).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db import Database
from service.exceptions import CommentNotFound, InvalidField, RateLimited
from service.identity import Reader, reader_hash
from service.keys import hash_ip
from service.models import Comment, CommentStatus, Like, Site, Thread, utcnow
from service.rate_limits import MINUTE, Limit

TOKEN_PREFIX = "mrt1"
DEFAULT_LIKES_PER_ADDRESS = 5
# (site setting, window in seconds, default count); a setting of 0 turns its limit off.
LIKE_LIMITS = {
    "likes_per_ip_minute": (MINUTE, 30),
    "likes_per_reader_minute": (MINUTE, 20),
}


@dataclass(frozen=True)
class Liker:
    """Who likes: the keyed hash that names the reader, and the token to hand back to a new guest."""

    liker_hash: str
    new_token: str | None = None


@dataclass(frozen=True)
class LikeState:
    """A comment's like count after a like or an un-like, and whether this reader now likes it."""

    comment_id: int
    likes: int
    liked: bool
    changed: bool  # False when the reader already liked it (or did not, for an un-like)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _token_signature(secret: str, token_id: str) -> str:
    return _b64(hmac.new(secret.encode(), f"reader-token:{token_id}".encode(), hashlib.sha256).digest()[:18])


def new_reader_token(secret: str) -> str:
    """Return a new signed browser token for a guest reader."""
    token_id = _b64(secrets.token_bytes(16))
    return f"{TOKEN_PREFIX}.{token_id}.{_token_signature(secret, token_id)}"


def verify_reader_token(secret: str, token: str) -> str:
    """Return the id inside a browser token this service signed, or raise InvalidField."""
    parts = token.split(".") if isinstance(token, str) and len(token) <= 100 else []
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1]:
        raise InvalidField("The field 'reader_token' is not a token of this service.", field="reader_token")
    if not hmac.compare_digest(_token_signature(secret, parts[1]).encode(), parts[2].encode("ascii", "replace")):
        raise InvalidField("The field 'reader_token' is not a token of this service.", field="reader_token")
    return parts[1]


def liker_for(secret: str, site_id: int, reader: Reader | None, data: Mapping[str, Any]) -> Liker:
    """Return who is liking: the signed-in reader, else the guest of `reader_token` (a new one when absent)."""
    if reader is not None:
        return Liker(reader_hash(secret, site_id, reader))
    token = data.get("reader_token")
    new_token = None
    if token is None or token == "":
        token = new_token = new_reader_token(secret)
    token_id = verify_reader_token(secret, token)
    digest = hmac.new(secret.encode(), f"guest:{site_id}:{token_id}".encode(), hashlib.sha256).hexdigest()[:32]
    return Liker(digest, new_token)


def like_limits(secret: str, settings: Mapping[str, Any] | None, address: str | None,
                liker: Liker) -> list[Limit]:
    """Return the rate limits a like or an un-like counts against: its address and its reader."""
    subjects = {"likes_per_ip_minute": hash_ip(secret, address), "likes_per_reader_minute": liker.liker_hash}
    limits = []
    for name, (window, default) in LIKE_LIMITS.items():
        count = _setting(settings, "rate_" + name, default)
        if count > 0 and subjects[name]:
            limits.append(Limit(f"rate:{name}:{subjects[name]}", count, window))
    return limits


def _setting(settings: Mapping[str, Any] | None, name: str, default: int) -> int:
    value = (settings or {}).get(name)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return default


def _published_thread_key(session: Session, site: Site, comment_id: int) -> str:
    """Return the thread key of a published comment of `site`, or raise CommentNotFound."""
    row = session.execute(
        select(Comment.status, Thread.site_id, Thread.key).join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.id == comment_id)
    ).first()
    if row is None or row.site_id != site.id or row.status != CommentStatus.APPROVED.value:
        raise CommentNotFound()
    return row.key


def _count(session: Session, comment_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Like).where(Like.comment_id == comment_id)) or 0


def like(db: Database, site: Site, comment_id: int, liker: Liker, ip_hash: str | None) -> tuple[LikeState, str]:
    """Record a reader's like of a published comment (again is no change); return the state and the thread key."""
    with db.write() as session:
        thread_key = _published_thread_key(session, site, comment_id)
        already = session.scalar(select(Like.id).where(Like.comment_id == comment_id,
                                                       Like.liker_hash == liker.liker_hash))
        changed = already is None
        if changed:
            cap = _setting(site.settings, "likes_per_address", DEFAULT_LIKES_PER_ADDRESS)
            if ip_hash is not None and cap > 0:
                from_address = session.scalar(select(func.count()).select_from(Like).where(
                    Like.comment_id == comment_id, Like.ip_hash == ip_hash))
                if from_address >= cap:
                    raise RateLimited("Too many likes of this comment from your network.")
            try:
                with session.begin_nested():
                    session.add(Like(comment_id=comment_id, liker_hash=liker.liker_hash, ip_hash=ip_hash,
                                     created_at=utcnow()))
            except IntegrityError:
                changed = False  # the same reader's like from a concurrent request: liked either way
        return LikeState(comment_id, _count(session, comment_id), True, changed), thread_key


def unlike(db: Database, site: Site, comment_id: int, liker: Liker) -> tuple[LikeState, str]:
    """Withdraw a reader's like (none is no change); return the state and the thread key."""
    with db.write() as session:
        thread_key = _published_thread_key(session, site, comment_id)
        gone = session.execute(delete(Like).where(Like.comment_id == comment_id, Like.liker_hash == liker.liker_hash))
        return LikeState(comment_id, _count(session, comment_id), False, bool(gone.rowcount)), thread_key
