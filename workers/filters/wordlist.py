"""Word lists with categories and actions, matched in one pass by an Aho-Corasick automaton.

The default list ships as `data/wordlist.tsv` (built and measured by `curate_wordlist.py`); a site adds
its own entries through `options["word_entries"]`. Terms and comments are normalised alike, and terms are
found in the compact view, so `傻 逼`, `傻*逼`, `傻逼` and `這個傻逼` all match 傻逼.

An entry of one character, or one marked `word` in the list's match column (a false friend such as 日你,
which is also "the 20th, you..."), matches only where a word segmenter puts word boundaries at both of
its ends: 屌 in 你屌什么 but not in 屌丝. The segmenter runs only when such an entry has matched.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import ahocorasick_rs

from service.builtin_words import BUILTIN_LIST, read_word_list
from service.reason_text import reason
from workers.filters import register
from workers.filters.base import Action, FilterContext, Span, Verdict, allow
from workers.filters.normalise import NormalisedText, normalise
from workers.filters.segment import is_whole_word

DEFAULT_LIST = BUILTIN_LIST  # data/wordlist.tsv, read by service.builtin_words for the console too
CATEGORIES = ("abuse", "sexual", "gambling", "sex_trade", "ads_fraud", "illegal_goods", "custom")
# Advertising: a comment made of phrases from these categories is an ad even with no contact details.
AD_CATEGORIES = ("gambling", "sex_trade", "ads_fraud")
# "allow" marks an exception: a longer innocent word (其他妈妈) that silences the entries inside it.
ACTIONS = {"reject": Action.REJECT, "hold": Action.HOLD, "flag": Action.FLAG, "allow": Action.ALLOW}


@dataclass(frozen=True)
class WordEntry:
    """One listed term: what it is, how bad it is (1-3) and what a match asks for."""

    term: str
    category: str = "custom"
    severity: int = 2
    action: str = "hold"
    whole_word: bool = False  # match only on word boundaries; always so for a one-character term

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown word category {self.category!r}; known: {', '.join(CATEGORIES)}")
        if self.action not in ACTIONS:
            raise ValueError(f"unknown word action {self.action!r}; known: {', '.join(ACTIONS)}")
        if not 1 <= int(self.severity) <= 3:
            raise ValueError(f"word severity must be 1 to 3, not {self.severity!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WordEntry:
        """Build an entry from a dict with term, category, severity and action."""
        return cls(str(data["term"]), str(data.get("category", "custom")), int(data.get("severity", 2)),
                   str(data.get("action", "hold")), bool(data.get("whole_word", False)))


@dataclass(frozen=True)
class WordMatch:
    """A listed entry found in a text, by offsets into the original."""

    entry: WordEntry
    start: int
    end: int


def load_entries(path: Path = DEFAULT_LIST) -> tuple[WordEntry, ...]:
    """Read a word list TSV with columns term, category, severity, action, match ("word" or empty), note."""
    return tuple(WordEntry(w.term, w.category, w.severity, w.action, w.whole_word) for w in read_word_list(path))


class WordMatcher:
    """A compiled automaton over the compact form of a list's terms."""

    def __init__(self, entries: Iterable[WordEntry]) -> None:
        by_key: dict[str, WordEntry] = {}
        for entry in entries:
            key = normalise(entry.term).compact
            if not key:
                continue
            known = by_key.get(key)
            # Two entries that normalise alike: the stronger one speaks for both.
            if known is None or _strength(entry) > _strength(known):
                by_key[key] = entry
        self.keys = list(by_key)
        self.entries = [by_key[k] for k in self.keys]
        # Latin letters or digits at a term's edge must stand at a word boundary: `sb` is not in `asbestos`.
        self._edges = [(_is_latin(k[0]), _is_latin(k[-1])) for k in self.keys]
        self._whole_word = [e.whole_word or len(k) == 1 for e, k in zip(self.entries, self.keys)]
        self._automaton = ahocorasick_rs.AhoCorasick(self.keys) if self.keys else None

    def find(self, norm: NormalisedText) -> list[WordMatch]:
        """Return the listed entries found in a normalised text, exceptions applied."""
        if self._automaton is None or not norm.compact:
            return []
        compact = norm.compact
        found: list[tuple[int, int, int]] = []
        for index, start, end in self._automaton.find_matches_as_indexes(compact, overlapping=True):
            latin_start, latin_end = self._edges[index]
            if latin_start and start > 0 and _is_latin(compact[start - 1]) and not norm.gap_before(start):
                continue
            if latin_end and end < len(compact) and _is_latin(compact[end]) and not norm.gap_after(end):
                continue
            if self._whole_word[index] and not is_whole_word(compact, start, end):
                continue
            found.append((index, start, end))
        exceptions = [(s, e) for i, s, e in found if self.entries[i].action == "allow"]
        matches = []
        for index, start, end in found:
            entry = self.entries[index]
            if entry.action == "allow" or any(s <= start and end <= e for s, e in exceptions):
                continue
            matches.append(WordMatch(entry, *norm.compact_span(start, end)))
        return matches


