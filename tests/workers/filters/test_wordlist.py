"""Tests of workers/filters/wordlist.py: categories, actions, evasions and site entries."""
from __future__ import annotations

import pytest

from workers.filters.base import Action, CommentInput, FilterContext, Verdict
from workers.filters.segment import word_boundaries
from workers.filters.wordlist import WordEntry, WordListFilter, load_entries, site_matcher
from service.reason_text import render

def english(reasons) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """Return a verdict's reasons as the English sentences the console shows."""
    return tuple(render(r) for r in reasons)



def check(text: str, author: str = "", **options: object) -> Verdict:
    """Run the word list filter over one comment."""
    return WordListFilter.from_options(dict(options)).check(FilterContext(CommentInput(text=text, author=author)))


def highlighted(text: str, verdict: Verdict) -> list[str]:
    """Return the original text under each span of the verdict."""
    return [text[s.start:s.end] for s in verdict.spans if s.field == "text"]


def test_plain_abuse_is_rejected_with_reason_and_span() -> None:
    text = "你就是个傻逼吧"
    verdict = check(text)
    assert verdict.action is Action.REJECT
    assert "abuse word 傻逼 (reject)" in english(verdict.reasons)
    assert highlighted(text, verdict) == ["傻逼"]
    assert verdict.score == 1.0


@pytest.mark.parametrize("text, expected", [
    ("你個傻逼", "傻逼"),          # Traditional context
    ("這個傻屄", "傻屄"),
    ("你是傻*逼", "傻*逼"),
    ("你是傻 逼", "傻 逼"),
    ("你是傻😀逼", "傻😀逼"),
    ("你是傻\u200b逼", "傻\u200b逼"),
    ("你是傻\u202e逼", "傻\u202e逼"),
    ("ＮＭＳＬ", "ＮＭＳＬ"),        # full-width letters
    ("nmѕl 懂吗", "nmѕl"),           # Cyrillic dze for s
    ("你 s.b 吧", "s.b"),
    ("你是个SB", "SB"),
    ("cnm", "cnm"),
    ("shabi 一个", "shabi"),
    ("草泥马的", "草泥马"),
    ("操 你 媽", "操 你 媽"),
])
def test_evasions_are_caught_and_highlighted_on_the_original(text: str, expected: str) -> None:
    verdict = check(text)
    assert verdict.action in (Action.REJECT, Action.HOLD)
    assert expected in highlighted(text, verdict)


def test_homophone_is_held() -> None:
    text = "你是一个一个伞兵"
    verdict = check(text)
    assert verdict.action is Action.HOLD
    assert highlighted(text, verdict) == ["伞兵"]


@pytest.mark.parametrize("text", ["asbestos is dangerous", "the bus bar", "I jbrowse", "sbc board", "cnmc report"])
def test_latin_abbreviations_match_only_as_whole_tokens(text: str) -> None:
    assert check(text).action is Action.ALLOW


def test_exception_words_silence_the_words_inside_them() -> None:
    assert check("他们和其他妈妈一起去了").action is Action.ALLOW


def test_strongest_action_wins_and_every_match_is_reported() -> None:
    text = "他妈的，你这傻逼"
    verdict = check(text)
    assert verdict.action is Action.REJECT
    assert {"abuse word 他妈的 (flag)", "abuse word 傻逼 (reject)"} <= set(english(verdict.reasons))
    assert highlighted(text, verdict) == ["他妈的", "傻逼"]


def test_ordinary_comment_is_allowed() -> None:
    assert check("这篇文章写得很好，感谢作者的分享。").action is Action.ALLOW


def test_author_name_is_checked_with_author_spans() -> None:
    verdict = check("写得好", author="傻逼一号")
    assert verdict.action is Action.REJECT
    assert [(s.field, s.start, s.end) for s in verdict.spans] == [("author", 0, 2)]
    assert "in author" in english(verdict.reasons)[0]


def test_site_entries_add_words_with_their_action() -> None:
    entries = [{"term": "某某竞品", "category": "custom", "severity": 1, "action": "flag"},
               {"term": "刷单", "category": "ads_fraud", "severity": 3, "action": "reject"}]
    text = "快来某某竞品，刷 单赚钱"
    verdict = check(text, word_entries=entries)
    assert verdict.action is Action.REJECT
    assert highlighted(text, verdict) == ["某某竞品", "刷 单"]
    assert "ads/fraud word 刷单 (reject)" in english(verdict.reasons)


def test_site_list_is_compiled_once_per_distinct_list() -> None:
    entries = [{"term": "一个新词", "category": "custom", "severity": 2, "action": "hold"}]
    first = WordListFilter.from_options({"word_entries": entries})
    second = WordListFilter.from_options({"word_entries": list(reversed(entries))})
    assert first.matchers[-1] is second.matchers[-1]
    assert site_matcher.cache_info().hits >= 1


