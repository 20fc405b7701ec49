"""Words that name a group of people (race, nationality, religion, region, gender, sexuality).

The abuse model cannot tell an angry complaint from abuse well: both are negative. What sets most abuse
apart is its aim. A comment that names a group is judged at the policy's `hold_at`; one that names none
and that no word list flagged, an ordinary comment in every other way, is held only from `plain_hold_at`,
where the model is sure: publishing it and letting readers' reports catch the rest costs less than a
queue of complaints and cheers (workers.policy).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import ahocorasick_rs

from workers.filters.base import Span
from workers.filters.normalise import NormalisedText, normalise

GROUP_TERMS = Path(__file__).parent / "data" / "group_terms.txt"


@lru_cache(maxsize=1)
def _automaton() -> tuple[ahocorasick_rs.AhoCorasick, tuple[str, ...]]:
    terms: list[str] = []
    for line in GROUP_TERMS.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            terms.extend(normalise(term).compact for term in line.split())
    unique = tuple(sorted(set(t for t in terms if t)))
    return ahocorasick_rs.AhoCorasick(unique, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest), unique


def _is_word(text: str, start: int, end: int) -> bool:
    # A Latin term must stand alone ("men" is not in "comment"); Chinese has no spaces to check.
    if not text[start:end].isascii():
        return True
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


def named_groups(norm: NormalisedText) -> tuple[Span, ...]:
    """Return the spans, in the original text, of the words that name a group of people."""
    automaton, terms = _automaton()
    spans = []
    # Chinese terms are found in the compact view, so 河*南*人 names a group too; Latin ones (gay, lgbt)
    # in the text with its spaces, where a word's edges can be seen.
    for want_latin, view, locate in ((False, norm.compact, norm.compact_span), (True, norm.text, norm.original_span)):
        for index, start, end in automaton.find_matches_as_indexes(view):
            latin = view[start:end].isascii()
            if latin == want_latin and (not latin or _is_word(view, start, end)):
                first, last = locate(start, end)
                spans.append(Span(first, last, label=f"group:{terms[index]}"))
    return tuple(spans)


__all__ = ["GROUP_TERMS", "named_groups"]
