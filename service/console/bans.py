"""Bans: an author or a hashed IP, for some hours or for good."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, render_template, request, url_for
from sqlalchemy import select

from service.accounts import Principal, require_site
from service.bans import BanRequest, author_key_of, create_ban, lift_ban, list_bans
from service.comments import ThreadCache
from service.console.access import app_config, back, int_arg, moderator, visible_sites
from service.console.routes import Routes
from service.console.text import notify
from service.db import get_db
from service.exceptions import InvalidField, NotFound
from service.models import Comment, Site, Thread, utcnow
from service.redis_conn import get_redis
from service.review import record_event

routes = Routes()


# A ban for longer than a century is meant for good; the cap keeps the end date within what datetime holds.
_MAX_BAN_HOURS = 100 * 366 * 24


@routes.get("/bans")
def bans() -> str:
    """List the bans in force and offer a form for a new one."""
    principal = moderator()
    sites = visible_sites(principal)
    return _bans_page(principal, sites, request.args)


def _bans_page(principal: Principal, sites: list[Site], prefill: Any, error: str | None = None,
               status: int = 200) -> tuple[str, int]:
    target = None
    with get_db().read() as db_session:
        rows = list_bans(db_session, principal.allowed_sites(), include_lifted=request.args.get("all") == "1")
        comment_id = int_arg(prefill.get("comment"), "comment")
        if comment_id is not None:
            # Banning from the queue: show whom and what the ban is about, not just a number.
            row = db_session.execute(select(Comment, Thread, Site).join(Thread, Thread.id == Comment.thread_id)
                                     .join(Site, Site.id == Thread.site_id).where(Comment.id == comment_id)).first()
            if row is None:
                raise NotFound("No such comment.")
            comment, thread, site = row
            require_site(principal, site.id)
            target = {"id": comment.id, "site_id": site.id, "author": comment.author, "text": comment.text,
                      "ip_hash": comment.ip_hash,
                      "site": site.name, "thread": thread.title or thread.key, "created_at": comment.created_at,
                      "verified": comment.user_id is not None}
    return render_template("console/bans.html", bans=rows, sites=sites, names={s.id: s.name for s in sites},
                           prefill=prefill, target=target, error=error, now=utcnow()), status


@routes.post("/bans")
def ban() -> Response:
    """Ban an author or a hashed IP on a site, for some hours or for good, maybe shadow, maybe rejecting the past."""
    principal = moderator()
    form = request.form
    site_id = int_arg(form.get("site"), "site")
    comment_id = int_arg(form.get("comment"), "comment")
    author_key, ip_hash = (form.get("author_key") or "").strip() or None, (form.get("ip_hash") or "").strip() or None
    if comment_id is not None:
        # Banning from the queue names a comment: its author and hashed IP are looked up here.
        with get_db().read() as db_session:
            row = db_session.execute(select(Comment, Thread.site_id).join(Thread, Thread.id == Comment.thread_id)
                                     .where(Comment.id == comment_id)).first()
        if row is None:
            raise NotFound("No such comment.")
        comment, site_id = row
        author_key = author_key_of(comment)
        if form.get("by_ip"):
            ip_hash = comment.ip_hash
    if site_id is None:
        raise InvalidField("Choose a site.", field="site")
    require_site(principal, site_id)
    # "Permanent" is a choice the moderator makes, never what an empty box means.
    duration = form.get("duration") or ("hours" if (form.get("hours") or "").strip() else "")
    hours = int_arg(form.get("hours"), "hours", high=_MAX_BAN_HOURS) if duration == "hours" else None
    if duration not in ("hours", "permanent") or (duration == "hours" and not hours):
        return _bans_page(principal, visible_sites(principal), form, error="ban_duration_missing", status=400)
    request_ = BanRequest(site_id=site_id, author_key=author_key, ip_hash=ip_hash,
                          until=utcnow() + timedelta(hours=hours) if hours else None,
                          shadow=bool(form.get("shadow")), reason=(form.get("reason") or "")[:500] or None,
                          reject_past=bool(form.get("reject_past")))
    with get_db().write() as db_session:
        created, touched = create_ban(db_session, request_, principal.username)
        record_event(db_session, principal.username, "ban.create", site_id, f"ban:{created.id}",
                     author=author_key, ip=ip_hash[:8] if ip_hash else None, hours=hours,
                     shadow=request_.shadow or None, reject_past=request_.reject_past or None)
    cache = ThreadCache(get_redis(), app_config().thread_cache_ttl)
    for touched_site, thread_key in touched:
        cache.invalidate(touched_site, thread_key)
    notify("ban_created_hours" if hours else "ban_created_permanent", who=author_key or (ip_hash or "")[:8],
            hours=hours or "", count=len(touched))
    return back(url_for("console.bans"))


@routes.post("/bans/<int:ban_id>/lift")
def lift(ban_id: int) -> Response:
    """Lift a ban."""
    principal = moderator()
    with get_db().write() as db_session:
        lifted = lift_ban(db_session, ban_id, principal.allowed_sites())
        record_event(db_session, principal.username, "ban.lift", lifted.site_id, f"ban:{ban_id}")
    notify("ban_lifted")
    return back(url_for("console.bans"))
