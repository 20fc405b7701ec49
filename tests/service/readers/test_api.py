"""Reader accounts and reply notices over HTTP (service/readers/), with the mail jobs run by a real worker
and the mails caught by a local SMTP server; on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""
from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from service.models import Ban, Comment, CommentStatus, ReaderAccount, ReaderSession, Site
from tests.conftest import MODERATOR_TOKEN
from tests.factories import (
    READER_PASSWORD, comment_payload, make_reader, post_comment, reader_session, set_reader_accounts,
)

MOD = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}
LINK = re.compile(r"http://\S+")


@pytest.fixture
def config(mail_config):  # type: ignore[no-untyped-def]
    """Mails go to the test's SMTP sink."""
    return mail_config


def _link(body: str, path: str) -> str:
    found = [m for m in LINK.findall(body) if path in m]
    assert found, body
    return found[0]


def _get(client, url: str):  # type: ignore[no-untyped-def]
    return client.get(url.replace("http://localhost", ""))


def _approve(client, comment_id: int) -> None:  # type: ignore[no-untyped-def]
    assert client.post(f"/api/moderation/comments/{comment_id}/approve", headers=MOD).status_code == 200


def test_a_site_of_guests_offers_no_accounts(client):
    assert client.get("/api/readers/me").get_json() == {"accounts": "guests", "reader": None}
    response = client.post("/api/readers/register", json={"nickname": "甲", "email": "a@example.com",
                                                           "password": READER_PASSWORD})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "accounts_disabled"


def test_register_mails_a_link_that_verifies_and_then_the_reader_signs_in_and_posts(app, client, run_worker,
                                                                                    smtp_sink):
    set_reader_accounts(app, "both")
    response = client.post("/api/readers/register", json={"nickname": "老王", "email": "Wang@Example.com",
                                                           "password": READER_PASSWORD, "lang": "zh-TW"})
    assert response.status_code == 201
    assert response.get_json()["reader"]["verified"] is False
    # Not verified yet: the password is right, but no session.
    refused = client.post("/api/readers/signin", json={"email": "wang@example.com", "password": READER_PASSWORD})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "email_unverified"
    assert run_worker() == 1
    [body] = smtp_sink.bodies("wang@example.com")
    assert "請開啟下面的連結驗證您的電子郵件" in body  # the language chosen at registration
    page = _get(client, _link(body, "/readers/verify"))
    assert page.status_code == 200 and "電子郵件已驗證" in page.get_data(as_text=True)
    headers = reader_session(client, "wang@example.com")
    me = client.get("/api/readers/me", headers=headers).get_json()
    assert me["reader"]["nickname"] == "老王" and me["reader"]["verified"] is True
    posted = client.post("/api/comments", json=comment_payload(client, author="冒名"), headers=headers)
    assert posted.status_code == 202
    with app.extensions["moderato.db"].read() as session:
        comment = session.get(Comment, posted.get_json()["id"])
        account = session.scalar(select(ReaderAccount))
        assert (comment.author, comment.reader_id, comment.user_id) == ("老王", account.id, None)
    _approve(client, comment.id)
    page = client.get("/api/threads/news/2026/11/28/1.html/comments").get_json()
    assert page["comments"][0]["avatar"] == me["reader"]["avatar"]  # how the widget knows its own comments
    assert page["comments"][0]["verified"] is False  # the host site's mark stays the host site's


def test_a_second_account_with_the_same_email_is_refused(app, client):
    set_reader_accounts(app, "both")
    make_reader(app, email="same@example.com")
    response = client.post("/api/readers/register", json={"nickname": "乙", "email": "SAME@example.com",
                                                           "password": READER_PASSWORD})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "email_taken"


def test_wrong_passwords_lock_the_sign_in_out_like_the_consoles(app, client):
    set_reader_accounts(app, "both")
    make_reader(app)
    for _ in range(5):
        wrong = client.post("/api/readers/signin", json={"email": "reader@example.com", "password": "wrong password"})
        assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "sign_in_failed"
    locked = client.post("/api/readers/signin", json={"email": "reader@example.com", "password": READER_PASSWORD})
    assert locked.status_code == 429 and locked.get_json()["error"]["code"] == "login_locked"