def _strength(entry: WordEntry) -> tuple[int, int]:
    return (ACTIONS[entry.action].rank if entry.action != "allow" else 4, entry.severity)


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


@lru_cache(maxsize=1)
def default_matcher() -> WordMatcher:
    """Return the matcher of the shipped list, compiled once per process."""
    return WordMatcher(load_entries())


@lru_cache(maxsize=16)
def default_matcher_without(terms_off: frozenset[str]) -> WordMatcher:
    """Return the matcher of the shipped list without the entries a site switched off, compiled once per set."""
    return WordMatcher(e for e in load_entries() if e.term not in terms_off)


@lru_cache(maxsize=64)
def site_matcher(entries: tuple[WordEntry, ...]) -> WordMatcher:
    """Return the matcher of one site's entries, compiled once per distinct list."""
    return WordMatcher(entries)


@register
class WordListFilter:
    """Act on listed words: the strongest action among the matches wins, the score follows severity."""

    name = "wordlist"

    def __init__(self, site_entries: tuple[WordEntry, ...] = (), use_default: bool = True,
                 default_off: frozenset[str] = frozenset()) -> None:
        default = default_matcher_without(default_off) if default_off else default_matcher()
        self.matchers = ([default] if use_default else []) + (
            [site_matcher(site_entries)] if site_entries else [])

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> WordListFilter:
        """Build the filter from `word_entries` (dicts), `word_list` (plain words), `use_default_wordlist` and
        `builtin_words_off` (terms of the shipped list the site switched off)."""
        entries = [WordEntry.from_dict(d) for d in options.get("word_entries", ())]
        entries += [WordEntry(w, "custom", 2, "hold") for w in options.get("word_list", ()) if w.strip()]
        # Sorting makes the cache key independent of the order the database returns rows in.
        key = tuple(sorted(set(entries), key=lambda e: (e.term, e.category, e.severity, e.action)))
        return cls(site_entries=key, use_default=options.get("use_default_wordlist", True),
                   default_off=frozenset(options.get("builtin_words_off", ())))

    def find(self, ctx: FilterContext, field: str = "text") -> list[WordMatch]:
        """Return every listed word in one field of the comment."""
        norm = ctx.normalised(field)
        return [m for matcher in self.matchers for m in matcher.find(norm)]

    def check(self, ctx: FilterContext) -> Verdict:
        """Find the listed words in the comment text and the author's name; judge the ad phrases together."""
        action, severity = Action.ALLOW, 0
        reasons: list[dict[str, Any]] = []
        spans: dict[Span, None] = {}
        ad_matches: list[tuple[WordMatch, str]] = []
        for field in ("text", "author"):
            for match in self.find(ctx, field):
                entry = match.entry
                entry_action = ACTIONS[entry.action]
                if entry_action.rank > action.rank:
                    action = entry_action
                severity = max(severity, entry.severity)
                found = reason("wordlist.word", category=entry.category, term=entry.term, action=entry.action,
                               fields=[] if field == "text" else [field])
                if found not in reasons:
                    reasons.append(found)
                spans[Span(match.start, match.end, entry.category, field)] = None
                if entry.category in AD_CATEGORIES:
                    ad_matches.append((match, field))
        if not spans:
            return allow(self.name)
        ad_action, ad_reason = judge_ad_phrases(ad_matches)
        if ad_reason:
            reasons.append(ad_reason)
        if ad_action.rank > action.rank:
            action = ad_action
            severity = 3 if ad_action is Action.REJECT else max(severity, 2)
        return Verdict(self.name, action, severity / 3, tuple(reasons), tuple(sorted(
            spans, key=lambda s: (s.field, s.start, s.end))))


def judge_ad_phrases(matches: list[tuple[WordMatch, str]]) -> tuple[Action, dict[str, Any] | None]:
    """Judge a comment's ad phrases together: an ad needs no contact details to be an ad.

    Phrases count once each and only where they do not overlap a longer one (澳门赌场 holds 赌场). Two
    distinct phrases of which one is strong (listed to hold or reject), or three weak ones, reject;
    two weak ones hold. One phrase alone acts as listed: a strong one holds, a weak one flags.
    """
    kept: list[tuple[WordMatch, str]] = []
    for match, field in sorted(matches, key=lambda m: (-(m[0].end - m[0].start), m[1], m[0].start)):
        if any(f == field and k.start < match.end and match.start < k.end for k, f in kept):
            continue
        if any(k.entry.term == match.entry.term for k, _f in kept):
            continue
        kept.append((match, field))
    strong = sum(1 for m, _f in kept if ACTIONS[m.entry.action].rank >= Action.HOLD.rank)
    if len(kept) < 2:
        return Action.ALLOW, None
    action = Action.REJECT if (strong and len(kept) >= 2) or len(kept) >= 3 else Action.HOLD
    kinds = list(dict.fromkeys(m.entry.category for m, _f in kept))
    terms = ", ".join(m.entry.term for m, _f in sorted(kept, key=lambda m: (m[1] != "text", m[0].start)))
    return action, reason("wordlist.ad_phrases", count=len(kept), categories=kinds, match=terms)
