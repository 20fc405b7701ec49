"""The moderation API: the console's session (with its CSRF token), a personal API token, or MODERATOR_TOKEN."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from service.accounts import require_moderator
from service.db import get_db
from service.decisions import decide, decide_many, expected_status
from service.exceptions import InvalidField
from service.models import CommentStatus
from service.moderation import review_queue
from service.payload import optional_int, parse_int, read_body
from service.redis_conn import get_redis

moderation_api = Blueprint("moderation_api", __name__)

_QUEUE_STATUSES = {"held": CommentStatus.HELD, "pending": CommentStatus.PENDING}
_DECISIONS = {"approve": CommentStatus.APPROVED, "reject": CommentStatus.REJECTED, "delete": CommentStatus.DELETED}


@moderation_api.get("/api/moderation/queue")
def queue() -> Response:
    """List comments awaiting a moderator (held by default; `?status=pending` shows undecided ones).

    Each verdict's `reasons` are codes with parameters; `reason_texts` says them in `?lang=` (en or zh-CN).
    """
    principal = require_moderator()
    names = request.args.getlist("status") or ["held"]
    if any(n not in _QUEUE_STATUSES for n in names):
        raise InvalidField("'status' must be held or pending.", field="status")
    after = optional_int(request.args.get("after"), "after")
    with get_db().read() as session:
        items = review_queue(session, tuple(_QUEUE_STATUSES[n] for n in names), limit=50,
                             after=after, site_ids=principal.allowed_sites(),
                             language="zh-CN" if request.args.get("lang") == "zh-CN" else "en")
    return jsonify({"comments": items, "next": str(items[-1]["id"]) if len(items) == 50 else None})


def _body() -> dict:
    return read_body(request) if request.content_length else {}


def _decide(comment_id: int, status: CommentStatus) -> Response:
    principal = require_moderator()
    data = _body()
    note = data.get("note")
    outcome = decide(get_db(), get_redis(), current_app.extensions["moderato.config"], principal, comment_id,
                     status, str(note)[:1000] if note else None, expected_status(data))
    return jsonify({"id": outcome.comment_id, "status": outcome.status})


@moderation_api.post("/api/moderation/comments/<int:comment_id>/approve")
def approve(comment_id: int) -> Response:
    """Publish a comment."""
    return _decide(comment_id, CommentStatus.APPROVED)


@moderation_api.post("/api/moderation/comments/<int:comment_id>/reject")
def reject(comment_id: int) -> Response:
    """Reject a comment."""
    return _decide(comment_id, CommentStatus.REJECTED)


@moderation_api.post("/api/moderation/comments/<int:comment_id>/delete")
def delete(comment_id: int) -> Response:
    """Delete a comment: it disappears from the thread and from the queue."""
    return _decide(comment_id, CommentStatus.DELETED)


@moderation_api.post("/api/moderation/comments/<int:comment_id>/hold")
def hold(comment_id: int) -> Response:
    """Put a decided comment back in the held queue (the console's undo; send `expected_status`)."""
    return _decide(comment_id, CommentStatus.HELD)


@moderation_api.post("/api/moderation/bulk")
def bulk() -> Response:
    """Apply one decision (approve, reject or delete) to many comments: `{"action": ..., "ids": [...]}`.

    With `expected_status`, each comment whose status differs is left alone and reported as `stale_decision`.
    """
    principal = require_moderator()
    data = read_body(request)
    action = data.get("action")
    if action not in _DECISIONS:
        raise InvalidField("'action' must be approve, reject or delete.", field="action")
    raw_ids = data.get("ids")
    if isinstance(raw_ids, str):
        raw_ids = raw_ids.split(",")
    if not isinstance(raw_ids, list | None):
        raise InvalidField("'ids' must be a list of comment ids.", field="ids")
    ids = [parse_int(i, "ids", low=1) for i in (raw_ids or [])[:500]]
    outcomes = decide_many(get_db(), get_redis(), current_app.extensions["moderato.config"], principal, ids,
                           _DECISIONS[action], None, expected_status(data))
    return jsonify({"results": [
        {"id": o.comment_id, "status": o.status, "error": o.error,
         **({"message": o.message, "current_status": o.current_status} if o.error == "stale_decision" else {})}
        for o in outcomes]})
