"""Console accounts: Argon2 passwords, the create-user command, lock-out, personal API tokens, sessions."""
from __future__ import annotations

import re

from click.testing import CliRunner
from sqlalchemy import select

from service.accounts import hash_password, verify_password
from service.models import User
from tests.factories import CONSOLE_PASSWORD, console_post, login, make_user, post_comment


def test_passwords_are_stored_as_argon2id_hashes_and_verified():
    hashed = hash_password("s3cret-passphrase")
    assert hashed.startswith("$argon2id$") and "s3cret" not in hashed
    assert verify_password(hashed, "s3cret-passphrase")
    assert not verify_password(hashed, "wrong")
    assert not verify_password("not a hash", "wrong")


def test_create_user_command_prints_a_first_password_that_signs_in(app, client, database_url, tmp_path):
    result = CliRunner().invoke(
        __import__("service.__main__", fromlist=["cli"]).cli,
        ["create-user", "--role", "admin", "--username", "chief"],
        env={"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path / "cli"), "SECRET_KEY": "x"},
    )
    assert result.exit_code == 0, result.output
    password = re.search(r"first password: (\S+)", result.output).group(1)
    with app.extensions["moderato.db"].read() as session:
        user = session.scalars(select(User).where(User.username == "chief")).one()
        assert user.role == "admin" and user.password_hash.startswith("$argon2id$")
        assert password not in user.password_hash
    response = login(client, "chief", password)
    assert response.status_code == 303 and response.headers["Location"].endswith("/console/queue")
    assert client.get("/console/queue").status_code == 200


def test_repeated_failed_logins_lock_the_account_out_even_with_the_right_password(app, client):
    make_user(app)
    for _ in range(5):
        assert login(client, "mod", "wrong password").status_code == 401
    locked = login(client, "mod", CONSOLE_PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    assert client.get("/console/queue").status_code == 302  # still not signed in


def test_failed_logins_from_one_address_lock_out_every_username(app, client):
    make_user(app, "alice")
    for n in range(5):
        assert login(client, f"guess{n}", "wrong password").status_code == 401
    assert login(client, "alice", CONSOLE_PASSWORD).status_code == 429


def test_a_good_login_clears_the_username_count(app, client):
    make_user(app)
    for _ in range(4):
        login(client, "mod", "wrong password")
    assert login(client, "mod", CONSOLE_PASSWORD).status_code == 303


def test_personal_api_token_works_on_the_moderation_api_until_revoked(app, client, run_worker):
    make_user(app)
    login(client)
    page = console_post(client, "/console/account/tokens", {"name": "script"})
    token = re.search(r'id="new-token">([^<]+)<', page.get_data(as_text=True)).group(1)
    anonymous = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    comment_id = post_comment(anonymous, text="便宜 www.a.com www.b.com www.c.com www.d.com").get_json()["id"]
    run_worker()
    queue = anonymous.get("/api/moderation/queue", headers=auth)
    assert [c["id"] for c in queue.get_json()["comments"]] == [comment_id]
    # No CSRF token needed: a browser never sends a bearer token on its own.
    approved = anonymous.post(f"/api/moderation/comments/{comment_id}/approve", headers=auth)
    assert approved.status_code == 200
    with app.extensions["moderato.db"].read() as session:
        from service.models import ModerationAction, UserToken

        assert session.scalars(select(ModerationAction)).one().moderator == "mod"
        token_row = session.scalars(select(UserToken)).one()
        assert token not in token_row.token_hash
    console_post(client, f"/console/account/tokens/{token_row.id}/revoke")
    assert anonymous.get("/api/moderation/queue", headers=auth).status_code == 401


def test_moderator_token_is_optional(app, client):
    # Without MODERATOR_TOKEN nothing answers to a guessed shared token.
    from service.app import create_app
    from dataclasses import replace

    config = replace(app.extensions["moderato.config"], moderator_token="")
    other = create_app(config)
    response = other.test_client().get("/api/moderation/queue", headers={"Authorization": "Bearer "})
    assert response.status_code == 401
    other.extensions["moderato.db"].dispose()


def test_a_disabled_account_loses_its_session(app, client):
    make_user(app, "chief", role="admin")
    user_id = make_user(app, "mod")
    mod_client = app.test_client()
    login(mod_client)
    assert mod_client.get("/console/queue").status_code == 200
    login(client, "chief")
    assert console_post(client, f"/console/users/{user_id}/disable").status_code == 303
    assert mod_client.get("/console/queue").status_code == 302


def test_changing_the_password_ends_other_sessions(app, client):
    make_user(app)
    other = app.test_client()
    login(client)
    login(other)
    assert console_post(client, "/console/account/password", {"current_password": CONSOLE_PASSWORD,
                                                               "password": "a new long password"}).status_code == 303
    assert client.get("/console/queue").status_code == 200
    assert other.get("/console/queue").status_code == 302
    assert login(other, "mod", "a new long password").status_code == 303


def test_changing_the_password_needs_the_current_one(app, client):
    make_user(app)
    login(client)
    assert 'name="current_password"' in client.get("/console/account").get_data(as_text=True)
    for current in (None, "wrong password"):
        data = {"password": "taken over password"}
        if current is not None:
            data["current_password"] = current
        response = console_post(client, "/console/account/password", data)
        assert response.status_code == 403
        assert "The current password is wrong." in response.get_data(as_text=True)
    assert login(app.test_client(), "mod", "taken over password").status_code == 401
    assert login(app.test_client(), "mod", CONSOLE_PASSWORD).status_code == 303


def test_guessing_the_current_password_locks_out_like_the_sign_in_form(app, client):
    make_user(app)
    login(client)
    for _ in range(5):
        response = console_post(client, "/console/account/password", {"current_password": "guess",
                                                                       "password": "taken over password"})
        assert response.status_code == 403
    locked = console_post(client, "/console/account/password", {"current_password": CONSOLE_PASSWORD,
                                                                 "password": "a new long password"})
    assert locked.status_code == 429
    assert login(app.test_client(), "mod", "a new long password").status_code != 303


def test_signing_in_over_plain_http_to_another_host_says_that_https_is_needed(app, client):
    # The Secure session cookie set by the login page never comes back over http://news.example.org, so the
    # POST arrives without a session: say why, instead of calling the form stale.
    make_user(app)
    form = {"username": "mod", "password": "x" * 10}
    response = client.post("/console/login", base_url="http://news.example.org", data=form,
                           headers={"Origin": "http://news.example.org"})
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "needs HTTPS on news.example.org" in page and "SESSION_COOKIE_SECURE=0" in page
    # Over HTTPS, or on localhost (where browsers keep Secure cookies), a missing session is a stale form.
    for base in ("https://news.example.org", "http://localhost"):
        response = client.post("/console/login", base_url=base, data=form, headers={"Origin": base})
        assert response.status_code == 403
        assert "HTTPS" not in response.get_data(as_text=True)
