"""What reader accounts and reply notices change when a comment is posted (called by service/api.py)."""
from __future__ import annotations

from typing import Any

from service.bans import READER_KEY_PREFIX
from service.db import get_db
from service.exceptions import AccountRequired, EmailUnverified, InvalidField
from service.identity import Reader
from service.models import ReaderAccount, ReaderAccountMode, Site
from service.readers.accounts import account_mode, language, session_account

_YES = (True, 1, "1", "true", "on", "yes")


def account_for_comment(site: Site, data: dict[str, Any], reader: Reader | None,
                        api_key: bool, session_token: str | None) -> ReaderAccount | None:
    """Return the signed-in account posting (None for a guest, a host-signed reader or a back end), or refuse.

    `session_token` is the request's SESSION_HEADER. A site of accounts only refuses guests (host-signed
    readers and back ends with an API key still post); an account posts once its email is verified; a
    guest may not take a nickname that names an account.
    """
    if reader is not None or api_key:
        return None
    mode = account_mode(site)
    account = None
    if mode is not ReaderAccountMode.GUESTS:
        account = session_account(get_db(), site, session_token)
    if account is not None:
        if account.email_verified_at is None:
            raise EmailUnverified()
        return account
    if mode is ReaderAccountMode.ACCOUNTS:
        raise AccountRequired()
    author = data.get("author")
    if isinstance(author, str) and author.strip().casefold().startswith(READER_KEY_PREFIX):
        raise InvalidField("This nickname is reserved.", field="author")
    return None


def reply_notice_language(data: dict[str, Any], email: str | None) -> str | None:
    """Return the language of the reply notices the comment asks for (`notify_replies`), or None."""
    if data.get("notify_replies") not in _YES:
        return None
    if not email:
        raise InvalidField("Reply notices need an email address.", field="email")
    return language(data.get("lang"))
