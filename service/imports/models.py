"""Where each imported comment came from: one row per (site, source system, source id).

Kept out of `service/models.py` on purpose: the comments table is unchanged, and an import that runs
twice, or again after a crash, finds the comments it already wrote here (migration imports_0001).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.models import Base, BigId, UTCDateTime, utcnow


class ImportedComment(Base):
    """A comment written by an import, named by the system it came from and that system's id."""

    __tablename__ = "imported_comments"
    __table_args__ = (UniqueConstraint("site_id", "source", "source_id", name="uq_imported_comments_source"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20))  # disqus, wordpress, isso, waline, twikoo, artalk, moderato
    source_id: Mapped[str] = mapped_column(String(100))
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
