"""The moderator console: server-rendered pages under /console, signed-in sessions, CSRF on every form."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint, Flask, Response, current_app, flash, g, get_flashed_messages, jsonify, redirect, render_template,
    request, session, url_for,
)
from markupsafe import Markup
from sqlalchemy import select

from service.accounts import (
    SESSION_STAMP, SESSION_USER, LoginThrottle, Principal, authenticate, check_csrf,
    create_token, create_user, csrf_token, require_admin,
    require_moderator, require_site, require_unrestricted_admin, revoke_token, session_stamp, set_password,
    verify_password,
)
from service.bans import BanRequest, author_key_of, create_ban, lift_ban, list_bans
from service.comments import ThreadCache
from service.config import Config
from service import reason_text
from service.console_text import LANGUAGES, SCRIPT_KEYS, pick_language, translate
from service.db import get_db
from service.decisions import decide, decide_many, expected_status
from service.exceptions import (
    Forbidden, InvalidField, LoginLocked, ModeratoError, NotFound, StaleDecision, Unauthorized,
)
from service.keys import hash_ip, hash_token, new_api_key
from service.payload import MAX_ID, optional_int, parse_int
from service.models import (
    ApiKey, Comment, CommentStatus, Site, Thread, User, UserRole, UserToken, WordEntry, utcnow,
)
from service.rate_limits import LIMIT_SPECS
from service.rate_limits import parse_site_settings as parse_rate_settings
from service.redis_conn import get_redis
from service.review import (
    AuditFilter, QueueFilter, audit_entries, dismiss_reports, queue_items, record_event, report_groups,
)
from service.site_settings import (
    THRESHOLD_KEYS, THRESHOLD_SETTINGS, TIMEZONE_KEY, default_timezone, site_timezone, valid_timezone, zone_label,
)

console = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
                    static_folder="static")

LANGUAGE_COOKIE = "console_lang"
SESSION_LANGUAGE = "console_language"
_DECISIONS = {"approve": CommentStatus.APPROVED, "reject": CommentStatus.REJECTED, "delete": CommentStatus.DELETED}
_QUEUE_STATUSES = ("held", "pending", "review", "approved", "rejected")
_NAMED_REFUSALS = 5  # comments of a bulk decision refused, named one message each; more are summed up
# The word-list filter's categories and actions (workers/filters/wordlist.py; a test keeps them equal).
# "allow" marks an innocent longer word that silences the listed words inside it.
WORD_CATEGORIES = ("custom", "abuse", "sexual", "gambling", "sex_trade", "ads_fraud", "illegal_goods")
WORD_ACTIONS = ("flag", "hold", "reject", "allow")
CAPTCHA_POLICIES = ("always", "guests", "never")
# A ban for longer than a century is meant for good; the cap keeps the end date within what datetime holds.
_MAX_BAN_HOURS = 100 * 366 * 24
# workers/policy.py reads THRESHOLD_KEYS (service/site_settings.py): `abuse_*` sets both languages,
# `abuse_zh_*` / `abuse_en_*` one of them; `*_plain_hold_at` holds an ordinary comment (naming no group,
# flagged by no word list).
# Each pair of (hold, reject) names a site's thresholds may combine into: a language's own setting wins
# over the score's, so `abuse_hold_at` with `abuse_en_reject_at` is a pair too.
_THRESHOLD_PAIRS = (
    ("abuse", ("abuse_zh_hold_at", "abuse_hold_at"), ("abuse_zh_reject_at", "abuse_reject_at")),
    ("abuse", ("abuse_en_hold_at", "abuse_hold_at"), ("abuse_en_reject_at", "abuse_reject_at")),
    ("abuse", ("abuse_zh_plain_hold_at", "abuse_plain_hold_at"), ("abuse_zh_reject_at", "abuse_reject_at")),
    ("spam", ("spam_hold_at",), ("spam_reject_at",)),
)


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
    app.register_blueprint(console)


def _config() -> Config:
    return current_app.extensions["moderato.config"]


def _language() -> str:
    principal = g.get("principal")
    if principal is not None and principal.via == "session":
        return principal.language
    return pick_language(_chosen_language(), request.headers.get("Accept-Language"), _config().console_language)


def _chosen_language() -> str | None:
    # A language the moderator picked on the sign-in page (?lang=, then the form), or earlier (the cookie).
    for value in (request.args.get("lang"), request.form.get("language") if request.method == "POST" else None,
                  request.cookies.get(LANGUAGE_COOKIE), session.get(SESSION_LANGUAGE)):
        if value in LANGUAGES:
            return value
    return None


@console.app_template_global()
def t(key: str) -> str:
    """Return interface text in the console's language."""
    return translate(_language(), key)


@console.app_template_global()
def tf(key: str, **params: Any) -> str:
    """Return interface text in the console's language with its `{name}` fields filled in."""
    return translate(_language(), key).format(**params)


@console.app_template_global()
def reason_sentence(reason: Any) -> str:
    """Return a filter's stored reason as a sentence in the console's language (old English ones as they are)."""
    return reason_text.render(reason, _language())


@console.app_template_global()
def code_name(kind: str, code: Any) -> str:
    """Return the display name of a filter, action, word category, span label or field in the console's language."""
    return reason_text.name(_language(), kind, str(code))


@console.app_template_global()
def audit_target(target: str) -> str:
    """Return an audit event's target ("site:news", "word:傻逼") in the console's language."""
    kind, sep, rest = (target or "").partition(":")
    key = f"target_{kind}"
    if not sep or translate(_language(), key) == key:
        return target
    return tf(key, name=rest)


