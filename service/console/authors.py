"""The author view: one author's (or one hashed IP's) history, standing, bans and notes on a site."""
from __future__ import annotations

from flask import render_template, request

from service.accounts import require_site
from service.authors import HISTORY_LIMIT, author_record
from service.console.access import int_arg, moderator
from service.console.routes import Routes
from service.db import get_db
from service.exceptions import InvalidField, NotFound
from service.models import Site
from service.notes import notes_about

routes = Routes()


@routes.get("/author")
def author() -> str:
    """Show an author (`?site=&key=`) or a hashed IP (`?site=&ip=`): comments with statuses, trust, bans, notes."""
    principal = moderator()
    site_id = int_arg(request.args.get("site"), "site")
    if site_id is None:
        raise InvalidField("Choose a site.", field="site")
    require_site(principal, site_id)
    author_key = (request.args.get("key") or "").strip()[:100] or None
    ip_hash = None if author_key else (request.args.get("ip") or "").strip()[:64] or None
    if author_key is None and ip_hash is None:
        raise InvalidField("Name an author or a hashed IP.", field="author")
    with get_db().read() as db_session:
        site = db_session.get(Site, site_id)
        if site is None:
            raise NotFound("No such site.")
        record = author_record(db_session, site, author_key=author_key, ip_hash=ip_hash)
        notes = notes_about(db_session, site_id, author_key=author_key, ip_hash=ip_hash,
                            comment_ids=[c["id"] for c in record.comments])
        site_name = site.name
    return render_template("console/author.html", record=record, notes=notes, site_name=site_name,
                           history_limit=HISTORY_LIMIT)
