"""Idempotent comment submission: a retried `POST /api/comments` with the same `Idempotency-Key` gets the first
answer again instead of making a second comment.

The key is stored in Redis under a keyed hash of (site, key), so neither the client's key nor its site
appears in Redis. One `SET NX` claims it atomically before anything is stored: of two concurrent
requests with one key, exactly one goes on, and the other gets 409 `idempotency_key_in_use` until the
first has answered. The first 202 (status and body) then replaces the claim for `ANSWER_TTL` seconds.
A request that fails (any error) releases its claim, since nothing was stored: the client may retry with
the same key, as the widget does after a network error.

The body is compared by a fingerprint of its fields less the captcha's (a retry may carry a newly solved
captcha); the same key with other fields gets 422 `idempotency_key_reused`.

Failure policy: fails open. When Redis cannot be reached the comment is accepted without the guard (it is
already in the database when the 202 leaves, the rule of the service), at worst a duplicate on a retry
during the outage; a comment lost to a refused submission would be worse.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from service.exceptions import IdempotencyKeyInUse, IdempotencyKeyReused, InvalidField

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
ANSWER_TTL = 24 * 3600  # how long a first answer is replayed
# How long a claim outlives a request that never finishes (a killed process): past it the key is free.
CLAIM_TTL = 60
MAX_KEY_LENGTH = 255
# Fields that do not make a submission another one: a retry may come with a new captcha.
_UNCOMPARED = frozenset({"captcha_id", "captcha_answer"})


@dataclass(frozen=True)
class Answer:
    """A stored first answer: its status code and JSON body."""

    status: int
    body: dict[str, Any]


def check_key(value: str | None) -> str | None:
    """Return the header's key (None when absent), or raise InvalidField for an unusable one."""
    if value is None:
        return None
    key = value.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all("!" <= c <= "~" for c in key):
        raise InvalidField(f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} visible ASCII characters.",
                           field=HEADER)
    return key


def fingerprint(data: dict[str, Any]) -> str:
    """Return a digest of a submission's fields, less the captcha's."""
    fields = {k: v for k, v in data.items() if k not in _UNCOMPARED}
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


class IdempotencyStore:
    """First answers of comment submissions, by site and Idempotency-Key, in Redis."""

    def __init__(self, redis: Redis, secret: str) -> None:
        self.redis = redis
        self.secret = secret

    def _redis_key(self, site_id: int, key: str) -> str:
        digest = hmac.new(self.secret.encode(), f"idempotency:{site_id}:{key}".encode(), hashlib.sha256)
        return f"idempotency:{digest.hexdigest()[:40]}"

    def begin(self, site_id: int, key: str, digest: str) -> Answer | None:
        """Claim the key for this request (None: go on), or return the first answer, or raise 409 or 422."""
        redis_key = self._redis_key(site_id, key)
        claim = json.dumps({"fingerprint": digest, "state": "claimed"})
        stored = None
        try:
            # Twice: the first request may have failed and released the key between SET and GET.
            for _attempt in range(2):
                if self.redis.set(redis_key, claim, nx=True, ex=CLAIM_TTL):
                    return None
                stored = self.redis.get(redis_key)
                if stored is not None:
                    break
        except RedisError:
            logger.warning("idempotency keys unavailable (Redis); accepting the comment without the guard")
            return None
        if stored is None:
            raise IdempotencyKeyInUse()
        record = json.loads(stored)
        if record["fingerprint"] != digest:
            raise IdempotencyKeyReused()
        if record["state"] != "answered":
            raise IdempotencyKeyInUse()
        return Answer(record["status"], record["body"])

    def finish(self, site_id: int, key: str, digest: str, answer: Answer) -> None:
        """Keep the first answer for ANSWER_TTL seconds."""
        record = {"fingerprint": digest, "state": "answered", "status": answer.status, "body": answer.body}
        try:
            self.redis.set(self._redis_key(site_id, key), json.dumps(record, ensure_ascii=False), ex=ANSWER_TTL)
        except RedisError:
            # The comment is stored; only a retry within CLAIM_TTL is refused, and one later is a new comment.
            logger.warning("could not keep the answer of an idempotent request (Redis)")

    def release(self, site_id: int, key: str) -> None:
        """Free the key of a request that failed, so that it can be retried."""
        try:
            self.redis.delete(self._redis_key(site_id, key))
        except RedisError:
            logger.warning("could not release an idempotency key (Redis); it expires in %s s", CLAIM_TTL)
