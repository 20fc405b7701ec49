"""Reader accounts: a site's account mode, registration, signed mail links, sign-in, sessions and deletion.

A reader account belongs to one site (an email may hold an account on several sites, one each). Its
password is hashed with Argon2id as console passwords are (service/accounts.py). Sign-in is throttled and
locked out per email and per hashed address as the console's is, counted apart from it.

The widget keeps a session as a token in its own storage, for the service's origin, and sends it in the
`X-Moderato-Session` header: no cookie, so no third-party cookie either. Only the token's SHA-256 is stored;
a session lasts SESSION_DAYS, ends on sign-out, and every session of an account ends when its password is
reset.

Mail links carry signed, expiring claims rather than stored tokens (so a job can build them from ids):

    token = base64url(JSON claims) + "." + base64url(HMAC-SHA256(SECRET_KEY, "reader-link:" + claims part))

A verification link names the account and its email; a reset link names the account and a digest of its
current password hash, so it works once: the new password changes the digest.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta
from typing import Any

from redis import Redis
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.accounts import LoginThrottle, hash_password, verify_password
from service.bans import READER_KEY_PREFIX
from service.config import Config
from service.db import Database
from service.exceptions import (
    AccountsDisabled, CommentNotFound, EmailTaken, EmailUnverified, Forbidden, InvalidField, LinkInvalid,
    SessionInvalid, SignInFailed,
)
from service.keys import hash_token
from service.models import (
    Comment, CommentStatus, ReaderAccount, ReaderAccountMode, ReaderSession, Site, Thread, utcnow,
)
from service.payload import text_field
from service.privacy import drop_cached_pages, tombstone

SESSION_HEADER = "X-Moderato-Session"
SESSION_PREFIX = "mrs1_"
SESSION_DAYS = 30
VERIFY_TTL = 3 * 86400
RESET_TTL = 3600
LANGUAGES = ("zh-CN", "zh-TW", "en")
MIN_PASSWORD, MAX_PASSWORD = 8, 200
MAX_NICKNAME, MAX_EMAIL = 40, 254
SETTING = "reader_accounts"  # the site setting: guests, accounts or both
_DUMMY_HASH = hash_password("not-a-real-password")


def account_mode(site: Site) -> ReaderAccountMode:
    """Return who may comment on the site: guests only (the default), accounts only, or both."""
    try:
        return ReaderAccountMode((site.settings or {}).get(SETTING) or ReaderAccountMode.GUESTS.value)
    except ValueError:
        return ReaderAccountMode.GUESTS


def require_accounts(site: Site) -> None:
    """Raise AccountsDisabled unless the site offers reader accounts."""
    if account_mode(site) is ReaderAccountMode.GUESTS:
        raise AccountsDisabled()


def author_key(account_id: int) -> str:
    """Return the author key bans and trust name an account by (service/bans.py)."""
    return f"{READER_KEY_PREFIX}{account_id}"


def language(value: Any) -> str:
    """Return a supported language for mails, zh-CN unless one of the others is named."""
    return value if value in LANGUAGES else "zh-CN"


def parse_email(data: dict[str, Any]) -> str:
    """Return the request's `email`, trimmed and lower-cased, or raise."""
    email = (text_field(data, "email", MAX_EMAIL) or "").lower()
    if "@" not in email or any(c.isspace() for c in email) or email.startswith("@") or email.endswith("@"):
        raise InvalidField("The field 'email' is not an email address.", field="email")
    return email


