"""Rate limits in Redis: how many comments and captchas a client, a network, an author, a thread and a site get.

Each limit is a sliding window kept as a sorted set of timestamps in Redis, one key per limit and subject
(a hashed IP, a hashed /24 or /48 network, a hashed author, a thread, a site, an API key, or everyone for
audio captchas). One Lua script checks every limit of a request and counts the request in all of them, or
in none when any is full: a client stopped at its own limit does not use up its thread's or its site's.
Redis's clock is the only clock, so web processes on several hosts agree on the windows.

The limits of a site come from `DEFAULT_LIMITS`, overridden by the site's settings (`rate_<name>`: the
count allowed in the limit's window, 0 for no limit); audio captchas have no site and are limited by the
deployment's configuration. Addresses are hashed before they name a key, and never logged.
"""
from __future__ import annotations

import ipaddress
import logging
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from service.config import Config
from service.exceptions import InvalidField, RateLimited
from service.keys import hash_ip, hash_token

logger = logging.getLogger(__name__)

MINUTE, HOUR = 60, 3600
MAX_SETTING = 1_000_000
SETTING_PREFIX = "rate_"


@dataclass(frozen=True)
class LimitSpec:
    """A kind of limit: what it counts per, its window in seconds, its default count, and what it means."""

    name: str
    window: int
    default: int
    meaning: str


# Defaults for a news site, where a person writes a few comments a minute at most; a site tunes the counts.
# Many readers may share one address or network (offices, schools, mobile carriers' NAT), so those
# limits leave room for several people; an author's and a thread's limits catch a flood behind many addresses.
LIMIT_SPECS: tuple[LimitSpec, ...] = (
    LimitSpec("posts_per_ip_minute", MINUTE, 5, "comments per minute from one address"),
    LimitSpec("posts_per_ip_hour", HOUR, 40, "comments per hour from one address"),
    LimitSpec("posts_per_network_minute", MINUTE, 30, "comments per minute from one /24 (IPv4) or /48 (IPv6)"),
    LimitSpec("posts_per_author_minute", MINUTE, 5, "comments per minute by one author (signed-in id or nickname)"),
    LimitSpec("posts_per_thread_minute", MINUTE, 120, "comments per minute on one thread"),
    LimitSpec("posts_per_site_minute", MINUTE, 1200, "comments per minute on the whole site"),
    LimitSpec("posts_per_key_minute", MINUTE, 3000, "comments per minute through one API key"),
    LimitSpec("captchas_per_ip_minute", MINUTE, 20, "captchas per minute for one address"),
    LimitSpec("captchas_per_network_minute", MINUTE, 60, "captchas per minute for one /24 or /48"),
)
SPECS = {spec.name: spec for spec in LIMIT_SPECS}
DEFAULT_LIMITS = {spec.name: spec.default for spec in LIMIT_SPECS}
SITE_SETTINGS = tuple(SETTING_PREFIX + spec.name for spec in LIMIT_SPECS)

# KEYS: one sorted set per limit. ARGV: a unique member, then (count, window in ms) per key.
# Returns 0 when the request was counted, else the milliseconds until every full limit has room again.
_CHECK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
for i, key in ipairs(KEYS) do
  local limit, window = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local n = redis.call('ZCARD', key)
  if n >= limit then
    -- The window has room again when the entry `limit` places from the newest leaves it.
    local edge = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
    local until_free = tonumber(edge[2]) + window - now
    if until_free > wait then wait = until_free end
  end
end
if wait > 0 then return wait end
local member = now .. ':' .. ARGV[1]
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 1]))
end
return 0
"""


@dataclass(frozen=True)
class Limit:
    """One limit on one subject: its Redis key, the count allowed and the window in seconds."""

    key: str
    count: int
    window: int


# A dotted-quad IPv4 address as `ipaddress` reads one (ASCII digits, 0-255, no leading zeros).
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")


def network_of(address: str | None) -> str | None:
    """Return the /24 (IPv4) or /48 (IPv6) network of an address, or None if it is not an address."""
    if not address:
        return None
    text = address.strip()
    if _IPV4.fullmatch(text):
        # The usual case, without `ipaddress`: it cost 12 µs of a POST's CPU (two objects and a string).
        return text.rsplit(".", 1)[0] + ".0/24"
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def site_limits(settings: Mapping[str, Any] | None) -> dict[str, int]:
    """Return a site's limits: the defaults, overridden by its `rate_<name>` settings."""
    limits = dict(DEFAULT_LIMITS)
    for name in limits:
        value = (settings or {}).get(SETTING_PREFIX + name)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SETTING:
            limits[name] = value
    return limits


def parse_site_settings(form: Mapping[str, str | None]) -> dict[str, int | None]:
    """Validate the console's rate-limit fields: a whole number from 0 (no limit) up, or empty for the default."""
    values: dict[str, int | None] = {}
    for key in SITE_SETTINGS:
        raw = (form.get(key) or "").strip()
        if raw == "":
            values[key] = None
            continue
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_SETTING:
            raise InvalidField(f"'{key}' must be a whole number from 0 (no limit) to {MAX_SETTING}.", field=key)
        values[key] = int(raw)
    return values


