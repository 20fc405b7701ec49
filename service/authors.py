"""What the console knows of one author (by author key) or one hashed IP on a site: history, standing, bans."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from service.bans import author_key_column
from service.models import Ban, Comment, CommentStatus, Site, Thread, utcnow

# How much of each comment, and how many comments, the author view shows.
EXCERPT = 300
HISTORY_LIMIT = 100


@dataclass
class AuthorRecord:
    """One author's or hashed IP's record on a site, as the author view shows it."""

    site_id: int
    author_key: str | None
    ip_hash: str | None
    comments: list[dict[str, Any]]
    counts: dict[str, int]
    trust_after: int
    trusted: bool | None  # None for a hashed IP: trust belongs to authors
    ban_in_force: Ban | None
    bans: list[Ban]
    names: list[str] = field(default_factory=list)  # the nicknames an author key or IP wrote under
    others: list[str] = field(default_factory=list)  # an author's hashed IPs, or an IP's author keys


def author_record(session: Session, site: Site, author_key: str | None = None, ip_hash: str | None = None,
                  now: datetime | None = None) -> AuthorRecord:
    """Return an author's (or a hashed IP's) comments on a site, newest first, with counts, trust and bans."""
    now = now or utcnow()
    key = author_key_column()
    who = key == author_key if author_key is not None else Comment.ip_hash == ip_hash
    on_site = (select(Comment, Thread).join(Thread, Thread.id == Comment.thread_id)
               .where(Thread.site_id == site.id, who))
    comments = [
        {"id": c.id, "status": c.status, "author": c.author, "text": c.text[:EXCERPT], "cut": len(c.text) > EXCERPT,
         "thread_key": t.key, "thread_title": t.title, "created_at": c.created_at, "decided_by": c.decided_by,
         "ip_hash": c.ip_hash}
        for c, t in session.execute(on_site.order_by(Comment.id.desc()).limit(HISTORY_LIMIT))
    ]
    counted = (select(Comment.status, func.count(Comment.id)).join(Thread, Thread.id == Comment.thread_id)
               .where(Thread.site_id == site.id, who).group_by(Comment.status))
    counts = {status.value: 0 for status in CommentStatus}
    counts.update({status: int(n) for status, n in session.execute(counted)})
    names = sorted(set(session.scalars(select(Comment.author).join(Thread, Thread.id == Comment.thread_id)
                                       .where(Thread.site_id == site.id, who).distinct().limit(20))))
    if author_key is not None:
        other = Comment.ip_hash
    else:
        other = key
    others = sorted(x for x in session.scalars(select(other).join(Thread, Thread.id == Comment.thread_id)
                                               .where(Thread.site_id == site.id, who).distinct().limit(20))
                    if x)
    bans_query = select(Ban).where(Ban.site_id == site.id, or_(
        Ban.author_key == author_key if author_key is not None else Ban.ip_hash == ip_hash)).order_by(Ban.id.desc())
    bans = list(session.scalars(bans_query))
    in_force = next((b for b in bans if b.lifted_at is None and (b.until is None or b.until > now)), None)
    trust_after = int((site.settings or {}).get("trust_after") or 0)
    trusted = None
    if author_key is not None:
        # The rule of service.trust.standing_with_ban: enough approved comments, none rejected, no ban.
        trusted = (trust_after > 0 and in_force is None and counts[CommentStatus.APPROVED.value] >= trust_after
                   and counts[CommentStatus.REJECTED.value] == 0)
    return AuthorRecord(site_id=site.id, author_key=author_key, ip_hash=ip_hash, comments=comments, counts=counts,
                        trust_after=trust_after, trusted=trusted, ban_in_force=in_force, bans=bans, names=names,
                        others=others)
