"""Times in the console: each site's time zone, and <time> elements labelled with their offset."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import g
from markupsafe import Markup
from sqlalchemy import select

from service.console.access import app_config
from service.db import get_db
from service.models import Site
from service.site_settings import default_timezone, site_timezone, zone_label


def _zones() -> dict[int, ZoneInfo]:
    """Return every site's time zone by id, read once per request."""
    if "site_zones" not in g:
        language = app_config().console_language
        with get_db().read() as db_session:
            g.site_zones = {site_id: site_timezone(settings, language)
                            for site_id, settings in db_session.execute(select(Site.id, Site.settings))}
    return g.site_zones


def site_zone(site_id: int | None) -> ZoneInfo:
    """Return a site's time zone; without a site, the zone all the sites share, else the console default."""
    zones = _zones()
    if site_id is not None and site_id in zones:
        return zones[site_id]
    shared = set(zones.values())
    if len(shared) == 1:
        return shared.pop()
    return ZoneInfo(default_timezone(app_config().console_language))


def local_time(when: datetime | None, site_id: int | None = None, fmt: str = "%Y-%m-%d %H:%M") -> Markup:
    """Return a <time> element showing `when` in the site's time zone, labelled with its offset ("UTC+8")."""
    if when is None:
        return Markup("")
    zone = site_zone(site_id)
    local = when.astimezone(zone)
    return Markup('<time datetime="{}" title="{}">{} {}</time>').format(
        when.isoformat(), zone.key, local.strftime(fmt), zone_label(zone, when))
