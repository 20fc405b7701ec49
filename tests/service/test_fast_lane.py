"""The fast lane (service/fast_lane.py) answers POST /api/comments as the Flask view and its hooks do.

Each case is sent twice, once to the lane (in process, as the RSGI gate calls it) and once through Flask's
test client, against the same database and Redis, and the two answers are compared: status, JSON body
(ids and tokens aside) and the headers the hooks add. tests/service/test_body_gate.py sends comments
through the real web server, where the gate hands them to the lane.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import select

from service.config import Config
from service.embedded_redis import EmbeddedRedis
from service.fast_lane import CommentFastLane
from service.models import Comment
from service.sites import create_api_key
from tests.conftest import make_config

ALLOWED = "http://allowed.example"
# The headers the app's hooks or the view set on POST /api/comments answers.
COMPARED = ("content-type", "x-content-type-options", "referrer-policy", "vary", "access-control-allow-origin",
            "access-control-expose-headers", "retry-after", "idempotent-replayed")


@pytest.fixture
def config(database_url: str, redis_client: Redis, redis_server: EmbeddedRedis, tmp_path: Path) -> Config:
    """A configuration whose default site allows one other origin."""
    return make_config(database_url, redis_server.url, tmp_path, default_site_origins=(ALLOWED,))


def _lane(app: Any, body: bytes, headers: dict[str, str], client: str = "127.0.0.1",
          lane: CommentFastLane | None = None) -> tuple[int, dict[str, str], dict[str, Any]]:
    lane = lane or CommentFastLane(app)
    sent = {"host": "localhost", "content-type": "application/json", "content-length": str(len(body)),
            **{name.lower(): value for name, value in headers.items()}}
    assert lane.takes("POST", "/api/comments", "", sent)
    status, response_headers, content = lane(sent, body, client, "http")
    return status, {name: value for name, value in response_headers if name in COMPARED}, json.loads(content)


def _flask(client: Any, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:
    response = client.post("/api/comments", data=body, headers={"Content-Type": "application/json", **headers},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"})
    kept = {name.lower(): value for name, value in response.headers.items() if name.lower() in COMPARED}
    return response.status_code, kept, response.get_json()


def _same(lane_answer: tuple[int, dict[str, str], dict[str, Any]],
          flask_answer: tuple[int, dict[str, str], dict[str, Any]]) -> None:
    (lane_status, lane_headers, lane_body), (flask_status, flask_headers, flask_body) = lane_answer, flask_answer
    assert lane_status == flask_status, (lane_body, flask_body)
    assert lane_headers == flask_headers
    if lane_status == 202:  # each request made a comment of its own
        assert set(lane_body) == set(flask_body) == {"id", "status", "token"}
        assert lane_body["status"] == flask_body["status"] == "pending"
    else:
        assert lane_body == flask_body


def _body(**fields: Any) -> bytes:
    return json.dumps({"thread": "/news/1.html", "author": "读者", "text": "写得好", **fields},
                      ensure_ascii=False).encode()


CASES = {
    "guest without a captcha": (_body(), {}),
    "bad JSON": (b'{"thread": ', {}),
    "not an object": (b"[1, 2]", {}),
    "not UTF-8": (b'{"text": "\xff"}', {}),
    "a NUL in a field": (_body(author="a\u0000b"), {}),
    "missing text": (_body(text=""), {}),
    "text too long": (_body(text="长" * 20000), {}),
    "an origin not allowed": (_body(), {"Origin": "http://evil.example"}),
    "bad JSON from an origin not allowed": (b"{", {"Origin": "http://evil.example"}),
    "an allowed origin": (_body(), {"Origin": ALLOWED}),
    "an allowed origin with a trailing slash": (_body(), {"Origin": ALLOWED.upper() + "/"}),
    "the service's own origin": (_body(), {"Origin": "http://localhost"}),
    "an origin allowed only for another site": (_body(site="other"), {"Origin": ALLOWED}),
    "an unknown API key": (_body(), {"Authorization": "Bearer nope"}),
    "a bad idempotency key": (_body(), {"Idempotency-Key": "bad key"}),
    "a reader session that is not valid": (_body(), {"X-Moderato-Session": "forged"}),
}


@pytest.mark.parametrize("case", CASES)
def test_the_lane_answers_as_the_flask_view_does(app: Any, client: Any, case: str) -> None:
    body, headers = CASES[case]
    _same(_lane(app, body, headers), _flask(client, body, headers))


def test_comments_posted_with_an_api_key_are_stored_pending_by_both(app: Any, client: Any) -> None:
    key = create_api_key(app.extensions["moderato.db"], "portal")
    headers = {"Authorization": f"Bearer {key}"}
    lane_answer, flask_answer = _lane(app, _body(), headers), _flask(client, _body(), headers)
    _same(lane_answer, flask_answer)
    with app.extensions["moderato.db"].read() as session:
        stored = session.scalars(select(Comment).where(Comment.id.in_([lane_answer[2]["id"], flask_answer[2]["id"]])))
        assert sorted((c.author, c.status) for c in stored) == [("读者", "pending"), ("读者", "pending")]


def test_an_idempotent_retry_is_answered_alike_whichever_path_took_the_first(app: Any, client: Any) -> None:
    key = create_api_key(app.extensions["moderato.db"], "portal")
    for first, retry in ((_lane, _flask), (_flask, _lane)):
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"retry-{first.__name__}"}
        status, _headers, body = first(app if first is _lane else client, _body(), headers)  # type: ignore[operator]
        assert status == 202
        status, replay_headers, replay = retry(app if retry is _lane else client, _body(), headers)  # type: ignore[operator]
        assert (status, replay, replay_headers["idempotent-replayed"]) == (202, body, "true")


def test_behind_a_proxy_the_forwarded_scheme_makes_the_own_origin(database_url: str, redis_server: EmbeddedRedis,
                                                                  redis_client: Redis, tmp_path: Path) -> None:
    from service.app import create_app

    app = create_app(make_config(database_url, redis_server.url, tmp_path, trusted_proxies=1))
    try:
        lane = CommentFastLane(app, trusted_proxies=1)
        for proto, expected in (("https", "http://localhost"), ("http", None)):
            headers = {"Origin": "https://localhost", "X-Forwarded-Proto": proto, "X-Forwarded-For": "203.0.113.9"}
            lane_answer = _lane(app, _body(), headers, client="203.0.113.9", lane=lane)
            _same(lane_answer, _flask(app.test_client(), _body(), headers))
            allowed = lane_answer[1].get("access-control-allow-origin")
            assert (allowed is not None) == (proto == "https"), expected
    finally:
        app.extensions["moderato.db"].dispose()


@pytest.mark.parametrize("method, path, query, headers, taken", [
    ("POST", "/api/comments", "", {"host": "h", "content-length": "2", "content-type": "application/json"}, True),
    ("POST", "/api/comments", "", {"host": "h", "content-length": "2",
                                   "content-type": "Application/JSON; charset=utf-8"}, True),
    ("POST", "/api/comments", "site=x", {"host": "h", "content-length": "2", "content-type": "application/json"}, False),
    ("POST", "/api/comments", "", {"host": "h", "content-length": "2",
                                   "content-type": "application/x-www-form-urlencoded"}, False),
    ("POST", "/api/comments", "", {"host": "h", "content-type": "application/json"}, False),  # chunked
    ("POST", "/api/comments", "", {"content-length": "2", "content-type": "application/json"}, False),  # no Host
    ("OPTIONS", "/api/comments", "", {"host": "h", "content-length": "2", "content-type": "application/json"}, False),
    ("POST", "/api/comments/", "", {"host": "h", "content-length": "2", "content-type": "application/json"}, False),
])
def test_the_lane_takes_only_plain_json_posts_of_new_comments(method: str, path: str, query: str,
                                                              headers: dict[str, str], taken: bool) -> None:
    assert CommentFastLane.takes(method, path, query, headers) is taken
