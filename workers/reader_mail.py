"""Mails to readers, sent by RQ jobs: email verification, password reset, and reply notices.

Jobs take ids (and the service's address for the links, when the web process knows it better than
PUBLIC_URL) and build the signed links themselves (service/readers/accounts.py), so no secret token sits
in a queued job. Each is safe to run twice: verification and reset mails carry links that stay valid
(a second mail repeats the first), and a reply notice is sent once per reply (a Redis marker set before
sending and removed if sending fails, so that RQ's retry sends it).
"""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import quote

from redis.exceptions import RedisError
from sqlalchemy import select

from service.config import Config
from service.models import Comment, CommentStatus, ReaderAccount, Site, Thread
from service.readers.accounts import reset_token, verification_token
from service.readers.mail_text import shorten, text
from service.readers.notices import NOTICE_INTERVAL, recipient_key, unsubscribe_token
from workers.context import WorkerContext, worker_context

logger = logging.getLogger(__name__)

SENT_MARKER_TTL = 7 * 86400


class MailFailed(Exception):
    """The mail server refused or could not be reached; RQ retries the job."""


class Mailer(Protocol):
    """Sends one plain-text mail."""

    def send(self, to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
        """Deliver the mail or raise MailFailed."""
        ...


class SmtpMailer:
    """Sends through the SMTP server the moderators' notifications use (SMTP_HOST, SMTP_PORT, SMTP_FROM)."""

    def __init__(self, config: Config, timeout: float = 10.0) -> None:
        self.host, self.port, self.sender, self.timeout = config.smtp_host, config.smtp_port, config.smtp_from, timeout

    def send(self, to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
        """Mail `body` to one reader."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as err:
            raise MailFailed(str(err)) from err


def base_url(config: Config, given: str) -> str:
    """Return the service's address for links: PUBLIC_URL, else what the web process saw, else localhost."""
    return (config.public_url or given or f"http://localhost:{config.port}").rstrip("/")


def _account(ctx: WorkerContext, reader_id: int) -> ReaderAccount | None:
    with ctx.db.read() as session:
        account = session.get(ReaderAccount, reader_id)
        if account is not None:
            session.expunge(account)
        return account


def send_verification(reader_id: int, base: str = "", context: WorkerContext | None = None,
                      mailer: Mailer | None = None) -> str:
    """Mail an account its email-verification link."""
    ctx = context or worker_context()
    account = _account(ctx, reader_id)
    if account is None:
        return "missing"
    if account.email_verified_at is not None:
        return "already-verified"
    return _mail_link(ctx, account, base, "verify", verification_token(ctx.config.secret_key, account), mailer)


def send_password_reset(reader_id: int, base: str = "", context: WorkerContext | None = None,
                        mailer: Mailer | None = None) -> str:
    """Mail an account a link to choose a new password."""
    ctx = context or worker_context()
    account = _account(ctx, reader_id)
    if account is None:
        return "missing"
    return _mail_link(ctx, account, base, "reset", reset_token(ctx.config.secret_key, account), mailer)


def _mail_link(ctx: WorkerContext, account: ReaderAccount, base: str, page: str, token: str, mailer: Mailer | None) -> str:
    """Mail an account the link to one of the readers' pages (`verify` or `reset`), in its language."""
    lang = account.language
    link = f"{base_url(ctx.config, base)}/readers/{page}?t={quote(token)}&lang={lang}"
    (mailer or SmtpMailer(ctx.config)).send(account.email, text(lang, f"{page}_subject"),
                                            text(lang, f"{page}_body", name=account.nickname, link=link))
    return "sent"


def send_reply_notice(reply_id: int, base: str = "", context: WorkerContext | None = None,
                      mailer: Mailer | None = None) -> str:
    """Tell the author of the comment answered that an approved reply arrived (at most hourly per reader)."""
    ctx = context or worker_context()
    with ctx.db.read() as session:
        row = session.execute(select(Comment, Thread, Site).join(Thread, Thread.id == Comment.thread_id)
                              .join(Site, Site.id == Thread.site_id).where(Comment.id == reply_id)).first()
        if row is None:
            return "missing"
        reply, thread, site = row
        # Checked here, not only when enqueued: a moderator may have taken the reply back meanwhile.
        if reply.status != CommentStatus.APPROVED.value or reply.parent_id is None or not reply.text:
            return "not-approved"
        parent = session.get(Comment, reply.parent_id)
        if parent is None or not parent.reply_notice_lang or not parent.text:
            return "not-subscribed"
        account = session.get(ReaderAccount, parent.reader_id) if parent.reader_id is not None else None
        to = account.email if account is not None else parent.email
        if not to or (account is not None and account.email_verified_at is None):
            return "no-address"
        if (parent.reader_id is not None and reply.reader_id == parent.reader_id) or (
                parent.reader_id is None and reply.email and reply.email.lower() == to.lower()):
            return "own-reply"
        name = account.nickname if account is not None else parent.author
        lang, parent_id, parent_text, reply_author, reply_text = (
            parent.reply_notice_lang, parent.id, parent.text, reply.author, reply.text)
        site_id, origins, title, key = site.id, list(site.origins or []), thread.title or thread.key, thread.key
        recipient = recipient_key(ctx.config.secret_key, site_id, parent.reader_id, to)
    sent_key, hourly_key = f"reply-notice:sent:{reply_id}", f"reply-notice:last:{recipient}"
    try:
        if not ctx.redis.set(sent_key, "1", nx=True, ex=SENT_MARKER_TTL):
            return "already-sent"
        if not ctx.redis.set(hourly_key, str(reply_id), nx=True, ex=NOTICE_INTERVAL):
            return "throttled"  # the reader had a notice within the hour; this reply is on the page
    except RedisError:
        return "redis-unavailable"  # fail closed: without the markers a retry could mail twice
    service = base_url(ctx.config, base)
    article = f"{str(origins[0]).rstrip('/')}{key}#comment-{reply_id}" if origins else ""
    unsubscribe_link = f"{service}/readers/unsubscribe?t={quote(unsubscribe_token(ctx.config.secret_key, parent_id, lang))}"
    body = text(lang, "reply_body", name=name, who=reply_author, title=title, parent=shorten(parent_text),
                reply=shorten(reply_text), link=text(lang, "reply_link", link=article) if article else "",
                unsubscribe=unsubscribe_link)
    headers = {"List-Unsubscribe": f"<{unsubscribe_link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    try:
        (mailer or SmtpMailer(ctx.config)).send(to, text(lang, "reply_subject", who=reply_author), body, headers)
    except MailFailed:
        try:
            ctx.redis.delete(sent_key, hourly_key)  # let RQ's retry send it
        except RedisError:
            pass
        raise
    return "sent"
