"""Waline's export: the JSON file its admin's 导入导出 page downloads (`waline.json`).

Checked against walinejs/waline `packages/server/src/controller/db.js` (the export:
`{"type": "waline", "version": 1, "time", "tables": ["Comment", "Counter", "Users"], "data": {...}}`),
`packages/admin/src/pages/migration/index.jsx` (which downloads it and reads `type` back),
`assets/waline.sql` (the Comment fields: `nick`, `mail`, `comment`, `url`, `ip`, `pid`, `rid`,
`status`, `insertedAt`, `createdAt`; `objectId` is the id) and `controller/comment.js` (`status` is
`approved`, `waiting` or `spam`; `comment` is the Markdown typed, rendered only when shown).
Waline keeps no article titles.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from service.imports.records import (
    ImportFormatError, SourceComment, blank_to_none, parse_time, thread_key_of,
)
from service.models import CommentStatus

STATUSES = {"approved": CommentStatus.APPROVED, "waiting": CommentStatus.HELD, "spam": CommentStatus.REJECTED}


def read(path: Path) -> Iterator[SourceComment]:
    """Yield the Comment table of a Waline export."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if isinstance(data, dict) and data.get("type") != "waline" and isinstance(data.get("data"), dict):
        data = data["data"]  # the API's answer saved whole: {"errno": 0, "data": {...}}
    if not isinstance(data, dict) or data.get("type") != "waline":
        raise ImportFormatError('not a Waline export: no "type": "waline"')
    for row in (data.get("data") or {}).get("Comment") or []:
        yield SourceComment(
            source_id=str(row["objectId"]),
            thread_key=thread_key_of(row.get("url") or "/"), thread_title=None,
            parent_id=blank_to_none(row.get("pid")),
            author=str(row.get("nick") or "").strip(),
            email=blank_to_none(row.get("mail")),
            text=str(row.get("comment") or "").strip(),
            status=STATUSES.get(str(row.get("status") or "approved"), CommentStatus.HELD),
            created_at=parse_time(row.get("insertedAt") or row.get("createdAt")),
            ip=blank_to_none(row.get("ip")),
        )
