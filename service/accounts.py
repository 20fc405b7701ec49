"""Console accounts: Argon2 passwords, roles and site restrictions, login lock-out, personal API tokens,
and the one check every console page and moderation endpoint goes through (`require_moderator`)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, request, session
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.config import Config
from service.exceptions import (
    Conflict, CsrfFailed, Forbidden, InvalidField, LoginLocked, ServiceUnavailable, Unauthorized,
)
from service.keys import bearer_token, hash_token
from service.models import User, UserRole, UserToken, utcnow

_HASHER = PasswordHasher()
# Verified against when the username does not exist, so a miss costs as much as a wrong password.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
USER_TOKEN_PREFIX = "mdu_"
SESSION_USER = "console_user"
SESSION_STAMP = "console_stamp"
SESSION_CSRF = "console_csrf"


@dataclass(frozen=True)
class Principal:
    """Who is acting: a console account (by session or personal token) or the shared MODERATOR_TOKEN."""

    username: str
    role: UserRole
    site_ids: tuple[int, ...] = ()  # empty: every site
    user_id: int | None = None
    via: str = "session"  # session, token or shared-token
    language: str = "en"

    @property
    def is_admin(self) -> bool:
        """Return whether the principal may manage sites and accounts."""
        return self.role is UserRole.ADMIN

    def can_access(self, site_id: int) -> bool:
        """Return whether the principal may act on the given site."""
        return not self.site_ids or site_id in self.site_ids

    def allowed_sites(self) -> tuple[int, ...] | None:
        """Return the site ids the principal is limited to, or None for every site."""
        return self.site_ids or None

    @property
    def is_unrestricted_admin(self) -> bool:
        """Return whether the principal is an admin of every site (it alone may create sites)."""
        return self.is_admin and not self.site_ids

    def can_grant(self, site_ids: list[int] | tuple[int, ...]) -> bool:
        """Return whether the principal may create or manage an account limited to these sites.

        An empty list means every site, which only an admin of every site holds; a site-limited admin
        may only hand out a non-empty subset of its own sites, so it can never grant more than it has.
        """
        if self.is_unrestricted_admin:
            return True
        return self.is_admin and bool(site_ids) and set(site_ids) <= set(self.site_ids)


def hash_password(password: str) -> str:
    """Return the Argon2id hash of a password."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return whether the password matches the Argon2 hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    """Return a random first password to print once."""
    return secrets.token_urlsafe(12)


def _check_username(username: str) -> str:
    username = username.strip()
    if not 1 <= len(username) <= 100 or any(c.isspace() for c in username):
        raise InvalidField("A username is 1 to 100 characters without spaces.", field="username")
    return username


def create_user(session: Session, username: str, role: UserRole, site_ids: list[int] | None = None,
                password: str | None = None, email: str | None = None, language: str = "en") -> tuple[User, str]:
    """Create a console account and return it with its password (a new random one when not given)."""
    username = _check_username(username)
    password = password or new_password()
    if len(password) < 8:
        raise InvalidField("A password has at least 8 characters.", field="password")
    user = User(username=username, password_hash=hash_password(password), role=role.value,
                site_ids=sorted(set(site_ids or [])), email=email or None, language=language,
                created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(user)
    except IntegrityError as err:
        raise Conflict(f"The username '{username}' is taken.") from err
    return user, password


def set_password(session: Session, user: User, password: str) -> None:
    """Change an account's password; its sessions elsewhere end, since their stamp no longer matches."""
    if len(password) < 8:
        raise InvalidField("A password has at least 8 characters.", field="password")
    user.password_hash = hash_password(password)


def principal_for(user: User, via: str) -> Principal:
    """Return the principal of a console account."""
    return Principal(username=user.username, role=UserRole(user.role), site_ids=tuple(user.site_ids or ()),
                     user_id=user.id, via=via, language=user.language or "en")


class LoginThrottle:
    """Failed logins counted in Redis per username and per hashed IP; past the limit, logins are refused.

    Fails closed: when Redis cannot be read no login is checked, since an unthrottled login form is a
    window for guessing passwords, and the console is an operators' tool that can wait for Redis.
    """

    def __init__(self, redis: Redis, max_failures: int, lockout_seconds: int, prefix: str = "login-failures") -> None:
        self.redis = redis
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds
        self.prefix = prefix  # reader accounts count their failures apart from the console's

    def _keys(self, username: str, ip_hash: str | None) -> list[str]:
        user_digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        keys = [f"{self.prefix}:user:{user_digest}"]
        if ip_hash:
            keys.append(f"{self.prefix}:ip:{ip_hash}")
        return keys

    def check(self, username: str, ip_hash: str | None) -> None:
        """Raise LoginLocked when the username or the address has failed too often."""
        try:
            counts = self.redis.mget(self._keys(username, ip_hash))
        except RedisError as err:
            raise ServiceUnavailable("Logins are paused while Redis is unavailable.") from err
        if any(int(c or 0) >= self.max_failures for c in counts):
            raise LoginLocked()

    def failed(self, username: str, ip_hash: str | None) -> None:
        """Count a failed login against the username and the address."""
        try:
            pipe = self.redis.pipeline(transaction=False)
            for key in self._keys(username, ip_hash):
                # The window starts at the first failure (EXPIRE NX needs Redis 7; SET NX works on 6).
                pipe.set(key, 0, ex=self.lockout_seconds, nx=True)
                pipe.incr(key)
            pipe.execute()
        except RedisError as err:
            raise ServiceUnavailable("Logins are paused while Redis is unavailable.") from err

    def succeeded(self, username: str) -> None:
        """Forget the username's failures (the address's stay, so one good account does not reset a scan)."""
        try:
            self.redis.delete(self._keys(username, None)[0])
        except RedisError:
            pass


