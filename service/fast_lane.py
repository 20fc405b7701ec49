"""The web server's fast lane: `POST /api/comments` answered without Flask's request machinery.

Why: on the 2-core machine, at 200 requests/s through granian, Flask's per-request work (the request and
app contexts, routing, the hooks, a Response object and its WSGI headers) and the WSGI environ cost more
CPU than accepting the comment itself: `GET /healthz` cost 1.26 ms of web-process CPU against 0.39 ms for
an RSGI answer built in Python (`python -m bench.accept_cost`, which measures this lane too).

`service.body_gate.BodyGate` hands a request here when `CommentFastLane.takes` says so: a POST to exactly
`/api/comments`, with no query string, a JSON body of a declared length and a Host header. Everything else,
preflights included, goes to Flask. The comment is accepted by the same function as the Flask view
(`service.api.accept_comment`), in an app context, and the answer carries what the app's hooks add to
that view's answers:

- the CORS check of `service.widget` (a page's origin must be allowed for the body's site, else 403 before
  the body's own errors are reported; `Vary: Origin`, and `Access-Control-Allow-Origin` for an allowed one);
- the security headers of `service.app.create_app`;
- errors as `service.app.error_answer` answers them;
- the client's address and scheme as ProxyFix reads them behind `TRUSTED_PROXIES`.

Request text needs no other check here: there is no query string or path part, and `parse_body` checks
every string of the JSON body as the Flask path's `read_body` does. tests/service/test_fast_lane.py sends
the same requests through both paths and compares the answers.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.sansio.utils import get_host

from service.api import CommentRequest, accept_comment, bearer_token
from service.app import error_answer
from service.body_gate import header_values
from service.exceptions import ModeratoError, OriginNotAllowed
from service.payload import parse_body
from service.sites import DEFAULT_SITE
from service.widget import origin_allowed

PATH = "/api/comments"
# What `create_app`'s after_request hook adds to every answer.
_SECURITY_HEADERS = [("x-content-type-options", "nosniff"), ("referrer-policy", "strict-origin-when-cross-origin")]

Response = tuple[int, list[tuple[str, str]], bytes]


class CommentFastLane:
    """Accepts comments for the RSGI gate; a plain callable, run in the gate's threads like the WSGI app."""

    def __init__(self, app: Flask, trusted_proxies: int = 0) -> None:
        self.app = app
        self.trusted_proxies = trusted_proxies
        self._dumps: Callable[..., str] = app.json.dumps

    @staticmethod
    def takes(method: str, path: str, query_string: str, headers: Any) -> bool:
        """Say whether a request is one this lane answers (else the WSGI app does)."""
        return (method == "POST" and path == PATH and not query_string and "host" in headers
                and "content-length" in headers
                and headers.get("content-type", "").split(";", 1)[0].strip().lower() == "application/json")

    def __call__(self, headers: Any, body: bytes, client: str, scheme: str) -> Response:
        """Answer one request that `takes` took; `client` is the address after the trusted proxies."""
        origin = headers.get("origin")
        allowed = False
        with self.app.app_context():
            try:
                try:
                    data: dict[str, Any] | None = parse_body(body, "application/json")
                    failure: ModeratoError | None = None
                except ModeratoError as err:
                    data, failure = None, err  # reported after the origin check, as the Flask hooks order them
                if origin is not None:
                    site_name = str((data or {}).get("site") or DEFAULT_SITE)
                    allowed = origin_allowed(origin, site_name, own=self._own_origin(headers, scheme))
                    if not allowed:
                        raise OriginNotAllowed()
                if failure is not None:
                    raise failure
                assert data is not None
                answer, status, extra = accept_comment(CommentRequest(
                    data, bearer_token(headers.get("authorization")), client, headers.get("idempotency-key"),
                    headers.get("x-moderato-session")))
            except Exception as err:  # noqa: BLE001 - every error is answered as the app's handlers answer it
                answer, status, extra = error_answer(err)
            content = (self._dumps(answer, separators=(",", ":")) + "\n").encode("utf-8")
        response_headers = [("content-type", "application/json"), *_SECURITY_HEADERS, ("vary", "Origin"),
                            *((name.lower(), value) for name, value in extra.items())]
        if allowed:
            response_headers += [("access-control-allow-origin", origin),
                                 ("access-control-expose-headers", "Retry-After")]
        return status, response_headers, content

    def _own_origin(self, headers: Any, scheme: str) -> str:
        """Return this service's origin as the request addressed it (`service.widget.own_origin`)."""
        if self.trusted_proxies:  # as ProxyFix(x_proto=N) reads X-Forwarded-Proto
            values = ",".join(header_values(headers, "x-forwarded-proto"))
            forwarded = [part.strip() for part in values.split(",") if part.strip()]
            if len(forwarded) >= self.trusted_proxies:
                scheme = forwarded[-self.trusted_proxies]
        return f"{scheme}://{get_host(scheme, headers.get('host'))}".lower()
