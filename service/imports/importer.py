"""Importing comments: plan what a file adds (the dry run prints it), then write it in chunks.

Each comment written is remembered with its source system and id (`imported_comments`), in the same
transaction, so importing a file twice, or again after a crash half-way, adds only what is missing.
Statuses are the source's, mapped by its reader: imported comments are not moderated again unless
asked. A source's "awaiting moderation" becomes held (a moderator's queue), never pending: a pending
comment without a job is what the reconciler hands to the filters. With `moderate`, approved and
held comments are stored pending and queued for the filters as a submitted comment is; spam and
deleted ones keep their status (re-deciding them could publish what the old system's moderators
removed).
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from redis import Redis
from sqlalchemy import insert, select

from service.comments import ThreadCache, ThreadIds
from service.config import Config
from service.db import Database
from service.imports import artalk, disqus, isso, moderato, twikoo, waline, wordpress
from service.imports.models import ImportedComment
from service.imports.records import Reader, SourceComment
from service.keys import hash_ip, hash_token, new_token
from service.models import Comment, CommentStatus, Site, Thread, utcnow
from service.queue import enqueue_moderation
from service.review import record_event
from service.sites import get_or_create_site

READERS: dict[str, Reader] = {
    "disqus": disqus.read,
    "wordpress": wordpress.read,
    "isso": isso.read,
    "waline": waline.read,
    "twikoo": twikoo.read,
    "artalk": artalk.read,
    "moderato": moderato.read,
}
DECIDED_BY_IMPORT = "import"
ANONYMOUS = "匿名"  # what Twikoo and most Chinese widgets call a reader who left no name
CHUNK = 500  # comments per transaction: a crash loses at most one chunk's work, which a re-run redoes
MAX_AUTHOR = 100
MAX_EMAIL = 254


def stored_status(status: CommentStatus, moderate: bool) -> CommentStatus:
    """Return the status an imported comment is stored with."""
    if moderate and status in (CommentStatus.APPROVED, CommentStatus.HELD, CommentStatus.PENDING):
        return CommentStatus.PENDING
    if status is CommentStatus.PENDING:
        return CommentStatus.HELD
    return status


@dataclass
class Plan:
    """What an import adds: the new comments, parents first, and the counts the dry run prints."""

    source: str
    site: str
    moderate: bool
    comments: list[SourceComment] = field(default_factory=list)
    per_thread: dict[str, Counter] = field(default_factory=dict)  # thread key -> stored status -> count
    titles: dict[str, str | None] = field(default_factory=dict)
    already_imported: int = 0
    duplicates_in_file: int = 0
    orphans: int = 0  # replies whose parent is not in the file: kept, at the top level
    new_threads: int = 0

    def totals(self) -> Counter:
        """Return the comments to write, per stored status."""
        total: Counter = Counter()
        for counts in self.per_thread.values():
            total.update(counts)
        return total

    def summary(self) -> str:
        """Return the plan as lines of text: per thread, then totals."""
        lines = [f"import from {self.source} into site '{self.site}'"
                 + (" (stored pending and queued for the filters)" if self.moderate else "")]
        for key in sorted(self.per_thread):
            counts = self.per_thread[key]
            title = self.titles.get(key)
            lines.append(f"  {key}" + (f" ({title})" if title else "") + ": "
                         + ", ".join(f"{status} {n}" for status, n in sorted(counts.items())))
        totals = self.totals()
        lines.append(f"comments to write: {sum(totals.values())}"
                     + (" (" + ", ".join(f"{s} {n}" for s, n in sorted(totals.items())) + ")" if totals else ""))
        lines.append(f"threads: {len(self.per_thread)} ({self.new_threads} new)")
        lines.append(f"already imported, skipped: {self.already_imported}")
        if self.duplicates_in_file:
            lines.append(f"repeated ids in the file, skipped: {self.duplicates_in_file}")
        if self.orphans:
            lines.append(f"replies whose parent is not in the file, kept at the top level: {self.orphans}")
        return "\n".join(lines)


def _source_id(comment: SourceComment) -> str:
    if comment.source_id:
        return comment.source_id[:100]
    # No id in the file: a digest of what the comment is names it the same way on every run.
    digest = hashlib.sha256("\x00".join([comment.thread_key, comment.author, comment.created_at.isoformat(),
                                         comment.text]).encode()).hexdigest()
    return f"sha256:{digest[:40]}"


def plan_import(db: Database, source: str, site_name: str, comments: Iterable[SourceComment],
                moderate: bool = False) -> Plan:
    """Return what importing these comments into the site would add; changes nothing."""
    plan = Plan(source=source, site=site_name, moderate=moderate)
    by_id: dict[str, SourceComment] = {}
    for comment in comments:
        source_id = _source_id(comment)
        if source_id in by_id:
            plan.duplicates_in_file += 1
            continue
        by_id[source_id] = comment
    with db.read() as session:
        site = session.scalar(select(Site).where(Site.name == site_name))
        done: set[str] = set()
        known_threads: set[str] = set()
        if site is not None:
            done = set(session.scalars(select(ImportedComment.source_id).where(
                ImportedComment.site_id == site.id, ImportedComment.source == source)))
            known_threads = set(session.scalars(select(Thread.key).where(Thread.site_id == site.id)))

    def depth(source_id: str) -> int:
        seen, current, n = {source_id}, by_id[source_id].parent_id, 0
        while current is not None and current in by_id and current not in seen:
            seen.add(current)
            current, n = by_id[current].parent_id, n + 1
        return n

    # Parents before their replies: by depth in the reply tree, then by time.
    ordered = sorted(by_id, key=lambda sid: (depth(sid), by_id[sid].created_at, sid))
    new_threads: set[str] = set()
    for source_id in ordered:
        comment = by_id[source_id]
        if source_id in done:
            plan.already_imported += 1
            continue
        if comment.parent_id is not None and comment.parent_id not in by_id and comment.parent_id not in done:
            plan.orphans += 1
        plan.comments.append(comment if comment.source_id == source_id else _with_id(comment, source_id))
        status = stored_status(comment.status, moderate).value
        plan.per_thread.setdefault(comment.thread_key, Counter())[status] += 1
        if comment.thread_title and not plan.titles.get(comment.thread_key):
            plan.titles[comment.thread_key] = comment.thread_title
        if comment.thread_key not in known_threads:
            new_threads.add(comment.thread_key)
    plan.new_threads = len(new_threads)
    return plan


def _with_id(comment: SourceComment, source_id: str) -> SourceComment:
    from dataclasses import replace

    return replace(comment, source_id=source_id)


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote."""

    written: int
    queued: int
    threads: int


