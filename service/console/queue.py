"""The queue: comments awaiting a moderator, and the decisions taken on them."""
from __future__ import annotations

from flask import Response, jsonify, render_template, request, url_for

from service.accounts import Principal
from service.console.access import app_config, back, int_arg, moderator, site_arg, visible_sites
from service.console.routes import Routes
from service.console.text import code_text, notify
from service.db import get_db
from service.decisions import decide, decide_many, expected_status
from service.exceptions import InvalidField, NotFound, StaleDecision
from service.models import CommentStatus, Site
from service.notes import notes_for_queue
from service.payload import parse_int
from service.redis_conn import get_redis
from service.review import QueueFilter, comment_states, queue_counts, queue_items

routes = Routes()


_DECISIONS = {"approve": CommentStatus.APPROVED, "reject": CommentStatus.REJECTED, "delete": CommentStatus.DELETED}
_QUEUE_STATUSES = ("held", "pending", "review", "approved", "rejected")
_NAMED_REFUSALS = 5  # comments of a bulk decision refused, named one message each; more are summed up


@routes.get("/queue")
def queue() -> str:
    """Show comments awaiting a moderator, oldest first, with reasons, highlights and the author's history."""
    principal = moderator()
    sites = visible_sites(principal)
    flt = _queue_filter(principal, sites)
    after = int_arg(request.args.get("after"), "after")
    with get_db().read() as db_session:
        items = queue_items(db_session, principal.allowed_sites(), flt, limit=50, after=after)
        notes = notes_for_queue(db_session, [(i.id, i.site_id, i.author_key) for i in items])
        counts = queue_counts(db_session, principal.allowed_sites(), flt, _QUEUE_STATUSES)
    args = {k: v for k, v in request.args.items() if k != "after" and v}
    tabs = [{"status": s, "count": counts[s], "current": s == flt.status,
             "url": url_for("console.queue", **{**args, "status": s})} for s in _QUEUE_STATUSES]
    next_url = url_for("console.queue", **args, after=items[-1].id) if len(items) == 50 else None
    return render_template("console/queue.html", items=items, sites=sites, flt=flt, statuses=_QUEUE_STATUSES,
                           next_url=next_url, filter_names=_filter_names(), notes=notes, tabs=tabs,
                           live_url=url_for("console.queue_live", **args))


def _queue_filter(principal: Principal, sites: list[Site]) -> QueueFilter:
    status = request.args.get("status") or "held"
    if status not in _QUEUE_STATUSES:
        raise InvalidField("Unknown status.", field="status")
    return QueueFilter(status=status, site_id=site_arg(principal, sites),
                       thread=request.args.get("thread") or None, reason=request.args.get("reason") or None,
                       author=request.args.get("author") or None, search=request.args.get("q") or None)


@routes.get("/queue/live")
def queue_live() -> Response:
    """Tell an open queue what changed: whether comments newer than `after` match its filters, and the status
    and deciding moderator of the comments it shows (`ids`) that are no longer in the status it shows.

    The queue's script polls this every few seconds, so two moderators can work one queue.
    """
    principal = moderator()
    sites = visible_sites(principal)
    flt = _queue_filter(principal, sites)
    after = int_arg(request.args.get("after"), "after")
    ids = [parse_int(i, "ids", low=1) for i in (request.args.get("ids") or "").split(",")[:200] if i.strip()]
    shown = "approved" if flt.status == "review" else flt.status
    with get_db().read() as db_session:
        newer = queue_items(db_session, principal.allowed_sites(), flt, limit=1, after=after) if after else []
        decided = comment_states(db_session, principal.allowed_sites(), ids)
    return jsonify({"newer": bool(newer),
                    "decided": [state for state in decided if state["status"] != shown]})


def _filter_names() -> list[str]:
    return list(dict.fromkeys([*app_config().filters, "classifier", "ban"]))


@routes.post("/comments/<int:comment_id>/<action>")
def decide_one(comment_id: int, action: str) -> Response:
    """Approve, reject or delete one comment from a form (the keyboard uses the moderation API)."""
    principal = moderator()
    if action not in _DECISIONS:
        raise NotFound()
    try:
        outcome = decide(get_db(), get_redis(), app_config(), principal, comment_id, _DECISIONS[action],
                         (request.form.get("note") or "")[:1000] or None, _expected_status())
    except StaleDecision as err:
        notify("stale_decision", "error", id=comment_id, status=err.details["current_status"])
    else:
        notify("decided_" + outcome.status, id=comment_id)
    return back(url_for("console.queue"))


def _expected_status() -> str | None:
    # The status the moderator saw when the page was drawn; the queue's forms always send it.
    return expected_status(request.form)


@routes.post("/comments/<int:comment_id>/keep")
def keep(comment_id: int) -> Response:
    """Mark a comment the filters published as reviewed and fine (it leaves the review list)."""
    principal = moderator()
    from service.decisions import confirm

    confirm(get_db(), principal, comment_id)
    return back(url_for("console.queue", status="review"))


@routes.post("/bulk")
def bulk() -> Response:
    """Apply one decision to every selected comment."""
    principal = moderator()
    action = request.form.get("action", "")
    if action not in _DECISIONS:
        raise InvalidField("Choose approve, reject or delete.", field="action")
    ids = [parse_int(i, "ids", low=1) for i in request.form.getlist("ids")[:500]]
    if not ids:
        notify("bulk_none", "error")
        return back(url_for("console.queue"))
    outcomes = decide_many(get_db(), get_redis(), app_config(), principal, ids, _DECISIONS[action], None,
                           _expected_status())
    done = [o for o in outcomes if o.error is None]
    if done:
        notify("bulk_done_" + action, count=len(done))
    refused = [o for o in outcomes if o.error is not None]
    # Messages travel in the session cookie: a few are named one by one, many are summed up in one line.
    if len(refused) > _NAMED_REFUSALS:
        notify("bulk_refused_many", "error", count=len(refused),
                ids=", ".join(f"#{o.comment_id}" for o in refused[:20]) + (" …" if len(refused) > 20 else ""))
    for outcome in refused if len(refused) <= _NAMED_REFUSALS else []:
        if outcome.error == "stale_decision":
            notify("stale_decision", "error", id=outcome.comment_id, status=outcome.current_status or "")
        else:
            notify("bulk_failed", "error", id=outcome.comment_id, error=code_text(outcome.error, outcome.message))
    return back(url_for("console.queue"))
