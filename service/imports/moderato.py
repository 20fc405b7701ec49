"""Moderato's own JSON export, read back: the format `python -m service export --format json` writes.

    {
      "format": "moderato-comments", "version": 1, "site": "news", "exported_at": "<ISO 8601>",
      "threads": [
        {"key": "/2026/12/01/1.html", "title": "标题" | null, "created_at": "<ISO 8601>",
         "comments": [
           {"id": 17, "parent": null | <id in this file>, "author": "小明", "email": "a@b.cn" | null,
            "text": "plain text", "status": "approved" | "pending" | "held" | "rejected" | "deleted",
            "created_at": "<ISO 8601>", "decided_at": "<ISO 8601>" | null,
            "ip_hash": "<32 hex: keyed hash under the exporting server's SECRET_KEY>" | null}
         ]}
      ]
    }

Comments come oldest id first within a thread, so a parent always precedes its replies. A comment
erased at its author's request keeps its place with empty `author` and `text`.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from service.imports.records import ImportFormatError, SourceComment, blank_to_none, parse_time, title_of
from service.models import CommentStatus

FORMAT = "moderato-comments"
VERSION = 1


def read(path: Path) -> Iterator[SourceComment]:
    """Yield the comments of a Moderato JSON export."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportFormatError(f'not a Moderato export: no "format": "{FORMAT}"')
    if data.get("version") != VERSION:
        raise ImportFormatError(f"Moderato export version {data.get('version')!r}; this one reads {VERSION}")
    for thread in data.get("threads") or []:
        for row in thread.get("comments") or []:
            try:
                status = CommentStatus(row.get("status"))
            except ValueError as err:
                raise ImportFormatError(f"unknown status {row.get('status')!r}") from err
            yield SourceComment(
                source_id=str(row["id"]),
                thread_key=str(thread["key"]), thread_title=title_of(thread.get("title")),
                parent_id=str(row["parent"]) if row.get("parent") is not None else None,
                author=str(row.get("author") or ""),
                email=blank_to_none(row.get("email")),
                text=str(row.get("text") or ""),
                status=status,
                created_at=parse_time(row.get("created_at")),
                ip_hash=blank_to_none(row.get("ip_hash")),
            )
