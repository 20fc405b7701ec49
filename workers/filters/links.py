"""Links: comments carrying more links than a reader needs are held."""
from __future__ import annotations

import re
from typing import Any

from service.reason_text import reason
from workers.filters import register
from workers.filters.base import Action, FilterContext, Span, Verdict, allow

_LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|cn|io|info|top|xyz|cc|me)\b",
    re.IGNORECASE,
)


@register
class LinkCountFilter:
    """Hold a comment with more than `max_links` links."""

    name = "links"

    def __init__(self, max_links: int = 2) -> None:
        self.max_links = max_links

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> LinkCountFilter:
        """Build the filter from the pipeline options."""
        return cls(max_links=options.get("max_links", 2))

    def check(self, ctx: FilterContext) -> Verdict:
        """Count the links in the normalised text."""
        norm = ctx.normalised("text")
        spans = tuple(Span(*norm.original_span(m.start(), m.end()), "link") for m in _LINK.finditer(norm.text))
        if len(spans) > self.max_links:
            return Verdict(self.name, Action.HOLD, min(1.0, len(spans) / (self.max_links + 3)),
                           (reason("links.too_many", count=len(spans), max=self.max_links),), spans)
        if spans:
            return Verdict(self.name, Action.FLAG, 0.1, (reason("links.some", count=len(spans)),), spans)
        return allow(self.name)
