"""Bad input gets a clear JSON error with the right status; nothing produces a 500."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.factories import comment_payload, post_comment


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


def test_unknown_thread_is_404(client):
    _error(client.get("/api/threads/no/such/thread.html/comments"), 404, "thread_not_found")


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
    assert post_comment(client).status_code == 202  # the app's pool now holds a connection
    engine = create_engine(config.resolved_database_url())
    with engine.begin() as conn:  # what a restart does to every connection the app holds
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    engine.dispose()
    # The pool tests each connection as it hands it out, and replaces the dead ones.
    assert post_comment(client).status_code == 202
