"""Artalk's export: Artrans, the JSON array its `artalk export` command and admin panel write.

Checked against ArtalkJS/Artalk `internal/entity/artran.go` (the fields, all strings: `id`, `rid`
(the comment answered, "0" for none), `content` (Markdown), `ip`, `is_pending`, `created_at`, `nick`,
`email`, `page_key`, `page_title`, `site_name`) and `internal/artransfer/exporter.go` (`created_at`
written as `2006-01-02 15:04:05 -0700`). Artalk has no spam or deleted state to carry over.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from service.imports.records import (
    ImportFormatError, SourceComment, blank_to_none, parse_time, thread_key_of, title_of,
)
from service.models import CommentStatus


def _str(value: object) -> str:
    # Artrans files are "fields all string", but Artalk's own reader takes numbers and booleans too.
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value).strip()


def read(path: Path) -> Iterator[SourceComment]:
    """Yield the comments of an Artrans file."""
    with open(path, encoding="utf-8") as handle:
        rows = json.load(handle)
    if not isinstance(rows, list) or any(not isinstance(r, dict) or "page_key" not in r for r in rows):
        raise ImportFormatError("not an Artalk export: expected a JSON array of Artrans with page_key")
    for row in rows:
        rid = _str(row.get("rid"))
        yield SourceComment(
            source_id=_str(row.get("id")),
            thread_key=thread_key_of(_str(row.get("page_key"))), thread_title=title_of(_str(row.get("page_title"))),
            parent_id=rid if rid not in ("", "0") else None,
            author=_str(row.get("nick")),
            email=blank_to_none(_str(row.get("email"))),
            text=_str(row.get("content")),
            status=CommentStatus.HELD if _str(row.get("is_pending")) == "true" else CommentStatus.APPROVED,
            created_at=parse_time(_str(row.get("created_at"))),
            ip=blank_to_none(_str(row.get("ip"))),
        )
