"""Keyed hashes and random tokens: IP addresses, comment tokens and API keys are never stored in clear."""
from __future__ import annotations

import hashlib
import hmac
import secrets


def hash_ip(secret: str, address: str | None) -> str | None:
    """Return a keyed hash of an IP address, so abuse can be grouped without storing the address."""
    if not address:
        return None
    return hmac.new(secret.encode(), b"ip:" + address.encode(), hashlib.sha256).hexdigest()[:32]


def new_token() -> str:
    """Return a new random token for a comment's author."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    """Return the SHA-256 of a token or key; the tokens are random, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_key() -> str:
    """Return a new site API key."""
    return "mdk_" + secrets.token_urlsafe(32)


def bearer_token(header: str | None) -> str | None:
    """Return the token of an `Authorization: Bearer …` header (an API key or a user's token), or None."""
    if header and header.startswith("Bearer "):
        return header[len("Bearer "):].strip() or None
    return None
