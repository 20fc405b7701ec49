"""Bad input gets a clear JSON error with the right status; nothing produces a 500."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from tests.factories import comment_payload, console_post, login, make_user, post_comment


def _error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.data
    body = response.get_json()
    assert body["error"]["code"] == code and body["error"]["message"]


@pytest.mark.parametrize("field", ["thread", "author", "text"])
def test_missing_field_is_400(client, field):
    payload = comment_payload(client)
    del payload[field]
    _error(client.post("/api/comments", json=payload), 400, "missing_field")


def test_blank_text_is_400(client):
    _error(post_comment(client, text="   "), 400, "missing_field")


def test_too_long_text_is_400(client, config):
    _error(post_comment(client, text="长" * (config.max_comment_length + 1)), 400, "field_too_long")


def test_too_long_author_is_400(client, config):
    _error(post_comment(client, author="名" * (config.max_author_length + 1)), 400, "field_too_long")


def test_non_string_field_is_400(client):
    _error(post_comment(client, text=["a"]), 400, "invalid_field")


def test_bad_email_is_400(client):
    _error(post_comment(client, email="not an email"), 400, "invalid_field")


def test_nul_character_is_400(client):
    _error(post_comment(client, text="a\x00b"), 400, "invalid_field")


def test_lone_surrogate_is_400(client):
    body = comment_payload(client)
    raw = '{"thread": "/a", "author": "x", "text": "\\ud800", "captcha_id": "%s", "captcha_answer": "%s"}' % (
        body["captcha_id"], body["captcha_answer"])
    _error(client.post("/api/comments", data=raw, content_type="application/json"), 400, "invalid_field")


def test_invalid_json_is_400(client):
    _error(client.post("/api/comments", data="{not json", content_type="application/json"), 400, "invalid_json")


def test_json_that_is_not_an_object_is_400(client):
    _error(client.post("/api/comments", data="[1, 2]", content_type="application/json"), 400, "invalid_json")


def test_non_utf8_body_is_400(client):
    body = "text=\u4f60\u597d".encode("gbk")
    response = client.post("/api/comments", data=body, content_type="application/x-www-form-urlencoded")
    _error(response, 400, "invalid_encoding")


def test_unsupported_content_type_is_415(client):
    _error(client.post("/api/comments", data="hi", content_type="text/plain"), 415, "unsupported_media_type")


def test_body_over_the_limit_is_413(client, config):
    big = '{"text": "%s"}' % ("x" * (config.max_body_bytes + 10))
    _error(client.post("/api/comments", data=big, content_type="application/json"), 413, "payload_too_large")


def test_parent_in_another_thread_is_400(client, run_worker):
    other = post_comment(client, thread="/other.html").get_json()["id"]
    _error(post_comment(client, parent=other), 400, "parent_in_other_thread")


def test_unknown_parent_is_404(client):
    _error(post_comment(client, parent=999999), 404, "comment_not_found")


def test_bad_parent_is_400(client):
    _error(post_comment(client, parent="abc"), 400, "invalid_field")


def test_a_thread_nobody_commented_on_is_an_empty_page_not_a_404(client):
    response = client.get("/api/threads/no/such/thread.html/comments?order=newest")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["thread"], body["total"], body["comments"], body["next"], body["closed"]) == (
        "/no/such/thread.html", 0, [], None, False)


def test_a_thread_of_an_unknown_site_is_still_404(client):
    _error(client.get("/api/threads/news/1.html/comments?site=nope"), 404, "not_found")


def test_unknown_comment_is_404(client):
    _error(client.get("/api/comments/424242?token=x"), 404, "comment_not_found")


def test_bad_paging_arguments_are_400(client):
    post_comment(client)
    _error(client.get("/api/threads/news/2026/11/28/1.html/comments?limit=0"), 400, "invalid_field")
    _error(client.get("/api/threads/news/2026/11/28/1.html/comments?after=x"), 400, "invalid_field")


def test_unknown_route_and_method_are_json(client):
    _error(client.get("/api/nothing-here"), 404, "not_found")
    _error(client.delete("/api/comments"), 405, "method_not_allowed")


def test_unknown_site_is_404(client):
    _error(post_comment(client, site="no-such-site"), 404, "not_found")


@pytest.mark.parametrize("payload", [
    "null", "1", '"text"', '{"thread": 1, "author": {}, "text": null}', '{"parent": true, "thread": "/a"}',
])
def test_odd_json_never_produces_a_500(client, payload):
    response = client.post("/api/comments", data=payload, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.get_json()["error"]["code"]


def test_a_restarted_database_costs_no_request(client, config):
    if not config.database_url.startswith("postgresql"):
        pytest.skip("a server restart is PostgreSQL's; SQLite has no connections to lose")
    # A new thread goes through the main pool, a known thread's comment through the accept path's own
    # (service.db.make_autocommit_engine): both now hold a connection.
    assert post_comment(client).status_code == 202
    assert post_comment(client).status_code == 202
    engine = create_engine(config.resolved_database_url())
    with engine.begin() as conn:  # what a restart does to every connection the app holds
        ended = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                  "AND pid <> pg_backend_pid()")).scalars().all()
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(CAST(:pids AS int[])) AS pid"),
                     {"pids": ended})
    assert len(ended) >= 2
    _wait_until_gone(engine, ended)  # pg_terminate_backend only signals them
    engine.dispose()
    # The pools find each dead connection as they hand it out, and replace it.
    assert post_comment(client).status_code == 202
    assert post_comment(client, thread="/news/2026/11/28/2.html").status_code == 202
    assert client.get("/api/threads/news/2026/11/28/2.html/comments").status_code == 200


def _wait_until_gone(engine, pids: list[int]) -> None:  # type: ignore[no-untyped-def]
    for _ in range(200):
        with engine.connect() as conn:
            if not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(CAST(:pids AS int[]))"),
                                {"pids": pids}).scalar():
                return
        time.sleep(0.05)
    raise AssertionError("the terminated backends did not end")


# --- Hostile input (issue 10, finding 5): every case a 4xx with the JSON error body or the console's error page ---

BIG = str(2**63)  # one past BIGINT
HUGE = "9" * 5000  # past Python's 4,300-digit int() limit
DEEP = '{"text": ' + "[" * 1000 + "]" * 1000 + "}"  # past json's recursion limit
THREAD_PAGE = "/api/threads/news/2026/11/28/1.html/comments"


def _json(client, path: str, body: str, **headers):  # type: ignore[no-untyped-def]
    return client.post(path, data=body, content_type="application/json", headers=headers)


def _captcha_audio_id(client, ctx):  # type: ignore[no-untyped-def]
    captcha = client.get("/api/captcha").get_json()
    assert client.get(captcha["audio"]).status_code == 200  # its audio is now cached under "<id>:audio"
    return client.post("/api/comments", json=comment_payload(client, captcha_id=f"{captcha['id']}:audio",
                                                             captcha_answer="AAAAA"))


def _captcha_audio_of_audio(client):  # type: ignore[no-untyped-def]
    audio = client.get("/api/captcha").get_json()["audio"]
    assert client.get(audio).status_code == 200
    return client.get(audio.replace("/audio", ":audio/audio"))


def _chunked(client, ctx):  # type: ignore[no-untyped-def]
    import io

    body = ('{"text": "%s"}' % ("x" * (ctx["max_body"] + 10))).encode()
    return client.post("/api/comments", input_stream=io.BytesIO(body), content_type="application/json",
                       headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})


HOSTILE = {
    # JSON nested about a thousand deep, and deeper than any body of ours
    "deep-json-comment": lambda c, x: _json(c, "/api/comments", DEEP),
    "deep-json-report": lambda c, x: _json(c, "/api/comments/1/reports", DEEP),
    "deep-json-bulk": lambda c, x: _json(c, "/api/moderation/bulk", DEEP, **x["bearer"]),
    "deep-json-ids": lambda c, x: _json(c, "/api/moderation/bulk", '{"action": "approve", "ids": '
                                        + "[" * 50 + "1" + "]" * 50 + "}", **x["bearer"]),
    "deep-json-cors": lambda c, x: _json(c, "/api/comments", DEEP, Origin="https://evil.example"),
    # NUL in query parameters, thread keys and fields
    "nul-counts-thread": lambda c, x: c.get("/api/threads/counts?thread=/a%00b"),
    "nul-captcha-site": lambda c, x: c.get("/api/captcha?site=a%00b"),
    "nul-thread-site": lambda c, x: c.get(THREAD_PAGE + "?site=a%00b"),
    "nul-thread-key": lambda c, x: c.get("/api/threads/a%00b/comments"),
    "nul-json-site": lambda c, x: c.post("/api/comments", json=comment_payload(c, site="a\x00b")),
    "nul-json-captcha": lambda c, x: c.post("/api/comments", json=comment_payload(c, captcha_id="a\x00b")),
    "nul-form-site": lambda c, x: c.post("/api/comments", data={**comment_payload(c), "site": "a\x00b"}),
    "nul-report-site": lambda c, x: c.post("/api/comments/1/reports", json={"reason": "spam", "site": "a\x00"}),
    "nul-moderation-status": lambda c, x: c.get("/api/moderation/queue?status=%00", headers=x["bearer"]),
    # ids of 2^63 and more; limits and cursors of thousands of digits
    "big-comment-id": lambda c, x: c.get(f"/api/comments/{BIG}?token=x"),
    "huge-comment-id": lambda c, x: c.get(f"/api/comments/{HUGE}?token=x"),
    "big-report-id": lambda c, x: c.post(f"/api/comments/{BIG}/reports", json={"reason": "spam"}),
    "big-moderation-id": lambda c, x: c.post(f"/api/moderation/comments/{BIG}/approve", headers=x["bearer"]),
    "big-parent": lambda c, x: post_comment(c, parent=2**63),
    "big-parent-string": lambda c, x: post_comment(c, parent=BIG),
    "huge-parent-string": lambda c, x: post_comment(c, parent=HUGE),
    "big-after": lambda c, x: c.get(THREAD_PAGE + f"?after={BIG}"),
    "huge-after": lambda c, x: c.get(THREAD_PAGE + f"?after={HUGE}"),
    "huge-limit": lambda c, x: c.get(THREAD_PAGE + f"?limit={HUGE}"),
    "big-moderation-after": lambda c, x: c.get(f"/api/moderation/queue?after={BIG}", headers=x["bearer"]),
    "huge-moderation-after": lambda c, x: c.get(f"/api/moderation/queue?after={HUGE}", headers=x["bearer"]),
    "big-bulk-ids": lambda c, x: c.post("/api/moderation/bulk", json={"action": "approve", "ids": [2**63]},
                                        headers=x["bearer"]),
    "big-bulk-id-strings": lambda c, x: c.post("/api/moderation/bulk", json={"action": "approve", "ids": BIG},
                                               headers=x["bearer"]),
    "infinite-bulk-id": lambda c, x: _json(c, "/api/moderation/bulk", '{"action": "approve", "ids": [1e400]}',
                                           **x["bearer"]),
    # a thread key that the leading slash takes past VARCHAR(500)
    "long-thread-key": lambda c, x: post_comment(c, thread="a" * 500),
    # lone surrogates
    "surrogate-site": lambda c, x: _json(c, "/api/comments", '{"site": "\\ud800", "thread": "/a", "text": "x"}'),
    "surrogate-reader-ip": lambda c, x: _json(c, "/api/comments", '{"thread": "/a", "author": "x", "text": "y", '
                                              '"reader_ip": "\\udc00"}', **x["api_key"]),
    "surrogate-report-site": lambda c, x: _json(c, "/api/comments/1/reports", '{"reason": "spam", "site": "\\ud800"}'),
    # captcha ids that name another key
    "captcha-audio-id": _captcha_audio_id,
    "captcha-audio-of-audio": lambda c, x: _captcha_audio_of_audio(c),
    # a chunked body over the limit
    "chunked-over-limit": _chunked,
    # the console, signed in as an admin of every site
    "console-nul-thread": lambda c, x: c.get("/console/queue?thread=/a%00"),
    "console-nul-author": lambda c, x: c.get("/console/queue?author=a%00"),
    "console-nul-search": lambda c, x: c.get("/console/queue?q=a%00"),
    "console-nul-reason": lambda c, x: c.get("/console/queue?reason=a%00"),
    "console-nul-audit": lambda c, x: c.get("/console/audit?moderator=a%00&status=%00"),
    "console-nul-word": lambda c, x: console_post(c, "/console/words", {"site": "1", "term": "a\x00"}),
    "console-nul-ban": lambda c, x: console_post(c, "/console/bans", {"site": "1", "author_key": "a\x00"}),
    "console-nul-site-name": lambda c, x: console_post(c, "/console/sites", {"name": "a\x00"}),
    "console-nul-username": lambda c, x: console_post(c, "/console/users", {"username": "a\x00", "sites": "1"}),
    "console-nul-login": lambda c, x: console_post(c, "/console/login", {"username": "a\x00", "password": "x"}),
    "console-big-comment": lambda c, x: console_post(c, f"/console/comments/{BIG}/approve"),
    "console-big-bulk": lambda c, x: console_post(c, "/console/bulk", {"action": "approve", "ids": BIG}),
    "console-big-ban-comment": lambda c, x: console_post(c, "/console/bans", {"comment": BIG}),
    "console-big-ban-hours": lambda c, x: console_post(c, "/console/bans", {"site": "1", "author_key": "x",
                                                                            "hours": BIG}),
    "console-long-ban-hours": lambda c, x: console_post(c, "/console/bans", {"site": "1", "author_key": "x",
                                                                             "hours": str(10**8)}),
    "console-big-after": lambda c, x: c.get(f"/console/queue?after={BIG}"),
    "console-huge-after": lambda c, x: c.get(f"/console/queue?after={HUGE}"),
    "console-big-site": lambda c, x: c.get(f"/console/queue?site={BIG}"),
    "console-big-audit-comment": lambda c, x: c.get(f"/console/audit?comment={BIG}"),
    "console-big-user-site": lambda c, x: console_post(c, "/console/users", {"username": "u", "sites": BIG}),
}

# Where the status says more than "your request was bad".
HOSTILE_STATUS = {"chunked-over-limit": 413, "big-comment-id": 404, "huge-comment-id": 404, "big-report-id": 404,
                  "big-moderation-id": 404, "console-big-comment": 404, "captcha-audio-of-audio": 404,
                  "captcha-audio-id": 403, "long-thread-key": 400}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_input_gets_a_clear_4xx_never_a_500(app, client, config, case):
    from service.sites import create_api_key
    from tests.conftest import MODERATOR_TOKEN

    assert post_comment(client).status_code == 202  # comment 1, on the default site 1
    ctx = {"bearer": {"Authorization": f"Bearer {MODERATOR_TOKEN}"}, "max_body": config.max_body_bytes,
           "api_key": {"Authorization": f"Bearer {create_api_key(app.extensions['moderato.db'], 'default')}"}}
    make_user(app, "chief", role="admin")
    assert login(client, "chief").status_code == 303
    response = HOSTILE[case](client, ctx)
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:300])
    assert response.status_code == HOSTILE_STATUS.get(case, response.status_code), response.data[:300]
    if response.mimetype == "application/json":
        error = response.get_json()["error"]
        assert error["code"] and error["message"]
    else:  # the console's own error page
        assert response.mimetype == "text/html" and 'class="error" role="alert"' in response.get_data(as_text=True)


def test_the_demo_page_ignores_a_posted_id_out_of_range(client):
    for posted in (BIG, HUGE, "-1"):
        response = client.get(f"/demo/plain?posted={posted}&token=x")
        assert response.status_code == 200, posted