@console.app_template_global()
def audit_note(entry: dict[str, Any]) -> str:
    """Return an audit entry's note: a moderator's words as written, an event's details in the console's language."""
    details = entry.get("details")
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


def _code_text(code: str | None, message: str | None) -> str:
    key = f"error_{code}"
    if _language() != "en" and translate(_language(), key) != key:
        return t(key)
    return message or code or ""


def _zones() -> dict[int, ZoneInfo]:
    """Return every site's time zone by id, read once per request."""
    if "site_zones" not in g:
        language = _config().console_language
        with get_db().read() as db_session:
            g.site_zones = {site_id: site_timezone(settings, language)
                            for site_id, settings in db_session.execute(select(Site.id, Site.settings))}
    return g.site_zones


def _zone(site_id: int | None) -> ZoneInfo:
    """Return a site's time zone; without a site, the zone all the sites share, else the console default."""
    zones = _zones()
    if site_id is not None and site_id in zones:
        return zones[site_id]
    shared = set(zones.values())
    if len(shared) == 1:
        return shared.pop()
    return ZoneInfo(default_timezone(_config().console_language))


@console.app_template_global()
def local_time(when: datetime | None, site_id: int | None = None, fmt: str = "%Y-%m-%d %H:%M") -> Markup:
    """Return a <time> element showing `when` in the site's time zone, labelled with its offset ("UTC+8")."""
    if when is None:
        return Markup("")
    zone = _zone(site_id)
    local = when.astimezone(zone)
    return Markup('<time datetime="{}" title="{}">{} {}</time>').format(
        when.isoformat(), zone.key, local.strftime(fmt), zone_label(zone, when))


def _error_text(err: ModeratoError) -> str:
    """Say in the console's language what went wrong (the exception's own text is English, for the API)."""
    reason = str(err.details.get("reason") or "")
    for key in (f"error_{reason}", reason) if reason else ():
        if translate(_language(), key) != key:
            return t(key)
    field_name = err.details.get("field")
    if err.code == "invalid_field" and field_name:
        label = translate(_language(), f"fieldname_{field_name}")
        if label != f"fieldname_{field_name}":
            return tf("error_invalid_field_named", field=label)
    if _language() == "en":
        return err.message
    key = f"error_{err.code}"
    if translate(_language(), key) != key:
        return t(key)
    return t(f"error_{type(err).__mro__[1].code}") if hasattr(type(err).__mro__[1], "code") else t("error")


def _notify(key: str, kind: str = "ok", **params: Any) -> None:
    """Leave a short message for the next page the moderator sees (what their action did)."""
    flash({"key": key, "params": {k: str(v) for k, v in params.items()}}, kind)


def _messages() -> list[dict[str, str]]:
    shown = []
    for kind, message in get_flashed_messages(with_categories=True):
        if isinstance(message, dict):
            params = dict(message.get("params") or {})
            # A status named in a message is shown in the console's language.
            params = {k: t(v) if k == "status" else v for k, v in params.items()}
            shown.append({"kind": kind, "text": tf(str(message.get("key")), **params)})
    return shown


@console.context_processor
def _template_globals() -> dict[str, Any]:
    language = _language()
    return {"csrf_token": csrf_token, "principal": g.get("principal"), "language": language,
            "languages": LANGUAGES, "messages": _messages,
            "script_text": {key: translate(language, key) for key in SCRIPT_KEYS}}


@console.after_request
def _headers(response: Response) -> Response:
    # No inline script or style anywhere in the console, so the policy can be strict.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


@console.errorhandler(ModeratoError)
def _console_error(err: ModeratoError):  # type: ignore[no-untyped-def]
    if isinstance(err, Unauthorized) and request.method == "GET":
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return err.to_dict(), err.status
    return render_template("console/error.html", error=err, error_text=_error_text(err)), err.status


def _moderator(site_id: int | None = None) -> Principal:
    principal = require_moderator(site_id)
    g.principal = principal
    return principal


def _admin() -> Principal:
    principal = require_admin()
    g.principal = principal
    return principal


def _sites(principal: Principal) -> list[Site]:
    with get_db().read() as db_session:
        query = select(Site).order_by(Site.name)
        allowed = principal.allowed_sites()
        if allowed is not None:
            query = query.where(Site.id.in_(allowed))
        return list(db_session.scalars(query))


def _int(value: str | None, name: str, high: int = MAX_ID) -> int | None:
    return optional_int(value, name, 0, high)


def _site_arg(principal: Principal, sites: list[Site]) -> int | None:
    site_id = _int(request.values.get("site"), "site")
    if site_id is not None:
        require_site(principal, site_id)
    return site_id


def _back(default: str) -> Response:
    target = request.form.get("next") or default
    # Only paths on this service: an open redirect would make phishing links look like ours.
    if not target.startswith("/console") or target.startswith("//"):
        target = default
    return redirect(target, code=303)


# --- Signing in ---


