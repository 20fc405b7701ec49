"""Moderators' notes: on a comment, its author or a hashed IP, from the queue or the author view."""
from __future__ import annotations

from flask import Response, request, url_for
from sqlalchemy import select

from service.accounts import require_site
from service.bans import author_key_of
from service.console.access import back, int_arg, moderator
from service.console.routes import Routes
from service.console.text import notify
from service.db import get_db
from service.exceptions import InvalidField, NotFound
from service.models import Comment, Thread
from service.notes import MAX_NOTE_LENGTH, add_note
from service.review import record_event

routes = Routes()
ABOUT = ("comment", "author", "ip")


@routes.post("/notes")
def add_note_view() -> Response:
    """Add a note on a comment (or on its author), on an author, or on a hashed IP; it goes to the audit log too."""
    principal = moderator()
    form = request.form
    about = form.get("about") or "comment"
    if about not in ABOUT:
        raise InvalidField("A note is about a comment, an author or a hashed IP.", field="about")
    text = (form.get("text") or "")[:MAX_NOTE_LENGTH + 1]
    comment_id = int_arg(form.get("comment"), "comment")
    author_key = (form.get("author_key") or "").strip()[:100] or None
    ip_hash = (form.get("ip_hash") or "").strip()[:64] or None
    if comment_id is not None:
        # From the queue: the comment names its site, author and hashed IP; nothing typed is trusted for them.
        with get_db().read() as db_session:
            row = db_session.execute(select(Comment, Thread.site_id).join(Thread, Thread.id == Comment.thread_id)
                                     .where(Comment.id == comment_id)).first()
        if row is None:
            raise NotFound("No such comment.")
        comment, site_id = row
        author_key, ip_hash = author_key_of(comment), comment.ip_hash
    else:
        site_id = int_arg(form.get("site"), "site")
        if site_id is None:
            raise InvalidField("Choose a site.", field="site")
    require_site(principal, site_id)
    target = {"comment": {"comment_id": comment_id}, "author": {"author_key": author_key},
              "ip": {"ip_hash": ip_hash}}[about]
    if None in target.values():
        raise InvalidField("A note is about a comment, an author or a hashed IP.", field="about")
    with get_db().write() as db_session:
        note = add_note(db_session, site_id, principal.username, text, **target)
        name = comment_id if about == "comment" else author_key if about == "author" else (ip_hash or "")[:8]
        record_event(db_session, principal.username, "note.add", site_id, f"{about}:{name}", text=note.text)
    notify("note_added")
    return back(url_for("console.queue"))
