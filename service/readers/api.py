"""Reader accounts over HTTP: the JSON endpoints the widget calls (cross-origin, under the site's CORS
allowlist) and the small pages that the links in readers' mails open (on the service's own origin).

    GET  /api/readers/me                   {"accounts": "guests"|"accounts"|"both", "reader": {...} | null}
    POST /api/readers/register             {nickname, email, password, lang?} -> 201, a verification mail
    POST /api/readers/signin               {email, password} -> {"session", "reader"}
    POST /api/readers/signout              the session in X-Moderato-Session -> {"signed_out": true}
    POST /api/readers/verification         {email} -> 202, the verification mail again (if unverified)
    POST /api/readers/password-reset       {email} -> 202, a reset mail (if the account exists)
    POST /api/readers/me/delete            {password, comments: "erase"|"anonymise"} -> {"deleted", "comments"}
    POST /api/comments/<id>/delete         the session, or {"token"} (the comment's author token)

    GET  /readers/verify?t=…               marks the email verified
    GET, POST /readers/reset?t=…           a form for the new password
    GET, POST /readers/unsubscribe?t=…     one button (and RFC 8058 one-click POST from mail clients)

The 202 answers say the same whether or not the email has an account, so they tell strangers nothing.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from service.api import site_named
from service.config import Config
from service.db import get_db
from service.exceptions import InvalidField, LinkInvalid, MailUnavailable, SessionInvalid
from service.keys import hash_ip
from service.models import ReaderAccount, Site
from service.notifications import enqueue
from service.payload import read_body
from service.rate_limits import HOUR, Limit
from service.readers import accounts
from service.readers.mail_text import text
from service.readers.notices import RESET_JOB, VERIFY_JOB, unsubscribe
from service.redis_conn import get_redis

readers_api = Blueprint("readers", __name__)

REGISTRATIONS_PER_ADDRESS_HOUR = 10
MAILS_PER_EMAIL_HOUR = 3


def _config() -> Config:
    return current_app.extensions["moderato.config"]


def _site(data: dict[str, Any] | None = None) -> Site:
    return site_named(str(request.args.get("site") or (data or {}).get("site") or "") or None)


def current_account(site: Site) -> ReaderAccount | None:
    """Return the signed-in reader of this request's X-Moderato-Session header, None without one, or raise."""
    return accounts.session_account(get_db(), site, request.headers.get(accounts.SESSION_HEADER))


def _hit(*limits: Limit) -> None:
    current_app.extensions["moderato.rate_limits"].hit(list(limits), "Too many requests; wait a while and try again.")


def _address_limit(name: str, count: int) -> Limit:
    return Limit(f"rate:{name}:{hash_ip(_config().secret_key, request.remote_addr) or 'unknown'}", count, HOUR)


def _email_limit(site: Site, email: str) -> Limit:
    return Limit(f"rate:reader_mails:{hash_ip(_config().secret_key, f'{site.id}:{email}')}", MAILS_PER_EMAIL_HOUR, HOUR)


def _mail(job: str, account_id: int) -> None:
    config = _config()
    if not config.smtp_host:
        raise MailUnavailable()
    enqueue(get_redis(), config, job, account_id, request.url_root)


@readers_api.get("/api/readers/me")
def me() -> Response:
    """Say whether the site offers accounts, and who is signed in (null for nobody)."""
    site = _site()
    account = current_account(site)
    reader = accounts.public_account(account, _config().secret_key) if account is not None else None
    response = jsonify({"accounts": accounts.account_mode(site).value, "reader": reader})
    response.headers["Cache-Control"] = "no-store"
    return response


@readers_api.post("/api/readers/register")
def register() -> tuple[Response, int]:
    """Create an account and mail its verification link."""
    data = read_body(request)
    site = _site(data)
    accounts.require_accounts(site)
    nickname, email = accounts.parse_nickname(data), accounts.parse_email(data)
    password = accounts.parse_password(data)
    if not _config().smtp_host:
        raise MailUnavailable()  # an account that can never be verified is no use
    _hit(_address_limit("reader_registrations", REGISTRATIONS_PER_ADDRESS_HOUR), _email_limit(site, email))
    account = accounts.register(get_db(), site, nickname, email, password, accounts.language(data.get("lang")))
    _mail(VERIFY_JOB, account.id)
    return jsonify({"reader": accounts.public_account(account, _config().secret_key), "verification": "sent"}), 201


@readers_api.post("/api/readers/signin")
def signin() -> Response:
    """Open a session for a verified account; throttled and locked out as console sign-ins are."""
    data = read_body(request)
    site = _site(data)
    email, password = accounts.parse_email(data), data.get("password")
    if not isinstance(password, str) or not password or len(password) > accounts.MAX_PASSWORD:
        raise InvalidField("The field 'password' is required.", field="password")
    config = _config()
    account, token = accounts.sign_in(get_db(), accounts.throttle(get_redis(), config), site, email, password,
                                      hash_ip(config.secret_key, request.remote_addr))
    return jsonify({"session": token, "reader": accounts.public_account(account, config.secret_key)})


@readers_api.post("/api/readers/signout")
def signout() -> Response:
    """End the session named by the X-Moderato-Session header."""
    token = request.headers.get(accounts.SESSION_HEADER)
    if token:
        accounts.sign_out(get_db(), token)
    return jsonify({"signed_out": True})


