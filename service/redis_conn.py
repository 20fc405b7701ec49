"""The Redis connection of the current app."""
from __future__ import annotations

from flask import Flask, current_app
from redis import Redis


class RedisConnection:
    """Holds one Redis client per app; created unbound and wired with `init_app`."""

    def __init__(self) -> None:
        self.client: Redis | None = None

    def init_app(self, app: Flask) -> None:
        """Connect lazily to the configured Redis (the client opens sockets on first use)."""
        config = app.extensions["moderato.config"]
        if not config.redis_url:
            raise RuntimeError("REDIS_URL is empty: start the service with `python -m service run`, "
                               "which starts an embedded Redis, or set REDIS_URL")
        self.client = connect(config.redis_url)
        app.extensions["moderato.redis"] = self.client


def connect(url: str) -> Redis:
    """Return a Redis client with timeouts, so a dead server fails a request instead of hanging it."""
    return Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30)


def get_redis() -> Redis:
    """Return the Redis client of the current app."""
    return current_app.extensions["moderato.redis"]
