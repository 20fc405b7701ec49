"""The interface every filter implements: a named class that returns a `Verdict`."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from workers.filters.normalise import NormalisedText


class Action(str, Enum):
    """What a filter asks for; the strongest action among the verdicts wins."""

    ALLOW = "allow"
    FLAG = "flag"  # noted for moderators, changes nothing on its own
    HOLD = "hold"
    REJECT = "reject"

    @property
    def rank(self) -> int:
        """Return the strength of the action, for picking the strongest."""
        return _RANK[self]


_RANK = {Action.ALLOW: 0, Action.FLAG: 1, Action.HOLD: 2, Action.REJECT: 3}


@dataclass(frozen=True)
class Span:
    """A matched part of the original text, by character offsets [start, end)."""

    start: int
    end: int
    label: str = ""
    field: str = "text"  # which input field the offsets refer to: text, author, email or url

    def to_dict(self) -> dict[str, Any]:
        """Return the span as plain JSON-ready data."""
        return {"start": self.start, "end": self.end, "label": self.label, "field": self.field}


@dataclass(frozen=True)
class Verdict:
    """One filter's judgement of one comment, kept so a moderator can see why."""

    filter: str
    action: Action
    score: float = 0.0
    # Each a code with parameters, {"code": "contact.wechat", "count": 1, "match": ...}, rendered in the
    # moderator's language by service/reason_text.py.
    reasons: tuple[dict[str, Any], ...] = ()
    spans: tuple[Span, ...] = ()

    def says_something(self) -> bool:
        """Tell whether the verdict may be worth a row: all but an allow with no score, reason or span.

        `service.moderation.says_something` decides on the stored form (its score rounded); this lets a
        worker skip making that form for the verdicts that can never say anything (5 of a comment's 7).
        """
        return self.action is not Action.ALLOW or bool(self.score) or bool(self.reasons) or bool(self.spans)

    def to_dict(self) -> dict[str, Any]:
        """Return the verdict as plain JSON-ready data."""
        return {
            "filter": self.filter,
            "action": self.action.value,
            "score": round(float(self.score), 4),
            "reasons": list(self.reasons),
            "spans": [s.to_dict() for s in self.spans],
        }


@dataclass(frozen=True)
class CommentInput:
    """What the filters see of a comment: its fields and who sent it, never the raw IP."""

    text: str
    author: str = ""
    email: str = ""
    url: str = ""
    thread: str = ""
    site_id: int | None = None
    comment_id: int | None = None
    ip_hash: str = ""
    author_key: str = ""  # verified user id, or the nickname when the reader is a guest


@dataclass
class FilterContext:
    """Per-comment state shared by the filters: the normalised fields, computed once, and services."""

    comment: CommentInput
    redis: Any = None  # a redis.Redis for filters that keep state (flooding); None where there is none
    settings: dict[str, Any] = field(default_factory=dict)
    # What a filter's `prepare` worked out for this comment with others, by filter name, for its `check`.
    prepared: dict[str, Any] = field(default_factory=dict, repr=False)
    _normalised: dict[str, NormalisedText] = field(default_factory=dict, repr=False)

    def normalised(self, field_name: str = "text") -> NormalisedText:
        """Return the normalised form of one input field, computing it on first use."""
        if field_name not in self._normalised:
            from workers.filters.normalise import normalise

            self._normalised[field_name] = normalise(getattr(self.comment, field_name) or "")
        return self._normalised[field_name]


class Filter(Protocol):
    """A filter: a registry name and a `check` that returns one verdict.

    A filter may also have `prepare(ctxs)`, which `Pipeline.run_many` calls with the contexts of the
    comments that reach it, in order, before it checks each: work that costs less done for several at once
    (the flood filter's Redis calls). `check` must give the same verdict with or without it.
    """

    name: ClassVar[str]

    def check(self, ctx: FilterContext) -> Verdict:
        """Judge the comment in `ctx`."""
        ...


def allow(name: str, score: float = 0.0) -> Verdict:
    """Return the verdict of a filter that found nothing."""
    return Verdict(filter=name, action=Action.ALLOW, score=score)
