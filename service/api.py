"""The public HTTP API: captchas, comments, threads, health."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy import text

from service.captcha import RedisImageCaptcha
from service.comments import (
    MAX_PAGE, Submission, ThreadCache, comment_status, normalise_thread_key, page_json, parse_submission,
    submit_comment, thread_counts,
)
from service import reader_reasons
from service.config import Config
from service.db import Database, get_db
from service.exceptions import InvalidField
from service.idempotency import HEADER, Answer, IdempotencyStore, check_key, fingerprint
from service.identity import Reader, reader_from_body
from service.readers.accounts import SESSION_HEADER, author_key
from service.readers.posting import account_for_comment, reply_notice_language
from service.keys import bearer_token, hash_ip
from service.loop_writes import counting_begins
from service.models import ReaderAccount, Site
from service.payload import optional_int, read_body
from service.rate_limits import RateLimiter
from service.redis_conn import get_redis
from service.sites import DEFAULT_SITE
from service.thread_view import ORDERS, thread_view

api = Blueprint("api", __name__)


def _config() -> Config:
    return current_app.extensions["moderato.config"]


def _captcha() -> RedisImageCaptcha:
    return current_app.extensions["moderato.captcha"]


def site_named(name: str | None) -> Site:
    """Return the named site (the default site, created on first use, when no name is given)."""
    name = name or DEFAULT_SITE
    return current_app.extensions["moderato.sites"].get(get_db(), name, create=name == DEFAULT_SITE)


def _site_from_request() -> Site:
    """Return the site named by `?site=` (the default site when absent)."""
    return site_named(request.args.get("site"))


def _limiter() -> RateLimiter:
    return current_app.extensions["moderato.rate_limits"]


@api.get("/api/captcha")
def new_captcha() -> Response:
    """Create a captcha: its id, its image and where its audio is; or say none is needed here.

    With `?signed_in=1` (the widget has a signed reader token) a site whose policy exempts signed-in
    readers answers `{"required": false}`, as does a site that never asks for one; the POST still checks.
    """
    site = _site_from_request()
    if not _captcha_required(site, signed_in=request.args.get("signed_in") == "1"):
        return jsonify({"required": False})
    limiter = _limiter()
    limiter.hit(limiter.captcha_limits(site.settings, request.remote_addr),
                "Too many captchas; wait a moment and try again.")
    challenge = _captcha().create()
    response = jsonify({"required": True, "id": challenge.id, "image": challenge.image_data_url,
                        "audio": f"/api/captcha/{challenge.id}/audio"})
    response.headers["Cache-Control"] = "no-store"
    return response


@api.get("/api/captcha/<captcha_id>/audio")
def captcha_audio(captcha_id: str) -> Response:
    """Serve the captcha's answer as speech (WAV)."""
    config, limiter = _config(), _limiter()
    message = "Too many audio captchas; wait a moment and try again."
    limiter.hit(limiter.audio_client_limits(config, request.remote_addr), message)
    wav = _captcha().audio(captcha_id, lambda: limiter.hit(limiter.audio_global_limits(config), message))
    return Response(wav, mimetype="audio/wav", headers={"Cache-Control": "no-store"})


def _captcha_required(site: Site, signed_in: bool) -> bool:
    """Tell whether the site's captcha policy (always, guests, never) asks this reader for a captcha."""
    policy = (site.settings or {}).get("captcha") or "always"
    if policy == "never":
        return False
    return not (policy == "guests" and signed_in)


@dataclass(frozen=True)
class CommentRequest:
    """What accepting a comment reads of its POST, whichever layer received it: the Flask view below, or the
    web server's fast lane (`service/fast_lane.py`), which calls `accept_comment` without Flask's request
    machinery."""

    data: dict[str, Any]  # the parsed body
    bearer: str | None  # the API key of an `Authorization: Bearer` header
    remote_addr: str | None  # the client's address (after the trusted proxies)
    idempotency_key: str | None  # the raw Idempotency-Key header
    session_token: str | None  # the raw reader-session header (service/readers/)


@api.post("/api/comments")
def post_comment() -> tuple[Response, int, dict[str, str]]:
    """Accept a comment: check the captcha or the API key, store it as pending, queue its moderation."""
    body, status, headers = accept_comment(CommentRequest(
        read_body(request), bearer_token(request.headers.get("Authorization")), request.remote_addr,
        request.headers.get(HEADER), request.headers.get(SESSION_HEADER)))
    return jsonify(body), status, headers


