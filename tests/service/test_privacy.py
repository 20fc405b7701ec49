"""Privacy requests (service/privacy.py, service/privacy_api.py and `python -m service privacy`) on real databases."""
from __future__ import annotations

import json
import time

from click.testing import CliRunner
from sqlalchemy import func, select, update

from service.keys import hash_ip
from service.models import AuditEvent, Comment, CommentStatus, Report, Site, VerdictRecord
from service.sites import create_api_key, get_or_create_site
from tests.conftest import MODERATOR_TOKEN, TEST_SECRET
from tests.factories import make_user, post_comment

ADMIN = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}
THREAD = "/news/2026/11/28/1.html"


def _post(client, **fields) -> int:  # type: ignore[no-untyped-def]
    response = post_comment(client, **fields)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def _approve(app, *ids: int) -> None:  # type: ignore[no-untyped-def]
    with app.extensions["moderato.db"].write() as session:
        session.execute(update(Comment).where(Comment.id.in_(ids)).values(status=CommentStatus.APPROVED.value))


def _token(app, username: str, role: str, sites: list[str]) -> str:  # type: ignore[no-untyped-def]
    from service.accounts import create_token
    from service.models import User

    db = app.extensions["moderato.db"]
    site_ids = [get_or_create_site(db, name).id for name in sites]
    user_id = make_user(app, username, role, site_ids)
    with db.write() as session:
        return create_token(session, session.get(User, user_id))


