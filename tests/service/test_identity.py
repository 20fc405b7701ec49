"""Signed-in readers: tokens signed with the site's secret, verified on POST /api/comments."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from service.exceptions import IdentityInvalid
from service.identity import main as identity_cli
from service.identity import sign_reader, verify_reader
from service.models import Comment
from service.sites import get_or_create_site
from tests.factories import comment_payload

SECRET = "site-secret-for-tests"


def _site_secret(app) -> str:  # type: ignore[no-untyped-def]
    return get_or_create_site(app.extensions["moderato.db"]).secret


def test_a_signed_token_names_its_reader():
    token = sign_reader(SECRET, "u-1001", "读者小王", int(time.time()) + 60)
    reader = verify_reader(SECRET, token)
    assert (reader.user_id, reader.name) == ("u-1001", "读者小王")


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
    lambda t: "e30" + t[t.index("."):],  # payload swapped for {}
    lambda t: t.replace(".", ""),  # no separator
    lambda t: t + ".x",  # three parts
    lambda t: "",
])
def test_a_tampered_or_malformed_token_is_refused(mangle):
    token = sign_reader(SECRET, "u-1", "小王", int(time.time()) + 60)
    with pytest.raises(IdentityInvalid):
        verify_reader(SECRET, mangle(token))


def test_a_token_signed_with_another_secret_or_expired_is_refused():
    with pytest.raises(IdentityInvalid):
        verify_reader(SECRET, sign_reader("another-secret", "u-1", "小王", int(time.time()) + 60))
    with pytest.raises(IdentityInvalid):
        verify_reader(SECRET, sign_reader(SECRET, "u-1", "小王", int(time.time()) - 1))
    with pytest.raises(IdentityInvalid):
        verify_reader(None, sign_reader(SECRET, "u-1", "小王", int(time.time()) + 60))


def test_every_site_gets_its_own_signing_secret(app):
    db = app.extensions["moderato.db"]
    first, second = get_or_create_site(db, "default"), get_or_create_site(db, "other-news")
    assert first.secret and second.secret and first.secret != second.secret


def test_signed_in_reader_posts_under_the_verified_name(client, app):
    token = sign_reader(_site_secret(app), "u-1001", "读者小王", int(time.time()) + 600)
    response = client.post("/api/comments", json=comment_payload(client, author=None, user_token=token))
    assert response.status_code == 202
    with app.extensions["moderato.db"].read() as session:
        comment = session.scalars(select(Comment)).one()
        assert (comment.author, comment.user_id) == ("读者小王", "u-1001")


def test_signed_in_name_wins_over_a_typed_nickname(client, app):
    token = sign_reader(_site_secret(app), "u-7", "真名", int(time.time()) + 600)
    assert client.post("/api/comments", json=comment_payload(client, author="冒充者", user_token=token)).status_code == 202
    with app.extensions["moderato.db"].read() as session:
        assert session.scalars(select(Comment.author)).one() == "真名"


@pytest.mark.parametrize("kind", ["forged", "expired"])
def test_forged_or_expired_reader_token_is_refused_and_nothing_is_stored(client, app, kind):
    if kind == "forged":
        token = sign_reader("not-the-site-secret", "admin", "管理员", int(time.time()) + 600)
    else:
        token = sign_reader(_site_secret(app), "u-1", "小王", int(time.time()) - 5)
    response = client.post("/api/comments", json=comment_payload(client, user_token=token))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "identity_invalid"
    with app.extensions["moderato.db"].read() as session:
        assert session.scalars(select(Comment)).all() == []


def test_guests_keep_the_nickname_and_have_no_user_id(client, app):
    assert client.post("/api/comments", json=comment_payload(client)).status_code == 202
    with app.extensions["moderato.db"].read() as session:
        comment = session.scalars(select(Comment)).one()
        assert (comment.author, comment.user_id) == ("小明", None)


def test_the_command_line_signs_tokens_with_the_site_secret(app, config, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", config.database_url)
    assert identity_cli(["sign", "--id", "42", "--name", "张三", "--ttl", "60"]) == 0
    token = capsys.readouterr().out.strip()
    assert verify_reader(_site_secret(app), token).name == "张三"
    assert identity_cli(["secret"]) == 0
    assert capsys.readouterr().out.strip() == _site_secret(app)


@pytest.mark.parametrize("policy, guest_needs, reader_needs", [
    ("always", True, True), ("guests", True, False), ("never", False, False),
])
def test_site_captcha_policy_decides_who_solves_one(client, app, policy, guest_needs, reader_needs):
    from sqlalchemy import update

    from service.models import Site

    secret = _site_secret(app)  # creates the default site
    with app.extensions["moderato.db"].write() as session:
        session.execute(update(Site).where(Site.name == "default").values(settings={"captcha": policy}))
    app.extensions["moderato.sites"].clear()  # as the console does when it saves settings
    token = sign_reader(secret, "u-5", "小李", int(time.time()) + 600)
    base = {"thread": "/p.html", "author": "访客", "text": "没有验证码的评论"}
    guest = client.post("/api/comments", json=base)
    reader = client.post("/api/comments", json={**base, "user_token": token})
    assert (guest.status_code == 403) is guest_needs, guest.get_json()
    assert (reader.status_code == 403) is reader_needs
    # The widget asks first, so that it shows a captcha only to those who need one.
    assert client.get("/api/captcha").get_json()["required"] is guest_needs
    assert client.get("/api/captcha?signed_in=1").get_json()["required"] is reader_needs


def test_thread_marks_comments_of_signed_in_readers_as_verified(client, app, run_worker):
    token = sign_reader(_site_secret(app), "u-9", "认证读者", int(time.time()) + 600)
    client.post("/api/comments", json=comment_payload(client, author=None, user_token=token,
                                                      text="这篇报道写得很好，谢谢记者。"))
    client.post("/api/comments", json=comment_payload(client, text="这篇报道写得很好，谢谢记者！"))
    run_worker()
    comments = client.get("/api/threads/news/2026/11/28/1.html/comments").get_json()["comments"]
    assert {c["author"]: c["verified"] for c in comments} == {"认证读者": True, "小明": False}
