"""The embeddable widget: its script, the readers' report endpoint, and the per-site CORS allowlist."""
from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import rcssmin
import rjsmin
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from service.api import site_named
from service.config import Config
from service.db import get_db
from service.exceptions import ModeratoError, OriginNotAllowed
from service.identity import reader_from_body, reader_hash
from service.keys import hash_ip
from service.payload import read_body
from service.redis_conn import get_redis
from service.reports import ReportRateLimit, file_report, parse_report
from service.sites import DEFAULT_SITE
from service.signals import comment_reported

STATIC = Path(__file__).resolve().parent / "static"
CSS_PLACEHOLDER = '"__MODERATO_CSS__"'
# The public API that pages call from a browser; the moderation and testing APIs are never cross-origin.
CORS_PATHS = ("/api/captcha", "/api/comments", "/api/threads", "/api/readers")
CORS_MAX_AGE = "600"

widget = Blueprint("widget", __name__)


def _config() -> Config:
    return current_app.extensions["moderato.config"]


def _site_name(data: dict[str, Any] | None = None) -> str:
    name = request.args.get("site") or (data or {}).get("site") or DEFAULT_SITE
    return str(name)


# -- CORS ------------------------------------------------------------------------------------------------


def own_origin() -> str:
    """Return the origin this request was addressed to: the service's own pages are always allowed."""
    return f"{request.scheme}://{request.host}".lower()


def origin_allowed(origin: str, site_name: str, own: str | None = None) -> bool:
    """Say whether a page at `origin` may call the API for the named site (`own`: this service's own
    origin, `own_origin()` when not given)."""
    origin = origin.strip().rstrip("/").lower()
    if origin == (own if own is not None else own_origin()):
        return True
    try:
        site = site_named(site_name)
    except ModeratoError:  # no such site: only the service's own pages
        return False
    allowed = {str(o).strip().rstrip("/").lower() for o in (site.origins or [])}
    if site.name == DEFAULT_SITE:
        allowed.update(o.strip().rstrip("/").lower() for o in _config().default_site_origins)
    return origin in allowed


def _request_site_name() -> str:
    if request.method == "POST" and "site" not in request.args:
        try:
            return _site_name(read_body(request))
        except ModeratoError:
            return DEFAULT_SITE  # the view reports the bad body itself
    return _site_name()


def _check_origin() -> Response | None:
    """Answer preflights, and refuse writes from pages whose origin the site does not allow."""
    origin = request.headers.get("Origin")
    if origin is None or not request.path.startswith(CORS_PATHS):
        return None
    g.cors_allowed = allowed = origin_allowed(origin, _request_site_name())
    if request.method == "OPTIONS":
        if not allowed:
            raise OriginNotAllowed()
        response = current_app.response_class(status=204)
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        # X-Moderato-Session: a signed-in reader account's session (service/readers/), never a cookie.
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Idempotency-Key, X-Moderato-Session"
        response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
        return response
    if request.method not in ("GET", "HEAD") and not allowed:
        raise OriginNotAllowed()
    return None


# Response headers a page's script may read: how long a 429 asks the widget to wait (rate_limits.py).
EXPOSED_HEADERS = "Retry-After"


def _cors_headers(response: Response) -> Response:
    """Name the page's origin in Access-Control-Allow-Origin only when the site allows it."""
    if request.path.startswith(CORS_PATHS):
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin is not None and g.get("cors_allowed"):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response


def init_cors(app: Flask) -> None:
    """Install the CORS allowlist on the app: preflights, refusals and response headers."""
    app.before_request(_check_origin)
    app.after_request(_cors_headers)


widget.record_once(lambda state: init_cors(state.app))


# -- The script ------------------------------------------------------------------------------------------


def embed_script() -> bytes:
    """Return embed.js with embed.css inlined into it, so the widget is one request, both minified.

    Built once per process and file change (`_asset`). Minifying (comments and spaces only, rjsmin and
    rcssmin: names are kept, so errors in a reader's console still read) sends about 3 KB less gzipped.
    """
    script = rjsmin.jsmin((STATIC / "embed.js").read_text(encoding="utf-8"))
    return script.replace(CSS_PLACEHOLDER, json.dumps(embed_stylesheet().decode("utf-8")), 1).encode("utf-8")


def embed_stylesheet() -> bytes:
    """Return embed.css minified."""
    return rcssmin.cssmin((STATIC / "embed.css").read_text(encoding="utf-8")).encode("utf-8")


def _asset(name: str, build, mimetype: str) -> Response:  # type: ignore[no-untyped-def]
    cache = current_app.extensions.setdefault("moderato.widget_assets", {})
    stamp = tuple((STATIC / f).stat().st_mtime_ns for f in ("embed.js", "embed.css"))
    if name not in cache or cache[name][0] != stamp:
        body = build()
        cache[name] = (stamp, body, gzip.compress(body, 9, mtime=0), hashlib.sha256(body).hexdigest()[:20])
    _stamp, body, compressed, etag = cache[name]
    # Served compressed by the service itself, so the size budget holds without a proxy in front.
    use_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
    response = Response(compressed if use_gzip else body, mimetype=mimetype)
    if use_gzip:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.set_etag(etag + ("-gz" if use_gzip else ""))
    # Unversioned URL: a short max-age, then a cheap revalidation by ETag.
    response.headers["Cache-Control"] = "public, max-age=600"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response.make_conditional(request)


@widget.get("/embed.js")
def embed_js() -> Response:
    """Serve the widget's script (its styles inside)."""
    return _asset("embed.js", embed_script, "text/javascript")


@widget.get("/embed.css")
def embed_css() -> Response:
    """Serve the widget's styles, for browsers without constructable stylesheets."""
    return _asset("embed.css", embed_stylesheet, "text/css")


# -- Reports ---------------------------------------------------------------------------------------------


@widget.post("/api/comments/<int:comment_id>/reports")
def report_comment(comment_id: int) -> tuple[Response, int]:
    """Accept a reader's report of a published comment: one per reader, a few per hour."""
    config = _config()
    data = read_body(request)
    site = site_named(_site_name(data))
    submission = parse_report(data)
    reader = reader_from_body(site, data)
    ip_hash = hash_ip(config.secret_key, request.remote_addr)
    reporter = reader_hash(config.secret_key, site.id, reader) if reader else (ip_hash or "unknown")
    ReportRateLimit(get_redis(), config.reports_per_hour).hit(ip_hash)
    report = file_report(get_db(), site, comment_id, submission, reporter)
    comment_reported.send(comment_id, comment_id=comment_id, report_id=report.id)
    return jsonify({"id": report.id, "comment_id": comment_id, "reason": report.reason}), 201
