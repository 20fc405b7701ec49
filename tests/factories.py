"""Plain factory functions for tests."""
from __future__ import annotations

import subprocess
from typing import Any

from flask.testing import FlaskClient


def solve_captcha(client: FlaskClient) -> dict[str, str]:
    """Get a captcha and read its answer through the test-only hook, as the browser tests do."""
    captcha = client.get("/api/captcha").get_json()
    answer = client.get(f"/api/testing/captcha/{captcha['id']}").get_json()["answer"]
    return {"captcha_id": captcha["id"], "captcha_answer": answer}


def comment_payload(client: FlaskClient, **overrides: Any) -> dict[str, Any]:
    """Return a valid comment submission with a solved captcha."""
    payload: dict[str, Any] = {
        "thread": "/news/2026/11/28/1.html", "thread_title": "示例新闻", "author": "小明",
        "text": "这篇报道写得很好，谢谢记者。",
    }
    payload.update(solve_captcha(client))
    payload.update(overrides)
    return payload


def post_comment(client: FlaskClient, **overrides: Any):  # type: ignore[no-untyped-def]
    """Post a valid comment with a solved captcha and return the response."""
    return client.post("/api/comments", json=comment_payload(client, **overrides))


CONSOLE_PASSWORD = "correct horse battery"


def make_user(app, username: str = "mod", role: str = "moderator", site_ids: list[int] | None = None,  # type: ignore[no-untyped-def]
              email: str | None = None) -> int:
    """Create a console account with CONSOLE_PASSWORD and return its id."""
    from service.accounts import create_user
    from service.models import UserRole

    with app.extensions["moderato.db"].write() as session:
        user, _password = create_user(session, username, UserRole(role), site_ids, password=CONSOLE_PASSWORD,
                                      email=email)
        session.flush()
        return user.id


def console_csrf(client: FlaskClient) -> str:
    """Return the CSRF token of the client's console session (created by visiting the login page)."""
    client.get("/console/login")
    with client.session_transaction() as session:
        return session["console_csrf"]


def login(client: FlaskClient, username: str = "mod", password: str = CONSOLE_PASSWORD):  # type: ignore[no-untyped-def]
    """Sign in to the console as a browser would: the form, its CSRF token, a same-origin POST."""
    token = console_csrf(client)
    return client.post("/console/login", data={"username": username, "password": password, "csrf_token": token},
                       headers={"Origin": "http://localhost"})


def console_post(client: FlaskClient, path: str, data: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    """POST a console form with the session's CSRF token from this service's origin."""
    with client.session_transaction() as session:
        token = session.get("console_csrf", "")
    return client.post(path, data={"csrf_token": token, **(data or {})}, headers={"Origin": "http://localhost"})


READER_PASSWORD = "reader password 1"


def set_reader_accounts(app, mode: str = "both", site_name: str = "default") -> int:  # type: ignore[no-untyped-def]
    """Set a site's reader-account mode (guests, accounts, both) and return its id."""
    from service.models import Site
    from service.sites import get_or_create_site

    db = app.extensions["moderato.db"]
    site = get_or_create_site(db, site_name)
    with db.write() as session:
        row = session.get(Site, site.id)
        row.settings = {**(row.settings or {}), "reader_accounts": mode}
    app.extensions["moderato.sites"].clear()
    return site.id


def make_reader(app, nickname: str = "读者甲", email: str = "reader@example.com",  # type: ignore[no-untyped-def]
                verified: bool = True, site_name: str = "default", language: str = "zh-CN") -> int:
    """Create a reader account with READER_PASSWORD (verified unless told) and return its id."""
    from service.accounts import hash_password
    from service.models import ReaderAccount, utcnow
    from service.sites import get_or_create_site

    db = app.extensions["moderato.db"]
    site = get_or_create_site(db, site_name)
    with db.write() as session:
        account = ReaderAccount(site_id=site.id, nickname=nickname, email=email, language=language,
                                password_hash=hash_password(READER_PASSWORD), created_at=utcnow(),
                                email_verified_at=utcnow() if verified else None)
        session.add(account)
        session.flush()
        return account.id


def reader_session(client: FlaskClient, email: str = "reader@example.com") -> dict[str, str]:
    """Sign a reader in and return the header that carries the session."""
    response = client.post("/api/readers/signin", json={"email": email, "password": READER_PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"X-Moderato-Session": response.get_json()["session"]}


def wait_until_serving(server: subprocess.Popen, port: int, timeout: float = 60) -> None:
    """Wait until a web server started as a child process answers /healthz on 127.0.0.1:port."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            assert server.poll() is None, "the web server exited"
            assert time.monotonic() < deadline, "the web server did not start"
            time.sleep(0.2)
