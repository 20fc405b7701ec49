"""Disqus's comments export (XML), as Disqus documents it and as Isso reads it.

Checked against isso-comments/isso `isso/migrate.py` (class Disqus: `{http://disqus.com}` elements,
`dsq:id` attributes from `{http://disqus.com/disqus-internals}`, `<post>` with `<thread dsq:id>` and
`<parent dsq:id>`, `<createdAt>` as `%Y-%m-%dT%H:%M:%SZ`, `<isDeleted>`) and twikoojs/twikoo
`src/server/function/twikoo/utils/import.js` (its Disqus import also reads `<isSpam>`). Threads carry
the article's `<link>` and `<title>`; posts their `<message>` as HTML and `<author>` name and email.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

from service.imports.html_text import html_to_text
from service.imports.records import (
    ImportFormatError, SourceComment, blank_to_none, thread_key_of, title_of, utc,
)
from service.models import CommentStatus

NS = "{http://disqus.com}"
DSQ = "{http://disqus.com/disqus-internals}"


def _text(element: ElementTree.Element, path: str) -> str:
    found = element.find(_path(path))
    return (found.text or "").strip() if found is not None else ""


def _path(path: str) -> str:
    return "/".join(NS + part for part in path.split("/"))


def read(path: Path) -> Iterator[SourceComment]:
    """Yield the posts of a Disqus export with their threads' links and titles."""
    root = ElementTree.parse(path).getroot()
    if root.tag != NS + "disqus":
        raise ImportFormatError("not a Disqus export: the root element is not <disqus xmlns=\"http://disqus.com\">")
    threads: dict[str, tuple[str, str | None]] = {}
    for thread in root.findall(NS + "thread"):
        link = _text(thread, "link") or _text(thread, "id")
        threads[thread.get(DSQ + "id", "")] = (thread_key_of(link), title_of(_text(thread, "title")))
    for post in root.findall(NS + "post"):
        thread_ref = post.find(NS + "thread")
        thread_id = thread_ref.get(DSQ + "id", "") if thread_ref is not None else ""
        if thread_id not in threads:
            continue  # a post of a thread the export left out: nowhere to put it
        key, title = threads[thread_id]
        parent = post.find(NS + "parent")
        if _text(post, "isDeleted") == "true":
            status = CommentStatus.DELETED
        elif _text(post, "isSpam") == "true":
            status = CommentStatus.REJECTED
        else:
            status = CommentStatus.APPROVED  # Disqus exports no pending state
        yield SourceComment(
            source_id=post.get(DSQ + "id", ""),
            thread_key=key, thread_title=title,
            parent_id=parent.get(DSQ + "id") if parent is not None else None,
            author=_text(post, "author/name") or _text(post, "author/username"),
            email=blank_to_none(_text(post, "author/email")),
            text=html_to_text(_text(post, "message")),
            status=status,
            created_at=utc(datetime.strptime(_text(post, "createdAt"), "%Y-%m-%dT%H:%M:%SZ")),
            ip=blank_to_none(_text(post, "ipAddress")),
        )
