"""The console in the moderator's language and the site's time zone: reasons, errors, times, sign-in language."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from service.models import Comment, Site, User, VerdictRecord
from tests.conftest import make_config
from tests.factories import CONSOLE_PASSWORD, console_csrf, console_post, login, make_user, post_comment

SPAMMY = "便宜 www.a.com www.b.com www.c.com www.d.com"


@pytest.fixture
def config(database_url, redis_client, redis_server, tmp_path):  # type: ignore[no-untyped-def]
    """The rule-based filters only, so which comments are held is certain."""
    return make_config(database_url, redis_server.url, tmp_path, moderator_token="",
                       filters=("length", "repetition", "links", "wordlist", "contact"))


def _db(app):  # type: ignore[no-untyped-def]
    return app.extensions["moderato.db"]


def _set_language(app, username: str, language: str) -> None:  # type: ignore[no-untyped-def]
    with _db(app).write() as session:
        session.scalars(select(User).where(User.username == username)).one().language = language


def _sign_in_as(app, client, language: str) -> None:  # type: ignore[no-untyped-def]
    make_user(app)
    token = console_csrf(client)
    client.post("/console/login", data={"username": "mod", "password": CONSOLE_PASSWORD, "csrf_token": token,
                                        "language": language}, headers={"Origin": "http://localhost"})


def test_reasons_are_stored_as_codes_and_shown_in_the_moderators_language(app, client, run_worker):
    held = post_comment(client, text=SPAMMY).get_json()["id"]
    run_worker()
    with _db(app).read() as session:
        stored = {v.filter: v.reasons for v in session.scalars(select(VerdictRecord)
                                                                .where(VerdictRecord.comment_id == held))}
    assert stored["links"] == [{"code": "links.too_many", "count": 4, "max": 2}]
    assert stored["contact"][0]["code"] == "contact.link" and stored["contact"][0]["count"] == 4
    _sign_in_as(app, client, "zh-CN")
    page = client.get("/console/queue").get_data(as_text=True)
    assert "4 个链接（最多 2 个）" in page and ">链接数</b>" in page and ">暂缓</span>" in page
    assert "4 links (at most 2)" not in page
    console_post(client, "/console/account/language", {"language": "en"})
    page = client.get("/console/queue").get_data(as_text=True)
    assert "4 links (at most 2)" in page and ">links</b>" in page


def test_verdicts_stored_as_english_sentences_still_show(app, client, run_worker):
    held = post_comment(client, text=SPAMMY).get_json()["id"]
    run_worker()
    with _db(app).write() as session:
        session.add(VerdictRecord(comment_id=held, filter="wordlist", action="hold", score=0.6,
                                  reasons=["abuse word 傻逼 (hold)"], spans=[]))
    _sign_in_as(app, client, "zh-CN")
    page = client.get("/console/queue").get_data(as_text=True)
    assert "abuse word 傻逼 (hold)" in page and "4 个链接（最多 2 个）" in page


def test_the_language_chosen_at_sign_in_is_the_accounts(app, client):
    _sign_in_as(app, client, "zh-CN")
    with _db(app).read() as session:
        assert session.scalar(select(User.language).where(User.username == "mod")) == "zh-CN"
    page = client.get("/console/queue").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "待审队列" in page


def test_error_pages_speak_the_console_language(app, client):
    _sign_in_as(app, client, "zh-CN")
    response = client.get("/console/bans?comment=99999")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "找不到该内容。" in page and "No such comment" not in page
    response = client.get("/console/queue?status=nonsense")
    assert response.status_code == 400 and "状态：这个值无效。" in response.get_data(as_text=True)


def _held_at(app, client, run_worker, at: datetime) -> int:  # type: ignore[no-untyped-def]
    held = post_comment(client, text=SPAMMY).get_json()["id"]
    run_worker()
    with _db(app).write() as session:
        session.get(Comment, held).created_at = at
    return held


def test_times_show_in_the_sites_time_zone_with_its_label(app, client, run_worker):
    _held_at(app, client, run_worker, datetime(2026, 12, 1, 20, 30, tzinfo=timezone.utc))
    make_user(app)
    login(client)
    page = client.get("/console/queue").get_data(as_text=True)
    assert "2026-12-01 20:30 UTC</time>" in page  # an English console without a zone: UTC, and says so
    with _db(app).write() as session:
        session.get(Site, 1).settings = {"timezone": "Asia/Shanghai"}
    page = client.get("/console/queue").get_data(as_text=True)
    assert '<time datetime="2026-12-01T20:30:00+00:00" title="Asia/Shanghai">2026-12-02 04:30 UTC+8</time>' in page


def test_a_chinese_console_defaults_sites_to_beijing_time(app, client, run_worker, config, tmp_path):
    from service.app import create_app

    # A second app on the same database and Redis, with CONSOLE_LANGUAGE=zh-CN.
    chinese = create_app(make_config(config.database_url, config.redis_url, tmp_path, moderator_token="",
                                     console_language="zh-CN"))
    _held_at(app, client, run_worker, datetime(2026, 12, 1, 20, 30, tzinfo=timezone.utc))
    make_user(app)
    zh_client = chinese.test_client()
    login(zh_client)
    try:
        assert "2026-12-02 04:30 UTC+8" in zh_client.get("/console/queue").get_data(as_text=True)
    finally:
        chinese.extensions["moderato.db"].dispose()


def test_a_sites_time_zone_is_a_setting_checked_on_save(app, client):
    make_user(app, "chief", role="admin")
    login(client, "chief")
    response = console_post(client, "/console/sites", {"name": "资讯站"})
    site_id = int(response.headers["Location"].rsplit("=", 1)[1])
    with _db(app).read() as session:
        assert session.get(Site, site_id).settings["timezone"] == "UTC"  # made from an English console
    response = console_post(client, f"/console/sites/{site_id}/settings", {"timezone": "Mars/Olympus"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'value="Mars/Olympus"' in page and "Time zone: enter" in page
    response = console_post(client, f"/console/sites/{site_id}/settings", {"timezone": "Asia/Shanghai"})
    assert response.status_code == 303
    with _db(app).read() as session:
        assert session.get(Site, site_id).settings["timezone"] == "Asia/Shanghai"
