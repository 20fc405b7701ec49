"""The moderator console: server-rendered pages under /console, signed-in sessions, CSRF on every form.

One module per page group (auth, queue, notes, authors, reports, bans, words, audit, sites, accounts); the
pieces they share sit below them (access: who is asking; text: the console's words; times: local times;
routes: how a page group records its views).
This module builds the blueprint from the page groups and wires it into the app.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, g, redirect, render_template, request, url_for

from service.accounts import csrf_token
from service.config import Config
from service.console import accounts, audit, auth, authors, bans, notes, queue, reports, sites, words
from service.console.sites import THRESHOLD_KEYS
from service.console.text import (
    audit_note, audit_target, code_name, console_language, error_text, flashed_messages, reason_sentence, t, tf,
)
from service.console.times import local_time
from service.console.words import WORD_ACTIONS, WORD_CATEGORIES
from service.console_text import LANGUAGES, SCRIPT_KEYS, translate
from service.exceptions import ModeratoError, Unauthorized

__all__ = ["THRESHOLD_KEYS", "WORD_ACTIONS", "WORD_CATEGORIES", "build_blueprint", "init_app"]

PAGE_GROUPS = (auth, queue, notes, authors, reports, bans, words, audit, sites, accounts)


def build_blueprint() -> Blueprint:
    """Return the console blueprint: every page group's routes, the template helpers, headers and errors."""
    # Templates and static files stay in service/templates/console and service/static.
    console = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
                        static_folder="static", root_path=str(Path(__file__).resolve().parent.parent))
    for group in PAGE_GROUPS:
        group.routes.register(console)
    for helper in (t, tf, reason_sentence, code_name, audit_target, audit_note, local_time):
        console.add_app_template_global(helper)
    console.context_processor(_template_globals)
    console.after_request(_headers)
    console.register_error_handler(ModeratoError, _console_error)
    return console


def init_app(app: Flask) -> None:
    """Register the console with its session settings: HttpOnly, SameSite=Lax, Secure unless configured off."""
    config: Config = app.extensions["moderato.config"]
    # The session key is derived, so the comment-token and IP-hash uses of SECRET_KEY stay separate.
    app.secret_key = hmac.new(config.secret_key.encode(), b"console-session", hashlib.sha256).hexdigest()
    app.config.update(
        SESSION_COOKIE_NAME="moderato_console", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.session_cookie_secure, PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        SESSION_COOKIE_PATH="/",
    )
    app.register_blueprint(build_blueprint())


def _template_globals() -> dict[str, Any]:
    language = console_language()
    return {"csrf_token": csrf_token, "principal": g.get("principal"), "language": language,
            "languages": LANGUAGES, "messages": flashed_messages,
            "script_text": {key: translate(language, key) for key in SCRIPT_KEYS}}


def _headers(response: Response) -> Response:
    # No inline script or style anywhere in the console, so the policy can be strict.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


def _console_error(err: ModeratoError):  # type: ignore[no-untyped-def]
    if isinstance(err, Unauthorized) and request.method == "GET":
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return err.to_dict(), err.status
    return render_template("console/error.html", error=err, error_text=error_text(err)), err.status
