"""Filters' reasons: a code and parameters, rendered in the moderator's language; old sentences as they were."""
from __future__ import annotations

from service.reason_text import name, reason, render


def test_a_reason_code_renders_in_english_and_chinese() -> None:
    wechat = reason("contact.wechat", count=1, fields=[], match="vx123456")
    assert wechat == {"code": "contact.wechat", "count": 1, "match": "vx123456"}
    assert render(wechat) == "1 WeChat contact: vx123456"
    assert render(wechat, "zh-CN") == "1 个微信联系方式：vx123456"
    two = reason("contact.qq", count=2, fields=["author"], match="扣扣12345, q67890")
    assert render(two) == "2 QQ numbers in author: 扣扣12345, q67890"
    assert render(two, "zh-CN") == "2 个 QQ 号（昵称中）：扣扣12345, q67890"


def test_codes_inside_a_reason_are_named_in_the_language() -> None:
    word = reason("wordlist.word", category="sex_trade", term="约炮", action="hold")
    assert render(word) == "sex trade word 约炮 (hold)"
    assert render(word, "zh-CN") == "色情交易词「约炮」（暂缓）"
    passed = reason("score.passed", score="abuse", value=0.9123, threshold=0.64, bound="hold")
    assert render(passed) == "abuse 0.91 >= 0.64"
    assert render(passed, "zh-CN") == "辱骂概率 0.91 ≥ 阈值 0.64"
    assert render(reason("flood.rate", count=21, who="ip", minutes=10, max=20), "zh-CN") == \
        "该地址在 10 分钟内发了 21 条评论（最多 20 条）"
    assert render(reason("repetition.mostly", share=0.8), "zh-CN") == "80% 的内容是同一小段的重复"
    assert name("zh-CN", "filter", "contact") == "联系方式" and name("zh-CN", "label", "gambling") == "赌博"
    assert name("zh-CN", "label", "group:河南人") == "提及群体：河南人"


def test_old_english_sentences_and_unknown_codes_still_show() -> None:
    assert render("abuse word 傻逼 (reject)", "zh-CN") == "abuse word 傻逼 (reject)"
    assert render({"code": "something.new", "n": 3}, "zh-CN") == "something.new n=3"
    assert name("zh-CN", "filter", "something_new") == "something_new"
