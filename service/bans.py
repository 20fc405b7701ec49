"""Bans of authors and hashed IPs, per site, for a time or for good; shadow bans hide without telling."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Row, String, and_, bindparam, cast, func, literal_column, or_, select, update
from sqlalchemy.orm import Session

from service import reader_reasons
from service.reason_text import reason
from service.exceptions import InvalidField, NotFound
from service.models import Ban, Comment, CommentStatus, ModerationAction, Thread, VerdictRecord, utcnow

# decided_by of comments refused by a ban; a shadow-banned author is told their comment is published.
DECIDED_BY_BAN = "ban"
DECIDED_BY_SHADOW_BAN = "shadow_ban"
BAN_REASON = reader_reasons.BANNED  # the author is told, in their language, that they may not comment


READER_KEY_PREFIX = "reader:"  # author keys of reader accounts; guests may not take such a nickname


def author_key_for(user_id: str | None, reader_id: int | None, author: str) -> str:
    """Return the author key of a host-signed user id, else a reader account, else a nickname."""
    if user_id:
        return user_id
    if reader_id is not None:
        return f"{READER_KEY_PREFIX}{reader_id}"
    return author


def author_key_of(comment: Comment) -> str:
    """Return the key a ban or a trust count names an author by: the verified user id, the account, or the nickname."""
    return author_key_for(comment.user_id, comment.reader_id, comment.author)


def author_key_column():  # type: ignore[no-untyped-def]
    """Return the SQL expression of `author_key_of`, for grouping and filtering."""
    # A literal, not a bound parameter: PostgreSQL matches a GROUP BY expression only if it is the same text.
    account = literal_column(f"'{READER_KEY_PREFIX}'", String) + cast(Comment.reader_id, String)
    return func.coalesce(Comment.user_id, account, Comment.author)


def ban_query(site_id: int, author_key: str | None, ip_hash: str | None, now: datetime | None = None):  # type: ignore[no-untyped-def]
    """Return the SELECT of the ban in force on the site for the author or hashed IP (shadow bans first)."""
    query = bans_query(site_id, [author_key] if author_key else [], [ip_hash] if ip_hash else [], now)
    return None if query is None else query.limit(1)


# Built once, its lists expanding parameters: a worker reads the bans of every batch it decides, and building
# it per job was part of what service.moderation's statements, built once, took off each batch.
_BANS_IN_FORCE = (
    select(Ban)
    .where(Ban.site_id == bindparam("site_id"), Ban.lifted_at.is_(None),
           or_(Ban.until.is_(None), Ban.until > bindparam("now")),
           or_(Ban.author_key.in_(bindparam("author_keys", expanding=True)),
               Ban.ip_hash.in_(bindparam("ip_hashes", expanding=True))))
    .order_by(Ban.shadow.desc(), Ban.id)
)


def _bans_parameters(site_id: int, author_keys: list[str], ip_hashes: list[str],
                     now: datetime | None) -> dict[str, object]:
    return {"site_id": site_id, "now": now or utcnow(), "author_keys": sorted(set(author_keys)),
            "ip_hashes": sorted(set(ip_hashes))}


def bans_query(site_id: int, author_keys: list[str], ip_hashes: list[str], now: datetime | None = None):  # type: ignore[no-untyped-def]
    """Return the SELECT of every ban in force on the site for any of the authors or hashed IPs."""
    if not author_keys and not ip_hashes:
        return None
    return _BANS_IN_FORCE.params(_bans_parameters(site_id, author_keys, ip_hashes, now))


def bans_in_force(conn: Connection, site_id: int, author_keys: list[str], ip_hashes: list[str],
                  now: datetime | None = None) -> list[Row]:
    """Return the rows of every ban in force on the site for any of the authors or hashed IPs (`bans_query`'s)."""
    if not author_keys and not ip_hashes:
        return []
    return list(conn.execute(_BANS_IN_FORCE, _bans_parameters(site_id, author_keys, ip_hashes, now)))


def ban_for(bans: list, author_key: str | None, ip_hash: str | None):  # type: ignore[no-untyped-def]
    """Return the ban among `bans` (in `bans_query` order) that applies to the author or hashed IP, or None."""
    for ban in bans:
        if (author_key and ban.author_key == author_key) or (ip_hash and ban.ip_hash == ip_hash):
            return ban
    return None


def active_ban(session: Session, site_id: int, author_key: str | None, ip_hash: str | None,
               now: datetime | None = None) -> Ban | None:
    """Return the ban in force on the site for the author or the hashed IP, or None (shadow bans first)."""
    query = ban_query(site_id, author_key, ip_hash, now)
    return None if query is None else session.scalars(query).first()


def apply_ban(session: Session, comment_id: int, ban: Ban) -> bool:
    """Refuse a pending comment because of a ban, recording why; return whether it was still pending."""
    now = utcnow()
    decided_by = DECIDED_BY_SHADOW_BAN if ban.shadow else DECIDED_BY_BAN
    result = session.execute(
        update(Comment)
        .where(Comment.id == comment_id, Comment.status == CommentStatus.PENDING.value)
        .values(status=CommentStatus.REJECTED.value, decided_by=decided_by, decided_at=now,
                reasons=[] if ban.shadow else [BAN_REASON])
    )
    if result.rowcount != 1:
        return False
    found = reason("ban.shadow" if ban.shadow else "ban.applied", ban=ban.id, by=ban.created_by)
    session.add(VerdictRecord(comment_id=comment_id, filter="ban", action="reject", score=1.0,
                              reasons=[found], spans=[], created_at=now))
    return True


@dataclass(frozen=True)
class BanRequest:
    """A moderator's ban: whom (author key and/or hashed IP), on which site, until when, how."""

    site_id: int
    author_key: str | None
    ip_hash: str | None
    until: datetime | None
    shadow: bool = False
    reason: str | None = None
    reject_past: bool = False


def create_ban(session: Session, request: BanRequest, moderator: str) -> tuple[Ban, list[tuple[int, str]]]:
    """Create a ban; with `reject_past`, reject the author's published and held comments on the site too.

    Return the ban and the (site id, thread key) of every thread whose published comments changed.
    """
    if not request.author_key and not request.ip_hash:
        raise InvalidField("Name an author or a hashed IP to ban.", field="author_key")
    ban = Ban(site_id=request.site_id, author_key=request.author_key or None, ip_hash=request.ip_hash or None,
              until=request.until, shadow=request.shadow, reason=request.reason, created_by=moderator,
              created_at=utcnow())
    session.add(ban)
    session.flush()
    touched: set[tuple[int, str]] = set()
    if request.reject_past:
        who = []
        if request.author_key:
            who.append(author_key_column() == request.author_key)
        if request.ip_hash:
            who.append(Comment.ip_hash == request.ip_hash)
        rows = session.execute(
            select(Comment, Thread.key).join(Thread, Thread.id == Comment.thread_id)
            .where(Thread.site_id == request.site_id, or_(*who),
                   Comment.status.in_([CommentStatus.APPROVED.value, CommentStatus.HELD.value,
                                       CommentStatus.PENDING.value]))
        ).all()
        now = utcnow()
        for comment, thread_key in rows:
            if comment.status == CommentStatus.APPROVED.value:
                touched.add((request.site_id, thread_key))
            session.add(ModerationAction(comment_id=comment.id, moderator=moderator, previous_status=comment.status,
                                         new_status=CommentStatus.REJECTED.value, note=f"ban #{ban.id}",
                                         created_at=now))
            comment.status = CommentStatus.REJECTED.value
            comment.decided_by = "moderator"
            comment.decided_at = now
            comment.reasons = [BAN_REASON]
    return ban, sorted(touched)


def lift_ban(session: Session, ban_id: int, site_ids: tuple[int, ...] | None) -> Ban:
    """Lift a ban from now on (it stays listed, with when it was lifted)."""
    ban = session.get(Ban, ban_id)
    if ban is None or (site_ids is not None and ban.site_id not in site_ids):
        raise NotFound("No such ban.")
    ban.lifted_at = ban.lifted_at or utcnow()
    return ban


def list_bans(session: Session, site_ids: tuple[int, ...] | None, include_lifted: bool = False) -> list[Ban]:
    """Return the bans of the given sites (every site for None), newest first."""
    query = select(Ban).order_by(Ban.id.desc()).limit(500)
    if site_ids is not None:
        query = query.where(Ban.site_id.in_(site_ids))
    if not include_lifted:
        now = utcnow()
        query = query.where(and_(Ban.lifted_at.is_(None), or_(Ban.until.is_(None), Ban.until > now)))
    return list(session.scalars(query))
