"""Repetition: one character or one short run repeated over and over (flooding inside a comment)."""
from __future__ import annotations

import re
from typing import Any

from service.reason_text import reason
from workers.filters import register
from workers.filters.base import Action, FilterContext, Span, Verdict, allow

# A unit of 1 to 4 characters repeated so that the run is at least `min_run` characters long.
_RUN = re.compile(r"(.{1,4}?)\1{5,}", re.DOTALL)


@register
class RepetitionFilter:
    """Hold comments in which a short unit repeats to fill much of the text."""

    name = "repetition"

    def __init__(self, min_run: int = 12, max_share: float = 0.5) -> None:
        self.min_run = min_run
        self.max_share = max_share

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> RepetitionFilter:
        """Build the filter from the pipeline options."""
        return cls(min_run=options.get("repetition_min_run", 12),
                   max_share=options.get("repetition_max_share", 0.5))

    def check(self, ctx: FilterContext) -> Verdict:
        """Find long repeated runs; hold when they make up too much of the comment."""
        norm = ctx.normalised("text")
        text = norm.text
        if not text:
            return allow(self.name)
        spans: list[Span] = []
        repeated = 0
        for match in _RUN.finditer(text):
            if match.end() - match.start() < self.min_run:
                continue
            repeated += match.end() - match.start()
            start, end = norm.original_span(match.start(), match.end())
            spans.append(Span(start, end, "repeated"))
        share = repeated / len(text)
        if spans and share >= self.max_share:
            return Verdict(self.name, Action.HOLD, min(1.0, share),
                           (reason("repetition.mostly", share=round(share, 4)),), tuple(spans))
        if spans:
            return Verdict(self.name, Action.FLAG, share, (reason("repetition.run"),), tuple(spans))
        return allow(self.name)
