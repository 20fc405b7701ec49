"""Readers' reports: POST /api/comments/<id>/reports, one per reader per comment, rate-limited."""
from __future__ import annotations

import time
from dataclasses import replace

from redis import Redis
from sqlalchemy import select

from service.app import create_app
from service.embedded_redis import free_port
from service.identity import sign_reader
from service.models import Report
from service.reports import ReportRateLimit
from service.sites import get_or_create_site
from tests.conftest import MODERATOR_TOKEN
from tests.factories import post_comment


def _published(client, run_worker, **overrides) -> int:  # type: ignore[no-untyped-def]
    """Post a comment, let the worker decide it, and have a moderator approve it if the filters held it."""
    comment_id = post_comment(client, **overrides).get_json()["id"]
    run_worker()
    _approve(client, comment_id)
    return comment_id


def _approve(client, comment_id: int) -> None:  # type: ignore[no-untyped-def]
    client.post(f"/api/moderation/comments/{comment_id}/approve", headers={"Authorization": f"Bearer {MODERATOR_TOKEN}"})


def _report(client, comment_id: int, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/comments/{comment_id}/reports", json={"reason": "spam", **body})


def test_a_report_is_stored_for_moderators(client, app, run_worker):
    comment_id = _published(client, run_worker)
    response = _report(client, comment_id, reason="abuse", text="人身攻击")
    assert response.status_code == 201
    assert response.get_json()["comment_id"] == comment_id
    with app.extensions["moderato.db"].read() as session:
        report = session.scalars(select(Report)).one()
        assert (report.comment_id, report.reason, report.text) == (comment_id, "abuse", "人身攻击")
        assert report.reporter_hash and "127.0.0.1" not in report.reporter_hash


def test_a_second_report_by_the_same_reader_is_a_conflict(client, app, run_worker):
    comment_id = _published(client, run_worker)
    assert _report(client, comment_id).status_code == 201
    again = _report(client, comment_id, reason="other")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_reported"
    with app.extensions["moderato.db"].read() as session:
        assert len(session.scalars(select(Report)).all()) == 1


def test_signed_in_readers_on_one_address_report_separately(client, app, run_worker):
    comment_id = _published(client, run_worker)
    secret = get_or_create_site(app.extensions["moderato.db"]).secret
    for user in ("u-1", "u-2"):
        token = sign_reader(secret, user, user, int(time.time()) + 600)
        assert _report(client, comment_id, user_token=token).status_code == 201
    token = sign_reader(secret, "u-1", "u-1", int(time.time()) + 600)
    assert _report(client, comment_id, user_token=token).status_code == 409


def test_a_forged_reader_token_cannot_report(client, run_worker):
    comment_id = _published(client, run_worker)
    forged = sign_reader("wrong", "u-1", "x", int(time.time()) + 600)
    response = _report(client, comment_id, user_token=forged)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "identity_invalid"


def test_only_published_comments_can_be_reported(client):
    pending = post_comment(client).get_json()["id"]
    for comment_id in (pending, 999999):
        response = _report(client, comment_id)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "comment_not_found"


def test_a_comment_cannot_be_reported_through_another_site(client, app, run_worker):
    comment_id = _published(client, run_worker)
    get_or_create_site(app.extensions["moderato.db"], "other-news")
    assert client.post(f"/api/comments/{comment_id}/reports?site=other-news", json={"reason": "spam"}).status_code == 404


def test_report_reason_and_text_are_validated(client, run_worker):
    comment_id = _published(client, run_worker)
    bad = _report(client, comment_id, reason="boring")
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "reason"
    long = _report(client, comment_id, text="长" * 501)
    assert long.status_code == 400 and long.get_json()["error"]["code"] == "field_too_long"
    assert _report(client, comment_id, reason=None).get_json()["error"]["code"] == "missing_field"


def test_reports_are_rate_limited_per_reader(client, config, run_worker):
    ids = [post_comment(client, text=f"第{i}条评论，说得很好。").get_json()["id"] for i in range(3)]
    run_worker()
    for comment_id in ids:
        _approve(client, comment_id)
    limited = create_app(replace(config, reports_per_hour=2))
    try:
        reader = limited.test_client()
        assert [_report(reader, i).status_code for i in ids] == [201, 201, 429]
        assert _report(reader, ids[2]).get_json()["error"]["code"] == "rate_limited"
    finally:
        limited.extensions["moderato.db"].dispose()


def test_the_rate_limit_fails_open_when_redis_is_unreachable():
    unreachable = Redis(port=free_port(), socket_connect_timeout=0.5)
    limit = ReportRateLimit(unreachable, limit=0)
    limit.hit("some-reader")  # no exception: the report goes through
    unreachable.close()
