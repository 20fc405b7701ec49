"""Who is asking and what they may see: the principal, their sites, and the arguments every console page reads."""
from __future__ import annotations

from flask import Response, current_app, g, redirect, request
from sqlalchemy import select

from service.accounts import Principal, require_admin, require_moderator, require_site
from service.config import Config
from service.db import get_db
from service.exceptions import NotFound
from service.models import Comment, Site, Thread
from service.payload import MAX_ID, optional_int


def app_config() -> Config:
    """Return the service's configuration."""
    return current_app.extensions["moderato.config"]


def moderator(site_id: int | None = None) -> Principal:
    """Return the signed-in moderator (of `site_id` when given), or refuse."""
    principal = require_moderator(site_id)
    g.principal = principal
    return principal


def admin() -> Principal:
    """Return the signed-in admin, or refuse."""
    principal = require_admin()
    g.principal = principal
    return principal


def visible_sites(principal: Principal) -> list[Site]:
    """Return the sites the principal may see, by name."""
    with get_db().read() as db_session:
        query = select(Site).order_by(Site.name)
        allowed = principal.allowed_sites()
        if allowed is not None:
            query = query.where(Site.id.in_(allowed))
        return list(db_session.scalars(query))


def int_arg(value: str | None, name: str, high: int = MAX_ID) -> int | None:
    """Return an optional whole-number argument from 0 to `high`, or refuse it."""
    return optional_int(value, name, 0, high)


def site_arg(principal: Principal, sites: list[Site]) -> int | None:
    """Return the `site` argument, checked against what the principal may see."""
    site_id = int_arg(request.values.get("site"), "site")
    if site_id is not None:
        require_site(principal, site_id)
    return site_id


def back(default: str) -> Response:
    """Redirect to the form's `next` console path, or to `default`."""
    target = request.form.get("next") or default
    # Only paths on this service: an open redirect would make phishing links look like ours.
    if not target.startswith("/console") or target.startswith("//"):
        target = default
    return redirect(target, code=303)


def one_site(principal: Principal, sites: list[Site]) -> Site:
    """Return the site the request names, or the first the principal may see."""
    site_id = site_arg(principal, sites)
    if site_id is None:
        if not sites:
            raise NotFound("No site yet.")
        return sites[0]
    for site in sites:
        if site.id == site_id:
            return site
    raise NotFound("No such site.")


def comment_site(comment_id: int) -> int:
    """Return the id of a comment's site, or refuse an unknown comment."""
    with get_db().read() as db_session:
        site_id = db_session.scalar(
            select(Thread.site_id).join(Comment, Comment.thread_id == Thread.id).where(Comment.id == comment_id))
    if site_id is None:
        raise NotFound("No such comment.")
    return int(site_id)
