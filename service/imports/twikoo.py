"""Twikoo's export: the `twikoo-comment.json` its admin panel's 导出评论 button downloads.

Checked against twikoojs/twikoo `src/client/view/components/TkAdminExport.vue` (downloads
`COMMENT_EXPORT_FOR_ADMIN`'s `data`, the comment collection, as a JSON array),
`src/server/self-hosted/index.js` (a comment: `_id`, `nick`, `mail`, `url` (the path), `href`,
`comment` (sanitised HTML), `pid` (answered), `rid` (thread root), `isSpam`, `created` (ms), `ip`) and
`src/server/function/twikoo/utils/import.js` (which also accepts `{"_id": {"$oid"}}` ids and one JSON
object per line). Twikoo removes deleted comments, keeps no titles, and has no pending state besides
`isSpam`.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from service.imports.html_text import html_to_text
from service.imports.records import (
    ImportFormatError, SourceComment, blank_to_none, parse_time, thread_key_of,
)
from service.models import CommentStatus


def _rows(text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except ValueError:
        data = [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(data, dict):
        data = data.get("data") or data.get("results") or []
    if not isinstance(data, list):
        raise ImportFormatError("not a Twikoo export: expected a JSON array of comments")
    return data


def _id(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("$oid")
    return blank_to_none(value)


def read(path: Path) -> Iterator[SourceComment]:
    """Yield the comments of a Twikoo export."""
    with open(path, encoding="utf-8") as handle:
        rows = _rows(handle.read())
    for row in rows:
        if "comment" not in row or "url" not in row:
            raise ImportFormatError("not a Twikoo export: a comment without 'comment' and 'url'")
        yield SourceComment(
            source_id=_id(row.get("_id")) or "",
            thread_key=thread_key_of(row.get("url") or "/"), thread_title=None,
            parent_id=_id(row.get("pid")) or _id(row.get("rid")),
            author=str(row.get("nick") or "").strip(),
            email=blank_to_none(row.get("mail")),
            text=html_to_text(str(row.get("comment") or "")),
            status=CommentStatus.REJECTED if row.get("isSpam") is True else CommentStatus.APPROVED,
            created_at=parse_time(row.get("created")),
            ip=blank_to_none(row.get("ip")),
        )