@console.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """Show the sign-in form; check the password with lock-out after repeated failures."""
    error = None
    status = 200
    if request.method == "POST":
        check_csrf()
        config = _config()
        throttle = LoginThrottle(get_redis(), config.login_max_failures, config.login_lockout_seconds)
        username = request.form.get("username", "")[:100]
        try:
            with get_db().read() as db_session:
                user = authenticate(db_session, throttle, username, request.form.get("password", "")[:1000],
                                    hash_ip(config.secret_key, request.remote_addr))
                stamp = session_stamp(config.secret_key, user)
                user_id = user.id
        except LoginLocked:
            error, status = "login_locked", 429
        except Unauthorized:
            error, status = "login_failed", 401
        else:
            # The language the sign-in page was read in (or was switched to there) is the account's from now on.
            language = _language()
            with get_db().write() as db_session:
                account = db_session.get(User, user_id)
                if account is not None and account.language != language:
                    account.language = language
            # A new session on sign-in, so a session id planted before it is worth nothing.
            session.clear()
            session[SESSION_USER] = user_id
            session[SESSION_STAMP] = stamp
            session[SESSION_LANGUAGE] = language
            session.permanent = True
            csrf_token()
            return _language_cookie(_back(url_for("console.queue")), language)
    page = render_template("console/login.html", error=error, next=request.values.get("next", ""))
    chosen = _chosen_language()
    return _language_cookie(Response(page, status), chosen) if chosen else (page, status)


def _language_cookie(response: Response, language: str) -> Response:
    # Kept for the next sign-in page too, after signing out.
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, path="/console", httponly=True,
                        samesite="Lax", secure=_config().session_cookie_secure)
    return response


@console.post("/logout")
def logout() -> Response:
    """End the session."""
    _moderator()
    session.clear()
    return redirect(url_for("console.login"), code=303)


@console.get("/")
def index() -> Response:
    """Go to the queue."""
    return redirect(url_for("console.queue"))


# --- The queue ---


@console.get("/queue")
def queue() -> str:
    """Show comments awaiting a moderator, oldest first, with reasons, highlights and the author's history."""
    principal = _moderator()
    sites = _sites(principal)
    status = request.args.get("status") or "held"
    if status not in _QUEUE_STATUSES:
        raise InvalidField("Unknown status.", field="status")
    flt = QueueFilter(status=status, site_id=_site_arg(principal, sites),
                      thread=request.args.get("thread") or None, reason=request.args.get("reason") or None,
                      author=request.args.get("author") or None, search=request.args.get("q") or None)
    after = _int(request.args.get("after"), "after")
    with get_db().read() as db_session:
        items = queue_items(db_session, principal.allowed_sites(), flt, limit=50, after=after)
    args = {k: v for k, v in request.args.items() if k != "after" and v}
    next_url = url_for("console.queue", **args, after=items[-1].id) if len(items) == 50 else None
    return render_template("console/queue.html", items=items, sites=sites, flt=flt, statuses=_QUEUE_STATUSES,
                           next_url=next_url, filter_names=_filter_names())


def _filter_names() -> list[str]:
    return list(dict.fromkeys([*_config().filters, "classifier", "ban"]))


@console.post("/comments/<int:comment_id>/<action>")
def decide_one(comment_id: int, action: str) -> Response:
    """Approve, reject or delete one comment from a form (the keyboard uses the moderation API)."""
    principal = _moderator()
    if action not in _DECISIONS:
        raise NotFound()
    try:
        outcome = decide(get_db(), get_redis(), _config(), principal, comment_id, _DECISIONS[action],
                         (request.form.get("note") or "")[:1000] or None, _expected_status())
    except StaleDecision as err:
        _notify("stale_decision", "error", id=comment_id, status=err.details["current_status"])
    else:
        _notify("decided_" + outcome.status, id=comment_id)
    return _back(url_for("console.queue"))


def _expected_status() -> str | None:
    # The status the moderator saw when the page was drawn; the queue's forms always send it.
    return expected_status(request.form)


@console.post("/comments/<int:comment_id>/keep")
def keep(comment_id: int) -> Response:
    """Mark a comment the filters published as reviewed and fine (it leaves the review list)."""
    principal = _moderator()
    from service.decisions import confirm

    confirm(get_db(), principal, comment_id)
    return _back(url_for("console.queue", status="review"))


@console.post("/bulk")
def bulk() -> Response:
    """Apply one decision to every selected comment."""
    principal = _moderator()
    action = request.form.get("action", "")
    if action not in _DECISIONS:
        raise InvalidField("Choose approve, reject or delete.", field="action")
    ids = [parse_int(i, "ids", low=1) for i in request.form.getlist("ids")[:500]]
    if not ids:
        _notify("bulk_none", "error")
        return _back(url_for("console.queue"))
    outcomes = decide_many(get_db(), get_redis(), _config(), principal, ids, _DECISIONS[action], None,
                           _expected_status())
    done = [o for o in outcomes if o.error is None]
    if done:
        _notify("bulk_done_" + action, count=len(done))
    refused = [o for o in outcomes if o.error is not None]
    # Messages travel in the session cookie: a few are named one by one, many are summed up in one line.
    if len(refused) > _NAMED_REFUSALS:
        _notify("bulk_refused_many", "error", count=len(refused),
                ids=", ".join(f"#{o.comment_id}" for o in refused[:20]) + (" …" if len(refused) > 20 else ""))
    for outcome in refused if len(refused) <= _NAMED_REFUSALS else []:
        if outcome.error == "stale_decision":
            _notify("stale_decision", "error", id=outcome.comment_id, status=outcome.current_status or "")
        else:
            _notify("bulk_failed", "error", id=outcome.comment_id, error=_code_text(outcome.error, outcome.message))
    return _back(url_for("console.queue"))


# --- Reports ---


@console.get("/reports")
def reports() -> str:
    """Show reported comments, grouped, most reported first."""
    principal = _moderator()
    sites = _sites(principal)
    with get_db().read() as db_session:
        groups = report_groups(db_session, principal.allowed_sites(), _site_arg(principal, sites))
    return render_template("console/reports.html", groups=groups, sites=sites)


