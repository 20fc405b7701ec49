"""Notification jobs: tell moderators when a site's held queue passes its threshold or a comment is reported.

Two notifiers behind one small interface, chosen by configuration: a signed webhook (HMAC-SHA256 of the
timestamp and the body, in `X-Moderato-Signature`) and email through SMTP. Each channel is its own job,
retried by RQ, so a failing mail server does not resend the webhook.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any, Protocol

from redis.exceptions import RedisError
from sqlalchemy import func, select

from service.config import Config
from service.models import Comment, CommentStatus, Site, Thread, User
from service.notifications import DELIVER_JOB, channels, enqueue
from workers.context import WorkerContext, worker_context

logger = logging.getLogger(__name__)

# One held-queue alert per site per this many seconds, however many comments are held meanwhile.
HELD_ALERT_EVERY = 3600


class NotificationFailed(Exception):
    """A channel could not deliver; RQ retries the job."""


class Notifier(Protocol):
    """Sends one event to moderators."""

    def send(self, event: dict[str, Any], recipients: list[str]) -> None:
        """Deliver the event or raise NotificationFailed."""
        ...


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the webhook signature header value: sha256=HMAC(secret, timestamp + "." + body)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookNotifier:
    """POSTs the event as JSON, signed, to the configured URL."""

    def __init__(self, url: str, secret: str, timeout: float = 10.0) -> None:
        self.url = url
        self.secret = secret
        self.timeout = timeout

    def send(self, event: dict[str, Any], recipients: list[str]) -> None:
        """POST the event; anything but a 2xx answer fails (and is retried)."""
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "moderato-notifier",
            "X-Moderato-Event": event["type"], "X-Moderato-Timestamp": timestamp,
            "X-Moderato-Signature": sign(self.secret, timestamp, body),
        })
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - operator's URL
                status = response.status
        except (urllib.error.URLError, OSError) as err:
            raise NotificationFailed(f"webhook: {err}") from err
        if not 200 <= status < 300:
            raise NotificationFailed(f"webhook answered {status}")


class EmailNotifier:
    """Sends the event as a short plain-text email through SMTP."""

    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout

    def send(self, event: dict[str, Any], recipients: list[str]) -> None:
        """Mail the event to the recipients (nothing to do without any)."""
        if not recipients:
            return
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = f"[Moderato] {event['summary']}"
        message.set_content(json.dumps(event, ensure_ascii=False, indent=2))
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as err:
            raise NotificationFailed(f"email: {err}") from err


def notifier_for(config: Config, channel: str) -> Notifier:
    """Return the notifier of a channel, as configured."""
    if channel == "webhook":
        return WebhookNotifier(config.notify_webhook_url, config.notify_webhook_secret or config.secret_key)
    if channel == "email":
        return EmailNotifier(config.smtp_host, config.smtp_port, config.smtp_from)
    raise ValueError(f"unknown channel {channel}")


def _recipients(ctx: WorkerContext, site_id: int) -> list[str]:
    with ctx.db.read() as session:
        users = session.scalars(select(User).where(User.email.is_not(None), User.disabled_at.is_(None)))
        emails = [u.email for u in users if u.email and (not u.site_ids or site_id in u.site_ids)]
    return sorted(set(emails) | set(ctx.config.notify_emails))


def deliver(channel: str, event: dict[str, Any], context: WorkerContext | None = None) -> str:
    """Send one event through one channel; raising makes RQ retry."""
    ctx = context or worker_context()
    recipients = _recipients(ctx, int(event["site_id"])) if channel == "email" else []
    notifier_for(ctx.config, channel).send(event, recipients)
    return "sent"


def _fan_out(ctx: WorkerContext, event: dict[str, Any]) -> int:
    sent = 0
    for channel in channels(ctx.config):
        sent += enqueue(ctx.redis, ctx.config, DELIVER_JOB, channel, event)
    return sent


def _site_of(ctx: WorkerContext, comment_id: int) -> tuple[int, str, str, Comment] | None:
    with ctx.db.read() as session:
        row = session.execute(
            select(Comment, Thread.key, Site.id, Site.name).join(Thread, Thread.id == Comment.thread_id)
            .join(Site, Site.id == Thread.site_id).where(Comment.id == comment_id)
        ).first()
    if row is None:
        return None
    comment, thread_key, site_id, site_name = row
    return site_id, site_name, thread_key, comment


def check_held_queue(comment_id: int, context: WorkerContext | None = None) -> str:
    """Alert moderators when the comment's site has at least HELD_QUEUE_ALERT held comments (once an hour)."""
    ctx = context or worker_context()
    found = _site_of(ctx, comment_id)
    if found is None:
        return "missing"
    site_id, site_name, _thread_key, _comment = found
    with ctx.db.read() as session:
        held = session.scalar(
            select(func.count(Comment.id)).join(Thread, Thread.id == Comment.thread_id)
            .where(Thread.site_id == site_id, Comment.status == CommentStatus.HELD.value)
        ) or 0
    if held < ctx.config.held_queue_alert:
        return "below-threshold"
    try:
        first = ctx.redis.set(f"notified:held:{site_id}", "1", nx=True, ex=HELD_ALERT_EVERY)
    except RedisError:
        first = True  # fail open: a duplicate alert is better than none
    if not first:
        return "already-notified"
    event = {"type": "held_queue", "site_id": site_id, "site": site_name, "held": held,
             "threshold": ctx.config.held_queue_alert,
             "summary": f"{held} comments held on {site_name}"}
    _fan_out(ctx, event)
    return "notified"


def notify_report(comment_id: int, report_id: int | None = None, context: WorkerContext | None = None) -> str:
    """Tell moderators that a reader reported a comment."""
    ctx = context or worker_context()
    found = _site_of(ctx, comment_id)
    if found is None:
        return "missing"
    site_id, site_name, thread_key, comment = found
    from service.models import Report

    with ctx.db.read() as session:
        count = session.scalar(select(func.count(Report.id)).where(Report.comment_id == comment_id)) or 0
        report = session.get(Report, report_id) if report_id is not None else None
        reason = report.reason if report is not None else None
    event = {"type": "comment_reported", "site_id": site_id, "site": site_name, "comment_id": comment_id,
             "thread": thread_key, "author": comment.author, "text": comment.text[:500], "reports": count,
             "reason": reason, "summary": f"comment #{comment_id} reported on {site_name}"}
    _fan_out(ctx, event)
    return "notified"
