"""Tests for workers/filters/targets.py: words that name a group of people, found as the other lists are."""
from __future__ import annotations

from workers.filters.normalise import normalise
from workers.filters.targets import named_groups


def names(text: str) -> list[str]:
    return [span.label.removeprefix("group:") for span in named_groups(normalise(text))]


def test_a_group_is_found_through_separators_and_traditional_characters() -> None:
    assert names("这些河 南 人真是没素质") == ["河南人"]
    assert names("這些河南人") == ["河南人"]
    assert names("女权都是田园女权") == ["女权", "田园女权"]


def test_spans_point_into_the_text_as_written() -> None:
    text = "说实话，黑*人也是人"
    (span,) = named_groups(normalise(text))
    assert text[span.start:span.end] == "黑*人"


def test_everyday_complaints_and_cheers_name_no_group() -> None:
    for text in ("小区门口的垃圾桶总是满的，没人清理。", "支持！早就该这么做了。", "天气这么冷，暖气什么时候来？",
                 "光明日报报道了这件事"):
        assert names(text) == [], text


def test_latin_terms_must_stand_alone() -> None:
    assert names("他是gay吧") == ["gay"]
    assert names("a gay man") == ["gay"]
    assert names("gayle is here") == []