def _comment_site(comment_id: int) -> int:
    with get_db().read() as db_session:
        site_id = db_session.scalar(
            select(Thread.site_id).join(Comment, Comment.thread_id == Thread.id).where(Comment.id == comment_id))
    if site_id is None:
        raise NotFound("No such comment.")
    return int(site_id)


@console.post("/reports/<int:comment_id>/dismiss")
def dismiss(comment_id: int) -> Response:
    """Drop a comment's reports: nothing wrong with it."""
    principal = _moderator()
    site_id = _comment_site(comment_id)
    require_site(principal, site_id)
    with get_db().write() as db_session:
        count = dismiss_reports(db_session, comment_id)
        record_event(db_session, principal.username, "reports.dismiss", site_id, f"comment:{comment_id}",
                     reports=count)
    _notify("reports_dismissed", id=comment_id, count=count)
    return _back(url_for("console.reports"))


@console.post("/reports/<int:comment_id>/take-down")
def take_down(comment_id: int) -> Response:
    """Reject a reported comment, taking it off the page; its reports are settled."""
    principal = _moderator()
    decide(get_db(), get_redis(), _config(), principal, comment_id, CommentStatus.REJECTED, "reported")
    with get_db().write() as db_session:
        dismiss_reports(db_session, comment_id)
    _notify("taken_down", id=comment_id)
    return _back(url_for("console.reports"))


# --- Bans ---


@console.get("/bans")
def bans() -> str:
    """List the bans in force and offer a form for a new one."""
    principal = _moderator()
    sites = _sites(principal)
    return _bans_page(principal, sites, request.args)


def _bans_page(principal: Principal, sites: list[Site], prefill: Any, error: str | None = None,
               status: int = 200) -> tuple[str, int]:
    target = None
    with get_db().read() as db_session:
        rows = list_bans(db_session, principal.allowed_sites(), include_lifted=request.args.get("all") == "1")
        comment_id = _int(prefill.get("comment"), "comment")
        if comment_id is not None:
            # Banning from the queue: show whom and what the ban is about, not just a number.
            row = db_session.execute(select(Comment, Thread, Site).join(Thread, Thread.id == Comment.thread_id)
                                     .join(Site, Site.id == Thread.site_id).where(Comment.id == comment_id)).first()
            if row is None:
                raise NotFound("No such comment.")
            comment, thread, site = row
            require_site(principal, site.id)
            target = {"id": comment.id, "site_id": site.id, "author": comment.author, "text": comment.text,
                      "ip_hash": comment.ip_hash,
                      "site": site.name, "thread": thread.title or thread.key, "created_at": comment.created_at,
                      "verified": comment.user_id is not None}
    return render_template("console/bans.html", bans=rows, sites=sites, names={s.id: s.name for s in sites},
                           prefill=prefill, target=target, error=error, now=utcnow()), status


@console.post("/bans")
def ban() -> Response:
    """Ban an author or a hashed IP on a site, for some hours or for good, maybe shadow, maybe rejecting the past."""
    principal = _moderator()
    form = request.form
    site_id = _int(form.get("site"), "site")
    comment_id = _int(form.get("comment"), "comment")
    author_key, ip_hash = (form.get("author_key") or "").strip() or None, (form.get("ip_hash") or "").strip() or None
    if comment_id is not None:
        # Banning from the queue names a comment: its author and hashed IP are looked up here.
        with get_db().read() as db_session:
            row = db_session.execute(select(Comment, Thread.site_id).join(Thread, Thread.id == Comment.thread_id)
                                     .where(Comment.id == comment_id)).first()
        if row is None:
            raise NotFound("No such comment.")
        comment, site_id = row
        author_key = author_key_of(comment)
        if form.get("by_ip"):
            ip_hash = comment.ip_hash
    if site_id is None:
        raise InvalidField("Choose a site.", field="site")
    require_site(principal, site_id)
    # "Permanent" is a choice the moderator makes, never what an empty box means.
    duration = form.get("duration") or ("hours" if (form.get("hours") or "").strip() else "")
    hours = _int(form.get("hours"), "hours", high=_MAX_BAN_HOURS) if duration == "hours" else None
    if duration not in ("hours", "permanent") or (duration == "hours" and not hours):
        return _bans_page(principal, _sites(principal), form, error="ban_duration_missing", status=400)
    request_ = BanRequest(site_id=site_id, author_key=author_key, ip_hash=ip_hash,
                          until=utcnow() + timedelta(hours=hours) if hours else None,
                          shadow=bool(form.get("shadow")), reason=(form.get("reason") or "")[:500] or None,
                          reject_past=bool(form.get("reject_past")))
    with get_db().write() as db_session:
        created, touched = create_ban(db_session, request_, principal.username)
        record_event(db_session, principal.username, "ban.create", site_id, f"ban:{created.id}",
                     author=author_key, ip=ip_hash[:8] if ip_hash else None, hours=hours,
                     shadow=request_.shadow or None, reject_past=request_.reject_past or None)
    cache = ThreadCache(get_redis(), _config().thread_cache_ttl)
    for touched_site, thread_key in touched:
        cache.invalidate(touched_site, thread_key)
    _notify("ban_created_hours" if hours else "ban_created_permanent", who=author_key or (ip_hash or "")[:8],
            hours=hours or "", count=len(touched))
    return _back(url_for("console.bans"))


