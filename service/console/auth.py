"""Signing in and out of the console."""
from __future__ import annotations

from flask import Response, redirect, render_template, request, session, url_for

from service.accounts import (
    SESSION_STAMP, SESSION_USER, LoginThrottle, authenticate, check_csrf, csrf_token, session_stamp,
)
from service.console.access import app_config, back, moderator
from service.console.routes import Routes
from service.console.text import SESSION_LANGUAGE, chosen_language, console_language, language_cookie
from service.db import get_db
from service.exceptions import LoginLocked, Unauthorized
from service.keys import hash_ip
from service.models import User
from service.redis_conn import get_redis

routes = Routes()


@routes.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """Show the sign-in form; check the password with lock-out after repeated failures."""
    error = None
    status = 200
    if request.method == "POST":
        check_csrf()
        config = app_config()
        throttle = LoginThrottle(get_redis(), config.login_max_failures, config.login_lockout_seconds)
        username = request.form.get("username", "")[:100]
        try:
            with get_db().read() as db_session:
                user = authenticate(db_session, throttle, username, request.form.get("password", "")[:1000],
                                    hash_ip(config.secret_key, request.remote_addr))
                stamp = session_stamp(config.secret_key, user)
                user_id = user.id
        except LoginLocked:
            error, status = "login_locked", 429
        except Unauthorized:
            error, status = "login_failed", 401
        else:
            # The language the sign-in page was read in (or was switched to there) is the account's from now on.
            language = console_language()
            with get_db().write() as db_session:
                account = db_session.get(User, user_id)
                if account is not None and account.language != language:
                    account.language = language
            # A new session on sign-in, so a session id planted before it is worth nothing.
            session.clear()
            session[SESSION_USER] = user_id
            session[SESSION_STAMP] = stamp
            session[SESSION_LANGUAGE] = language
            session.permanent = True
            csrf_token()
            return language_cookie(back(url_for("console.queue")), language)
    page = render_template("console/login.html", error=error, next=request.values.get("next", ""))
    chosen = chosen_language()
    return language_cookie(Response(page, status), chosen) if chosen else (page, status)


@routes.post("/logout")
def logout() -> Response:
    """End the session."""
    moderator()
    session.clear()
    return redirect(url_for("console.login"), code=303)


@routes.get("/")
def index() -> Response:
    """Go to the queue."""
    return redirect(url_for("console.queue"))
