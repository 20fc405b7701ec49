"""Readers' likes, identicon avatars, and moderators' pins and closed threads, over HTTP.

Readers (cross-origin from the widget, under the same per-site CORS allowlist as the rest of /api/comments):

    POST /api/comments/<id>/like      {"reader_token"? | "user_token"?, "site"?}
                                      -> {"id", "likes", "liked": true, "reader_token"?}
    POST /api/comments/<id>/unlike    the same  -> {"id", "likes", "liked": false}
    GET  /api/avatars/<digits>.svg    the identicon of a comment's `avatar` digits

Moderators (a console session with its CSRF token, a personal API token, or MODERATOR_TOKEN):

    POST /api/moderation/comments/<id>/pin, …/unpin
    POST /api/moderation/threads/close, …/open   {"thread": "/news/1.html", "site"?}
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from service.accounts import require_moderator
from service.api import site_named
from service.avatars import identicon_svg, is_avatar_key
from service.comments import MAX_THREAD_KEY, ThreadCache, normalise_thread_key
from service.config import Config
from service.db import get_db
from service.exceptions import NotFound
from service.identity import reader_from_body
from service.keys import hash_ip
from service.likes import like, like_limits, liker_for, unlike
from service.payload import read_body, text_field
from service.redis_conn import get_redis
from service.thread_admin import ThreadRef, set_closed, set_pinned

engagement = Blueprint("engagement", __name__)


def _config() -> Config:
    return current_app.extensions["moderato.config"]


def _drop_cached_pages(ref: ThreadRef) -> None:
    ThreadCache(get_redis(), _config().thread_cache_ttl).invalidate(ref.site_id, ref.key)


def _like(comment_id: int, liked: bool) -> Response:
    config = _config()
    data = read_body(request) if request.content_length or request.is_json else {}
    site = site_named(str(request.args.get("site") or data.get("site") or "") or None)
    liker = liker_for(config.secret_key, site.id, reader_from_body(site, data), data)
    current_app.extensions["moderato.rate_limits"].hit(
        like_limits(config.secret_key, site.settings, request.remote_addr, liker),
        "Too many likes; wait a moment and try again.")
    if liked:
        state, thread_key = like(get_db(), site, comment_id, liker, hash_ip(config.secret_key, request.remote_addr))
    else:
        state, thread_key = unlike(get_db(), site, comment_id, liker)
    if state.changed:
        # The cached pages carry like counts: drop them, so the next reader sees this like.
        _drop_cached_pages(ThreadRef(site.id, thread_key))
    body = {"id": state.comment_id, "likes": state.likes, "liked": state.liked}
    if liker.new_token:
        body["reader_token"] = liker.new_token  # the widget keeps it and sends it with the next like
    return jsonify(body)


@engagement.post("/api/comments/<int:comment_id>/like")
def like_comment(comment_id: int) -> Response:
    """Like a published comment, once per reader; a guest's first like gets a browser token to keep."""
    return _like(comment_id, True)


@engagement.post("/api/comments/<int:comment_id>/unlike")
def unlike_comment(comment_id: int) -> Response:
    """Withdraw the reader's like of a comment."""
    return _like(comment_id, False)


@engagement.get("/api/avatars/<digits>.svg")
def avatar(digits: str) -> Response:
    """Draw the identicon of a comment's avatar digits."""
    if not is_avatar_key(digits):
        raise NotFound("No such avatar.")
    response = Response(identicon_svg(digits), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"  # the digits name the picture
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def _pin(comment_id: int, pinned: bool) -> Response:
    ref = set_pinned(get_db(), require_moderator(), comment_id, pinned)
    _drop_cached_pages(ref)
    return jsonify({"id": comment_id, "pinned": pinned})


@engagement.post("/api/moderation/comments/<int:comment_id>/pin")
def pin(comment_id: int) -> Response:
    """Pin a published top-level comment to the top of its thread (置顶)."""
    return _pin(comment_id, True)


@engagement.post("/api/moderation/comments/<int:comment_id>/unpin")
def unpin(comment_id: int) -> Response:
    """Unpin a comment."""
    return _pin(comment_id, False)


def _close(closed: bool) -> Response:
    principal = require_moderator()
    data = read_body(request)
    key = normalise_thread_key(text_field(data, "thread", MAX_THREAD_KEY) or "")
    site = site_named(str(data.get("site") or request.args.get("site") or "") or None)
    ref = set_closed(get_db(), principal, site, key, closed)
    current_app.extensions["moderato.closed_threads"].forget(site.id)
    _drop_cached_pages(ref)
    return jsonify({"thread": key, "site": site.name, "closed": closed})


@engagement.post("/api/moderation/threads/close")
def close_thread() -> Response:
    """Close a thread to new comments; its comments stay published."""
    return _close(True)


@engagement.post("/api/moderation/threads/open")
def open_thread() -> Response:
    """Open a closed thread to new comments again."""
    return _close(False)
