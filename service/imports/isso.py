"""Isso's database: the SQLite file (`comments.db`) that is Isso's whole store and its backup.

Checked against isso-comments/isso `isso/db/threads.py` (`threads(id, uri, title)`) and
`isso/db/comments.py` (`comments(tid, id, parent, created FLOAT, modified, mode, remote_addr, text,
author, email, website, likes, dislikes, voters, notification)`; `mode` 1 accepted, 2 pending,
4 soft-deleted; `remote_addr` already anonymised by Isso; `text` is the Markdown the reader typed).
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from service.imports.records import ImportFormatError, SourceComment, blank_to_none, thread_key_of, title_of
from service.models import CommentStatus

MODES = {1: CommentStatus.APPROVED, 2: CommentStatus.HELD, 4: CommentStatus.DELETED}


def read(path: Path) -> Iterator[SourceComment]:
    """Yield the comments of an Isso SQLite database, opened read-only."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT c.id, c.parent, c.created, c.mode, c.remote_addr, c.text, c.author, c.email,"
            " t.uri, t.title FROM comments c JOIN threads t ON t.id = c.tid ORDER BY c.id"
        ).fetchall()
    except sqlite3.DatabaseError as err:
        raise ImportFormatError(f"not an Isso database: {err}") from err
    conn.close()
    for row in rows:
        yield SourceComment(
            source_id=str(row["id"]),
            thread_key=thread_key_of(row["uri"]), thread_title=title_of(row["title"]),
            parent_id=str(row["parent"]) if row["parent"] is not None else None,
            author=(row["author"] or "").strip(),
            email=blank_to_none(row["email"]),
            text=(row["text"] or "").strip(),
            status=MODES.get(row["mode"], CommentStatus.HELD),
            created_at=datetime.fromtimestamp(row["created"], tz=timezone.utc),
            ip=blank_to_none(row["remote_addr"]),
        )