def test_default_list_can_be_switched_off() -> None:
    assert check("傻逼", use_default_wordlist=False).action is Action.ALLOW
    assert check("傻逼", use_default_wordlist=False, word_list=["傻逼"]).action is Action.HOLD


def test_bad_entries_are_refused() -> None:
    with pytest.raises(ValueError, match="category"):
        WordEntry("x", "politics", 2, "hold")
    with pytest.raises(ValueError, match="action"):
        WordEntry("x", "custom", 2, "delete")


def test_shipped_list_has_no_reject_outside_hand_curated_categories_and_valid_rows() -> None:
    entries = load_entries()
    assert len(entries) > 1000
    assert all(len(e.term) >= 2 or e.action in ("flag", "allow") for e in entries)
    assert any(e.whole_word for e in entries)
    assert {e.category for e in entries if e.action == "reject"} <= {"abuse", "sexual"}


@pytest.mark.parametrize("text", [
    "光明日报报道了这件事", "人民日报的评论", "日本的日常生活", "我们昨晚玩了几把游戏", "家里有几把椅子",
    "爱在日落黄昏时", "1940年04月25日，你知道他是哪里出生的吗？", "愚人节生日啊", "在网吧包夜打游戏",
])
def test_ordinary_words_that_hold_a_listed_one_are_not_held(text: str) -> None:
    assert check(text).action in (Action.ALLOW, Action.FLAG)


@pytest.mark.parametrize("text", ["关你几把事", "真几把恶心"])
def test_jiba_as_an_insult_is_still_held(text: str) -> None:
    assert check(text).action is Action.HOLD


def test_single_character_entry_matches_only_as_a_whole_word() -> None:
    entries = [{"term": "屌", "category": "sexual", "severity": 2, "action": "hold"}]
    assert check("你屌什么", word_entries=entries, use_default_wordlist=False).action is Action.HOLD
    assert check("他是个屌丝", word_entries=entries, use_default_wordlist=False).action is Action.ALLOW


def test_entry_marked_whole_word_matches_only_on_word_boundaries() -> None:
    entries = [{"term": "日落黄", "category": "sexual", "severity": 2, "action": "hold", "whole_word": True}]
    assert check("爱在日落黄昏时", word_entries=entries, use_default_wordlist=False).action is Action.ALLOW
    assert check("看日落黄，懂的", word_entries=entries, use_default_wordlist=False).action is Action.HOLD


def test_text_is_segmented_only_when_a_whole_word_entry_matched() -> None:
    word_boundaries.cache_clear()
    check("这篇文章写得很好，傻逼作者")
    assert word_boundaries.cache_info().misses == 0
    check("你屌什么", word_entries=[{"term": "屌", "category": "sexual", "action": "hold"}])
    assert word_boundaries.cache_info().misses == 1


@pytest.mark.parametrize("text, kinds", [
    ("澳门赌场 在线娱乐 注册送88元", "gambling"),
    ("约炮 同城交友 看我头像", "sex_trade"),
    ("手机兼职，日赚三百，零投资", "ads_fraud"),
])
def test_ad_phrases_without_contact_details_are_rejected_as_ads(text: str, kinds: str) -> None:
    verdict = check(text)
    assert verdict.action is Action.REJECT
    assert any(r["code"] == "wordlist.ad_phrases" and kinds in r["categories"] for r in verdict.reasons)


def test_one_strong_ad_phrase_is_held_and_one_weak_one_only_flagged() -> None:
    assert check("有没有人约炮").action is Action.HOLD
    assert check("澳门赌场开业了").action is Action.FLAG


def test_ad_phrase_inside_a_longer_one_counts_once() -> None:
    verdict = check("同城交友群")  # 同城交友 holds 同城 and 交友: one phrase, not three
    assert verdict.action is Action.HOLD
    assert not any(r.startswith("advertising: ") for r in english(verdict.reasons))


def test_entries_of_the_shipped_list_a_site_switched_off_do_not_match():
    assert check("你就是个傻逼").action is Action.REJECT
    assert check("你就是个傻逼", builtin_words_off=["傻逼"]).action is Action.ALLOW
    assert check("你这个狗东西", builtin_words_off=["傻逼"]).action is Action.HOLD  # the rest of the list stays on
    # A site's own entry of the same term still applies.
    site_entry = {"term": "傻逼", "category": "abuse", "action": "hold"}
    assert check("你就是个傻逼", builtin_words_off=["傻逼"], word_entries=[site_entry]).action is Action.HOLD


def test_load_entries_reads_the_rows_the_console_shows():
    from service.builtin_words import read_word_list

    assert [(e.term, e.category, e.severity, e.action, e.whole_word) for e in load_entries()] == [
        (w.term, w.category, w.severity, w.action, w.whole_word) for w in read_word_list()]

