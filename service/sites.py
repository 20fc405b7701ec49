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


class SiteCache:
    """Sites by name, remembered per process for `ttl` seconds (their settings may lag that long)."""

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._sites: dict[str, tuple[float, Site]] = {}

    def get(self, db: Database, name: str, create: bool = False) -> Site:
        """Return the named site (created on first use when `create`), or raise NotFound."""
        import time

        now = time.monotonic()
        cached = self._sites.get(name)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        if create:
            site = get_or_create_site(db, name)
        else:
            with db.read() as session:
                site = find_site(session, name)
                session.expunge(site)
        self._sites[name] = (now, site)
        return site

    def clear(self) -> None:
        """Forget every site, so changed settings apply to this process's next request at once."""
        self._sites.clear()


class ApiKeyCache:
    """Valid API keys' sites, remembered per process for `ttl` seconds.

    A key lookup is a database round trip on every back-end POST; a revoked key stops working
    within `ttl` seconds. Unknown keys are not remembered, so a new key works at once.
    """

    def __init__(self, ttl: float = 30.0, max_entries: int = 1000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._sites: dict[str, tuple[float, Site]] = {}

    def site_for(self, db: Database, key: str) -> Site:
        """Return the site of a valid key, or raise Unauthorized."""
        import time

        digest = hash_token(key)
        now = time.monotonic()
        cached = self._sites.get(digest)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        with db.read() as session:
            site = site_for_api_key(session, key)
            session.expunge(site)
        if len(self._sites) >= self.max_entries:
            self._sites.clear()
        self._sites[digest] = (now, site)
        return site
