"""Notifications to moderators, web side: subscribe to the comment signals and enqueue the sending jobs.

The jobs (workers/notifications.py) do the slow part, a signed webhook and email, with retries; here
only ids go on the queue, by dotted path, so a slow mail server never slows a request or a decision.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry

from service.config import Config
from service.signals import comment_decided, comment_reported

logger = logging.getLogger(__name__)

CHECK_HELD_JOB = "workers.notifications.check_held_queue"
REPORTED_JOB = "workers.notifications.notify_report"
DELIVER_JOB = "workers.notifications.deliver"
# A webhook endpoint or mail server that is down for a while gets the message when it is back.
RETRY = Retry(max=5, interval=[10, 30, 120, 600, 1800])

_state: dict[str, Any] = {}


def channels(config: Config) -> list[str]:
    """Return the configured notification channels: webhook and/or email."""
    found = []
    if config.notify_webhook_url:
        found.append("webhook")
    if config.smtp_host:
        found.append("email")
    return found


def subscribe(config: Config, redis: Callable[[], Redis]) -> None:
    """Listen to the comment signals in this process (web or worker) with this configuration."""
    _state["config"] = config
    _state["redis"] = redis
    # Connected once per process; a second app or worker context only replaces the state above.
    comment_decided.connect(_on_decided, weak=False)
    comment_reported.connect(_on_reported, weak=False)


def unsubscribe() -> None:
    """Stop listening (tests)."""
    comment_decided.disconnect(_on_decided)
    comment_reported.disconnect(_on_reported)
    _state.clear()


def enqueue(redis: Redis, config: Config, job: str, *args: Any) -> bool:
    """Enqueue a notification job; fails open, since a lost alert must not fail a comment or a decision."""
    try:
        Queue(config.queue_name, connection=redis).enqueue(
            job, *args, retry=RETRY, result_ttl=3600, failure_ttl=7 * 24 * 3600, job_timeout=60)
        return True
    except RedisError:
        logger.warning("could not enqueue the notification job %s", job)
        return False


def _on_decided(_sender: Any, comment_id: int, status: str, **_extra: Any) -> None:
    config: Config | None = _state.get("config")
    if config is None or status != "held" or config.held_queue_alert <= 0 or not channels(config):
        return
    enqueue(_state["redis"](), config, CHECK_HELD_JOB, comment_id)


def _on_reported(_sender: Any, comment_id: int, report_id: int | None = None, **_extra: Any) -> None:
    config: Config | None = _state.get("config")
    if config is None or not channels(config):
        return
    enqueue(_state["redis"](), config, REPORTED_JOB, comment_id, report_id)