def write_import(db: Database, config: Config, plan: Plan, redis: Redis | None = None,
                 actor: str = "command-line") -> ImportResult:
    """Write a plan's comments, remembering each source id; queue them when moderating; drop cached pages."""
    site = get_or_create_site(db, plan.site)
    thread_ids = ThreadIds()
    # Source id -> (comment id, thread id), for parents written by this run or an earlier one.
    with db.read() as session:
        written: dict[str, tuple[int, int]] = {
            row.source_id: (row.comment_id, row.thread_id)
            for row in session.execute(
                select(ImportedComment.source_id, ImportedComment.comment_id, Comment.thread_id)
                .join(Comment, Comment.id == ImportedComment.comment_id)
                .where(ImportedComment.site_id == site.id, ImportedComment.source == plan.source))
        }
    touched: set[str] = set()
    count = queued = 0
    for start in range(0, len(plan.comments), CHUNK):
        chunk = plan.comments[start:start + CHUNK]
        pending: list[int] = []
        with db.write_connection() as conn:
            for comment in chunk:
                thread_id = thread_ids.get_or_create(conn, site.id, comment.thread_key,
                                                     plan.titles.get(comment.thread_key))
                parent = written.get(comment.parent_id) if comment.parent_id is not None else None
                # A reply is kept under its parent only within the same thread, as the API requires.
                parent_id = parent[0] if parent is not None and parent[1] == thread_id else None
                status = stored_status(comment.status, plan.moderate)
                now = utcnow()
                decided = status is not CommentStatus.PENDING
                comment_id = conn.execute(insert(Comment).returning(Comment.id), dict(
                    thread_id=thread_id, parent_id=parent_id,
                    author=(comment.author.strip() or (ANONYMOUS if comment.text else ""))[:MAX_AUTHOR],
                    email=comment.email[:MAX_EMAIL] if comment.email else None,
                    text=comment.text, status=status.value,
                    # The address is hashed here and never stored; Moderato's own export carries the hash.
                    ip_hash=comment.ip_hash or hash_ip(config.secret_key, comment.ip),
                    token_hash=hash_token(new_token()), reasons=[],
                    decided_by=DECIDED_BY_IMPORT if decided else None,
                    created_at=comment.created_at, decided_at=now if decided else None, user_id=None,
                )).scalar_one()
                conn.execute(insert(ImportedComment).values(
                    site_id=site.id, source=plan.source, source_id=comment.source_id, comment_id=comment_id,
                    imported_at=now))
                written[comment.source_id] = (comment_id, thread_id)
                touched.add(comment.thread_key)
                if not decided:
                    pending.append(comment_id)
        count += len(chunk)
        if pending and redis is not None:
            # The normal path: committed as pending first, then queued; the reconciler queues what this misses.
            if enqueue_moderation(redis, config.queue_name, pending, config.moderation_batch_size):
                queued += len(pending)
    if redis is not None:
        cache = ThreadCache(redis, config.thread_cache_ttl)
        for key in touched:
            cache.invalidate(site.id, key)
    with db.write() as session:
        record_event(session, actor, "import", site.id, plan.source, written=count, queued=queued,
                     moderate=plan.moderate or None, threads=len(touched))
    return ImportResult(written=count, queued=queued, threads=len(touched))