def _events(app, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with app.extensions["moderato.db"].read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_export_by_email_returns_every_comment_of_the_author_and_is_audit_logged(app, client):
    mine = [_post(client, email="Reader@Example.com", text="第一条。"), _post(client, email="reader@example.com")]
    _post(client, email="someone@example.com")
    response = client.post("/api/moderation/privacy/export", json={"email": "READER@example.com"}, headers=ADMIN)
    assert response.status_code == 200
    body = response.get_json()
    assert [c["id"] for c in body["comments"]] == mine
    first = body["comments"][0]
    assert first["text"] == "第一条。" and first["email"] == "Reader@Example.com" and first["site"] == "default"
    assert first["thread"] == THREAD and first["ip_hash"] == hash_ip(TEST_SECRET, "127.0.0.1")
    [event] = _events(app, "privacy.export")
    assert event.actor == "moderator-token" and event.details == {"comments": 2}
    assert "example.com" not in event.target.lower() and event.target.startswith("email:")


def test_erase_by_ip_hash_leaves_tombstones_so_replies_stay_in_the_thread(app, client):
    parent = _post(client, author="要删的人", email="gone@example.com")
    pending = _post(client, author="要删的人")
    other_client = app.test_client()
    reply = other_client.post("/api/comments", json={**_payload(other_client, parent=parent)},
                              environ_base={"REMOTE_ADDR": "10.0.0.9"}).get_json()["id"]
    _approve(app, parent, reply)
    with app.extensions["moderato.db"].write() as session:
        session.add(VerdictRecord(comment_id=parent, filter="wordlist", action="allow", reasons=["x"], spans=[]))
        session.add(Report(comment_id=parent, reason="spam", text="引用原文", reporter_hash="r"))
    before = client.get(f"/api/threads/{THREAD}/comments").get_json()  # cached now
    assert before["comments"][0]["text"]

    ip_hash = hash_ip(TEST_SECRET, "127.0.0.1")
    response = client.post("/api/moderation/privacy/erase", json={"ip_hash": ip_hash}, headers=ADMIN)
    assert response.status_code == 200
    assert response.get_json() == {"erased": 2, "ids": [parent, pending]}

    page = client.get(f"/api/threads/{THREAD}/comments").get_json()
    [tombstone] = page["comments"]
    assert tombstone["id"] == parent and tombstone["erased"] is True
    assert tombstone["text"] == "" and tombstone["author"] == ""
    assert [r["id"] for r in tombstone["replies"]] == [reply] and "erased" not in tombstone["replies"][0]
    with app.extensions["moderato.db"].read() as session:
        erased = session.get(Comment, parent)
        assert (erased.email, erased.ip_hash, erased.user_id, erased.status) == (None, None, None, "approved")
        assert session.get(Comment, pending).status == "deleted"  # no filter will decide on an empty text
        assert session.scalar(select(func.count()).select_from(VerdictRecord)
                              .where(VerdictRecord.comment_id == parent)) == 0
        assert session.scalar(select(func.count()).select_from(Report)) == 0
        assert session.get(Comment, reply).text  # another reader's reply is untouched
    # Nothing is left to find, and the erasure is on record without the hash it erased.
    again = client.post("/api/moderation/privacy/export", json={"ip_hash": ip_hash}, headers=ADMIN)
    assert again.get_json()["comments"] == []
    [event] = _events(app, "privacy.erase")
    assert ip_hash not in event.target and event.details == {"comments": 2}


def test_erase_by_signed_in_id(app, client):
    from service.identity import sign_reader

    with app.extensions["moderato.db"].read() as session:
        secret = session.scalar(select(Site.secret).where(Site.name == "default"))
    if secret is None:
        secret = get_or_create_site(app.extensions["moderato.db"]).secret
    token = sign_reader(secret, "42", "张三", int(time.time()) + 3600)
    kept = _post(client, author="别人")
    erased = _post(client, user_token=token)
    response = client.post("/api/moderation/privacy/erase", json={"user_id": "42"}, headers=ADMIN)
    assert response.get_json() == {"erased": 1, "ids": [erased]}
    with app.extensions["moderato.db"].read() as session:
        assert session.get(Comment, kept).text and not session.get(Comment, erased).text


def test_a_site_limited_admin_reaches_only_its_own_sites(app, client):
    create_api_key(app.extensions["moderato.db"], "other")
    other_key = create_api_key(app.extensions["moderato.db"], "other")
    _post(client, email="a@example.com")
    client.post("/api/comments", json={"thread": "/x", "author": "甲", "text": "别的站。", "email": "a@example.com"},
                headers={"Authorization": f"Bearer {other_key}"})
    limited = {"Authorization": f"Bearer {_token(app, 'limited', 'admin', ['other'])}"}
    exported = client.post("/api/moderation/privacy/export", json={"email": "a@example.com"}, headers=limited)
    assert exported.status_code == 200
    assert [c["site"] for c in exported.get_json()["comments"]] == ["other"]
    refused = client.post("/api/moderation/privacy/erase", json={"email": "a@example.com", "site": "default"},
                          headers=limited)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    moderator = {"Authorization": f"Bearer {_token(app, 'mod', 'moderator', [])}"}
    assert client.post("/api/moderation/privacy/export", json={"email": "a@example.com"},
                       headers=moderator).status_code == 403
    assert client.post("/api/moderation/privacy/export", json={"email": "a@example.com"}).status_code == 401
    # Everyone's view: the full admin sees both sites.
    everything = client.post("/api/moderation/privacy/export", json={"email": "a@example.com"}, headers=ADMIN)
    assert sorted(c["site"] for c in everything.get_json()["comments"]) == ["default", "other"]


def test_a_request_names_exactly_one_author(client):
    for body in ({}, {"email": "a@example.com", "user_id": "1"}, {"ip_hash": "abc"}, {"email": "x", "site": "nope"}):
        response = client.post("/api/moderation/privacy/export", json=body, headers=ADMIN)
        assert response.status_code in (400, 404), body
        assert response.get_json()["error"]["code"] in ("invalid_field", "not_found")


def test_the_command_exports_and_erases(app, client, config, monkeypatch):
    _post(client, email="cli@example.com", text="命令行。")
    for name, value in (("DATABASE_URL", config.database_url), ("REDIS_URL", config.redis_url),
                        ("SECRET_KEY", TEST_SECRET), ("DATA_DIR", config.data_dir)):
        monkeypatch.setenv(name, value)
    from service.__main__ import cli

    runner = CliRunner()
    exported = runner.invoke(cli, ["privacy", "export", "--email", "cli@example.com"])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["comments"][0]["text"] == "命令行。"
    erased = runner.invoke(cli, ["privacy", "erase", "--site", "default", "--email", "cli@example.com"])
    assert erased.exit_code == 0 and erased.output.startswith("erased 1 comments")
    assert runner.invoke(cli, ["privacy", "erase", "--email", "cli@example.com"]).output.startswith("erased 0")
    bad = runner.invoke(cli, ["privacy", "export"])
    assert bad.exit_code != 0 and "exactly one" in bad.output
    assert [e.actor.split(":")[0] for e in _events(app, "privacy.erase")] == ["command-line"] * 2


def _payload(client, **overrides):  # type: ignore[no-untyped-def]
    from tests.factories import comment_payload

    return comment_payload(client, **overrides)