@console.post("/bans/<int:ban_id>/lift")
def lift(ban_id: int) -> Response:
    """Lift a ban."""
    principal = _moderator()
    with get_db().write() as db_session:
        lifted = lift_ban(db_session, ban_id, principal.allowed_sites())
        record_event(db_session, principal.username, "ban.lift", lifted.site_id, f"ban:{ban_id}")
    _notify("ban_lifted")
    return _back(url_for("console.bans"))


# --- Word lists ---


def _one_site(principal: Principal, sites: list[Site]) -> Site:
    site_id = _site_arg(principal, sites)
    if site_id is None:
        if not sites:
            raise NotFound("No site yet.")
        return sites[0]
    for site in sites:
        if site.id == site_id:
            return site
    raise NotFound("No such site.")


@console.get("/words")
def words() -> str:
    """Show a site's word list with forms to add, edit and remove entries, and the test box."""
    principal = _moderator()
    sites = _sites(principal)
    site = _one_site(principal, sites)
    with get_db().read() as db_session:
        entries = list(db_session.scalars(select(WordEntry).where(WordEntry.site_id == site.id)
                                          .order_by(WordEntry.term)))
    job_id = request.args.get("preview")
    result = _preview_result(site.id, job_id) if job_id else None
    return _words_page(site, sites, entries, result=result)


def _words_page(site: Site, sites: list[Site], entries: list[WordEntry], result: dict[str, Any] | None = None,
                duplicate: WordEntry | None = None, typed: dict[str, Any] | None = None,
                status: int = 200) -> tuple[str, int]:
    return render_template("console/words.html", site=site, sites=sites, entries=entries,
                           categories=WORD_CATEGORIES, actions=WORD_ACTIONS, result=result,
                           sample=(result or {}).get("text", ""), duplicate=duplicate, typed=typed or {},
                           job_id=request.args.get("preview")), status


def _word_fields(form: Any) -> dict[str, Any]:
    term = (form.get("term") or "").strip()
    if not 1 <= len(term) <= 100:
        raise InvalidField("A term is 1 to 100 characters.", field="term")
    category = form.get("category") or "custom"
    action = form.get("action") or "hold"
    severity = _int(form.get("severity"), "severity") or 2
    if category not in WORD_CATEGORIES or action not in WORD_ACTIONS or not 1 <= severity <= 3:
        raise InvalidField("Unknown category, action or severity.", field="category")
    return {"term": term, "category": category, "action": action, "severity": severity}


@console.post("/words")
def add_word() -> Response | tuple[str, int]:
    """Add an entry to a site's word list; a term already listed is not changed but offered for editing."""
    principal = _moderator()
    site_id = _int(request.form.get("site"), "site")
    if site_id is None:
        raise InvalidField("Choose a site.", field="site")
    require_site(principal, site_id)
    fields = _word_fields(request.form)
    with get_db().write() as db_session:
        entry = db_session.scalar(select(WordEntry).where(WordEntry.site_id == site_id,
                                                          WordEntry.term == fields["term"]))
        if entry is None:
            db_session.add(WordEntry(site_id=site_id, updated_at=utcnow(), **fields))
            record_event(db_session, principal.username, "words.save", site_id, f"word:{fields['term']}",
                         action=fields["action"], category=fields["category"], severity=fields["severity"])
    if entry is not None:
        # Adding is not editing: an entry someone chose on purpose is not overwritten by a second add.
        sites = _sites(principal)
        site = next(s for s in sites if s.id == site_id)
        with get_db().read() as db_session:
            entries = list(db_session.scalars(select(WordEntry).where(WordEntry.site_id == site_id)
                                              .order_by(WordEntry.term)))
        return _words_page(site, sites, entries, duplicate=entry, typed=fields, status=409)
    _notify("word_added", term=fields["term"])
    return redirect(url_for("console.words", site=site_id), code=303)


def _word_entry(principal: Principal, entry_id: int, db_session: Any) -> WordEntry:
    entry = db_session.get(WordEntry, entry_id)
    if entry is None:
        raise NotFound("No such entry.")
    require_site(principal, entry.site_id)
    return entry


@console.post("/words/<int:entry_id>")
def edit_word(entry_id: int) -> Response:
    """Change an entry's term, category, severity or action."""
    principal = _moderator()
    fields = _word_fields(request.form)
    with get_db().write() as db_session:
        entry = _word_entry(principal, entry_id, db_session)
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.updated_at = utcnow()
        site_id = entry.site_id
        record_event(db_session, principal.username, "words.save", site_id, f"word:{fields['term']}",
                     action=fields["action"], category=fields["category"], severity=fields["severity"])
    _notify("word_saved", term=fields["term"])
    return redirect(url_for("console.words", site=site_id), code=303)


@console.post("/words/<int:entry_id>/delete")
def delete_word(entry_id: int) -> Response:
    """Remove an entry from a site's word list."""
    principal = _moderator()
    with get_db().write() as db_session:
        entry = _word_entry(principal, entry_id, db_session)
        site_id, term = entry.site_id, entry.term
        db_session.delete(entry)
        record_event(db_session, principal.username, "words.remove", site_id, f"word:{term}")
    _notify("word_removed", term=term)
    # Deleting lowers the count the workers watch, so they rebuild their lists within seconds too.
    return redirect(url_for("console.words", site=site_id), code=303)


@console.post("/words/test")
def test_text() -> Response:
    """Queue a run of the site's pipeline over a sample text; the word list page shows the verdicts.

    The page's script asks for JSON and polls `test_result`, so nothing else on the page is reloaded.
    """
    principal = _moderator()
    site_id = _int(request.form.get("site"), "site")
    if site_id is None:
        raise InvalidField("Choose a site.", field="site")
    require_site(principal, site_id)
    sample = (request.form.get("text") or "")[:_config().max_comment_length]
    from service.queue import enqueue_preview

    job_id = enqueue_preview(get_redis(), _config().queue_name, site_id, sample)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"job": job_id, "poll": url_for("console.test_result", job_id=job_id, site=site_id)})
    return redirect(url_for("console.words", site=site_id, preview=job_id), code=303)


