"""Sites and their API keys."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db import Database
from service.exceptions import NotFound, Unauthorized
from service.keys import hash_token, new_api_key
from service.models import ApiKey, Site

DEFAULT_SITE = "default"


def get_or_create_site(db: Database, name: str = DEFAULT_SITE) -> Site:
    """Return the named site, creating it on first use."""
    with db.read() as session:
        site = session.scalar(select(Site).where(Site.name == name))
        if site is not None:
            return site
    try:
        with db.write() as session:
            site = Site(name=name, origins=[], settings={})
            session.add(site)
        return site
    except IntegrityError:  # created meanwhile by another process
        with db.read() as session:
            return session.scalars(select(Site).where(Site.name == name)).one()


def find_site(session: Session, name: str) -> Site:
    """Return the named site or raise NotFound."""
    site = session.scalar(select(Site).where(Site.name == name))
    if site is None:
        raise NotFound(f"No site named '{name}'.")
    return site


def create_api_key(db: Database, site_name: str) -> str:
    """Create an API key for a site (creating the site if needed) and return the key; only its hash is kept."""
    site = get_or_create_site(db, site_name)
    key = new_api_key()
    with db.write() as session:
        session.add(ApiKey(site_id=site.id, key_hash=hash_token(key), prefix=key[:12]))
    return key


def site_for_api_key(session: Session, key: str) -> Site:
    """Return the site that owns an API key, or raise Unauthorized."""
    api_key = session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_token(key), ApiKey.revoked_at.is_(None))
    )
    if api_key is None:
        raise Unauthorized("The API key is not valid.")
    return api_key.site
