"""Console accounts: your tokens, password and language; other accounts (admins)."""
from __future__ import annotations

from flask import Response, redirect, render_template, request, session, url_for
from sqlalchemy import select

from service.accounts import (
    SESSION_STAMP, LoginThrottle, Principal, create_token, create_user, revoke_token, session_stamp, set_password,
    verify_password,
)
from service.console.access import admin, app_config, back, moderator, visible_sites
from service.console.routes import Routes
from service.console.text import SESSION_LANGUAGE, language_cookie
from service.console_text import LANGUAGES
from service.db import get_db
from service.exceptions import Forbidden, InvalidField, NotFound
from service.keys import hash_ip
from service.models import User, UserRole, UserToken, utcnow
from service.payload import parse_int
from service.redis_conn import get_redis
from service.review import record_event

routes = Routes()


@routes.get("/account")
def account() -> str:
    """Show the account's personal API tokens, the password form and the language."""
    principal = moderator()
    return _account_page(principal, None)


def _account_page(principal: Principal, new_token: str | None) -> str:
    with get_db().read() as db_session:
        tokens = list(db_session.scalars(select(UserToken).where(UserToken.user_id == principal.user_id)
                                         .order_by(UserToken.id))) if principal.user_id else []
    return render_template("console/account.html", tokens=tokens, new_token=new_token)


@routes.post("/account/tokens")
def new_token() -> str:
    """Create a personal API token and show it once."""
    principal = moderator()
    if principal.user_id is None:
        raise Forbidden("Only console accounts have personal tokens.")
    with get_db().write() as db_session:
        user = db_session.get(User, principal.user_id)
        token = create_token(db_session, user, (request.form.get("name") or "")[:100])
        record_event(db_session, principal.username, "token.create", None, f"token:{token[:12]}")
    return _account_page(principal, token)


@routes.post("/account/tokens/<int:token_id>/revoke")
def revoke_personal_token(token_id: int) -> Response:
    """Revoke one of your personal tokens."""
    principal = moderator()
    with get_db().write() as db_session:
        revoke_token(db_session, principal.user_id or -1, token_id)
        record_event(db_session, principal.username, "token.revoke", None, f"token:{token_id}")
    return redirect(url_for("console.account"), code=303)


@routes.post("/account/password")
def change_password() -> Response:
    """Change your password, given the current one; your other sessions end."""
    principal = moderator()
    config = app_config()
    # A session left open on a shared computer must not be enough to take the account over, and the
    # current password is guessed here under the same lock-out as at the sign-in form.
    throttle = LoginThrottle(get_redis(), config.login_max_failures, config.login_lockout_seconds)
    ip_hash = hash_ip(config.secret_key, request.remote_addr)
    with get_db().write() as db_session:
        user = db_session.get(User, principal.user_id or -1)
        if user is None:
            raise Forbidden()
        throttle.check(user.username, ip_hash)
        if not verify_password(user.password_hash, (request.form.get("current_password") or "")[:1000]):
            throttle.failed(user.username, ip_hash)
            raise Forbidden("The current password is wrong.", reason="current_password_wrong")
        set_password(db_session, user, request.form.get("password") or "")
        db_session.flush()
        stamp = session_stamp(app_config().secret_key, user)
        record_event(db_session, principal.username, "password.change", None, f"user:{user.username}")
    session[SESSION_STAMP] = stamp
    return redirect(url_for("console.account"), code=303)


@routes.post("/account/language")
def change_language() -> Response:
    """Choose the console's language."""
    principal = moderator()
    language = request.form.get("language")
    if language not in LANGUAGES:
        raise InvalidField("Unknown language.", field="language")
    with get_db().write() as db_session:
        user = db_session.get(User, principal.user_id or -1)
        if user is not None:
            user.language = language
    session[SESSION_LANGUAGE] = language
    return language_cookie(back(url_for("console.account")), language)


@routes.get("/users")
def users() -> str:
    """List console accounts (admins only)."""
    principal = admin()
    return _users_page(principal, None)


def _users_page(principal: Principal, created: tuple[str, str] | None) -> str:
    with get_db().read() as db_session:
        rows = [u for u in db_session.scalars(select(User).order_by(User.username))
                if u.id == principal.user_id or principal.can_grant(u.site_ids or [])]
    sites = visible_sites(principal)
    return render_template("console/users.html", users=rows, sites=sites, names={s.id: s.name for s in sites},
                           roles=[r.value for r in UserRole], created=created)


@routes.post("/users")
def add_user() -> str:
    """Create a console account with a first password shown once."""
    principal = admin()
    role = request.form.get("role") or UserRole.MODERATOR.value
    if role not in {r.value for r in UserRole}:
        raise InvalidField("Unknown role.", field="role")
    site_ids = [parse_int(i, "sites", low=1) for i in request.form.getlist("sites") if i.strip()]
    if not principal.can_grant(site_ids):
        # Only an admin of every site may create an account of every site (no sites ticked).
        raise Forbidden("Choose sites you administer; only an admin of every site may create an account "
                        "of every site.", reason="grant_own_sites")
    with get_db().write() as db_session:
        user, password = create_user(db_session, request.form.get("username") or "", UserRole(role), site_ids,
                                     email=(request.form.get("email") or "").strip() or None)
        record_event(db_session, principal.username, "user.create", None, f"user:{user.username}", role=role)
        username = user.username
    return _users_page(principal, (username, password))


@routes.post("/users/<int:user_id>/disable")
def toggle_user(user_id: int) -> Response:
    """Disable an account (its sessions and tokens stop working), or enable it again."""
    principal = admin()
    with get_db().write() as db_session:
        user = db_session.get(User, user_id)
        if user is None:
            raise NotFound("No such account.")
        if user.id == principal.user_id:
            raise Forbidden("You cannot disable your own account.", reason="cannot_disable_self")
        if not principal.can_grant(user.site_ids or []):
            raise Forbidden("You may only manage accounts limited to sites you administer.", reason="manage_own_sites")
        user.disabled_at = None if user.disabled_at else utcnow()
        record_event(db_session, principal.username, "user.disable" if user.disabled_at else "user.enable",
                     None, f"user:{user.username}")
    return redirect(url_for("console.users"), code=303)
