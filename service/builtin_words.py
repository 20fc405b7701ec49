"""The built-in word list as data: its rows, read from the TSV the workers' word-list filter compiles.

The web side shows the list (read-only, searchable) without importing workers code; the filter reads the
same rows through `read_word_list`. The file is built by `python -m workers.filters.curate_wordlist build`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

BUILTIN_LIST = Path(__file__).resolve().parent.parent / "workers" / "filters" / "data" / "wordlist.tsv"


@dataclass(frozen=True)
class ListedWord:
    """One row of a word-list TSV: term, category, severity (1-3), action, whole-word match, source."""

    term: str
    category: str
    severity: int
    action: str
    whole_word: bool = False
    source: str = ""


def read_word_list(path: Path = BUILTIN_LIST) -> tuple[ListedWord, ...]:
    """Read a word list TSV with columns term, category, severity, action, match ("word" or empty), source."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("term\t"):
            continue
        columns = line.split("\t")
        term, category, severity, action = columns[:4]
        match = columns[4] if len(columns) > 4 else ""
        if match not in ("", "word"):
            raise ValueError(f"{path}: match column must be 'word' or empty, not {match!r} ({term})")
        rows.append(ListedWord(term, category, int(severity), action, match == "word",
                               columns[5] if len(columns) > 5 else ""))
    return tuple(rows)


@lru_cache(maxsize=1)
def builtin_words() -> tuple[ListedWord, ...]:
    """Return the built-in list's rows, read once per process, ordered by term."""
    return tuple(sorted(read_word_list(), key=lambda w: w.term))


@dataclass(frozen=True)
class WordPage:
    """A page of the built-in list: its rows, how many rows matched, and the page's number."""

    rows: tuple[ListedWord, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Return the number of pages the matching rows fill."""
        return max(1, -(-self.total // self.per_page))


def search_builtin(query: str = "", category: str = "", page: int = 1, per_page: int = 50,
                   only: frozenset[str] | None = None) -> WordPage:
    """Return one page of the built-in rows whose term contains `query` (any case), of `category` if given.

    `only` keeps the rows whose term is in it (a site's switched-off entries).
    """
    needle = query.strip().casefold()
    rows = [w for w in builtin_words()
            if (not needle or needle in w.term.casefold()) and (not category or w.category == category)
            and (only is None or w.term in only)]
    last = max(1, -(-len(rows) // per_page))
    page = min(max(1, page), last)
    return WordPage(tuple(rows[(page - 1) * per_page:page * per_page]), len(rows), page, per_page)


def is_builtin(term: str) -> bool:
    """Say whether a term is an entry of the built-in list."""
    return term in _builtin_terms()


@lru_cache(maxsize=1)
def _builtin_terms() -> frozenset[str]:
    return frozenset(w.term for w in builtin_words())
