"""Tests of workers/filters/normalise.py: the views, and the map back to the original text."""
from __future__ import annotations

import time

import pytest

from workers.filters.normalise import normalise


def _compact_original(text: str, needle: str) -> str:
    norm = normalise(text)
    start = norm.compact.index(needle)
    begin, end = norm.compact_span(start, start + len(needle))
    return text[begin:end]


def test_full_width_case_and_traditional_fold_to_one_form() -> None:
    assert normalise("ＡＢＣ這個網站").text == "abc这个网站"


@pytest.mark.parametrize("text", ["傻*逼", "傻 逼", "傻😀逼", "傻\u200b逼", "傻\u202e逼", "傻。。。逼", "傻\ufe0f逼"])
def test_separators_and_invisible_characters_vanish_in_the_compact_view(text: str) -> None:
    norm = normalise(text)
    assert norm.compact == "傻逼"
    assert norm.original[slice(*norm.compact_span(0, 2))] == text


def test_cyrillic_and_greek_look_alikes_read_as_latin() -> None:
    assert normalise("Fυсk").text == "fuck"  # Greek upsilon, Cyrillic es
    assert normalise("ѕһіt").text == "shit"


def test_accented_latin_reads_as_plain_latin() -> None:
    assert normalise("fück").text == "fuck"


def test_digit_variants_fold_in_the_digits_view() -> None:
    norm = normalise("①③⑧ 一二三四 伍陆柒捌")
    assert norm.digits == "13812345678"
    assert norm.compact_span(0, 11) == (0, len(norm.original))


def test_expanding_characters_keep_offsets_on_the_original() -> None:
    text = "ﬁne Straße ⑩ ok"
    norm = normalise(text)
    assert norm.text == "fine strasse 10 ok"
    start = norm.text.index("strasse")
    assert text[slice(*norm.original_span(start, start + 7))] == "Straße"
    start = norm.text.index("10")
    assert text[slice(*norm.original_span(start, start + 2))] == "⑩"


def test_compact_span_maps_a_word_split_by_separators_back_whole() -> None:
    assert _compact_original("我说 這 個 網 站 不錯", "这个网站") == "這 個 網 站"


def test_plus_signs_read_as_plus() -> None:
    assert normalise("➕V").text == "+v"


def test_gaps_mark_where_separators_were() -> None:
    norm = normalise("a sb")
    assert norm.compact == "asb"
    assert norm.gap_before(1) and not norm.gap_before(2) and norm.gap_after(3)


def test_empty_text_has_empty_views() -> None:
    norm = normalise("")
    assert (norm.text, norm.compact, norm.digits, norm.offsets) == ("", "", "", ())


def test_a_200_character_comment_normalises_in_well_under_a_millisecond() -> None:
    text = ("這個網站真不錯，我們台灣的朋友都喜歡。Hello World, this is fine! "* 5)[:200]
    normalise(text)
    rounds = 500
    started = time.process_time()
    for _ in range(rounds):
        normalise(text)
    per_comment = (time.process_time() - started) / rounds
    assert per_comment < 0.0003  # measured about 0.03 ms; the whole pipeline has 1 ms


@pytest.mark.parametrize(("text", "expected"), [
    ("you are a piece of sh1t", "you are a piece of shit"),
    ("n1gg3r", "nigger"),
    ("kiss my a$$", "kiss my ass"),
    ("f4g", "fag"),
])
def test_leetspeak_in_latin_words_reads_as_letters(text: str, expected: str) -> None:
    norm = normalise(text)
    assert norm.text == expected
    assert len(norm.offsets) == len(expected)  # one character for one: spans still map back


@pytest.mark.parametrize("text", [
    "call 13800138000", "加我qq5201314", "vx abc123", "我的微信 wx1234", "4get it, c u 2nite b4 8, gr8",
    "$100 and 5 dollars", "covid19", "mail bob@x.com",
])
def test_numbers_ids_and_sms_shorthand_are_not_leetspeak(text: str) -> None:
    assert normalise(text).text == normalise(text).original.lower()


def test_a_leetspeak_word_maps_back_to_what_was_written() -> None:
    assert _compact_original("what a sh1t show", "shit") == "sh1t"
