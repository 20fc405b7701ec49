"""Privacy requests: export or erase everything one author wrote, found by email, signed-in id or hashed IP.

Erasure leaves a tombstone rather than deleting rows: each comment keeps its id, thread, parent, status
and dates, so replies by other readers stay where they were and the moderators' audit trail (which
points at comment ids) stays whole; its text, nickname, email, hashed IP, signed-in id and author token
are removed, with the filters' verdicts (they quote the text) and readers' reports of it. A published
tombstone shows in its thread as `erased`, with empty text and author. Empty text marks a tombstone:
a submitted comment always has text. Comments still pending are marked deleted, so that no filter
decides on an empty text later.

Both are recorded in the audit log, one event per site concerned, naming the identifier by a keyed hash only: an
erasure must not leave the address it erased in the log.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from redis import Redis
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.accounts import Principal
from service.comments import ThreadCache
from service.config import Config
from service.db import Database
from service.exceptions import Forbidden, InvalidField, NotFound
from service.keys import hash_token, new_token
from service.models import Comment, CommentStatus, Report, Site, Thread, VerdictRecord, utcnow
from service.payload import text_field
from service.review import record_event

KINDS = ("email", "user_id", "ip_hash")
ERASED_BY = "privacy"


@dataclass(frozen=True)
class AuthorQuery:
    """One author, named by exactly one of email, signed-in id or hashed IP."""

    kind: str
    value: str

    def condition(self):  # type: ignore[no-untyped-def]
        """Return the SQL condition on comments that matches this author."""
        if self.kind == "email":
            return func.lower(Comment.email) == self.value.lower()
        if self.kind == "user_id":
            return Comment.user_id == self.value
        return Comment.ip_hash == self.value

    def audit_target(self, secret: str) -> str:
        """Return how the audit log names the author: a keyed hash, never the identifier itself."""
        value = self.value.lower() if self.kind == "email" else self.value
        digest = hmac.new(secret.encode(), f"privacy:{self.kind}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"{self.kind}:{digest[:16]}"


def parse_query(data: dict[str, Any]) -> AuthorQuery:
    """Return the author a request names by exactly one of `email`, `user_id` or `ip_hash`."""
    given = [kind for kind in KINDS if data.get(kind) not in (None, "")]
    if len(given) != 1:
        raise InvalidField("Name the author by exactly one of email, user_id and ip_hash.", field="email")
    kind = given[0]
    value = text_field(data, kind, {"email": 254, "user_id": 100, "ip_hash": 64}[kind]) or ""
    if kind == "ip_hash" and not (len(value) == 32 and all(c in "0123456789abcdef" for c in value)):
        raise InvalidField("'ip_hash' is the full hashed address: 32 hexadecimal characters.", field="ip_hash")
    return AuthorQuery(kind, value)


def sites_in_scope(session: Session, principal: Principal, site_name: str | None) -> list[Site]:
    """Return the sites a request covers: the one named, or every site the principal holds."""
    if site_name is not None:
        site = session.scalar(select(Site).where(Site.name == site_name))
        if site is None:
            raise NotFound(f"No site named '{site_name}'.")
        if not principal.can_access(site.id):
            raise Forbidden("You are not an admin of this site.")
        return [site]
    query = select(Site).order_by(Site.id)
    if principal.allowed_sites() is not None:
        query = query.where(Site.id.in_(principal.allowed_sites()))
    return list(session.scalars(query))


def _matching(session: Session, sites: list[Site], author: AuthorQuery) -> list[tuple[Comment, Thread]]:
    if not sites:
        return []
    return [(comment, thread) for comment, thread in session.execute(
        select(Comment, Thread).join(Thread, Thread.id == Comment.thread_id)
        .where(Thread.site_id.in_([s.id for s in sites]), author.condition(), Comment.text != "")
        .order_by(Comment.id)
    )]


def export_author(db: Database, config: Config, principal: Principal, author: AuthorQuery,
                  site_name: str | None = None) -> dict[str, Any]:
    """Return everything the author wrote on the principal's sites, and record the export in the audit log."""
    with db.write() as session:
        sites = sites_in_scope(session, principal, site_name)
        names = {s.id: s.name for s in sites}
        rows = _matching(session, sites, author)
        comments = [{
            "id": c.id, "site": names[t.site_id], "thread": t.key, "thread_title": t.title, "parent": c.parent_id,
            "author": c.author, "email": c.email, "text": c.text, "status": c.status,
            "created_at": c.created_at.isoformat(), "decided_at": c.decided_at.isoformat() if c.decided_at else None,
            "user_id": c.user_id, "ip_hash": c.ip_hash, "reasons": list(c.reasons or []),
        } for c, t in rows]
        _audit(session, principal, "privacy.export", sites, author, config, rows)
    return {"query": {author.kind: author.value}, "sites": sorted(names.values()), "comments": comments}


def erase_author(db: Database, redis: Redis | None, config: Config, principal: Principal, author: AuthorQuery,
                 site_name: str | None = None) -> list[int]:
    """Erase everything the author wrote on the principal's sites (tombstones); return the comment ids."""
    with db.write() as session:
        sites = sites_in_scope(session, principal, site_name)
        rows = _matching(session, sites, author)
        ids = [c.id for c, _t in rows]
        tombstone(session, [c for c, _t in rows])
        _audit(session, principal, "privacy.erase", sites, author, config, rows)
        touched = {(t.site_id, t.key) for _c, t in rows}
    drop_cached_pages(redis, config, touched)
    return ids


def tombstone(session: Session, comments: list[Comment], decided_by: str = ERASED_BY) -> None:
    """Erase comments in place (see the module's docstring); the caller commits. Readers' deletions use it too."""
    ids = [c.id for c in comments]
    if not ids:
        return
    session.execute(delete(VerdictRecord).where(VerdictRecord.comment_id.in_(ids)))
    session.execute(delete(Report).where(Report.comment_id.in_(ids)))
    now = utcnow()
    for comment in comments:
        comment.text = ""
        comment.author = ""
        comment.email = None
        comment.ip_hash = None
        comment.user_id = None
        comment.reader_id = None
        comment.reply_notice_lang = None
        comment.reasons = []
        comment.token_hash = hash_token(new_token())  # the author's token no longer opens it
        if comment.status == CommentStatus.PENDING.value:
            comment.status = CommentStatus.DELETED.value
            comment.decided_by, comment.decided_at = decided_by, now


def drop_cached_pages(redis: Redis | None, config: Config, touched: set[tuple[int, str]]) -> None:
    """Drop the cached pages of the (site id, thread key) pairs: they hold text that is gone."""
    if redis is None:
        return
    cache = ThreadCache(redis, config.thread_cache_ttl)
    for site_id, key in touched:
        cache.invalidate(site_id, key)


def _audit(session: Session, principal: Principal, event: str, sites: list[Site], author: AuthorQuery,
           config: Config, rows: list[tuple[Comment, Thread]]) -> None:
    target = author.audit_target(config.secret_key)
    counts: dict[int, int] = {}
    for _comment, thread in rows:
        counts[thread.site_id] = counts.get(thread.site_id, 0) + 1
    # One event per site that held some of the author's comments; one in all when none did, so that a
    # search that found nothing is on record too (under the site named, if one was).
    for site_id, count in sorted(counts.items()):
        record_event(session, principal.username, event, site_id, target, comments=count)
    if not counts:
        record_event(session, principal.username, event, sites[0].id if len(sites) == 1 else None, target,
                     comments=0)
