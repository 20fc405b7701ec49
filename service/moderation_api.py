"""The moderation API, behind MODERATOR_TOKEN until the console's accounts exist."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from service.api import require_moderator
from service.comments import ThreadCache
from service.db import get_db
from service.exceptions import InvalidField
from service.models import CommentStatus, Thread
from service.moderation import moderate, review_queue
from service.payload import read_body
from service.redis_conn import get_redis
from service.signals import comment_decided

moderation_api = Blueprint("moderation_api", __name__)

_QUEUE_STATUSES = {"held": CommentStatus.HELD, "pending": CommentStatus.PENDING}


@moderation_api.get("/api/moderation/queue")
def queue() -> Response:
    """List comments awaiting a moderator (held by default; `?status=pending` shows undecided ones)."""
    require_moderator()
    names = request.args.getlist("status") or ["held"]
    if any(n not in _QUEUE_STATUSES for n in names):
        raise InvalidField("'status' must be held or pending.", field="status")
    after = request.args.get("after")
    if after is not None and not (after.isascii() and after.isdigit()):
        raise InvalidField("'after' must be a comment id.", field="after")
    with get_db().read() as session:
        items = review_queue(session, tuple(_QUEUE_STATUSES[n] for n in names), limit=50,
                             after=int(after) if after else None)
    return jsonify({"comments": items, "next": str(items[-1]["id"]) if len(items) == 50 else None})


def _decide(comment_id: int, status: CommentStatus) -> Response:
    moderator = require_moderator()
    note = None
    if request.content_length:
        note = read_body(request).get("note")
        note = str(note)[:1000] if note else None
    with get_db().write() as session:
        comment = moderate(session, comment_id, status, moderator, note)
        thread = session.get(Thread, comment.thread_id)
        site_id, thread_key = thread.site_id, thread.key
    ThreadCache(get_redis(), current_app.extensions["moderato.config"].thread_cache_ttl).invalidate(
        site_id, thread_key)
    comment_decided.send(comment_id, comment_id=comment_id, status=status.value, decided_by="moderator")
    return jsonify({"id": comment_id, "status": status.value})


@moderation_api.post("/api/moderation/comments/<int:comment_id>/approve")
def approve(comment_id: int) -> Response:
    """Publish a comment."""
    return _decide(comment_id, CommentStatus.APPROVED)


@moderation_api.post("/api/moderation/comments/<int:comment_id>/reject")
def reject(comment_id: int) -> Response:
    """Reject a comment."""
    return _decide(comment_id, CommentStatus.REJECTED)
