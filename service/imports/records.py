"""The neutral form every reader hands its comments over in."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from service.comments import MAX_THREAD_KEY, MAX_TITLE, normalise_thread_key
from service.models import CommentStatus


@dataclass(frozen=True)
class SourceComment:
    """One comment of an export file, with its status already mapped to ours."""

    source_id: str
    thread_key: str
    thread_title: str | None
    parent_id: str | None  # the source id of the comment answered
    author: str
    email: str | None
    text: str
    status: CommentStatus
    created_at: datetime
    ip: str | None = None  # hashed with SECRET_KEY before it is stored, never kept
    ip_hash: str | None = None  # only from Moderato's own export, already a keyed hash


class Reader(Protocol):
    """Read one system's export file."""

    def __call__(self, path: Path) -> Iterator[SourceComment]: ...


class ImportFormatError(ValueError):
    """The file is not an export of the system named."""


def thread_key_of(url_or_path: str) -> str:
    """Return the thread key of an article's URL or path: its path (and query), one leading slash."""
    text = (url_or_path or "").strip()
    if "://" in text:
        parts = urlsplit(text)
        text = parts.path + (f"?{parts.query}" if parts.query else "")
    return normalise_thread_key(text or "/")[:MAX_THREAD_KEY]


def title_of(title: str | None) -> str | None:
    """Return a thread title trimmed to what the threads table holds, or None when empty."""
    title = (title or "").strip()
    return title[:MAX_TITLE] or None


def utc(moment: datetime) -> datetime:
    """Return a datetime in UTC; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def from_millis(value: float) -> datetime:
    """Return the UTC time of a Unix timestamp in milliseconds."""
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc)


def blank_to_none(value: object) -> str | None:
    """Return a stripped string, or None for None and empty strings."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_time(value: object) -> datetime:
    """Return the UTC time of an export's date: ISO 8601, `Y-m-d H:M:S[ ±zzzz]`, epoch ms, or LeanCloud's {"iso"}."""
    if isinstance(value, dict):
        value = value.get("iso") or value.get("$date")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_millis(value)
    text = str(value or "").strip()
    if text.isdigit():
        return from_millis(int(text))
    for fmt in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S"):
        try:
            return utc(datetime.strptime(text, fmt))
        except ValueError:
            pass
    try:
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError as err:
        raise ImportFormatError(f"unreadable date {text!r}") from err
