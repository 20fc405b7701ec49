"""SQLAlchemy 2 models: sites, threads, comments, verdicts, API keys, site word entries, reports."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from enum import Enum

from sqlalchemy import (
    JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(timezone.utc)


def new_site_secret() -> str:
    """Return a new random signing secret for a site."""
    return secrets.token_urlsafe(32)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime column; SQLite hands back naive values, so they are read as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class CommentStatus(str, Enum):
    """Where a comment stands in moderation."""

    PENDING = "pending"
    APPROVED = "approved"
    HELD = "held"
    REJECTED = "rejected"
    DELETED = "deleted"


class DecidedBy(str, Enum):
    """Who made a comment's decision."""

    FILTERS = "filters"
    MODERATOR = "moderator"


class Base(DeclarativeBase):
    """Declarative base of every model."""


class Site(Base):
    """A site that embeds the widget; threads and API keys belong to it."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    origins: Mapped[list] = mapped_column(JSON, default=list)  # origins allowed to call the API from a browser
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Key the host site signs its signed-in readers' tokens with (service/identity.py).
    secret: Mapped[str | None] = mapped_column(String(64), nullable=True, default=new_site_secret)


class ApiKey(Base):
    """A site's API key; only the SHA-256 of the key is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown to operators to tell keys apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    site: Mapped[Site] = relationship()


class Thread(Base):
    """An article's comment thread, keyed by the article's path within a site."""

    __tablename__ = "threads"
    __table_args__ = (UniqueConstraint("site_id", "key", name="uq_threads_site_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(500))
    title: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set by a moderator: the thread takes no new comments (migration 0004).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Comment(Base):
    """A reader's comment, stored as written; its status moves from pending to a decision."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_thread_status_id", "thread_id", "status", "id"),
        Index("ix_comments_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"), nullable=True)
    author: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=CommentStatus.PENDING.value)
    ip_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # keyed hash, never the address
    token_hash: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[list] = mapped_column(JSON, default=list)  # reasons shown to the author
    decided_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(100), nullable=True)  # a verified signed-in reader
    # A reader account of this service (migration 0006); host-signed readers keep `user_id`, a separate
    # id space, so a host's user "7" and account 7 are never the same author.
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("readers.id", ondelete="SET NULL"), nullable=True,
                                                  index=True)
    # The language of reply notices its author asked for; None: no notices.
    reply_notice_lang: Mapped[str | None] = mapped_column(String(8), nullable=True)

    thread: Mapped[Thread] = relationship()
    verdicts: Mapped[list[VerdictRecord]] = relationship(back_populates="comment", order_by="VerdictRecord.id")


class VerdictRecord(Base):
    """One filter's verdict on one comment, kept so moderators see why it was decided."""

    __tablename__ = "verdicts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    filter: Mapped[str] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    spans: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    comment: Mapped[Comment] = relationship(back_populates="verdicts")


class ModerationAction(Base):
    """A moderator's decision on a comment: the audit trail and a labelled example for the filters."""

    __tablename__ = "moderation_actions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    moderator: Mapped[str] = mapped_column(String(100))
    previous_status: Mapped[str] = mapped_column(String(16))
    new_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WordEntry(Base):
    """A site's own word-list entry, added by its moderators."""

    __tablename__ = "word_entries"
    __table_args__ = (UniqueConstraint("site_id", "term", name="uq_word_entries_site_term"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20), default="custom")
    severity: Mapped[int] = mapped_column(Integer, default=2)
    action: Mapped[str] = mapped_column(String(10), default="hold")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ReportReason(str, Enum):
    """Why a reader reported a comment."""

    SPAM = "spam"
    ABUSE = "abuse"
    OTHER = "other"


class Report(Base):
    """A reader's report of a published comment, kept for moderators; one per reader per comment."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("comment_id", "reporter_hash", name="uq_reports_comment_reporter"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    reporter_hash: Mapped[str] = mapped_column(String(64))  # keyed hash of the reader's IP or user id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- The moderator console: accounts, personal API tokens, bans (migration 0003) ---


class UserRole(str, Enum):
    """What a console account may do: admins manage sites and accounts, moderators decide comments."""

    ADMIN = "admin"
    MODERATOR = "moderator"


class User(Base):
    """A console account; `site_ids` empty means every site, otherwise only those sites."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default=UserRole.MODERATOR.value)
    site_ids: Mapped[list] = mapped_column(JSON, default=list)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    language: Mapped[str] = mapped_column(String(10), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class UserToken(Base):
    """A personal API token of a console account; only the SHA-256 of the token is stored."""

    __tablename__ = "user_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User] = relationship()


class Ban(Base):
    """A ban of an author (by author key) or of a hashed IP on one site, until a time or for good."""

    __tablename__ = "bans"
    __table_args__ = (
        Index("ix_bans_site_author", "site_id", "author_key"),
        Index("ix_bans_site_ip", "site_id", "ip_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    author_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    ip_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # None: for good
    shadow: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditEvent(Base):
    """A console action that is not a decision on one comment: bans, word lists, settings, accounts."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), nullable=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


# --- Moderators' notes and built-in words a site switched off (migration 0007) ---


class ModeratorNote(Base):
    """A moderator's note on a comment, an author (by author key) or a hashed IP, on one site."""

    __tablename__ = "moderator_notes"
    __table_args__ = (
        Index("ix_moderator_notes_site_author", "site_id", "author_key"),
        Index("ix_moderator_notes_site_ip", "site_id", "ip_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), nullable=True,
                                                   index=True)
    author_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    ip_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    moderator: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BuiltinWordOff(Base):
    """A built-in word-list entry (workers/filters/data/wordlist.tsv) that one site has switched off."""

    __tablename__ = "builtin_words_off"
    __table_args__ = (UniqueConstraint("site_id", "term", name="uq_builtin_words_off_site_term"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(String(100))
    moderator: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- Readers' likes and moderators' pins (migration 0004) ---


class Like(Base):
    """A reader's like (点赞) of a published comment; one per reader, named by a keyed hash."""

    __tablename__ = "likes"
    __table_args__ = (
        UniqueConstraint("comment_id", "liker_hash", name="uq_likes_comment_liker"),
        Index("ix_likes_comment_ip", "comment_id", "ip_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    # Keyed hash of the signed-in reader's id, or of the browser token a guest's widget keeps.
    liker_hash: Mapped[str] = mapped_column(String(64))
    ip_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # caps likes per address
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Pin(Base):
    """A comment a moderator pinned (置顶): shown first in its thread, newest pin first."""

    __tablename__ = "pins"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    pinned_by: Mapped[str] = mapped_column(String(100))
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- Readers' own accounts on a site, and their sessions (migration 0006) ---


class ReaderAccountMode(str, Enum):
    """Who may comment on a site: guests (and host-signed readers), reader accounts only, or both."""

    GUESTS = "guests"
    ACCOUNTS = "accounts"
    BOTH = "both"


class ReaderAccount(Base):
    """A reader's account on one site: a nickname, an email (lower-cased) and an Argon2id password hash."""

    __tablename__ = "readers"
    __table_args__ = (UniqueConstraint("site_id", "email", name="uq_readers_site_email"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    nickname: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")  # of the mails it gets
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReaderSession(Base):
    """A signed-in widget's session; only the SHA-256 of its token is stored."""

    __tablename__ = "reader_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("readers.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