@console.get("/words/test/<job_id>")
def test_result(job_id: str) -> Response:
    """Return a dry run's state and, once a worker has run it, the verdicts drawn as the page draws them."""
    principal = _moderator()
    site_id = _int(request.args.get("site"), "site")
    if site_id is None:
        raise InvalidField("Choose a site.", field="site")
    require_site(principal, site_id)
    result = _preview_result(site_id, job_id[:100])
    return jsonify({"state": result["state"],
                    "html": render_template("console/_test_result.html", result=result, site_id=site_id,
                                            job_id=job_id)})


def _preview_result(site_id: int, job_id: str) -> dict[str, Any]:
    from service.queue import preview_result

    result = preview_result(get_redis(), job_id)
    if result.get("site_id") not in (None, site_id):
        raise Forbidden()
    if result.get("verdicts"):
        from service.review import highlight

        spans = [s for v in result["verdicts"] if v["action"] != "allow" for s in v["spans"]]
        result["parts"] = highlight(result.get("text", ""), spans)
    return result


# --- Audit log ---


@console.get("/audit")
def audit() -> str:
    """Show who did what, when, to which comment, with the state before and after."""
    principal = _moderator()
    sites = _sites(principal)
    flt = AuditFilter(moderator=request.args.get("moderator") or None, site_id=_site_arg(principal, sites),
                      comment_id=_int(request.args.get("comment"), "comment"),
                      status=request.args.get("status") or None)
    with get_db().read() as db_session:
        entries = audit_entries(db_session, principal.allowed_sites(), flt)
    return render_template("console/audit.html", entries=entries, sites=sites, flt=flt,
                           names={s.id: s.name for s in sites})


# --- Statistics ---


@console.get("/stats")
def stats() -> str:
    """Show charts of the last 30 days: outcomes, the held queue, time to decision, filter hits, reports."""
    principal = _moderator()
    sites = _sites(principal)
    site_id = _site_arg(principal, sites)
    from service.statistics import collect, render_charts

    with get_db().read() as db_session:
        figures = collect(db_session, principal.allowed_sites(), site_id, days=30, zone=_zone(site_id))
    charts = render_charts(figures, lambda key: translate(_language(), key), lambda name: code_name("filter", name))
    return render_template("console/stats.html", figures=figures, charts=charts, sites=sites, site_id=site_id)


# --- Learning ---


@console.get("/learning.jsonl")
def learning_export() -> Response:
    """Download the site's labelled examples (moderators' decisions) for the classifier's retraining."""
    principal = _moderator()
    sites = _sites(principal)
    site = _one_site(principal, sites)
    from service.learning import labelled_examples

    with get_db().read() as db_session:
        lines = [json.dumps(e.to_dict(), ensure_ascii=False) for e in labelled_examples(db_session, site.id)]
    return Response("\n".join(lines) + ("\n" if lines else ""), mimetype="application/x-ndjson",
                    headers={"Content-Disposition": f'attachment; filename="labelled-{site.id}.jsonl"'})


# --- Sites (admins) ---


@console.get("/sites")
def sites_page() -> str:
    """Show every site's settings and API keys."""
    principal = _admin()
    sites = _sites(principal)
    site = _one_site(principal, sites) if sites else None
    return _sites_page(sites, site)[0]


def _sites_page(sites: list[Site], site: Site | None, new_key: str | None = None, form: Any = None,
                error: InvalidField | None = None) -> tuple[str, int]:
    keys = []
    if site is not None:
        with get_db().read() as db_session:
            keys = list(db_session.scalars(select(ApiKey).where(ApiKey.site_id == site.id).order_by(ApiKey.id)))
    page = render_template("console/sites.html", sites=sites, site=site, keys=keys, new_key=new_key,
                           thresholds=THRESHOLD_SETTINGS, captcha_policies=CAPTCHA_POLICIES, rate_limits=LIMIT_SPECS,
                           default_max_links=_config().max_links, form=form,
                           default_zone=default_timezone(_config().console_language),
                           error_field=error.details.get("field") if error else None,
                           error_text=_setting_error(error) if error else None)
    return page, 400 if error else 200


def _setting_label(name: str) -> str:
    return t(name) if name.startswith("rate_") else t("setting_" + name)


def _setting_error(err: InvalidField) -> str:
    """Say in the console's language what is wrong with a setting (the exception's text is for the API)."""
    name = str(err.details.get("field") or "")
    if name in THRESHOLD_KEYS:
        key = "err_threshold_order" if "must not pass" in err.message else "err_threshold_range"
        return tf(key, label=_setting_label(name))
    if name == "origins":
        return t("err_origins")
    if name in ("mode", "captcha"):
        return t("err_choice")
    if name == TIMEZONE_KEY:
        return t("err_timezone")
    return tf("err_setting_number", label=_setting_label(name))


