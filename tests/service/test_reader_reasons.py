"""A decided comment's author is told the kind of problem in their language, never the filters' internals."""
from __future__ import annotations

import pytest

from service.reader_reasons import language, rejection_code, sentence
from tests.factories import post_comment


def status(client, body: dict, **headers: str) -> dict:  # type: ignore[no-untyped-def]
    query = f"/api/comments/{body['id']}?token={body['token']}"
    lang = headers.pop("lang", None)
    return client.get(query + (f"&lang={lang}" if lang else ""), headers=headers).get_json()


def test_a_rejected_author_gets_one_sentence_without_the_matched_word(client, run_worker):
    body = post_comment(client, text="你这个傻逼，滚吧").get_json()
    run_worker()
    answer = status(client, body)
    assert answer["status"] == "rejected" and answer["reason_code"] == "rules.abuse"
    assert answer["reasons"] == ["很抱歉，您的评论未能发布：含有不文明用语。"]
    for lang, expected in (("zh-TW", "很抱歉，您的評論未能發佈：含有不文明用語。"),
                           ("en", "Sorry, your comment was not published: it contains abusive language.")):
        assert status(client, body, lang=lang)["reasons"] == [expected]
    assert status(client, body, **{"Accept-Language": "en-GB,en;q=0.8"})["reasons"][0].startswith("Sorry")
    said = " ".join(status(client, body, lang=lang)["reasons"][0] for lang in ("zh-CN", "zh-TW", "en"))
    assert "傻逼" not in said and "0." not in said and ">=" not in said


def test_ads_and_held_comments_are_named_by_their_kind(client, run_worker):
    ad = post_comment(client, text="加我微信 abc12345 便宜出售，兼职日赚三百").get_json()
    held = post_comment(client, text="我的微信是 abc12345").get_json()
    run_worker()
    answer = status(client, ad)
    assert answer["status"] == "rejected" and answer["reason_code"] == "rules.ads"
    assert "联系方式或广告" in answer["reasons"][0] and "abc12345" not in answer["reasons"][0]
    held_answer = status(client, held, lang="en")
    assert held_answer["status"] == "held" and held_answer["reason_code"] == "held"
    assert held_answer["reasons"] == ["Your comment is waiting for a moderator."]


@pytest.mark.parametrize(("verdicts", "code"), [
    ([{"filter": "wordlist", "action": "reject", "spans": [{"label": "sex_trade"}], "reasons": ["x"]}], "rules.ads"),
    ([{"filter": "wordlist", "action": "reject", "spans": [{"label": "sexual"}, {"label": "abuse"}]}], "rules.abuse"),
    ([{"filter": "classifier", "action": "reject", "reasons": ["spam 0.97 >= 0.50"]}], "rules.ads"),
    ([{"filter": "classifier", "action": "reject", "reasons": [
        {"code": "score.passed", "score": "spam", "value": 0.97, "threshold": 0.5}]}], "rules.ads"),
    ([{"filter": "classifier", "action": "reject", "reasons": [
        {"code": "score.passed", "score": "abuse", "value": 0.99, "threshold": 0.99},
        {"code": "classifier.names_group", "groups": ["河南人"]}]}], "rules.abuse"),
    ([{"filter": "length", "action": "hold"}, {"filter": "flood", "action": "reject"}], "rules.flood"),
    ([{"filter": "something_new", "action": "reject"}], "rules"),
])
def test_the_first_rejecting_verdict_names_the_kind(verdicts: list, code: str) -> None:
    assert rejection_code(verdicts) == code


def test_language_and_old_english_reasons() -> None:
    assert language(None, [("zh-HK", 1.0)]) == "zh-TW"
    assert language("en", [("zh-CN", 1.0)]) == "en"
    assert language("fr", []) == "zh-CN"
    # Comments decided before reason codes kept English sentences: they read as the generic rule.
    assert sentence(["Your comment was not published because it breaks the site's rules."], "rejected", "zh-CN") \
        == ("rules", "很抱歉，您的评论未能发布：不符合本站的评论规则。")
    assert sentence(["banned"], "rejected", "en")[0] == "banned"
    assert sentence([], "approved", "en") == ("", "")
