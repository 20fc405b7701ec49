"""Sites (admins): settings, API keys, and the export of moderators' decisions as labelled examples."""
from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select

from service.accounts import Principal, require_site, require_unrestricted_admin
from service.console.access import admin, app_config, int_arg, moderator, one_site, visible_sites
from service.console.routes import Routes
from service.console.text import console_language, notify, t, tf
from service.db import get_db
from service.exceptions import InvalidField, NotFound
from service.keys import hash_token, new_api_key
from service.models import ApiKey, Site, utcnow
from service.rate_limits import LIMIT_SPECS
from service.rate_limits import parse_site_settings as parse_rate_settings
from service.review import record_event
from service.site_settings import (
    THRESHOLD_KEYS, THRESHOLD_SETTINGS, TIMEZONE_KEY, default_timezone, valid_timezone,
)

routes = Routes()


CAPTCHA_POLICIES = ("always", "guests", "never")


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


@routes.get("/learning.jsonl")
def learning_export() -> Response:
    """Download the site's labelled examples (moderators' decisions) for the classifier's retraining."""
    principal = moderator()
    sites = visible_sites(principal)
    site = one_site(principal, sites)
    from service.learning import labelled_examples

    with get_db().read() as db_session:
        lines = [json.dumps(e.to_dict(), ensure_ascii=False) for e in labelled_examples(db_session, site.id)]
    return Response("\n".join(lines) + ("\n" if lines else ""), mimetype="application/x-ndjson",
                    headers={"Content-Disposition": f'attachment; filename="labelled-{site.id}.jsonl"'})


@routes.get("/sites")
def sites_page() -> str:
    """Show every site's settings and API keys."""
    principal = admin()
    sites = visible_sites(principal)
    site = one_site(principal, sites) if sites else None
    return _sites_page(sites, site)[0]


def _sites_page(sites: list[Site], site: Site | None, new_key: str | None = None, form: Any = None,
                error: InvalidField | None = None) -> tuple[str, int]:
    keys = []
    if site is not None:
        with get_db().read() as db_session:
            keys = list(db_session.scalars(select(ApiKey).where(ApiKey.site_id == site.id).order_by(ApiKey.id)))
    page = render_template("console/sites.html", sites=sites, site=site, keys=keys, new_key=new_key,
                           thresholds=THRESHOLD_SETTINGS, captcha_policies=CAPTCHA_POLICIES, rate_limits=LIMIT_SPECS,
                           default_max_links=app_config().max_links, form=form,
                           default_zone=default_timezone(app_config().console_language),
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


@routes.post("/sites")
def create_site() -> Response:
    """Create a site (an admin of every site only: a site-limited admin could not reach what it made)."""
    principal = require_unrestricted_admin()
    g.principal = principal
    name = (request.form.get("name") or "").strip()
    if not 1 <= len(name) <= 100:
        raise InvalidField("A site name is 1 to 100 characters.", field="name")
    with get_db().write() as db_session:
        # A new site keeps the time zone of the language its creator works in (Beijing time for zh-CN).
        site = Site(name=name, origins=[], settings={TIMEZONE_KEY: default_timezone(console_language())},
                    created_at=utcnow())
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


@routes.post("/sites/<int:site_id>/settings")
def save_settings(site_id: int) -> Response | tuple[str, int]:
    """Save a site's moderation mode, thresholds, trust, captcha policy and allowed origins.

    A value that does not pass shows the form again, with what was typed and the field's error.
    """
    principal = admin()
    require_site(principal, site_id)
    try:
        _save_settings(principal, site_id, request.form)
    except InvalidField as err:
        sites = visible_sites(principal)
        site = next((s for s in sites if s.id == site_id), None)
        if site is None:
            raise NotFound("No such site.") from err
        return _sites_page(sites, site, form=request.form, error=err)
    current_app.extensions["moderato.sites"].clear()
    notify("settings_saved")
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
        settings.update(mode=mode, captcha=captcha, trust_after=int_arg(form.get("trust_after"), "trust_after") or 0)
        if zone:
            settings[TIMEZONE_KEY] = zone
        else:
            settings.pop(TIMEZONE_KEY, None)
        max_links = int_arg(form.get("max_links"), "max_links")
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


@routes.post("/sites/<int:site_id>/keys")
def create_key(site_id: int) -> str:
    """Create an API key for a site and show it once."""
    principal = admin()
    require_site(principal, site_id)
    key = new_api_key()
    with get_db().write() as db_session:
        if db_session.get(Site, site_id) is None:
            raise NotFound("No such site.")
        db_session.add(ApiKey(site_id=site_id, key_hash=hash_token(key), prefix=key[:12], created_at=utcnow()))
        record_event(db_session, principal.username, "key.create", site_id, f"key:{key[:12]}")
    sites = visible_sites(principal)
    site = next(s for s in sites if s.id == site_id)
    return _sites_page(sites, site, new_key=key)[0]


@routes.post("/sites/<int:site_id>/keys/<int:key_id>/revoke")
def revoke_key(site_id: int, key_id: int) -> Response:
    """Revoke a site's API key (the API stops taking it within the key cache's 30 seconds)."""
    principal = admin()
    require_site(principal, site_id)
    with get_db().write() as db_session:
        key = db_session.get(ApiKey, key_id)
        if key is None or key.site_id != site_id:
            raise NotFound("No such key.")
        key.revoked_at = key.revoked_at or utcnow()
        record_event(db_session, principal.username, "key.revoke", site_id, f"key:{key.prefix}")
    notify("key_revoked")
    return redirect(url_for("console.sites_page", site=site_id), code=303)
