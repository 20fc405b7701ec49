"""The audit log and the statistics: what moderators did, and what the filters and readers did."""
from __future__ import annotations

from flask import render_template, request

from service.console.access import int_arg, moderator, site_arg, visible_sites
from service.console.routes import Routes
from service.console.text import code_name, console_language
from service.console.times import site_zone
from service.console_text import translate
from service.db import get_db
from service.review import AuditFilter, audit_entries

routes = Routes()


@routes.get("/audit")
def audit() -> str:
    """Show who did what, when, to which comment, with the state before and after."""
    principal = moderator()
    sites = visible_sites(principal)
    flt = AuditFilter(moderator=request.args.get("moderator") or None, site_id=site_arg(principal, sites),
                      comment_id=int_arg(request.args.get("comment"), "comment"),
                      status=request.args.get("status") or None)
    with get_db().read() as db_session:
        entries = audit_entries(db_session, principal.allowed_sites(), flt)
    return render_template("console/audit.html", entries=entries, sites=sites, flt=flt,
                           names={s.id: s.name for s in sites})


# --- Statistics ---


@routes.get("/stats")
def stats() -> str:
    """Show charts of the last 30 days: outcomes, the held queue, time to decision, filter hits, reports."""
    principal = moderator()
    sites = visible_sites(principal)
    site_id = site_arg(principal, sites)
    from service.statistics import collect, render_charts

    with get_db().read() as db_session:
        figures = collect(db_session, principal.allowed_sites(), site_id, days=30, zone=site_zone(site_id))
    charts = render_charts(figures, lambda key: translate(console_language(), key),
                           lambda name: code_name("filter", name))
    return render_template("console/stats.html", figures=figures, charts=charts, sites=sites, site_id=site_id)