def parse_password(data: dict[str, Any], name: str = "password") -> str:
    """Return the request's password, checked for length (it is never stripped)."""
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidField(f"The field '{name}' is required.", field=name)
    if not MIN_PASSWORD <= len(value) <= MAX_PASSWORD or "\x00" in value:
        raise InvalidField(f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters.", field=name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidField("The password is not valid Unicode text.", field=name) from err
    return value


def parse_nickname(data: dict[str, Any]) -> str:
    """Return the request's nickname, or raise; the author keys' prefix is reserved."""
    nickname = text_field(data, "nickname", MAX_NICKNAME) or ""
    if nickname.casefold().startswith(READER_KEY_PREFIX):
        raise InvalidField("This nickname is reserved.", field="nickname")
    return nickname


def register(db: Database, site: Site, nickname: str, email: str, password: str, lang: str) -> ReaderAccount:
    """Create an unverified account on the site, or raise EmailTaken."""
    require_accounts(site)
    account = ReaderAccount(site_id=site.id, nickname=nickname, email=email, password_hash=hash_password(password),
                            language=language(lang), created_at=utcnow())
    try:
        with db.write() as session:
            session.add(account)
            session.flush()
            session.expunge(account)
    except IntegrityError as err:
        raise EmailTaken() from err
    return account


# -- signed links ---------------------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _sig(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), f"reader-link:{body}".encode(), hashlib.sha256).digest())


def sign_link(secret: str, claims: dict[str, Any]) -> str:
    """Return a signed link token carrying `claims`."""
    body = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{body}.{_sig(secret, body)}"


def read_link(secret: str, token: Any, kind: str, now: float | None = None) -> dict[str, Any]:
    """Return the claims of a link token of `kind`, or raise LinkInvalid (forged, malformed or expired)."""
    if not isinstance(token, str) or len(token) > 1000 or token.count(".") != 1:
        raise LinkInvalid()
    body, signature = token.split(".")
    try:
        expected = _sig(secret, body)
        if not hmac.compare_digest(expected.encode(), signature.encode("ascii")):
            raise LinkInvalid()
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (UnicodeError, binascii.Error, ValueError) as err:
        raise LinkInvalid() from err
    if not isinstance(claims, dict) or claims.get("k") != kind:
        raise LinkInvalid()
    expires = claims.get("x")
    if expires is not None and (not isinstance(expires, int) or expires <= (time.time() if now is None else now)):
        raise LinkInvalid("The link has expired; ask for a new one.")
    return claims


def _password_digest(account: ReaderAccount) -> str:
    return hashlib.sha256(account.password_hash.encode()).hexdigest()[:16]


def verification_token(secret: str, account: ReaderAccount, now: float | None = None) -> str:
    """Return the token of an account's email-verification link (valid VERIFY_TTL seconds)."""
    expires = int((time.time() if now is None else now) + VERIFY_TTL)
    return sign_link(secret, {"k": "verify", "r": account.id, "e": account.email, "x": expires})


def reset_token(secret: str, account: ReaderAccount, now: float | None = None) -> str:
    """Return the token of an account's password-reset link (valid RESET_TTL seconds, once)."""
    expires = int((time.time() if now is None else now) + RESET_TTL)
    return sign_link(secret, {"k": "reset", "r": account.id, "p": _password_digest(account), "x": expires})


def confirm_email(db: Database, secret: str, token: Any) -> ReaderAccount:
    """Mark the email of the link's account verified (again is fine) and return the account."""
    claims = read_link(secret, token, "verify")
    with db.write() as session:
        account = session.get(ReaderAccount, claims.get("r"))
        if account is None or account.email != claims.get("e"):
            raise LinkInvalid()
        account.email_verified_at = account.email_verified_at or utcnow()
        session.flush()
        session.expunge(account)
    return account


def check_reset(db: Database, secret: str, token: Any) -> ReaderAccount:
    """Return the account a reset link is for, if the link is valid and unused."""
    claims = read_link(secret, token, "reset")
    with db.read() as session:
        account = session.get(ReaderAccount, claims.get("r"))
        if account is None or not hmac.compare_digest(_password_digest(account), str(claims.get("p"))):
            raise LinkInvalid()
        session.expunge(account)
    return account


def reset_password(db: Database, secret: str, token: Any, password: str) -> ReaderAccount:
    """Set a new password through a reset link; it also proves the email, and ends every session."""
    claims = read_link(secret, token, "reset")
    with db.write() as session:
        account = session.get(ReaderAccount, claims.get("r"))
        if account is None or not hmac.compare_digest(_password_digest(account), str(claims.get("p"))):
            raise LinkInvalid()
        account.password_hash = hash_password(password)
        account.email_verified_at = account.email_verified_at or utcnow()  # the mail reached its owner
        session.execute(delete(ReaderSession).where(ReaderSession.reader_id == account.id))
        session.flush()
        session.expunge(account)
    return account


def find_account(db: Database, site: Site, email: str) -> ReaderAccount | None:
    """Return the site's account of an email address, or None."""
    with db.read() as session:
        account = session.scalar(select(ReaderAccount).where(ReaderAccount.site_id == site.id,
                                                             ReaderAccount.email == email))
        if account is not None:
            session.expunge(account)
        return account


# -- sessions -------------------------------------------------------------------------------------------


def throttle(redis: Redis, config: Config) -> LoginThrottle:
    """Return the sign-in throttle of reader accounts: the console's limits, its own counters."""
    return LoginThrottle(redis, config.login_max_failures, config.login_lockout_seconds, prefix="reader-login-failures")


def sign_in(db: Database, login_throttle: LoginThrottle, site: Site, email: str, password: str,
            ip_hash: str | None) -> tuple[ReaderAccount, str]:
    """Check the email and password and open a session; return the account and the session's token."""
    require_accounts(site)
    name = f"{site.id}:{email}"
    login_throttle.check(name, ip_hash)
    account = find_account(db, site, email)
    valid = verify_password(account.password_hash if account is not None else _DUMMY_HASH, password)
    if account is None or not valid:
        login_throttle.failed(name, ip_hash)
        raise SignInFailed()
    login_throttle.succeeded(name)
    if account.email_verified_at is None:
        # After the password check, so that this answer does not tell strangers which emails have accounts.
        raise EmailUnverified()
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    with db.write() as session:
        session.add(ReaderSession(reader_id=account.id, token_hash=hash_token(token), created_at=now,
                                  expires_at=now + timedelta(days=SESSION_DAYS)))
    return account, token


def session_account(db: Database, site: Site, token: str | None) -> ReaderAccount | None:
    """Return the account of a session token (None without one), or raise SessionInvalid."""
    if token is None or token == "":
        return None
    if not isinstance(token, str) or not token.startswith(SESSION_PREFIX) or len(token) > 100:
        raise SessionInvalid()
    with db.read() as session:
        row = session.execute(
            select(ReaderAccount, ReaderSession.expires_at).join(ReaderSession, ReaderSession.reader_id == ReaderAccount.id)
            .where(ReaderSession.token_hash == hash_token(token))).first()
        if row is None or row[0].site_id != site.id or row[1] <= utcnow():
            raise SessionInvalid()
        session.expunge(row[0])
        return row[0]


def sign_out(db: Database, token: str) -> None:
    """End the session of a token (nothing to do if it has ended)."""
    with db.write() as session:
        session.execute(delete(ReaderSession).where(ReaderSession.token_hash == hash_token(token)))


def public_account(account: ReaderAccount, secret: str) -> dict[str, Any]:
    """Return what the widget shows of the signed-in reader; `avatar` marks their comments on a page."""
    from service.avatars import avatar_key

    return {"nickname": account.nickname, "email": account.email, "verified": account.email_verified_at is not None,
            "language": account.language,
            "avatar": avatar_key(secret, account.site_id, None, account.email, account.nickname, account.id)}


# -- deleting -------------------------------------------------------------------------------------------


def delete_own_comment(db: Database, redis: Redis | None, config: Config, site: Site, comment_id: int,
                       account: ReaderAccount | None, token: str | None) -> None:
    """Erase one of the reader's comments (a tombstone, as a privacy erasure leaves); the account or the
    comment's author token proves it is theirs."""
    with db.write() as session:
        row = session.execute(select(Comment, Thread).join(Thread, Thread.id == Comment.thread_id)
                              .where(Comment.id == comment_id, Thread.site_id == site.id)).first()
        if row is None or not row[0].text:
            raise CommentNotFound()
        comment, thread = row
        owned = (account is not None and comment.reader_id == account.id) or (
            bool(token) and isinstance(token, str) and hmac.compare_digest(comment.token_hash, hash_token(token)))
        if not owned:
            raise Forbidden("Only its author may delete a comment.")
        if comment.status == CommentStatus.REJECTED.value:
            comment.status = CommentStatus.DELETED.value
        tombstone(session, [comment], decided_by="author")
        touched = {(thread.site_id, thread.key)}
    drop_cached_pages(redis, config, touched)


def delete_account(db: Database, redis: Redis | None, config: Config, account: ReaderAccount, password: str,
                   erase: bool) -> int:
    """Delete an account after checking its password; its comments are erased or kept anonymised.

    Anonymised comments keep their text and lose everything that named the author (nickname, email,
    address hash, the account); the widget shows them under "a deleted account". Return how many.
    """
    with db.write() as session:
        current = session.get(ReaderAccount, account.id)
        if current is None or not verify_password(current.password_hash, password):
            raise SignInFailed("The password is wrong.")
        rows = list(session.execute(select(Comment, Thread).join(Thread, Thread.id == Comment.thread_id)
                                    .where(Comment.reader_id == account.id)))
        comments = [c for c, _t in rows]
        if erase:
            tombstone(session, comments, decided_by="author")
        else:
            for comment in comments:
                comment.author = ""
                comment.email = None
                comment.ip_hash = None
                comment.reader_id = None
                comment.reply_notice_lang = None
        session.flush()
        session.delete(current)
        touched = {(t.site_id, t.key) for _c, t in rows}
    drop_cached_pages(redis, config, touched)
    return len(comments)
