"""Reported comments: dismiss the reports or take the comment down."""
from __future__ import annotations

from flask import Response, render_template, url_for

from service.accounts import require_site
from service.console.access import app_config, back, comment_site, moderator, site_arg, visible_sites
from service.console.routes import Routes
from service.console.text import notify
from service.db import get_db
from service.decisions import decide
from service.models import CommentStatus
from service.redis_conn import get_redis
from service.review import dismiss_reports, record_event, report_groups

routes = Routes()


@routes.get("/reports")
def reports() -> str:
    """Show reported comments, grouped, most reported first."""
    principal = moderator()
    sites = visible_sites(principal)
    with get_db().read() as db_session:
        groups = report_groups(db_session, principal.allowed_sites(), site_arg(principal, sites))
    return render_template("console/reports.html", groups=groups, sites=sites)


@routes.post("/reports/<int:comment_id>/dismiss")
def dismiss(comment_id: int) -> Response:
    """Drop a comment's reports: nothing wrong with it."""
    principal = moderator()
    site_id = comment_site(comment_id)
    require_site(principal, site_id)
    with get_db().write() as db_session:
        count = dismiss_reports(db_session, comment_id)
        record_event(db_session, principal.username, "reports.dismiss", site_id, f"comment:{comment_id}",
                     reports=count)
    notify("reports_dismissed", id=comment_id, count=count)
    return back(url_for("console.reports"))


@routes.post("/reports/<int:comment_id>/take-down")
def take_down(comment_id: int) -> Response:
    """Reject a reported comment, taking it off the page; its reports are settled."""
    principal = moderator()
    decide(get_db(), get_redis(), app_config(), principal, comment_id, CommentStatus.REJECTED, "reported")
    with get_db().write() as db_session:
        dismiss_reports(db_session, comment_id)
    notify("taken_down", id=comment_id)
    return back(url_for("console.reports"))
