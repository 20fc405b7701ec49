"""Signed-in readers: tokens the host site signs with its secret, verified when a reader posts or reports.

A token is two base64url parts (no padding) joined by a dot:

    payload   = base64url(UTF-8 JSON {"id": "<user id>", "name": "<display name>", "exp": <unix seconds>})
    signature = base64url(HMAC-SHA256(key=<site secret>, message=<payload part, as ASCII>))
    token     = payload + "." + signature

Any language with HMAC-SHA256 can sign one; `python -m service.identity sign` does it from the shell.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

from service.exceptions import IdentityInvalid
from service.models import Site

MAX_TOKEN_LENGTH = 2048
MAX_USER_ID = 100
MAX_NAME = 100


@dataclass(frozen=True)
class Reader:
    """A signed-in reader whose identity the host site vouched for."""

    user_id: str
    name: str
    expires_at: int


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str) -> str:
    return _b64encode(hmac.new(secret.encode(), payload.encode("ascii"), hashlib.sha256).digest())


def sign_reader(secret: str, user_id: str, name: str, expires_at: int) -> str:
    """Return a token for a signed-in reader, valid until `expires_at` (Unix seconds)."""
    body = json.dumps({"id": user_id, "name": name, "exp": int(expires_at)}, ensure_ascii=False,
                      separators=(",", ":"))
    payload = _b64encode(body.encode())
    return f"{payload}.{_signature(secret, payload)}"


def verify_reader(secret: str | None, token: str, now: float | None = None) -> Reader:
    """Return the reader a token names, or raise IdentityInvalid if it is forged, malformed or expired."""
    if not secret or not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise IdentityInvalid()
    payload, signature = token.split(".")
    try:
        expected = _signature(secret, payload)
    except UnicodeEncodeError as err:
        raise IdentityInvalid() from err
    if not hmac.compare_digest(expected.encode(), signature.encode("ascii", "replace")):
        raise IdentityInvalid()
    try:
        claims: Any = json.loads(_b64decode(payload).decode("utf-8"))
    except (binascii.Error, ValueError) as err:
        raise IdentityInvalid() from err
    if not isinstance(claims, dict):
        raise IdentityInvalid()
    user_id, name, expires_at = claims.get("id"), claims.get("name"), claims.get("exp")
    if not (isinstance(user_id, str) and 0 < len(user_id.strip()) <= MAX_USER_ID):
        raise IdentityInvalid()
    if not (isinstance(name, str) and 0 < len(name.strip()) <= MAX_NAME):
        raise IdentityInvalid()
    if isinstance(expires_at, bool) or not isinstance(expires_at, int):
        raise IdentityInvalid()
    if expires_at <= (time.time() if now is None else now):
        raise IdentityInvalid("The signed-in reader's token has expired; reload the page.")
    return Reader(user_id=user_id.strip(), name=name.strip(), expires_at=expires_at)


def reader_from_body(site: Site, data: dict[str, Any]) -> Reader | None:
    """Return the signed-in reader of a request body's `user_token`, None for a guest, or raise."""
    token = data.get("user_token")
    if token is None or token == "":
        return None
    return verify_reader(site.secret, token)


def reader_hash(secret_key: str, site_id: int, reader: Reader) -> str:
    """Return a keyed hash naming a signed-in reader of a site (for one-report-per-reader checks)."""
    message = f"user:{site_id}:{reader.user_id}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


def main(argv: list[str] | None = None) -> int:
    """Print a site's signing secret, or sign a reader token with it (for the demo and for testing)."""
    from service.config import Config
    from service.db import Database
    from service.sites import DEFAULT_SITE, get_or_create_site

    parser = argparse.ArgumentParser(prog="python -m service.identity", description=main.__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    secret = commands.add_parser("secret", help="print the site's signing secret")
    secret.add_argument("--site", default=DEFAULT_SITE)
    sign = commands.add_parser("sign", help="print a signed token for a reader")
    sign.add_argument("--site", default=DEFAULT_SITE)
    sign.add_argument("--id", required=True, help="the reader's user id on the host site")
    sign.add_argument("--name", required=True, help="the reader's display name")
    sign.add_argument("--ttl", type=int, default=3600, help="seconds the token stays valid")
    args = parser.parse_args(argv)
    db = Database(Config.from_env())
    try:
        site = get_or_create_site(db, args.site)
    finally:
        db.dispose()
    if not site.secret:
        print(f"site '{args.site}' has no signing secret; run the migrations", file=sys.stderr)
        return 1
    if args.command == "secret":
        print(site.secret)
    else:
        print(sign_reader(site.secret, args.id, args.name, int(time.time()) + args.ttl))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