class RateLimiter:
    """Checks and counts requests against their limits in Redis.

    Failure policy, written here once: the limiter FAILS OPEN. When Redis cannot be asked, the request goes
    through uncounted. A comment is committed to the database before anything else needs Redis, and a
    reader's comment must not be lost because a cache blipped; the limits only slow abuse down, and the
    filters (and the captcha, which fails closed on its own) still stand. After a failure the limiter skips
    Redis for `pause` seconds, so a Redis that hangs rather than refuses does not add its timeout to
    every request.
    """

    def __init__(self, redis: Redis, secret: str, enabled: bool = True, pause: float = 5.0) -> None:
        self.redis = redis
        self.secret = secret
        self.enabled = enabled
        self.pause = pause
        self._script = redis.register_script(_CHECK)
        self._skip_until = 0.0
        self._lock = threading.Lock()

    # -- subjects: every part of a key that could name a person is a keyed hash ---------------------------

    def _ip(self, address: str | None) -> str | None:
        return hash_ip(self.secret, address)

    def _network(self, address: str | None) -> str | None:
        network = network_of(address)
        return hash_ip(self.secret, "net:" + network) if network else None

    def _hash(self, kind: str, value: str) -> str:
        return hash_ip(self.secret, f"{kind}:{value}") or ""

    # -- what each request counts against -----------------------------------------------------------------

    def post_limits(self, site_id: int, settings: Mapping[str, Any] | None, address: str | None,
                    author_key: str | None, thread_key: str, api_key: str | None = None) -> list[Limit]:
        """Return the limits a new comment counts against.

        A comment through an API key counts against its key, not against the connection's address (the
        back end's own); the reader's address, when the back end passes it, counts as a reader's would.
        """
        counts = site_limits(settings)
        author = self._hash("author", f"{site_id}:{author_key.casefold()}") if author_key else None
        ip = self._ip(address)
        subjects: list[tuple[str, str | None]] = [
            ("posts_per_ip_minute", ip),
            ("posts_per_ip_hour", ip),
            ("posts_per_network_minute", self._network(address)),
            ("posts_per_author_minute", author),
            ("posts_per_thread_minute", self._hash("thread", f"{site_id}:{thread_key}")),
            ("posts_per_site_minute", str(site_id)),
        ]
        if api_key is not None:
            subjects.append(("posts_per_key_minute", hash_token(api_key)[:32]))
        return self._limits(counts, subjects)

    def captcha_limits(self, settings: Mapping[str, Any] | None, address: str | None) -> list[Limit]:
        """Return the limits a new captcha counts against: its reader's address and network."""
        counts = site_limits(settings)
        return self._limits(counts, [("captchas_per_ip_minute", self._ip(address)),
                                     ("captchas_per_network_minute", self._network(address))])

    def audio_client_limits(self, config: Config, address: str | None) -> list[Limit]:
        """Return the per-address limit of audio captchas, counted on every request for one."""
        subject = self._ip(address)
        if not (config.audio_captchas_per_client and subject):
            return []
        return [Limit(f"rate:audio_per_ip_minute:{subject}", config.audio_captchas_per_client, MINUTE)]

    @staticmethod
    def audio_global_limits(config: Config) -> list[Limit]:
        """Return the cap on audio captchas made for everyone together; only a new WAV (not a cached one) counts."""
        if not config.audio_captchas_per_second:
            return []
        return [Limit("rate:audio_per_second:all", config.audio_captchas_per_second, 1)]

    @staticmethod
    def _limits(counts: dict[str, int], subjects: list[tuple[str, str | None]]) -> list[Limit]:
        return [Limit(f"rate:{name}:{subject}", counts[name], SPECS[name].window)
                for name, subject in subjects if subject and counts[name] > 0]

    # -- the check ----------------------------------------------------------------------------------------

    def hit(self, limits: list[Limit], message: str = "Too many requests; try again later.") -> None:
        """Count one request against every limit, or raise RateLimited (counting nothing) if any is full."""
        if not self.enabled or not limits or time.monotonic() < self._skip_until:
            return
        args: list[Any] = [secrets.token_hex(6)]
        for limit in limits:
            args += [limit.count, limit.window * 1000]
        try:
            wait_ms = int(self._script(keys=[limit.key for limit in limits], args=args))
        except RedisError as err:
            # Fail open (see the class's docstring); say so without naming the client.
            with self._lock:
                self._skip_until = time.monotonic() + self.pause
            logger.warning("rate limits unavailable (%s); letting requests through for %.0f s",
                           type(err).__name__, self.pause)
            return
        if wait_ms > 0:
            raise RateLimited(message, retry_after=max(1, -(-wait_ms // 1000)))
