"""Exporting a site's comments: Moderato's JSON (read back by `--from moderato`) and WordPress's WXR.

Every comment is exported, whatever its status, oldest id first within each thread; raw IP addresses
were never stored, so the JSON carries the keyed hash and the WXR no address at all.
"""
from __future__ import annotations

import html
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import select

from service.db import Database
from service.imports.moderato import FORMAT, VERSION
from service.models import Comment, CommentStatus, Site, Thread, utcnow
from service.sites import find_site

# WXR's comment_approved: "1" published, "0" awaiting moderation, "spam", "trash"
# (WordPress/WordPress wp-admin/includes/export.php writes the column as stored).
WXR_APPROVED = {
    CommentStatus.APPROVED.value: "1",
    CommentStatus.PENDING.value: "0",
    CommentStatus.HELD.value: "0",
    CommentStatus.REJECTED.value: "spam",
    CommentStatus.DELETED.value: "trash",
}


def _threads(db: Database, site_name: str) -> Iterator[tuple[Site, Thread, list[Comment]]]:
    with db.read() as session:
        site = find_site(session, site_name)
        threads = list(session.scalars(select(Thread).where(Thread.site_id == site.id).order_by(Thread.id)))
        for thread in threads:
            comments = list(session.scalars(select(Comment).where(Comment.thread_id == thread.id)
                                            .order_by(Comment.id)))
            if comments:
                yield site, thread, comments


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def export_json(db: Database, site_name: str) -> Iterator[str]:
    """Yield the site's comments as Moderato's JSON export (service/imports/moderato.py), in pieces."""
    head = {"format": FORMAT, "version": VERSION, "site": site_name, "exported_at": utcnow().isoformat()}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "threads": [\n'
    first = True
    for _site, thread, comments in _threads(db, site_name):
        body: dict[str, Any] = {
            "key": thread.key, "title": thread.title, "created_at": _iso(thread.created_at),
            "comments": [
                {"id": c.id, "parent": c.parent_id, "author": c.author, "email": c.email, "text": c.text,
                 "status": c.status, "created_at": _iso(c.created_at), "decided_at": _iso(c.decided_at),
                 "ip_hash": c.ip_hash}
                for c in comments
            ],
        }
        yield ("" if first else ",\n") + json.dumps(body, ensure_ascii=False)
        first = False
    yield "\n]}\n"


def _wp_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _el(name: str, value: object) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def export_wxr(db: Database, site_name: str, base_url: str | None = None) -> Iterator[str]:
    """Yield the site's comments as a WXR 1.2 file that WordPress's importer reads: one post per thread.

    The posts' links are `base_url` (else the site's first allowed origin) joined to the thread keys;
    WordPress's importer attaches comments to an existing post of the same title and date.
    Times are UTC in both date fields.
    """
    with db.read() as session:
        site = find_site(session, site_name)
        base = (base_url or (site.origins[0] if site.origins else "")).rstrip("/")
    yield (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        "<!-- Comments exported by Moderato: import with WordPress's Tools > Import > WordPress. -->\n"
        '<rss version="2.0"\n'
        '\txmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"\n'
        '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
        '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
        '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '\txmlns:wp="http://wordpress.org/export/1.2/"\n>\n<channel>\n'
        f"\t{_el('title', site_name)}\n\t{_el('link', base)}\n\t<description></description>\n"
        f"\t{_el('pubDate', utcnow().strftime('%a, %d %b %Y %H:%M:%S +0000'))}\n"
        "\t<wp:wxr_version>1.2</wp:wxr_version>\n"
        f"\t{_el('wp:base_site_url', base)}\n\t{_el('wp:base_blog_url', base)}\n"
    )
    for _site, thread, comments in _threads(db, site_name):
        link = base + thread.key
        posted = min(c.created_at for c in comments)
        slug = thread.key.strip("/").replace("/", "-")[:200] or f"thread-{thread.id}"
        parts = [
            "\t<item>",
            f"\t\t{_el('title', thread.title or thread.key)}",
            f"\t\t{_el('link', link)}",
            f"\t\t{_el('pubDate', posted.strftime('%a, %d %b %Y %H:%M:%S +0000'))}",
            f"\t\t<guid isPermaLink={quoteattr('false')}>{escape(link)}</guid>",
            "\t\t<description></description>\n\t\t<content:encoded></content:encoded>",
            "\t\t<excerpt:encoded></excerpt:encoded>",
            f"\t\t{_el('wp:post_id', thread.id)}",
            f"\t\t{_el('wp:post_date', _wp_date(posted))}\n\t\t{_el('wp:post_date_gmt', _wp_date(posted))}",
            "\t\t<wp:comment_status>open</wp:comment_status>\n\t\t<wp:ping_status>closed</wp:ping_status>",
            f"\t\t{_el('wp:post_name', slug)}",
            "\t\t<wp:status>publish</wp:status>\n\t\t<wp:post_parent>0</wp:post_parent>",
            "\t\t<wp:menu_order>0</wp:menu_order>\n\t\t<wp:post_type>post</wp:post_type>",
            "\t\t<wp:post_password></wp:post_password>\n\t\t<wp:is_sticky>0</wp:is_sticky>",
        ]
        for c in comments:
            parts += [
                "\t\t<wp:comment>",
                f"\t\t\t{_el('wp:comment_id', c.id)}",
                f"\t\t\t{_el('wp:comment_author', c.author)}",
                f"\t\t\t{_el('wp:comment_author_email', c.email or '')}",
                "\t\t\t<wp:comment_author_url></wp:comment_author_url>",
                "\t\t\t<wp:comment_author_IP></wp:comment_author_IP>",
                f"\t\t\t{_el('wp:comment_date', _wp_date(c.created_at))}",
                f"\t\t\t{_el('wp:comment_date_gmt', _wp_date(c.created_at))}",
                # WordPress keeps comment_content as HTML: the plain text is HTML-escaped, so that a typed
                # "<b>" shows as typed; then XML-escaped rather than CDATA, so "]]>" cannot break out.
                f"\t\t\t{_el('wp:comment_content', html.escape(c.text, quote=False))}",
                f"\t\t\t{_el('wp:comment_approved', WXR_APPROVED.get(c.status, '0'))}",
                "\t\t\t<wp:comment_type>comment</wp:comment_type>",
                f"\t\t\t{_el('wp:comment_parent', c.parent_id or 0)}",
                "\t\t\t<wp:comment_user_id>0</wp:comment_user_id>",
                "\t\t</wp:comment>",
            ]
        parts.append("\t</item>\n")
        yield "\n".join(parts)
    yield "</channel>\n</rss>\n"
