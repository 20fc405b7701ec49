"""The application factory."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Request, jsonify
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, PathConverter

from service.config import Config
from service.db import Database
from service.exceptions import ModeratoError
from service.payload import MAX_ID, check_request_text
from service.redis_conn import RedisConnection

logger = logging.getLogger(__name__)

# Added to every answer (unless a view set its own); the web server's fast lane adds them too.
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "strict-origin-when-cross-origin"))

# HTTP errors raised by Werkzeug itself (routing, body size), given the same JSON shape as ours.
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 400: "bad_request"}


def create_app(config: Config | None = None) -> Flask:
    """Create the Flask app for `config` (read from the environment when not given)."""
    config = (config or Config.from_env()).ensure_secret_key()
    app = Flask(__name__)
    app.session_interface = CookieSessions()
    # Thread keys are paths: /api/threads//news/1.html and /api/threads/%2Fnews%2F1.html must not redirect.
    app.url_map.merge_slashes = False
    app.url_map.converters["thread"] = ThreadKeyConverter
    app.url_map.converters["int"] = IdConverter
    app.config.update(MAX_CONTENT_LENGTH=config.max_body_bytes, JSON_AS_ASCII=False)
    app.json.ensure_ascii = False
    app.extensions["moderato.config"] = config
    if config.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxies, x_proto=config.trusted_proxies)

    # First of every hook (the CORS check reads the site name), so none of them sees unstorable text.
    app.before_request(check_request_text)
    Database().init_app(app)
    RedisConnection().init_app(app)

    from service.api import api
    from service.captcha import RedisImageCaptcha
    from service.moderation_api import moderation_api

    app.extensions["moderato.captcha"] = RedisImageCaptcha(
        app.extensions["moderato.redis"], config.secret_key, ttl=config.captcha_ttl, length=config.captcha_length,
    )
    from service.rate_limits import RateLimiter

    app.extensions["moderato.rate_limits"] = RateLimiter(
        app.extensions["moderato.redis"], config.secret_key, enabled=config.rate_limits,
    )
    from service.comments import ThreadIds
    from service.queue import ModerationBatcher
    from service.sites import ApiKeyCache, SiteCache

    # Per-process caches of values that do not change once written (thread ids) or may lag (API keys).
    app.extensions["moderato.api_keys"] = ApiKeyCache()
    app.extensions["moderato.thread_ids"] = ThreadIds()
    app.extensions["moderato.sites"] = SiteCache()
    from service.thread_admin import ClosedThreads

    app.extensions["moderato.closed_threads"] = ClosedThreads()
    app.extensions["moderato.batcher"] = ModerationBatcher(
        app.extensions["moderato.redis"], config.queue_name, config.moderation_batch_window_ms / 1000,
        config.moderation_batch_size,
    )
    app.register_blueprint(api)
    app.register_blueprint(moderation_api)
    from service.metrics import metrics

    app.register_blueprint(metrics)
    from service.openapi import openapi

    app.register_blueprint(openapi)
    from service.privacy_api import privacy_api

    app.register_blueprint(privacy_api)
    from service.widget import widget

    app.register_blueprint(widget)  # also installs the per-site CORS allowlist on the app
    from service.engagement_api import engagement

    app.register_blueprint(engagement)
    from service.readers.api import readers_api

    app.register_blueprint(readers_api)
    from service import console
    from service.notifications import subscribe

    console.init_app(app)
    redis_client = app.extensions["moderato.redis"]
    subscribe(config, lambda: redis_client)
    from service.readers.notices import subscribe as subscribe_reply_notices

    database = app.extensions["moderato.db"]
    subscribe_reply_notices(config, lambda: redis_client, lambda: database)
    if config.testing_hooks:
        from service.testing_hooks import testing_hooks

        app.register_blueprint(testing_hooks)
    if config.demo:
        from service.demo import demo

        app.register_blueprint(demo)
    _register_error_handlers(app)

    @app.after_request
    def _security_headers(response):  # type: ignore[no-untyped-def]
        for name, value in SECURITY_HEADERS:
            response.headers.setdefault(name, value)
        return response

    return app


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signing serializer for requests that carry no
    session cookie (every API call): Flask builds one per request before it looks at the cookie."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """Return an empty session when there is no cookie to read, else Flask's own."""
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


class IdConverter(IntegerConverter):
    """An `<int:...>` in a URL: at most 19 digits and no more than BIGINT holds, else the route does not match
    (404), so neither `int()` nor the database sees a larger number."""

    regex = r"\d{1,19}"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # type: ignore[no-untyped-def]
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class ThreadKeyConverter(PathConverter):
    """A thread key in a URL: a path that may start with a slash."""

    regex = ".+?"
    part_isolating = False


def error_answer(err: Exception) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Return the JSON body, status and headers that answer an error raised while serving a request.

    The app's error handlers and the web server's fast lane (service/fast_lane.py) both answer with it.
    """
    if isinstance(err, ModeratoError):
        if err.status >= 500:
            logger.warning("%s: %s", err.code, err.message, exc_info=err.__cause__ is not None)
        return err.to_dict(), err.status, err.headers
    if isinstance(err, (OperationalError, InterfaceError)):
        # The database went away (a restart, a failover): the pool reconnects on the next request.
        logger.warning("database unavailable: %s", type(err.orig if hasattr(err, "orig") else err).__name__)
        return {"error": {"code": "service_unavailable", "message": "The database is unavailable; try again."}}, 503, {}
    # Never a stack trace to the client; the log keeps it for operators.
    logger.error("unexpected error", exc_info=err)
    return {"error": {"code": "internal_error", "message": "Internal error."}}, 500, {}


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ModeratoError)
    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _answer(err: Exception):  # type: ignore[no-untyped-def]
        body, status, headers = error_answer(err)
        return jsonify(body), status, headers

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):  # type: ignore[no-untyped-def]
        status = err.code or 500
        body = {"error": {"code": _HTTP_CODES.get(status, "http_error"), "message": err.description}}
        return jsonify(body), status

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):  # type: ignore[no-untyped-def]
        body, status, headers = error_answer(err)
        return jsonify(body), status, headers
