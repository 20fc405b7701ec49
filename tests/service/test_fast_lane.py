"""The fast lane (service/fast_lane.py) answers as the Flask views and their hooks do.

Each case is sent twice, once to the lane (in process, as the RSGI gate calls it) and once through Flask's
test client, against the same database and Redis, and the two answers are compared: status, JSON body
(ids and tokens aside) and the headers the hooks add. A page of a thread is the lane's only when it is
cached; every other case of it is handed back (None) for Flask to answer. tests/service/test_body_gate.py
sends requests through the real web server, where the gate hands them to the lane.
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
from service.body_gate import LaneRequest
from service.fast_lane import FastLane
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
          lane: FastLane | None = None) -> tuple[int, dict[str, str], dict[str, Any]]:
    lane = lane or FastLane(app)
    sent = {"host": "localhost", "content-type": "application/json", "content-length": str(len(body)),
            **{name.lower(): value for name, value in headers.items()}}
    assert lane.takes("POST", "/api/comments", "", sent)
    answer = lane(LaneRequest("POST", "/api/comments", "", sent, body, client, "http"))
    assert answer is not None
    status, response_headers, content = answer
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
        lane = FastLane(app, trusted_proxies=1)
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
    ("GET", "/api/threads//news/1.html/comments", "limit=5", {}, True),
    ("GET", "/api/threads/counts", "thread=/a", {}, False),
    ("GET", "/api/threads//comments", "", {}, False),  # no key at all: Flask's 404
    ("GET", "/api/threads/comments", "", {}, False),
    ("HEAD", "/api/threads/a/comments", "", {}, False),
    ("POST", "/api/threads/a/comments", "", {"host": "h", "content-length": "2",
                                            "content-type": "application/json"}, False),
])
def test_the_lane_takes_only_plain_json_posts_of_comments_and_pages_of_threads(method: str, path: str, query: str,
                                                              headers: dict[str, str], taken: bool) -> None:
    assert FastLane.takes(method, path, query, headers) is taken


# -- pages of threads -----------------------------------------------------------------------------------------


def _get_lane(app: Any, path: str, query: str = "", headers: dict[str, str] | None = None
              ) -> tuple[int, dict[str, str], dict[str, Any]] | None:
    sent = {"host": "localhost", **{name.lower(): value for name, value in (headers or {}).items()}}
    assert FastLane.takes("GET", path, query, sent)
    answer = FastLane(app)(LaneRequest("GET", path, query, sent, b"", "127.0.0.1", "http"))
    if answer is None:
        return None
    status, response_headers, content = answer
    return status, {name: value for name, value in response_headers if name in COMPARED}, json.loads(content)


def _get_flask(client: Any, path: str, query: str = "", headers: dict[str, str] | None = None
               ) -> tuple[int, dict[str, str], dict[str, Any]]:
    response = client.get(path, query_string=query, headers=headers or {})
    kept = {name.lower(): value for name, value in response.headers.items() if name.lower() in COMPARED}
    return response.status_code, kept, response.get_json()


@pytest.fixture
def published(client: Any, run_worker: Any) -> str:
    """Post three comments to one thread and have the worker publish them; return the thread key."""
    from tests.factories import post_comment

    for text in ("第一条", "第二条", "第三条"):
        assert post_comment(client, thread="/news/lane.html", text=text).status_code == 202
    run_worker()
    return "/news/lane.html"


PAGE_CASES = {
    "the first page": ("", {}),
    "newest first, two at a time": ("order=newest&limit=2", {}),
    "after a cursor": ("after=1", {}),
    "a repeated parameter": ("limit=2&limit=3", {}),
    "from an allowed origin": ("", {"Origin": ALLOWED}),
    "from another origin": ("", {"Origin": "http://evil.example"}),
    "from the service's own origin": ("", {"Origin": "http://localhost"}),
}


@pytest.mark.parametrize("case", PAGE_CASES)
def test_a_cached_page_is_answered_by_the_lane_as_by_the_view(app: Any, client: Any, published: str,
                                                               case: str) -> None:
    query, headers = PAGE_CASES[case]
    path = f"/api/threads/{published}/comments"
    assert _get_lane(app, path, query, headers) is None  # not cached yet: the view answers, and caches it
    first = _get_flask(client, path, query, headers)
    assert first[0] == 200 and first[2]["comments"]
    assert _get_lane(app, path, query, headers) == first == _get_flask(client, path, query, headers)


@pytest.mark.parametrize("query", ["limit=0", "limit=x", "order=best", "after=-1", "site=no-such-site",
                                   "limit=2&x=%00"])
def test_what_the_view_would_refuse_is_handed_back_even_when_a_page_is_cached(app: Any, client: Any,
                                                                             published: str, query: str) -> None:
    path = f"/api/threads/{published}/comments"
    _get_flask(client, path, "limit=2")  # a cached page the lane could otherwise be tempted by
    assert _get_flask(client, path, query)[0] in (400, 404)
    assert _get_lane(app, path, query) is None


def test_a_decision_that_changes_the_thread_ends_the_lanes_answers(app: Any, client: Any, published: str,
                                                                   run_worker: Any) -> None:
    from tests.factories import post_comment

    path = f"/api/threads/{published}/comments"
    _get_flask(client, path)
    assert len(_get_lane(app, path)[2]["comments"]) == 3  # type: ignore[index]
    post_comment(client, thread=published, text="第四条")
    run_worker()
    assert _get_lane(app, path) is None  # the cache was dropped: the view builds the page again
    assert len(_get_flask(client, path)[2]["comments"]) == 4
