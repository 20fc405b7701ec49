"""Reply notices, web and worker side alike: who asked for them, the signed unsubscribe link, and the
listener on `comment_decided` that enqueues the mail job once a reply is approved (never before).

A reader asks for notices per comment (`notify_replies`), with an email (a guest) or an account; the
comment keeps the language the mails are written in (`reply_notice_lang`; None means no notices). The job
(workers/reader_mail.py) mails at most one notice per reader per NOTICE_INTERVAL, one per reply.

Unsubscribing turns off every notice of that reader on the site: by account, else by email address. The
link names the comment the notice was about, signed (service/readers/accounts.py's link format), so
that it needs no sign-in and cannot be guessed; it has no expiry, as mails are read late.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any

from flask import has_request_context, request
from redis import Redis
from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from service.config import Config
from service.db import Database
from service.exceptions import LinkInvalid
from service.models import Comment, CommentStatus, Thread
from service.notifications import enqueue
from service.readers.accounts import read_link, sign_link
from service.signals import comment_decided

logger = logging.getLogger(__name__)

REPLY_JOB = "workers.reader_mail.send_reply_notice"
VERIFY_JOB = "workers.reader_mail.send_verification"
RESET_JOB = "workers.reader_mail.send_password_reset"
NOTICE_INTERVAL = 3600  # at most one reply notice per reader per hour

_state: dict[str, Any] = {}


def recipient_key(secret: str, site_id: int, reader_id: int | None, email: str | None) -> str:
    """Return a keyed hash naming a notice's recipient (an account, else an email address) on a site."""
    who = f"reader:{reader_id}" if reader_id is not None else f"email:{(email or '').strip().lower()}"
    return hmac.new(secret.encode(), f"notice:{site_id}:{who}".encode(), hashlib.sha256).hexdigest()[:32]


def unsubscribe_token(secret: str, comment_id: int, lang: str) -> str:
    """Return the signed token of the unsubscribe link in a notice about replies to a comment."""
    return sign_link(secret, {"k": "unsub", "c": comment_id, "l": lang})


def unsubscribe(db: Database, secret: str, token: Any) -> tuple[int, str]:
    """Turn off the reply notices of the reader the link names, on that site; return how many and the language."""
    claims = read_link(secret, token, "unsub")
    with db.write() as session:
        row = session.execute(select(Comment.reader_id, Comment.email, Thread.site_id)
                              .join(Thread, Thread.id == Comment.thread_id)
                              .where(Comment.id == claims.get("c"))).first()
        if row is None:
            raise LinkInvalid()
        if row.reader_id is not None:
            who = Comment.reader_id == row.reader_id
        elif row.email:
            who = func.lower(Comment.email) == row.email.lower()
        else:
            return 0, str(claims.get("l") or "zh-CN")  # erased since: nothing left to mail
        on_site = select(Thread.id).where(Thread.site_id == row.site_id).scalar_subquery()
        result = session.execute(update(Comment).where(who, Comment.thread_id.in_(on_site),
                                                       Comment.reply_notice_lang.is_not(None))
                                 .values(reply_notice_lang=None).execution_options(synchronize_session=False))
    return result.rowcount, str(claims.get("l") or "zh-CN")


def subscribe(config: Config, redis: Callable[[], Redis], db: Callable[[], Database], base_url: str = "") -> None:
    """Listen to decisions in this process (web or worker): an approved reply may be worth a notice."""
    _state.update(config=config, redis=redis, db=db, base_url=base_url)
    comment_decided.connect(_on_decided, weak=False)


def unsubscribe_listener() -> None:
    """Stop listening (tests)."""
    comment_decided.disconnect(_on_decided)
    _state.clear()


_PARENT = aliased(Comment)


def _on_decided(_sender: Any, comment_id: int, status: str, **_extra: Any) -> None:
    config: Config | None = _state.get("config")
    if config is None or status != CommentStatus.APPROVED.value or not config.smtp_host:
        return
    # One indexed lookup here rather than a job per approved comment: most comments answer nobody who asked.
    try:
        with _state["db"]().read() as session:
            wanted = session.scalar(select(_PARENT.reply_notice_lang).join(Comment, Comment.parent_id == _PARENT.id)
                                    .where(Comment.id == comment_id))
    except Exception:  # noqa: BLE001 - a lost notice must not fail a decision
        logger.warning("could not look up the parent of comment %s for a reply notice", comment_id)
        return
    if wanted:
        # A moderator's approval comes in a request, whose address the links can use; the filters' do not.
        base = request.url_root if has_request_context() else _state.get("base_url") or ""
        enqueue(_state["redis"](), config, REPLY_JOB, comment_id, base)
