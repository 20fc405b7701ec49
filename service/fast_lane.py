"""The web server's fast lane: the two busiest requests answered without Flask's request machinery.

Why: on the 2-core machine, at 200 requests/s through granian, Flask's per-request work (the request and
app contexts, routing, the hooks, a Response object and its WSGI headers) and the WSGI environ cost more
CPU than the work of the request itself. Measured per request of web-process CPU (README, "Performance"):
a POST of a comment 2.39 ms through Flask and 1.67 ms through this lane (200/s, A/B three times); a cached
page of a thread 0.80 ms through Flask and 0.33 ms through this lane (`python -m bench.read`).

`service.body_gate.BodyGate` hands a request here when `FastLane.takes` says so, in the same threads that
run the WSGI app (on PostgreSQL a POST runs on the event loop instead: `service/loop_writes.py`). Two kinds:

- `POST /api/comments` with no query string, a JSON body of a declared length and a Host header. The comment
  is accepted by the function the Flask view calls (`service.api.accept_comment`), in an app context.
- `GET /api/threads/<key>/comments` whose page is in the thread cache (`ThreadCache`). Anything else about it
  (a page not cached, a parameter that does not parse, an unknown site, text no column could hold, Redis
  unavailable) is handed back to the gate, which runs Flask's view: the lane answers only the case where
  the view would have read the same cached bytes.

Each answer carries what the app's hooks add to the view's answers: the CORS check of `service.widget` (for a
POST, a page's origin must be allowed for the body's site, else 403 before the body's own errors are
reported; `Vary: Origin`, and `Access-Control-Allow-Origin` for an allowed one), the security headers of
`service.app.create_app`, errors as `service.app.error_answer` answers them, and the client's address and
scheme as ProxyFix reads them behind `TRUSTED_PROXIES`. tests/service/test_fast_lane.py sends the same
requests through the lane and through Flask and compares the answers.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.sansio.utils import get_host

from service.api import CommentRequest, PageRequest, accept_comment, site_named
from service.app import SECURITY_HEADERS, error_answer
from service.body_gate import LaneRequest, header_values
from service.comments import ThreadCache
from service.exceptions import ModeratoError, OriginNotAllowed
from service.idempotency import HEADER as IDEMPOTENCY_HEADER
from service.keys import bearer_token
from service.payload import parse_body, unstorable
from service.readers.accounts import SESSION_HEADER
from service.redis_conn import get_redis
from service.sites import DEFAULT_SITE
from service.widget import EXPOSED_HEADERS, origin_allowed

COMMENTS = "/api/comments"
THREADS, PAGE = "/api/threads/", "/comments"
# The app's own constants, lower-cased as RSGI names headers.
_SECURITY_HEADERS = [(name.lower(), value) for name, value in SECURITY_HEADERS]
_IDEMPOTENCY_HEADER, _SESSION_HEADER = IDEMPOTENCY_HEADER.lower(), SESSION_HEADER.lower()

Response = tuple[int, list[tuple[str, str]], bytes]


class FastLane:
    """Answers the lane's requests for the RSGI gate; a plain callable, run in the gate's threads."""

    def __init__(self, app: Flask, trusted_proxies: int = 0) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies
        self._dumps: Callable[..., str] = app.json.dumps

    @staticmethod
    def takes(method: str, path: str, query_string: str, headers: Any) -> bool:
        """Say whether a request may be the lane's (the gate runs the WSGI app for the rest)."""
        if method == "GET":
            return path.startswith(THREADS) and path.endswith(PAGE) and len(path) > len(THREADS) + len(PAGE)
        return (method == "POST" and path == COMMENTS and not query_string and "host" in headers
                and "content-length" in headers
                and headers.get("content-type", "").split(";", 1)[0].strip().lower() == "application/json")

    @staticmethod
    def may_run_on_loop(request: LaneRequest) -> bool:
        """Say whether a POST may start on the event loop (service/loop_writes.py): not a signed-in reader's,
        whose session is read from the database on every POST and would send it to a thread every time."""
        return _SESSION_HEADER not in request.headers

    def __call__(self, request: LaneRequest) -> Response | None:
        """Answer a request that `takes` took, or return None for the WSGI app to answer it."""
        if request.method == "GET":
            return self._cached_page(request)
        return self._post_comment(request)

    # -- POST /api/comments ---------------------------------------------------------------------------------

    def _post_comment(self, request: LaneRequest) -> Response:
        origin = request.headers.get("origin")
        allowed = False
        with self.app.app_context():
            try:
                try:
                    data: dict[str, Any] | None = parse_body(request.body, "application/json")
                    failure: ModeratoError | None = None
                except ModeratoError as err:
                    data, failure = None, err  # reported after the origin check, as the Flask hooks order them
                if origin is not None:
                    site_name = str((data or {}).get("site") or DEFAULT_SITE)
                    allowed = origin_allowed(origin, site_name, own=self._own_origin(request))
                    if not allowed:
                        raise OriginNotAllowed()
                if failure is not None:
                    raise failure
                assert data is not None
                headers = request.headers
                answer, status, extra = accept_comment(CommentRequest(
                    data, bearer_token(headers.get("authorization")), request.client, headers.get(_IDEMPOTENCY_HEADER),
                    headers.get(_SESSION_HEADER)))
            except Exception as err:  # noqa: BLE001 - every error is answered as the app's handlers answer it
                answer, status, extra = error_answer(err)
            content = (self._dumps(answer, separators=(",", ":")) + "\n").encode("utf-8")
        return status, self._headers(origin if allowed else None, extra), content

    # -- GET /api/threads/<key>/comments, from the cache ----------------------------------------------------

    def _cached_page(self, request: LaneRequest) -> Response | None:
        thread = request.path[len(THREADS):-len(PAGE)]
        args: dict[str, str] = {}
        for name, value in parse_qsl(request.query_string, keep_blank_values=True):
            if unstorable(name) or unstorable(value):
                return None  # Flask's check_request_text refuses it
            args.setdefault(name, value)  # the first of a repeated parameter, as request.args.get reads
        if unstorable(thread):
            return None
        origin = request.headers.get("origin")
        with self.app.app_context():
            try:
                page = PageRequest.parse(thread, args)
                site = site_named(args.get("site") or None)
            except Exception:  # noqa: BLE001 - a bad parameter, an unknown site, the database: the view answers
                return None
            body = ThreadCache(get_redis(), 0).cached(site.id, page.key, page.cache_key)
            if body is None:
                return None
            # A GET is never refused for its origin; an allowed one is named (service.widget._check_origin).
            allowed = origin is not None and origin_allowed(origin, args.get("site") or DEFAULT_SITE,
                                                            own=self._own_origin(request))
        return 200, self._headers(origin if allowed else None, {}), body

    # -- what the app's hooks add -----------------------------------------------------------------------------

    @staticmethod
    def _headers(allowed_origin: str | None, extra: dict[str, str]) -> list[tuple[str, str]]:
        headers = [("content-type", "application/json"), *_SECURITY_HEADERS, ("vary", "Origin"),
                   *((name.lower(), value) for name, value in extra.items())]
        if allowed_origin is not None:
            headers += [("access-control-allow-origin", allowed_origin),
                        ("access-control-expose-headers", EXPOSED_HEADERS)]
        return headers

    def _own_origin(self, request: LaneRequest) -> str:
        """Return this service's origin as the request addressed it (`service.widget.own_origin`)."""
        scheme = request.scheme
        if self.trusted_proxies:  # as ProxyFix(x_proto=N) reads X-Forwarded-Proto
            values = ",".join(header_values(request.headers, "x-forwarded-proto"))
            forwarded = [part.strip() for part in values.split(",") if part.strip()]
            if len(forwarded) >= self.trusted_proxies:
                scheme = forwarded[-self.trusted_proxies]
        return f"{scheme}://{get_host(scheme, request.headers.get('host'))}".lower()
