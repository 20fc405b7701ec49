"""What a comment's author is told about a decision: one sentence in their language, and a reason code.

Moderators see every filter's reasons, matched words and scores; the author sees at most the kind of
problem (含有不文明用语, 含有联系方式或广告), never the matched word, a score or a threshold: those teach
a spammer how to get past the filters. A decided comment stores reason codes (`Comment.reasons`), and the
sentence is made when the author asks, in the language of `?lang=` or `Accept-Language` (zh-CN by default).
"""
from __future__ import annotations

from typing import Any, Iterable

LANGUAGES = ("zh-CN", "zh-TW", "en")
DEFAULT_LANGUAGE = "zh-CN"

HELD = "held"
BANNED = "banned"
# The kinds of problem a rejection may name, from most to least specific.
RULES = ("rules.abuse", "rules.sexual", "rules.ads", "rules.flood", "rules.length", "rules")

_KIND = {
    "zh-CN": {
        "rules.abuse": "含有不文明用语", "rules.sexual": "含有色情内容", "rules.ads": "含有联系方式或广告",
        "rules.flood": "内容重复或刷屏", "rules.length": "内容过短或过长", "rules": "不符合本站的评论规则",
    },
    "zh-TW": {
        "rules.abuse": "含有不文明用語", "rules.sexual": "含有色情內容", "rules.ads": "含有聯絡方式或廣告",
        "rules.flood": "內容重複或洗版", "rules.length": "內容過短或過長", "rules": "不符合本站的評論規則",
    },
    "en": {
        "rules.abuse": "it contains abusive language", "rules.sexual": "it contains sexual content",
        "rules.ads": "it contains contact details or advertising", "rules.flood": "it repeats itself or other comments",
        "rules.length": "it is too short or too long", "rules": "it breaks the site's rules",
    },
}
_SENTENCE = {
    "zh-CN": {HELD: "您的评论正在等待审核。", BANNED: "很抱歉，您目前不能在本站发表评论。",
              "rejected": "很抱歉，您的评论未能发布：{kind}。"},
    "zh-TW": {HELD: "您的評論正在等待審核。", BANNED: "很抱歉，您目前不能在本站發表評論。",
              "rejected": "很抱歉，您的評論未能發佈：{kind}。"},
    "en": {HELD: "Your comment is waiting for a moderator.", BANNED: "Sorry, you may not comment on this site at present.",
           "rejected": "Sorry, your comment was not published: {kind}."},
}
# Word-list categories, by the kind of problem they name.
_CATEGORY_KIND = {"abuse": "rules.abuse", "sexual": "rules.sexual", "gambling": "rules.ads", "sex_trade": "rules.ads",
                  "ads_fraud": "rules.ads", "illegal_goods": "rules.ads"}
_FILTER_KIND = {"contact": "rules.ads", "links": "rules.ads", "flood": "rules.flood", "repetition": "rules.flood",
                "length": "rules.length"}


def rejection_code(verdicts: Iterable[dict[str, Any]]) -> str:
    """Return the reason code of a rejection from the filters' verdicts (the first that rejected names it)."""
    for verdict in verdicts:
        if verdict.get("action") != "reject":
            continue
        name = verdict.get("filter", "")
        if name == "wordlist":
            labels = [span.get("label", "") for span in verdict.get("spans") or []]
            kinds = [_CATEGORY_KIND[label] for label in labels if label in _CATEGORY_KIND]
            return min(kinds, key=RULES.index) if kinds else "rules"
        if name == "classifier":
            # The score that passed names the kind: {"code": "score.passed", "score": "abuse", ...}. Verdicts
            # stored before reason codes read "abuse 0.99 >= 0.99" or "spam 0.97 >= 0.50".
            reasons = verdict.get("reasons") or []
            passed = [r.get("score") for r in reasons if isinstance(r, dict) and r.get("code") == "score.passed"]
            if passed:
                return "rules.abuse" if "abuse" in passed else "rules.ads" if "spam" in passed else "rules"
            old = " ".join(r for r in reasons if isinstance(r, str))
            return "rules.abuse" if old.startswith("abuse") else "rules.ads" if "spam" in old else "rules"
        if name in _FILTER_KIND:
            return _FILTER_KIND[name]
    return "rules"


def language(requested: str | None, accept_language: Any = None) -> str:
    """Return the language to answer in: `requested` (?lang=) if known, else the best of Accept-Language."""
    for candidate in ([requested] if requested else []) + [lang for lang, _q in (accept_language or [])]:
        tag = (candidate or "").strip().lower()
        if tag.startswith(("zh-tw", "zh-hk", "zh-mo", "zh-hant")):
            return "zh-TW"
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE


def sentence(codes: Iterable[str], status: str, lang: str) -> tuple[str, str]:
    """Return (reason code, one sentence) for a decided comment's stored codes and status, in `lang`."""
    table = _SENTENCE.get(lang, _SENTENCE[DEFAULT_LANGUAGE])
    kinds = _KIND.get(lang, _KIND[DEFAULT_LANGUAGE])
    codes = list(codes)
    if BANNED in codes:
        return BANNED, table[BANNED]
    if status == "held":
        return HELD, table[HELD]
    if status == "rejected":
        # Comments decided before reason codes stored English sentences: they read as the generic rule.
        code = next((c for c in codes if c in kinds), "rules")
        return code, table["rejected"].format(kind=kinds[code])
    return "", ""


__all__ = ["BANNED", "HELD", "LANGUAGES", "RULES", "language", "rejection_code", "sentence"]