def test_sign_out_ends_the_session_and_a_forged_session_is_refused(app, client):
    set_reader_accounts(app, "both")
    make_reader(app)
    headers = reader_session(client)
    assert client.post("/api/readers/signout", headers=headers, json={}).status_code == 200
    me = client.get("/api/readers/me", headers=headers)
    assert me.status_code == 401 and me.get_json()["error"]["code"] == "session_invalid"
    forged = client.get("/api/readers/me", headers={"X-Moderato-Session": "mrs1_forged"})
    assert forged.status_code == 401


def test_a_site_of_accounts_only_refuses_guests_and_unverified_accounts(app, client):
    set_reader_accounts(app, "accounts")
    guest = post_comment(client)
    assert guest.status_code == 403 and guest.get_json()["error"]["code"] == "account_required"
    make_reader(app, email="new@example.com", verified=False)
    make_reader(app, email="ok@example.com")
    headers = reader_session(client, "ok@example.com")
    assert client.post("/api/comments", json=comment_payload(client), headers=headers).status_code == 202


def test_a_guest_may_not_take_a_nickname_that_names_an_account(app, client):
    set_reader_accounts(app, "both")
    response = post_comment(client, author="reader:1")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "author"


def test_password_reset_mail_sets_a_new_password_once_and_ends_the_sessions(app, client, run_worker, smtp_sink):
    set_reader_accounts(app, "both")
    make_reader(app, language="en")
    old_session = reader_session(client)
    unknown = client.post("/api/readers/password-reset", json={"email": "nobody@example.com"})
    known = client.post("/api/readers/password-reset", json={"email": "reader@example.com"})
    assert unknown.status_code == known.status_code == 202 and unknown.get_json() == known.get_json()
    assert run_worker() == 1  # one mail: nobody@ has no account
    [body] = smtp_sink.bodies("reader@example.com")
    assert "choose a new password" in body
    link = _link(body, "/readers/reset")
    token = unquote(link.split("t=")[1].split("&")[0])
    assert "Save the new password" in _get(client, link).get_data(as_text=True)
    done = client.post("/readers/reset", data={"t": token, "password": "a new password", "lang": "en"})
    assert done.status_code == 200 and "every session signed out" in done.get_data(as_text=True)
    again = client.post("/readers/reset", data={"t": token, "password": "another password", "lang": "en"})
    assert again.status_code == 400  # used once: the password it was signed against changed
    assert client.get("/api/readers/me", headers=old_session).status_code == 401
    assert client.post("/api/readers/signin", json={"email": "reader@example.com",
                                                     "password": "a new password"}).status_code == 200


def test_bans_and_trust_follow_the_account_not_the_nickname(app, client, run_worker):
    site_id = set_reader_accounts(app, "both")
    reader_id = make_reader(app, nickname="同名")
    headers = reader_session(client)
    with app.extensions["moderato.db"].write() as session:
        session.add(Ban(site_id=site_id, author_key=f"reader:{reader_id}", created_by="mod"))
    banned = client.post("/api/comments", json=comment_payload(client), headers=headers).get_json()["id"]
    guest = post_comment(client, author="同名").get_json()["id"]  # the same nickname, not the account
    run_worker()
    with app.extensions["moderato.db"].read() as session:
        assert session.get(Comment, banned).decided_by == "ban"
        assert session.get(Comment, guest).decided_by != "ban"
    queue = client.get("/api/moderation/queue?status=pending", headers=MOD)
    assert queue.status_code == 200