def _mail_request(job: str, unverified_only: bool) -> tuple[Response, int]:
    data = read_body(request)
    site = _site(data)
    accounts.require_accounts(site)
    email = accounts.parse_email(data)
    if not _config().smtp_host:
        raise MailUnavailable()
    _hit(_address_limit("reader_mail_requests", REGISTRATIONS_PER_ADDRESS_HOUR), _email_limit(site, email))
    account = accounts.find_account(get_db(), site, email)
    if account is not None and not (unverified_only and account.email_verified_at is not None):
        _mail(job, account.id)
    return jsonify({"mail": "sent if the account exists"}), 202


@readers_api.post("/api/readers/verification")
def resend_verification() -> tuple[Response, int]:
    """Mail the verification link again, if the email has an unverified account."""
    return _mail_request(VERIFY_JOB, unverified_only=True)


@readers_api.post("/api/readers/password-reset")
def password_reset() -> tuple[Response, int]:
    """Mail a password-reset link, if the email has an account."""
    return _mail_request(RESET_JOB, unverified_only=False)


@readers_api.post("/api/readers/me/delete")
def delete_me() -> Response:
    """Delete the signed-in reader's account, its comments erased or kept anonymised, after the password."""
    data = read_body(request)
    site = _site(data)
    account = current_account(site)
    if account is None:
        raise SessionInvalid("Sign in first.")
    choice = data.get("comments")
    if choice not in ("erase", "anonymise"):
        raise InvalidField("'comments' is erase or anonymise.", field="comments")
    password = data.get("password")
    if not isinstance(password, str) or not password or len(password) > accounts.MAX_PASSWORD:
        raise InvalidField("The field 'password' is required.", field="password")
    count = accounts.delete_account(get_db(), get_redis(), _config(), account, password, erase=choice == "erase")
    return jsonify({"deleted": True, "comments": count})


@readers_api.post("/api/comments/<int:comment_id>/delete")
def delete_comment(comment_id: int) -> Response:
    """Erase one of the reader's own comments: theirs by the session's account or the comment's token."""
    data = read_body(request)
    site = _site(data)
    token = data.get("token")
    if token is not None and not isinstance(token, str):
        raise InvalidField("The field 'token' must be a string.", field="token")
    accounts.delete_own_comment(get_db(), get_redis(), _config(), site, comment_id, current_account(site), token)
    return jsonify({"id": comment_id, "deleted": True})


# -- the pages the mails link to ------------------------------------------------------------------------


def _page(lang: str, title_key: str, message: str | None = None, form: dict[str, Any] | None = None,
          status: int = 200) -> tuple[str, int]:
    return render_template("reader_page.html", lang=lang, title=text(lang, title_key), message=message,
                           form=form), status


def _lang() -> str:
    return accounts.language(request.args.get("lang") or request.form.get("lang"))


@readers_api.get("/readers/verify")
def verify_page() -> tuple[str, int]:
    """Mark an account's email verified from the link in its mail."""
    lang = _lang()
    try:
        accounts.confirm_email(get_db(), _config().secret_key, request.args.get("t"))
    except LinkInvalid:
        return _page(lang, "page_link_invalid", text(lang, "page_link_invalid"), status=400)
    return _page(lang, "page_verified", text(lang, "page_verified"))


@readers_api.route("/readers/reset", methods=["GET", "POST"])
def reset_page() -> tuple[str, int]:
    """Show the new-password form of a reset link, and set the password it is sent with."""
    lang, token = _lang(), request.values.get("t")
    form = {"action": "reset", "token": token, "label": text(lang, "page_reset_password"),
            "submit": text(lang, "page_reset_submit")}
    try:
        if request.method == "GET":
            accounts.check_reset(get_db(), _config().secret_key, token)
            return _page(lang, "page_reset_title", form=form)
        password = request.form.get("password") or ""
        if not accounts.MIN_PASSWORD <= len(password) <= accounts.MAX_PASSWORD:
            return _page(lang, "page_reset_title", text(lang, "page_reset_short"), form=form, status=400)
        accounts.reset_password(get_db(), _config().secret_key, token, password)
    except LinkInvalid:
        return _page(lang, "page_link_invalid", text(lang, "page_link_invalid"), status=400)
    return _page(lang, "page_reset_title", text(lang, "page_reset_done"))


@readers_api.route("/readers/unsubscribe", methods=["GET", "POST"])
def unsubscribe_page() -> tuple[str, int]:
    """Ask to confirm with one button (GET: mail scanners follow links), or unsubscribe (POST, RFC 8058)."""
    lang, token = _lang(), request.values.get("t")
    try:
        if request.method == "GET":
            from service.readers.accounts import read_link

            lang = accounts.language(read_link(_config().secret_key, token, "unsub").get("l"))
            return _page(lang, "page_unsubscribe_title", text(lang, "page_unsubscribe_ask"),
                         form={"action": "unsubscribe", "token": token, "submit": text(lang, "page_unsubscribe_submit")})
        _count, lang = unsubscribe(get_db(), _config().secret_key, token)
    except LinkInvalid:
        return _page(lang, "page_link_invalid", text(lang, "page_link_invalid"), status=400)
    return _page(accounts.language(lang), "page_unsubscribe_title", text(accounts.language(lang), "page_unsubscribed"))
