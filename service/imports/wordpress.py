"""WordPress's export (WXR, "WordPress eXtended RSS"), versions 1.0 to 1.2.

Checked against WordPress/WordPress `wp-admin/includes/export.php` (the writer: `<item>` with `<title>`,
`<link>`, `<wp:post_id>`, and per comment `<wp:comment_id>`, `<wp:comment_author>`,
`<wp:comment_author_email>`, `<wp:comment_author_IP>`, `<wp:comment_date_gmt>`, `<wp:comment_content>`,
`<wp:comment_approved>`, `<wp:comment_type>`, `<wp:comment_parent>`) and isso-comments/isso
`isso/migrate.py` (class WordPress: the namespace version found with `http://wordpress.org/export/(1\\.\\d)/`).
`comment_approved` is "1" (approved), "0" (awaiting moderation), "spam" or "trash"; pingbacks and
trackbacks are not readers' comments and are left out.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

from service.imports.html_text import html_to_text
from service.imports.records import (
    ImportFormatError, SourceComment, blank_to_none, thread_key_of, title_of, utc,
)
from service.models import CommentStatus

STATUSES = {
    "1": CommentStatus.APPROVED,
    "approve": CommentStatus.APPROVED,
    "0": CommentStatus.HELD,
    "hold": CommentStatus.HELD,
    "spam": CommentStatus.REJECTED,
    "trash": CommentStatus.DELETED,
    "post-trashed": CommentStatus.DELETED,
}
_VERSION = re.compile(r"http://wordpress\.org/export/(1\.\d)/")


def read(path: Path) -> Iterator[SourceComment]:
    """Yield the comments of every item (post or page) of a WXR file."""
    with open(path, encoding="utf-8") as handle:
        match = _VERSION.search(handle.read(65536))
    if match is None:
        raise ImportFormatError("not a WordPress export: no http://wordpress.org/export/1.x/ namespace")
    wp = "{http://wordpress.org/export/%s/}" % match.group(1)
    root = ElementTree.parse(path).getroot()

    def text(element: ElementTree.Element, name: str) -> str:
        found = element.find(wp + name)
        return (found.text or "") if found is not None else ""

    for item in root.iterfind("channel/item"):
        key = thread_key_of(item.findtext("link") or text(item, "post_name"))
        title = title_of(item.findtext("title"))
        for comment in item.iterfind(wp + "comment"):
            if text(comment, "comment_type").strip() in ("pingback", "trackback"):
                continue
            approved = text(comment, "comment_approved").strip()
            when = text(comment, "comment_date_gmt").strip()
            if not when or when.startswith("0000"):
                when = text(comment, "comment_date").strip()  # site time: the best there is
            parent = text(comment, "comment_parent").strip()
            yield SourceComment(
                source_id=text(comment, "comment_id").strip(),
                thread_key=key, thread_title=title,
                parent_id=parent if parent not in ("", "0") else None,
                author=text(comment, "comment_author").strip(),
                email=blank_to_none(text(comment, "comment_author_email")),
                # WordPress keeps a comment's line breaks as typed and adds <p> only when showing it.
                text=html_to_text(text(comment, "comment_content"), keep_newlines=True),
                status=STATUSES.get(approved, CommentStatus.HELD),
                created_at=utc(datetime.strptime(when, "%Y-%m-%d %H:%M:%S")),
                ip=blank_to_none(text(comment, "comment_author_IP")),
            )
