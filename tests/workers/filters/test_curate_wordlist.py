"""Tests of workers/filters/curate_wordlist.py: the rules that keep names and ordinary words out."""
from __future__ import annotations

import pytest

from workers.filters.curate_wordlist import is_name


@pytest.mark.parametrize("term", ["光明日报", "人民日报", "星岛日报", "日本"])
def test_newspapers_and_places_are_names_not_obscenities(term: str) -> None:
    assert is_name(term)


@pytest.mark.parametrize("term", ["鸡巴", "约炮", "赌场"])
def test_listed_words_are_not_names(term: str) -> None:
    assert not is_name(term)