def authenticate(session: Session, throttle: LoginThrottle, username: str, password: str,
                 ip_hash: str | None) -> User:
    """Return the account for a correct username and password, or raise Unauthorized or LoginLocked."""
    throttle.check(username, ip_hash)
    user = session.scalar(select(User).where(User.username == username.strip()))
    valid = verify_password(user.password_hash if user is not None else _DUMMY_HASH, password)
    if user is None or not valid or user.disabled_at is not None:
        throttle.failed(username, ip_hash)
        raise Unauthorized("The username or the password is wrong.")
    throttle.succeeded(username)
    return user


def create_token(session: Session, user: User, name: str = "") -> str:
    """Create a personal API token for an account and return it; only its hash is kept."""
    token = USER_TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(UserToken(user_id=user.id, name=name[:100], token_hash=hash_token(token), prefix=token[:12],
                          created_at=utcnow()))
    return token


def revoke_token(session: Session, user_id: int, token_id: int) -> None:
    """Revoke one of an account's personal tokens."""
    token = session.get(UserToken, token_id)
    if token is None or token.user_id != user_id:
        raise Forbidden("Not your token.")
    token.revoked_at = token.revoked_at or utcnow()


def session_stamp(secret: str, user: User) -> str:
    """Return the stamp a session carries; it changes with the password, ending older sessions."""
    return hmac.new(secret.encode(), f"session:{user.id}:{user.password_hash}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def _config() -> Config:
    return current_app.extensions["moderato.config"]


def current_principal() -> Principal | None:
    """Return who is acting on this request: a bearer token first, then the console session."""
    from service.db import get_db

    token = bearer_token(request.headers.get("Authorization"))
    if token is not None:
        config = _config()
        if token.startswith(USER_TOKEN_PREFIX):
            with get_db().read() as db_session:
                row = db_session.scalar(select(UserToken).where(UserToken.token_hash == hash_token(token),
                                                                UserToken.revoked_at.is_(None)))
                user = db_session.get(User, row.user_id) if row is not None else None
                if user is None or user.disabled_at is not None:
                    raise Unauthorized("The personal API token is not valid.")
                return principal_for(user, "token")
        # Kept for deployments that set it before accounts existed: it acts as an admin of every site.
        if config.moderator_token and hmac.compare_digest(token.encode(), config.moderator_token.encode()):
            return Principal(username="moderator-token", role=UserRole.ADMIN, via="shared-token")
        raise Unauthorized("A valid moderator token is required.")
    user_id = session.get(SESSION_USER)
    if user_id is None:
        return None
    with get_db().read() as db_session:
        user = db_session.get(User, user_id)
        if (user is None or user.disabled_at is not None
                or not hmac.compare_digest(session.get(SESSION_STAMP, ""), session_stamp(_config().secret_key, user))):
            session.clear()
            return None
        return principal_for(user, "session")


def csrf_token() -> str:
    """Return the session's CSRF token, creating it on first use."""
    token = session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_CSRF] = token
    return token


def check_same_origin() -> None:
    """Refuse a state-changing request whose Origin (or, failing that, Referer) is not this service."""
    expected = urlsplit(request.host_url)
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        raise CsrfFailed("The request does not say where it comes from.")
    parts = urlsplit(source)
    if (parts.scheme, parts.netloc) != (expected.scheme, expected.netloc):
        raise CsrfFailed("Cross-site requests are refused.")


def check_csrf() -> None:
    """Refuse a session-authenticated POST without the session's CSRF token or from another origin."""
    check_same_origin()
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get(SESSION_CSRF) or ""
    if not expected and _secure_cookie_lost():
        raise CsrfFailed(
            f"Signing in to the console needs HTTPS on {request.host}: its session cookie is Secure, so the "
            "browser does not send it back over plain HTTP. Open the console with https://, or set "
            "SESSION_COOKIE_SECURE=0 for a plain-HTTP development server.")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed()


def _secure_cookie_lost() -> bool:
    """Say whether a missing session is explained by a Secure cookie on plain HTTP to a host other than
    localhost (browsers keep Secure cookies for http://localhost, not for other plain-HTTP hosts)."""
    if not current_app.config.get("SESSION_COOKIE_SECURE") or request.scheme == "https":
        return False
    host = (request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host).strip("[]")
    return host not in ("localhost", "127.0.0.1", "::1") and not host.endswith(".localhost")


def require_moderator(site_id: int | None = None) -> Principal:
    """Return the acting moderator or admin, or raise; session POSTs must carry the CSRF token.

    Bearer tokens are not sent by browsers on their own, so they need no CSRF token; sessions are.
    """
    principal = current_principal()
    if principal is None:
        raise Unauthorized("Sign in to the console or send a personal API token.")
    if principal.via == "session" and request.method not in ("GET", "HEAD", "OPTIONS"):
        check_csrf()
    if site_id is not None and not principal.can_access(site_id):
        raise Forbidden("You are not a moderator of this site.")
    return principal


def require_admin() -> Principal:
    """Return the acting admin, or raise Forbidden for a moderator."""
    principal = require_moderator()
    if not principal.is_admin:
        raise Forbidden("Only an admin may do this.")
    return principal


def require_unrestricted_admin() -> Principal:
    """Return the acting admin of every site, or raise Forbidden (site-limited admins included)."""
    principal = require_admin()
    if not principal.is_unrestricted_admin:
        raise Forbidden("Only an admin of every site may do this.")
    return principal


def require_site(principal: Principal, site_id: int) -> None:
    """Raise Forbidden unless the principal may act on the site."""
    if not principal.can_access(site_id):
        raise Forbidden("You are not a moderator of this site.")