def test_a_reader_deletes_their_own_comment_but_not_anothers(app, client):
    set_reader_accounts(app, "both")
    make_reader(app)
    make_reader(app, nickname="别人", email="other@example.com")
    mine = client.post("/api/comments", json=comment_payload(client), headers=reader_session(client)).get_json()
    theirs = client.post("/api/comments", json=comment_payload(client),
                         headers=reader_session(client, "other@example.com")).get_json()
    headers = reader_session(client)
    refused = client.post(f"/api/comments/{theirs['id']}/delete", json={}, headers=headers)
    assert refused.status_code == 403
    assert client.post(f"/api/comments/{mine['id']}/delete", json={}, headers=headers).status_code == 200
    guest = post_comment(client).get_json()
    assert client.post(f"/api/comments/{guest['id']}/delete", json={"token": guest["token"]}).status_code == 200
    with app.extensions["moderato.db"].read() as session:
        assert session.get(Comment, mine["id"]).text == ""
        assert session.get(Comment, guest["id"]).status == CommentStatus.DELETED.value
        assert session.get(Comment, theirs["id"]).text != ""


@pytest.mark.parametrize("choice", ["erase", "anonymise"])
def test_deleting_an_account_erases_or_anonymises_what_it_wrote(app, client, choice):
    set_reader_accounts(app, "both")
    make_reader(app)
    headers = reader_session(client)
    comment_id = client.post("/api/comments", json=comment_payload(client, text="我的观点"), headers=headers).get_json()["id"]
    _approve(client, comment_id)
    wrong = client.post("/api/readers/me/delete", json={"password": "wrong password", "comments": choice},
                        headers=headers)
    assert wrong.status_code == 401
    done = client.post("/api/readers/me/delete", json={"password": READER_PASSWORD, "comments": choice},
                       headers=headers)
    assert done.get_json() == {"deleted": True, "comments": 1}
    with app.extensions["moderato.db"].read() as session:
        comment = session.get(Comment, comment_id)
        assert (comment.author, comment.email, comment.reader_id) == ("", None, None)
        assert comment.text == ("" if choice == "erase" else "我的观点")
        assert session.scalars(select(ReaderAccount)).all() == []
        assert session.scalars(select(ReaderSession)).all() == []
    node = client.get("/api/threads/news/2026/11/28/1.html/comments").get_json()["comments"][0]
    assert node.get("erased", False) is (choice == "erase")


def test_a_reply_notice_is_mailed_after_the_reply_is_approved_and_at_most_hourly(app, client, run_worker,
                                                                                 smtp_sink):
    site_id = set_reader_accounts(app, "guests")
    with app.extensions["moderato.db"].write() as session:  # every comment waits for a moderator
        site = session.get(Site, site_id)
        site.settings = {**site.settings, "mode": "hold_all"}
    app.extensions["moderato.sites"].clear()
    parent = post_comment(client, author="小明", email="ming@example.com", notify_replies=True, lang="en").get_json()
    _approve(client, parent["id"])
    first = post_comment(client, author="小红", text="我同意你的看法", parent=parent["id"]).get_json()["id"]
    second = post_comment(client, author="小刚", text="我也同意", parent=parent["id"]).get_json()["id"]
    run_worker()  # the filters hold both replies: nothing is mailed before a reply is approved
    with app.extensions["moderato.db"].read() as session:
        assert session.get(Comment, first).status == CommentStatus.HELD.value
    assert smtp_sink.bodies("ming@example.com") == []
    _approve(client, first)
    _approve(client, second)
    run_worker()
    [message] = [m for m in smtp_sink.messages if m["To"] == "ming@example.com"]
    assert message["Subject"] == "小红 replied to your comment"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = message.get_content()
    assert "我同意你的看法" in body and "at most one reply notice an hour" in body
    # The unsubscribe link turns the notices off (a POST: the GET only asks).
    link = _link(body, "/readers/unsubscribe")
    assert "Unsubscribe" in _get(client, link).get_data(as_text=True)
    token = unquote(link.split("t=")[1])
    assert client.post("/readers/unsubscribe", data={"t": token}).status_code == 200
    with app.extensions["moderato.db"].read() as session:
        assert session.get(Comment, parent["id"]).reply_notice_lang is None
    forged = client.post("/readers/unsubscribe", data={"t": token[:-2] + "xx"})
    assert forged.status_code == 400


def test_asking_for_reply_notices_needs_an_email(client):
    response = post_comment(client, notify_replies=True)
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "email"
