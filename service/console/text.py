"""The console's words: the moderator's language, interface text, filter reasons, errors and action messages."""
from __future__ import annotations

import re
from typing import Any

from flask import Response, flash, g, get_flashed_messages, request, session

from service import reason_text
from service.console.access import app_config
from service.console_text import LANGUAGES, pick_language, translate
from service.exceptions import ModeratoError

LANGUAGE_COOKIE = "console_lang"
SESSION_LANGUAGE = "console_language"


def console_language() -> str:
    """Return the console's language: the account's, else the one chosen on the sign-in page or the browser's."""
    principal = g.get("principal")
    if principal is not None and principal.via == "session":
        return principal.language
    return pick_language(chosen_language(), request.headers.get("Accept-Language"), app_config().console_language)


def chosen_language() -> str | None:
    """Return the language the moderator picked, if any."""
    # A language the moderator picked on the sign-in page (?lang=, then the form), or earlier (the cookie).
    for value in (request.args.get("lang"), request.form.get("language") if request.method == "POST" else None,
                  request.cookies.get(LANGUAGE_COOKIE), session.get(SESSION_LANGUAGE)):
        if value in LANGUAGES:
            return value
    return None


def t(key: str) -> str:
    """Return interface text in the console's language."""
    return translate(console_language(), key)


def tf(key: str, **params: Any) -> str:
    """Return interface text in the console's language with its `{name}` fields filled in."""
    return translate(console_language(), key).format(**params)


def reason_sentence(reason: Any) -> str:
    """Return a filter's stored reason as a sentence in the console's language (old English ones as they are)."""
    return reason_text.render(reason, console_language())


def code_name(kind: str, code: Any) -> str:
    """Return the display name of a filter, action, word category, span label or field in the console's language."""
    return reason_text.name(console_language(), kind, str(code))


def audit_target(target: str) -> str:
    """Return an audit event's target ("site:news", "word:傻逼") in the console's language."""
    kind, sep, rest = (target or "").partition(":")
    key = f"target_{kind}"
    if not sep or translate(console_language(), key) == key:
        return target
    return tf(key, name=rest)


def audit_note(entry: dict[str, Any]) -> str:
    """Return an audit entry's note: a moderator's words as written, an event's details in the console's language."""
    details = entry.get("details")
    if entry.get("action") == "note.add":
        return str((details or {}).get("text") or "")  # a moderator's note, as written
    if details is None:
        # The notes the service writes itself (a take-down, a ban's rejections) are codes; a moderator's are text.
        note = entry.get("note") or ""
        banned = re.fullmatch(r"ban #(\d+)", note)
        return t("note_reported") if note == "reported" else tf("target_ban", name=banned[1]) if banned else note
    shown = []
    for key, value in sorted(details.items()):
        if value is True:
            value = t("yes")
        elif key == "mode":
            value = t(f"mode_{value}")
        elif key == "captcha":
            value = t(f"captcha_{value}")
        elif key in ("action", "category"):
            value = code_name(key, value)
        elif key == "role":
            value = t(f"role_{value}")
        shown.append(f"{t('detail_' + key)}={value}")
    return t("detail_sep").join(shown)


def code_text(code: str | None, message: str | None) -> str:
    """Return an error code's text in the console's language, else the API's message."""
    key = f"error_{code}"
    if console_language() != "en" and translate(console_language(), key) != key:
        return t(key)
    return message or code or ""


def error_text(err: ModeratoError) -> str:
    """Say in the console's language what went wrong (the exception's own text is English, for the API)."""
    reason = str(err.details.get("reason") or "")
    for key in (f"error_{reason}", reason) if reason else ():
        if translate(console_language(), key) != key:
            return t(key)
    field_name = err.details.get("field")
    if err.code == "invalid_field" and field_name:
        label = translate(console_language(), f"fieldname_{field_name}")
        if label != f"fieldname_{field_name}":
            return tf("error_invalid_field_named", field=label)
    if console_language() == "en":
        return err.message
    key = f"error_{err.code}"
    if translate(console_language(), key) != key:
        return t(key)
    return t(f"error_{type(err).__mro__[1].code}") if hasattr(type(err).__mro__[1], "code") else t("error")


def notify(key: str, kind: str = "ok", **params: Any) -> None:
    """Leave a short message for the next page the moderator sees (what their action did)."""
    flash({"key": key, "params": {k: str(v) for k, v in params.items()}}, kind)


def flashed_messages() -> list[dict[str, str]]:
    """Return the messages left for this page, in the console's language."""
    shown = []
    for kind, message in get_flashed_messages(with_categories=True):
        if isinstance(message, dict):
            params = dict(message.get("params") or {})
            # A status named in a message is shown in the console's language.
            params = {k: t(v) if k == "status" else v for k, v in params.items()}
            shown.append({"kind": kind, "text": tf(str(message.get("key")), **params)})
    return shown


def language_cookie(response: Response, language: str) -> Response:
    """Remember the console language in a cookie."""
    # Kept for the next sign-in page too, after signing out.
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, path="/console", httponly=True,
                        samesite="Lax", secure=app_config().session_cookie_secure)
    return response
