"""Moderators pin comments and close threads: POST /api/moderation/comments/<id>/pin|unpin, /threads/close|open."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from service.accounts import create_token
from service.models import AuditEvent, Comment, User
from service.sites import get_or_create_site
from tests.conftest import MODERATOR_TOKEN
from tests.factories import comment_payload, make_user, post_comment
from tests.service.test_likes import THREAD, published

MOD = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}


def _close(client, thread: str = THREAD, path: str = "close", **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/moderation/threads/{path}", json={"thread": thread, **body}, headers=MOD)


def test_a_closed_thread_refuses_new_comments_and_replies_without_using_up_the_captcha(client, app):
    top = published(client)
    assert client.get(f"/api/threads{THREAD}/comments").get_json()["closed"] is False  # now cached
    response = _close(client)
    assert response.status_code == 200
    assert response.get_json() == {"thread": THREAD, "site": "default", "closed": True}
    assert client.get(f"/api/threads{THREAD}/comments").get_json()["closed"] is True  # the cache was dropped
    payload = comment_payload(client, thread=THREAD)
    refused = client.post("/api/comments", json=payload)
    assert refused.status_code == 403
    assert refused.get_json() == {"error": {"code": "thread_closed",
                                            "message": "This thread is closed to new comments."}}
    reply = post_comment(client, thread=THREAD, parent=top)
    assert reply.status_code == 403 and reply.get_json()["error"]["code"] == "thread_closed"
    # The thread's comments stay published, and they can still be liked.
    assert [c["id"] for c in client.get(f"/api/threads{THREAD}/comments").get_json()["comments"]] == [top]
    assert client.post(f"/api/comments/{top}/like", json={}).status_code == 200
    assert _close(client, path="open").get_json()["closed"] is False
    assert client.post("/api/comments", json=payload).status_code == 202  # the same captcha still works
    with app.extensions["moderato.db"].read() as session:
        assert len(session.scalars(select(Comment)).all()) == 2
        events = [(e.action, e.target) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert events == [("close_thread", THREAD), ("open_thread", THREAD)]


def test_a_thread_can_be_closed_before_its_first_comment(client):
    assert _close(client, thread="news/2026/12/02/quiet.html").status_code == 200
    refused = post_comment(client, thread="/news/2026/12/02/quiet.html")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "thread_closed"
    page = client.get("/api/threads/news/2026/12/02/quiet.html/comments").get_json()
    assert page["closed"] is True and page["comments"] == [] and page["total"] == 0


def test_api_key_posts_to_a_closed_thread_are_refused_too(client, app):
    from service.sites import create_api_key

    key = create_api_key(app.extensions["moderato.db"], "default")
    _close(client)
    response = client.post("/api/comments", json={"thread": THREAD, "author": "后台", "text": "通过接口发表"},
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "thread_closed"


def test_only_a_published_top_level_comment_can_be_pinned(client):
    top = published(client)
    reply = published(client, parent=top)
    pending = post_comment(client, thread=THREAD).get_json()["id"]
    for comment_id in (reply, pending):
        response = client.post(f"/api/moderation/comments/{comment_id}/pin", headers=MOD)
        assert response.status_code == 409 and response.get_json()["error"]["code"] == "not_pinnable"
    assert client.post("/api/moderation/comments/999999/pin", headers=MOD).status_code == 404
    assert client.post(f"/api/moderation/comments/{top}/pin", headers=MOD).status_code == 200
    assert client.post(f"/api/moderation/comments/{top}/pin", headers=MOD).status_code == 200  # again: no change


def test_pins_and_closing_need_a_moderator_of_the_site(client, app):
    top = published(client)
    assert client.post(f"/api/moderation/comments/{top}/pin").status_code == 401
    assert client.post("/api/moderation/threads/close", json={"thread": THREAD}).status_code == 401
    db = app.extensions["moderato.db"]
    other = get_or_create_site(db, "other-paper")
    user_id = make_user(app, username="elsewhere", site_ids=[other.id])
    with db.write() as session:
        token = create_token(session, session.get(User, user_id))
    auth = {"Authorization": f"Bearer {token}"}
    pin = client.post(f"/api/moderation/comments/{top}/pin", headers=auth)
    assert pin.status_code == 403
    close = client.post("/api/moderation/threads/close", json={"thread": THREAD}, headers=auth)
    assert close.status_code == 403
    assert client.get(f"/api/threads{THREAD}/comments").get_json()["closed"] is False


def test_another_process_refuses_a_closed_thread_within_its_cache_time(client, app):
    import time

    from service.exceptions import ThreadClosed
    from service.thread_admin import ClosedThreads

    published(client)
    site_id = get_or_create_site(app.extensions["moderato.db"]).id
    elsewhere = ClosedThreads(ttl=0.2)  # as another web process holds it
    elsewhere.refuse_if_closed(app.extensions["moderato.db"], site_id, THREAD)
    _close(client)
    elsewhere.refuse_if_closed(app.extensions["moderato.db"], site_id, THREAD)  # its copy is still fresh
    time.sleep(0.25)
    with pytest.raises(ThreadClosed):
        elsewhere.refuse_if_closed(app.extensions["moderato.db"], site_id, THREAD)


def test_the_plain_demo_form_refuses_a_closed_thread_too(client):
    from service.demo import DEMO_THREAD

    _close(client, thread=DEMO_THREAD)
    response = client.post("/demo/comments", data={"author": "小明", "text": "没有脚本的读者", "captcha_id": "x",
                                                   "captcha_answer": "x"})
    assert response.status_code == 403 and "本文评论已关闭，不能再发表评论。" in response.get_data(as_text=True)