def accept_comment(req: CommentRequest) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Accept a comment (in an app context); return the JSON body, the status and any extra headers."""
    config = _config()
    data, token = req.data, req.bearer
    db = get_db()
    if token is not None:
        site = current_app.extensions["moderato.api_keys"].site_for(db, token)
    else:
        site = site_named(str(data.get("site") or "") or None)
    # A signed-in reader (a token signed with the site's secret) posts under the verified name.
    reader = reader_from_body(site, data)
    if reader is not None:
        data = {**data, "author": reader.name[:config.max_author_length]}
    account = account_for_comment(site, data, reader, api_key=token is not None, session_token=req.session_token)
    if account is not None:
        data = {**data, "author": account.nickname[:config.max_author_length], "email": account.email}
    submission = parse_submission(data, config)
    notice_lang = reply_notice_language(data, submission.email)
    # Before the captcha, which a refusal must not use up.
    current_app.extensions["moderato.closed_threads"].refuse_if_closed(db, site.id, submission.thread)
    # Claimed after the fields and the API key are checked and before the captcha is: a retry whose
    # captcha the first request consumed gets the first answer.
    key = check_key(req.idempotency_key)
    counting_begins()  # on the event loop: from here the request is not run again in a thread (loop_writes)

    def accept() -> tuple[dict[str, Any], int]:
        return _accept_comment(config, db, site, data, submission, reader, token, req.remote_addr, account,
                               notice_lang)

    if key is None:
        body, status = accept()
        return body, status, {}
    store, digest = IdempotencyStore(get_redis(), config.secret_key), fingerprint(data)
    first = store.begin(site.id, key, digest)
    if first is not None:
        return first.body, first.status, {"Idempotent-Replayed": "true"}
    try:
        body, status = accept()
    except BaseException:
        store.release(site.id, key)
        raise
    store.finish(site.id, key, digest, Answer(status, body))
    return body, status, {}


def _accept_comment(config: Config, db: Database, site: Site, data: dict[str, Any], submission: Submission,
                    reader: Reader | None, token: str | None, remote_addr: str | None,
                    account: ReaderAccount | None = None, notice_lang: str | None = None) -> tuple[dict[str, Any], int]:
    if token is None and _captcha_required(site, signed_in=reader is not None or account is not None):
        # Validate first, so a typo in a field does not burn the reader's captcha.
        _captcha().verify(str(data.get("captcha_id") or ""), str(data.get("captcha_answer") or ""))
    if token is not None:
        # A back end posts for its readers: the connection's address is the back end's own, so only an
        # address it passes in `reader_ip` identifies the reader (for rate limits and bans).
        reader_ip = data.get("reader_ip") if isinstance(data.get("reader_ip"), str) else None
    else:
        reader_ip = remote_addr
    limiter = _limiter()
    if limiter.enabled:  # the limits' subjects are keyed hashes, not worked out when nothing counts them
        author = reader.user_id if reader else author_key(account.id) if account else submission.author
        limiter.hit(limiter.post_limits(site.id, site.settings, reader_ip, author, submission.thread, api_key=token),
                    "Too many comments; wait a moment before posting again.")
    comment, author_token = submit_comment(
        db, current_app.extensions["moderato.batcher"], site, submission, hash_ip(config.secret_key, reader_ip),
        current_app.extensions["moderato.thread_ids"], user_id=reader.user_id if reader else None,
        reader_id=account.id if account else None, reply_notice_lang=notice_lang,
    )
    return {"id": comment.id, "status": comment.status, "token": author_token}, 202


@api.get("/api/comments/<int:comment_id>")
def get_comment_status(comment_id: int) -> Response:
    """Tell a comment's author its status and, once decided, the reason, in ?lang= or Accept-Language."""
    lang = reader_reasons.language(request.args.get("lang"), request.accept_languages)
    with get_db().read() as session:
        return jsonify(comment_status(session, comment_id, request.args.get("token"), lang))


def _int_arg(args: Mapping[str, str], name: str, default: int | None, low: int, high: int) -> int | None:
    value = optional_int(args.get(name), name, low, high)
    return default if value is None else value


@api.get("/api/threads/counts")
def get_thread_counts() -> Response:
    """Return approved-comment counts for several threads, for a listing page."""
    keys = [normalise_thread_key(k) for k in request.args.getlist("thread") if k.strip()][:100]
    site = _site_from_request()
    with get_db().read() as session:
        return jsonify({"counts": thread_counts(session, site.id, keys)})


@dataclass(frozen=True)
class PageRequest:
    """A request for a page of a thread's comments, validated: the thread key, the cursor, the size, the order."""

    key: str
    after: int | None
    limit: int
    order: str

    @classmethod
    def parse(cls, thread: str, args: Mapping[str, str]) -> PageRequest:
        """Read the thread key from the URL and the page from the query (`after`, `limit`, `order`), or raise."""
        order = args.get("order", "oldest")
        page = cls(normalise_thread_key(thread), _int_arg(args, "after", None, 0, 2**62),
                   _int_arg(args, "limit", 50, 1, MAX_PAGE) or 50, order)
        if order not in ORDERS:
            raise InvalidField("'order' must be oldest, newest or hot.", field="order")
        return page

    @property
    def cache_key(self) -> str:
        """Return the page's field in the thread's cache (`ThreadCache`)."""
        return f"{self.order}:{self.after or 0}:{self.limit}"


@api.get("/api/threads/<thread:thread>/comments")
def get_thread_comments(thread: str) -> Response:
    """Return a page of a thread's approved comments, replies nested, oldest first (or `order=newest` or `hot`).

    A page in the cache is also served by the web server's fast lane (service/fast_lane.py), without Flask.
    """
    page = PageRequest.parse(thread, request.args)
    site = _site_from_request()
    cache = ThreadCache(get_redis(), _config().thread_cache_ttl)
    body, generation = cache.get(site.id, page.key, page.cache_key)
    if body is None:
        with get_db().read() as session:
            built = thread_view(session, site, page.key, page.after, page.limit, page.order, _config().secret_key)
        body = page_json(built)
        if built["total"] or built["comments"]:  # empty threads are cheap to read and any key may be asked for
            cache.put(site.id, page.key, page.cache_key, body, generation)
    return Response(body, mimetype="application/json")


@api.get("/healthz")
def healthz() -> Response:
    """Say the process is up."""
    return jsonify({"status": "ok"})


@api.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Say whether the database and Redis answer."""
    checks = {}
    try:
        with get_db().read() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means not ready
        checks["database"] = "unavailable"
    try:
        get_redis().ping()
        checks["redis"] = "ok"
    except RedisError:
        checks["redis"] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ok" if ready else "unavailable", "checks": checks}), 200 if ready else 503

