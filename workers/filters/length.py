"""Text length: empty or near-empty comments are held, over-long ones rejected."""
from __future__ import annotations

from typing import Any

from service.reason_text import reason
from workers.filters import register
from workers.filters.base import Action, FilterContext, Verdict, allow


@register
class LengthFilter:
    """Hold comments with almost no content; reject those over the hard limit."""

    name = "length"

    def __init__(self, min_chars: int = 2, max_chars: int = 2000) -> None:
        self.min_chars = min_chars
        self.max_chars = max_chars

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> LengthFilter:
        """Build the filter from the pipeline options."""
        return cls(min_chars=options.get("min_chars", 2), max_chars=options.get("max_comment_length", 2000))

    def check(self, ctx: FilterContext) -> Verdict:
        """Judge the comment's length, counting characters that carry content."""
        content = "".join(ch for ch in ctx.normalised("text").text if not ch.isspace())
        if len(ctx.comment.text) > self.max_chars:
            return Verdict(self.name, Action.REJECT, 1.0, (reason("length.too_long", max=self.max_chars),))
        if len(content) < self.min_chars:
            return Verdict(self.name, Action.HOLD, 0.6, (reason("length.too_short", min=self.min_chars),))
        return allow(self.name)