@console.post("/sites")
def create_site() -> Response:
    """Create a site (an admin of every site only: a site-limited admin could not reach what it made)."""
    principal = require_unrestricted_admin()
    g.principal = principal
    name = (request.form.get("name") or "").strip()
    if not 1 <= len(name) <= 100:
        raise InvalidField("A site name is 1 to 100 characters.", field="name")
    with get_db().write() as db_session:
        # A new site keeps the time zone of the language its creator works in (Beijing time for zh-CN).
        site = Site(name=name, origins=[], settings={TIMEZONE_KEY: default_timezone(_language())}, created_at=utcnow())
        db_session.add(site)
        db_session.flush()
        record_event(db_session, principal.username, "site.create", site.id, f"site:{name}")
        site_id = site.id
    return redirect(url_for("console.sites_page", site=site_id), code=303)


def _float_setting(value: str | None, name: str) -> float | None:
    if value is None or value.strip() == "":
        return None
    try:
        number = float(value)
    except ValueError as err:
        raise InvalidField(f"'{name}' must be a number from 0 to 1.", field=name) from err
    if not 0.0 <= number <= 1.0:
        raise InvalidField(f"'{name}' must be a number from 0 to 1.", field=name)
    return number


@console.post("/sites/<int:site_id>/settings")
def save_settings(site_id: int) -> Response | tuple[str, int]:
    """Save a site's moderation mode, thresholds, trust, captcha policy and allowed origins.

    A value that does not pass shows the form again, with what was typed and the field's error.
    """
    principal = _admin()
    require_site(principal, site_id)
    try:
        _save_settings(principal, site_id, request.form)
    except InvalidField as err:
        sites = _sites(principal)
        site = next((s for s in sites if s.id == site_id), None)
        if site is None:
            raise NotFound("No such site.") from err
        return _sites_page(sites, site, form=request.form, error=err)
    current_app.extensions["moderato.sites"].clear()
    _notify("settings_saved")
    return redirect(url_for("console.sites_page", site=site_id), code=303)


def _save_settings(principal: Principal, site_id: int, form: Any) -> None:
    from service.trust import ModerationMode

    mode = form.get("mode") or ModerationMode.FILTERS.value
    if mode not in {m.value for m in ModerationMode}:
        raise InvalidField("Unknown moderation mode.", field="mode")
    captcha = form.get("captcha") or "always"
    if captcha not in CAPTCHA_POLICIES:
        raise InvalidField("Unknown captcha policy.", field="captcha")
    origins = []
    for line in (form.get("origins") or "").splitlines():
        line = line.strip().rstrip("/")
        if not line:
            continue
        if not (line.startswith("https://") or line.startswith("http://")) or " " in line:
            raise InvalidField("An origin looks like https://news.example.com.", field="origins")
        origins.append(line)
    rates = parse_rate_settings(form)
    zone = (form.get(TIMEZONE_KEY) or "").strip()
    if zone and not valid_timezone(zone):
        raise InvalidField("A time zone is an IANA name such as Asia/Shanghai or UTC.", field=TIMEZONE_KEY)
    with get_db().write() as db_session:
        site = db_session.get(Site, site_id)
        if site is None:
            raise NotFound("No such site.")
        settings = dict(site.settings or {})
        settings.update(mode=mode, captcha=captcha, trust_after=_int(form.get("trust_after"), "trust_after") or 0)
        if zone:
            settings[TIMEZONE_KEY] = zone
        else:
            settings.pop(TIMEZONE_KEY, None)
        max_links = _int(form.get("max_links"), "max_links")
        if max_links is None:
            settings.pop("max_links", None)
        else:
            settings["max_links"] = max_links
        for key, rate in rates.items():
            if rate is None:
                settings.pop(key, None)
            else:
                settings[key] = rate
        for key in THRESHOLD_KEYS:
            value = _float_setting(form.get(key), key)
            if value is None:
                settings.pop(key, None)
            else:
                settings[key] = value
        for name, hold_keys, reject_keys in _THRESHOLD_PAIRS:
            hold_key = next((k for k in hold_keys if settings.get(k) is not None), hold_keys[0])
            reject_key = next((k for k in reject_keys if settings.get(k) is not None), reject_keys[0])
            hold, reject = settings.get(hold_key), settings.get(reject_key)
            if hold is not None and reject is not None and hold > reject:
                raise InvalidField(f"The {name} hold threshold must not pass the reject threshold.",
                                   field=hold_key)
        site.settings = settings
        site.origins = origins
        record_event(db_session, principal.username, "site.settings", site_id, f"site:{site.name}",
                     mode=mode, captcha=captcha, origins=len(origins))


@console.post("/sites/<int:site_id>/keys")
def create_key(site_id: int) -> str:
    """Create an API key for a site and show it once."""
    principal = _admin()
    require_site(principal, site_id)
    key = new_api_key()
    with get_db().write() as db_session:
        if db_session.get(Site, site_id) is None:
            raise NotFound("No such site.")
        db_session.add(ApiKey(site_id=site_id, key_hash=hash_token(key), prefix=key[:12], created_at=utcnow()))
        record_event(db_session, principal.username, "key.create", site_id, f"key:{key[:12]}")
    sites = _sites(principal)
    site = next(s for s in sites if s.id == site_id)
    return _sites_page(sites, site, new_key=key)[0]


@console.post("/sites/<int:site_id>/keys/<int:key_id>/revoke")
def revoke_key(site_id: int, key_id: int) -> Response:
    """Revoke a site's API key (the API stops taking it within the key cache's 30 seconds)."""
    principal = _admin()
    require_site(principal, site_id)
    with get_db().write() as db_session:
        key = db_session.get(ApiKey, key_id)
        if key is None or key.site_id != site_id:
            raise NotFound("No such key.")
        key.revoked_at = key.revoked_at or utcnow()
        record_event(db_session, principal.username, "key.revoke", site_id, f"key:{key.prefix}")
    _notify("key_revoked")
    return redirect(url_for("console.sites_page", site=site_id), code=303)


