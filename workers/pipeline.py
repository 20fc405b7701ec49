"""The filter pipeline: run the configured filters over a comment and decide by the policy."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workers.filters import build_filters
from workers.filters.base import Action, CommentInput, Filter, FilterContext, Verdict


@dataclass(frozen=True)
class Decision:
    """The outcome for one comment: the winning action and every filter's verdict."""

    action: Action  # ALLOW, HOLD or REJECT (FLAG alone allows)
    verdicts: tuple[Verdict, ...]

    @property
    def reasons(self) -> list[str]:
        """Return the reasons of the verdicts that asked for more than allowing."""
        return [r for v in self.verdicts if v.action is not Action.ALLOW for r in v.reasons]


class Pipeline:
    """Run filters in order; a REJECT stops early, since nothing later can soften it."""

    def __init__(self, filters: list[Filter]) -> None:
        self.filters = filters

    @classmethod
    def from_options(cls, names: tuple[str, ...] | list[str], options: dict[str, Any]) -> Pipeline:
        """Build the pipeline from filter names and their options."""
        return cls(build_filters(names, options))

    def run(self, comment: CommentInput, redis: Any = None, settings: dict[str, Any] | None = None) -> Decision:
        """Judge one comment and return the decision with every verdict."""
        ctx = FilterContext(comment=comment, redis=redis, settings=settings or {})
        verdicts: list[Verdict] = []
        strongest = Action.ALLOW
        for flt in self.filters:
            verdict = flt.check(ctx)
            verdicts.append(verdict)
            if verdict.action.rank > strongest.rank:
                strongest = verdict.action
            if strongest is Action.REJECT:
                break
        if strongest is Action.FLAG:
            strongest = Action.ALLOW
        return Decision(strongest, tuple(verdicts))
