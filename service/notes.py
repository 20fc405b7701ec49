"""Moderators' notes on comments, authors (by author key) and hashed IPs, per site."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from service.exceptions import InvalidField
from service.models import ModeratorNote, utcnow

MAX_NOTE_LENGTH = 2000


@dataclass(frozen=True)
class Note:
    """A note as the console shows it."""

    id: int
    site_id: int
    comment_id: int | None
    author_key: str | None
    ip_hash: str | None
    text: str
    moderator: str
    created_at: datetime


def _note(row: ModeratorNote) -> Note:
    return Note(row.id, row.site_id, row.comment_id, row.author_key, row.ip_hash, row.text, row.moderator,
                row.created_at)


def add_note(session: Session, site_id: int, moderator: str, text: str, comment_id: int | None = None,
             author_key: str | None = None, ip_hash: str | None = None) -> Note:
    """Store a note on exactly one of a comment, an author key or a hashed IP, in the caller's transaction."""
    text = text.strip()
    if not 1 <= len(text) <= MAX_NOTE_LENGTH:
        raise InvalidField(f"A note is 1 to {MAX_NOTE_LENGTH} characters.", field="text")
    if sum(x is not None for x in (comment_id, author_key, ip_hash)) != 1:
        raise InvalidField("A note is about a comment, an author or a hashed IP.", field="about")
    row = ModeratorNote(site_id=site_id, comment_id=comment_id, author_key=author_key, ip_hash=ip_hash, text=text,
                        moderator=moderator, created_at=utcnow())
    session.add(row)
    session.flush()
    return _note(row)


def notes_for_queue(session: Session, items: list[tuple[int, int, str]]) -> dict[int, list[Note]]:
    """Return per comment id its notes and its author's on the site, oldest first; items: (id, site, author key)."""
    if not items:
        return {}
    comment_ids = [comment_id for comment_id, _, _ in items]
    author_keys = sorted({key for _, _, key in items})
    rows = session.scalars(select(ModeratorNote).where(or_(ModeratorNote.comment_id.in_(comment_ids),
                                                           ModeratorNote.author_key.in_(author_keys)))
                           .order_by(ModeratorNote.id))
    notes = [_note(row) for row in rows]
    return {comment_id: [n for n in notes if n.comment_id == comment_id
                         or (n.author_key == key and n.site_id == site_id)]
            for comment_id, site_id, key in items}


def notes_about(session: Session, site_id: int, author_key: str | None = None, ip_hash: str | None = None,
                comment_ids: list[int] | None = None) -> list[Note]:
    """Return the notes on an author or a hashed IP on a site, and on the given comments, newest first."""
    about = []
    if author_key is not None:
        about.append(ModeratorNote.author_key == author_key)
    if ip_hash is not None:
        about.append(ModeratorNote.ip_hash == ip_hash)
    if comment_ids:
        about.append(ModeratorNote.comment_id.in_(comment_ids))
    if not about:
        return []
    rows = session.scalars(select(ModeratorNote).where(ModeratorNote.site_id == site_id, or_(*about))
                           .order_by(ModeratorNote.id.desc()))
    return [_note(row) for row in rows]