# --- Accounts ---


@console.get("/account")
def account() -> str:
    """Show the account's personal API tokens, the password form and the language."""
    principal = _moderator()
    return _account_page(principal, None)


def _account_page(principal: Principal, new_token: str | None) -> str:
    with get_db().read() as db_session:
        tokens = list(db_session.scalars(select(UserToken).where(UserToken.user_id == principal.user_id)
                                         .order_by(UserToken.id))) if principal.user_id else []
    return render_template("console/account.html", tokens=tokens, new_token=new_token)


@console.post("/account/tokens")
def new_token() -> str:
    """Create a personal API token and show it once."""
    principal = _moderator()
    if principal.user_id is None:
        raise Forbidden("Only console accounts have personal tokens.")
    with get_db().write() as db_session:
        user = db_session.get(User, principal.user_id)
        token = create_token(db_session, user, (request.form.get("name") or "")[:100])
        record_event(db_session, principal.username, "token.create", None, f"token:{token[:12]}")
    return _account_page(principal, token)


@console.post("/account/tokens/<int:token_id>/revoke")
def revoke_personal_token(token_id: int) -> Response:
    """Revoke one of your personal tokens."""
    principal = _moderator()
    with get_db().write() as db_session:
        revoke_token(db_session, principal.user_id or -1, token_id)
        record_event(db_session, principal.username, "token.revoke", None, f"token:{token_id}")
    return redirect(url_for("console.account"), code=303)


@console.post("/account/password")
def change_password() -> Response:
    """Change your password, given the current one; your other sessions end."""
    principal = _moderator()
    config = _config()
    # A session left open on a shared computer must not be enough to take the account over, and the
    # current password is guessed here under the same lock-out as at the sign-in form.
    throttle = LoginThrottle(get_redis(), config.login_max_failures, config.login_lockout_seconds)
    ip_hash = hash_ip(config.secret_key, request.remote_addr)
    with get_db().write() as db_session:
        user = db_session.get(User, principal.user_id or -1)
        if user is None:
            raise Forbidden()
        throttle.check(user.username, ip_hash)
        if not verify_password(user.password_hash, (request.form.get("current_password") or "")[:1000]):
            throttle.failed(user.username, ip_hash)
            raise Forbidden("The current password is wrong.", reason="current_password_wrong")
        set_password(db_session, user, request.form.get("password") or "")
        db_session.flush()
        stamp = session_stamp(_config().secret_key, user)
        record_event(db_session, principal.username, "password.change", None, f"user:{user.username}")
    session[SESSION_STAMP] = stamp
    return redirect(url_for("console.account"), code=303)


@console.post("/account/language")
def change_language() -> Response:
    """Choose the console's language."""
    principal = _moderator()
    language = request.form.get("language")
    if language not in LANGUAGES:
        raise InvalidField("Unknown language.", field="language")
    with get_db().write() as db_session:
        user = db_session.get(User, principal.user_id or -1)
        if user is not None:
            user.language = language
    session[SESSION_LANGUAGE] = language
    return _language_cookie(_back(url_for("console.account")), language)


@console.get("/users")
def users() -> str:
    """List console accounts (admins only)."""
    principal = _admin()
    return _users_page(principal, None)


def _users_page(principal: Principal, created: tuple[str, str] | None) -> str:
    with get_db().read() as db_session:
        rows = [u for u in db_session.scalars(select(User).order_by(User.username))
                if u.id == principal.user_id or principal.can_grant(u.site_ids or [])]
    sites = _sites(principal)
    return render_template("console/users.html", users=rows, sites=sites, names={s.id: s.name for s in sites},
                           roles=[r.value for r in UserRole], created=created)


@console.post("/users")
def add_user() -> str:
    """Create a console account with a first password shown once."""
    principal = _admin()
    role = request.form.get("role") or UserRole.MODERATOR.value
    if role not in {r.value for r in UserRole}:
        raise InvalidField("Unknown role.", field="role")
    site_ids = [parse_int(i, "sites", low=1) for i in request.form.getlist("sites") if i.strip()]
    if not principal.can_grant(site_ids):
        # Only an admin of every site may create an account of every site (no sites ticked).
        raise Forbidden("Choose sites you administer; only an admin of every site may create an account "
                        "of every site.", reason="grant_own_sites")
    with get_db().write() as db_session:
        user, password = create_user(db_session, request.form.get("username") or "", UserRole(role), site_ids,
                                     email=(request.form.get("email") or "").strip() or None)
        record_event(db_session, principal.username, "user.create", None, f"user:{user.username}", role=role)
        username = user.username
    return _users_page(principal, (username, password))


@console.post("/users/<int:user_id>/disable")
def toggle_user(user_id: int) -> Response:
    """Disable an account (its sessions and tokens stop working), or enable it again."""
    principal = _admin()
    with get_db().write() as db_session:
        user = db_session.get(User, user_id)
        if user is None:
            raise NotFound("No such account.")
        if user.id == principal.user_id:
            raise Forbidden("You cannot disable your own account.", reason="cannot_disable_self")
        if not principal.can_grant(user.site_ids or []):
            raise Forbidden("You may only manage accounts limited to sites you administer.", reason="manage_own_sites")
        user.disabled_at = None if user.disabled_at else utcnow()
        record_event(db_session, principal.username, "user.disable" if user.disabled_at else "user.enable",
                     None, f"user:{user.username}")
    return redirect(url_for("console.users"), code=303)

