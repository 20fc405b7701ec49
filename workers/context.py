"""What a worker process keeps between jobs: configuration, database, Redis and built pipelines."""
from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from redis import Redis
from sqlalchemy import Connection, func, select

from service.config import Config
from service.db import Database
from service.bans import ban_for, bans_in_force
from service.models import BuiltinWordOff, Site, WordEntry
from service.redis_conn import connect
from service.trust import AuthorStanding, standing_with_ban
from workers.pipeline import Pipeline

# Site word lists (and built-in entries switched off) changed in the console reach running workers within
# this many seconds.
SITE_REFRESH_SECONDS = 5.0


class WorkerContext:
    """Per-process state, built once: jobs take ids, this turns them into rows and pipelines."""

    def __init__(self, config: Config) -> None:
        self.config = config.ensure_secret_key()
        self.db = Database(self.config)
        self._redis: Redis | None = None
        self._site_options: dict[int, tuple[float, tuple, dict[str, Any]]] = {}
        self._pipelines: dict[tuple, Pipeline] = {}
        from service.notifications import subscribe

        # Decisions made here (a comment held) may pass a site's alert threshold.
        subscribe(self.config, lambda: self.redis)
        from service.readers.notices import subscribe as subscribe_reply_notices

        # An approved reply may be worth a notice to the reader it answers.
        subscribe_reply_notices(self.config, lambda: self.redis, lambda: self.db)

    @property
    def redis(self) -> Redis:
        """Return the Redis client (for filters that keep state)."""
        if self._redis is None:
            self._redis = connect(self.config.redis_url)
        return self._redis

    def base_options(self) -> dict[str, Any]:
        """Return the filter options that come from the deployment's configuration."""
        options = asdict(self.config)
        options["word_list"] = list(self.config.word_list)
        return options

    def site_options(self, site_id: int) -> tuple[tuple, dict[str, Any]]:
        """Return the site's filter options and a version tag that changes when they change."""
        now = time.monotonic()
        cached = self._site_options.get(site_id)
        if cached is not None and now - cached[0] < SITE_REFRESH_SECONDS:
            return cached[1], cached[2]
        with self.db.read() as session:
            site = session.get(Site, site_id)
            stamp = session.execute(
                select(func.count(WordEntry.id), func.max(WordEntry.updated_at)).where(WordEntry.site_id == site_id)
            ).one()
            entries = []
            version_entries: tuple = ()
            if stamp[0]:
                rows = session.scalars(select(WordEntry).where(WordEntry.site_id == site_id).order_by(WordEntry.id))
                entries = [{"term": e.term, "category": e.category, "severity": e.severity, "action": e.action}
                           for e in rows]
                version_entries = (stamp[0], str(stamp[1]))
            # Built-in entries the site switched off: few rows, read whole, and part of the version.
            terms_off = tuple(session.scalars(select(BuiltinWordOff.term).where(BuiltinWordOff.site_id == site_id)
                                              .order_by(BuiltinWordOff.term)))
            settings = dict(site.settings or {}) if site else {}
        options = {**self.base_options(), **settings, "word_entries": entries, "builtin_words_off": list(terms_off),
                   "allowed_domains": settings.get("allowed_domains", [])}
        version = (site_id, version_entries, terms_off, repr(sorted(settings.items())))
        self._site_options[site_id] = (now, version, options)
        return version, options

    def standings(self, conn: Connection, site_id: int, settings: dict[str, Any],
                  authors: list[tuple[str, str | None]]) -> list[AuthorStanding]:
        """Return the standing on the site of each (author key, hashed IP): ban in force, trust, site mode.

        The bans of the whole batch are read in one query on a Core connection, and the settings come
        with the comments, so a new ban or setting applies to the very next job; the rules are
        service.trust.standing_with_ban's.
        """
        bans = bans_in_force(conn, site_id, [a for a, _ in authors if a], [ip for _, ip in authors if ip])
        return [standing_with_ban(conn, site_id, settings, author_key, ban_for(bans, author_key, ip_hash))
                for author_key, ip_hash in authors]

    def pipeline_for(self, site_id: int) -> Pipeline:
        """Return the pipeline for a site, rebuilt only when the site's options change."""
        version, options = self.site_options(site_id)
        pipeline = self._pipelines.get(version)
        if pipeline is None:
            names = options.get("filters") or self.config.filters
            pipeline = Pipeline.from_options(tuple(names), options)
            # Keep one pipeline per site: drop the site's stale versions.
            for key in [k for k in self._pipelines if k[0] == site_id]:
                del self._pipelines[key]
            self._pipelines[version] = pipeline
        return pipeline


_current: WorkerContext | None = None


def use_context(context: WorkerContext | None) -> None:
    """Make `context` the one jobs in this process use (a worker with its own config, or a test)."""
    global _current
    _current = context


def worker_context() -> WorkerContext:
    """Return this process's context, created from the environment on first use."""
    global _current
    if _current is None:
        _current = WorkerContext(Config.from_env())
    return _current
