"""What the filters' findings say to a moderator: reason codes with parameters, rendered in a language.

A filter's verdict stores each reason as a code and its parameters, never as a sentence, e.g.
`{"code": "contact.wechat", "count": 1, "match": "vx123456"}` or
`{"code": "score.passed", "score": "abuse", "value": 0.91, "threshold": 0.64}`; the console renders it in
the moderator's language, and `python -m workers.score` in English. Verdicts stored before reason codes
hold English sentences: those are shown as they are.

The names the reasons use (filters, actions, word categories, span labels, fields) are here too, and the
console's translation table (service/console_text.py) takes them in, so there is one table per language.
"""
from __future__ import annotations

from typing import Any

LANGUAGES = ("en", "zh-CN")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        # Filters, by registry name (workers/filters/*.py), and the ban that refuses a comment without them.
        "filter.length": "length", "filter.repetition": "repetition", "filter.links": "links",
        "filter.contact": "contact details", "filter.wordlist": "word list", "filter.flood": "flooding",
        "filter.classifier": "classifier", "filter.ban": "ban",
        # What a filter asks for, and the word list's entry actions.
        "action.allow": "allow", "action.flag": "flag", "action.hold": "hold", "action.reject": "reject",
        # Word-list categories (workers/filters/wordlist.py CATEGORIES).
        "category.abuse": "abuse", "category.sexual": "sexual", "category.gambling": "gambling",
        "category.sex_trade": "sex trade", "category.ads_fraud": "ads/fraud",
        "category.illegal_goods": "illegal goods", "category.custom": "custom",
        # What a highlighted span is (Span.label) beside the categories above.
        "label.link": "link", "label.disguised_link": "disguised link", "label.email": "e-mail address",
        "label.phone": "phone number", "label.qq": "QQ number", "label.wechat": "WeChat contact",
        "label.repeated": "repeated", "label.gibberish": "gibberish", "label.duplicate": "duplicate",
        "label.group": "names a group: {name}", "label.match": "match",
        # Which input field a finding is in.
        "field.text": "text", "field.author": "author", "field.email": "e-mail", "field.url": "website",
        "where": " in {fields}",
        # Scores the classifier gives.
        "score.abuse": "abuse", "score.spam": "spam",
        "who.author": "this author", "who.ip": "this address",
        "list_sep": ", ",
        # The reasons.
        "reason.length.too_long": "longer than {max} characters",
        "reason.length.too_short": "shorter than {min} characters",
        "reason.repetition.mostly": "{share} of the text is one short run repeated",
        "reason.repetition.run": "contains a long repeated run",
        "reason.links.too_many": "{count} links (at most {max})",
        "reason.links.some": "{count} links", "reason.links.some.one": "1 link",
        "reason.contact.link": "{count} links{where}: {match}", "reason.contact.link.one": "1 link{where}: {match}",
        "reason.contact.disguised_link": "{count} disguised links{where}: {match}",
        "reason.contact.disguised_link.one": "1 disguised link{where}: {match}",
        "reason.contact.email": "{count} e-mail addresses{where}: {match}",
        "reason.contact.email.one": "1 e-mail address{where}: {match}",
        "reason.contact.phone": "{count} phone numbers{where}: {match}",
        "reason.contact.phone.one": "1 phone number{where}: {match}",
        "reason.contact.qq": "{count} QQ numbers{where}: {match}",
        "reason.contact.qq.one": "1 QQ number{where}: {match}",
        "reason.contact.wechat": "{count} WeChat contacts{where}: {match}",
        "reason.contact.wechat.one": "1 WeChat contact{where}: {match}",
        "reason.contact.ad_words": "advertising words: {match}",
        "reason.wordlist.word": "{category} word {term} ({action}){where}",
        "reason.wordlist.ad_phrases": "advertising: {count} ad phrases ({categories}): {match}",
        "reason.flood.gibberish": "{share} of the letters are gibberish",
        "reason.flood.repeated_word": "the word '{word}' makes up {share} of the words",
        "reason.flood.few_characters": "{distinct} distinct characters in {length}",
        "reason.flood.skipped": "duplicate and rate checks skipped: {error}",
        "reason.flood.skipped.no_redis": "duplicate and rate checks skipped: no Redis",
        "reason.flood.duplicate": "same text posted {count} times in {threads} threads within {minutes} minutes",
        "reason.flood.duplicate.one": "same text posted {count} times in 1 thread within {minutes} minutes",
        "reason.flood.rate": "{count} comments from {who} within {minutes} minutes (at most {max})",
        "reason.score.passed": "{score} {value} >= {threshold}",
        "reason.classifier.names_group": "names a group: {groups}",
        "reason.ban.applied": "ban #{ban} by {by}", "reason.ban.shadow": "shadow ban #{ban} by {by}",
        "reason.text": "{text}",
    },
    "zh-CN": {
        "filter.length": "长度", "filter.repetition": "重复内容", "filter.links": "链接数",
        "filter.contact": "联系方式", "filter.wordlist": "词表", "filter.flood": "刷屏",
        "filter.classifier": "模型判断", "filter.ban": "封禁",
        "action.allow": "放行", "action.flag": "标记", "action.hold": "暂缓", "action.reject": "拒绝",
        "category.abuse": "辱骂", "category.sexual": "色情", "category.gambling": "赌博",
        "category.sex_trade": "色情交易", "category.ads_fraud": "广告诈骗",
        "category.illegal_goods": "违禁品", "category.custom": "自定义",
        "label.link": "链接", "label.disguised_link": "伪装的链接", "label.email": "电子邮件地址",
        "label.phone": "电话号码", "label.qq": "QQ 号", "label.wechat": "微信联系方式",
        "label.repeated": "重复", "label.gibberish": "乱码", "label.duplicate": "重复发帖",
        "label.group": "提及群体：{name}", "label.match": "匹配",
        "field.text": "正文", "field.author": "昵称", "field.email": "邮箱", "field.url": "网址",
        "where": "（{fields}中）",
        "score.abuse": "辱骂概率", "score.spam": "垃圾广告概率",
        "who.author": "该作者", "who.ip": "该地址",
        "list_sep": "、",
        "reason.length.too_long": "超过 {max} 个字符",
        "reason.length.too_short": "少于 {min} 个字符",
        "reason.repetition.mostly": "{share} 的内容是同一小段的重复",
        "reason.repetition.run": "含有一长段重复内容",
        "reason.links.too_many": "{count} 个链接（最多 {max} 个）",
        "reason.links.some": "{count} 个链接",
        "reason.contact.link": "{count} 个链接{where}：{match}",
        "reason.contact.disguised_link": "{count} 个伪装的链接{where}：{match}",
        "reason.contact.email": "{count} 个电子邮件地址{where}：{match}",
        "reason.contact.phone": "{count} 个电话号码{where}：{match}",
        "reason.contact.qq": "{count} 个 QQ 号{where}：{match}",
        "reason.contact.wechat": "{count} 个微信联系方式{where}：{match}",
        "reason.contact.ad_words": "广告用语：{match}",
        "reason.wordlist.word": "{category}词「{term}」（{action}）{where}",
        "reason.wordlist.ad_phrases": "广告：{count} 个广告短语（{categories}）：{match}",
        "reason.flood.gibberish": "{share} 的字母是乱码",
        "reason.flood.repeated_word": "「{word}」一词占全部词语的 {share}",
        "reason.flood.few_characters": "{length} 个字符中只有 {distinct} 种",
        "reason.flood.skipped": "未做重复和频率检查：Redis 出错（{error}）",
        "reason.flood.skipped.no_redis": "未做重复和频率检查：没有 Redis",
        "reason.flood.duplicate": "相同内容在 {minutes} 分钟内于 {threads} 篇文章下发了 {count} 次",
        "reason.flood.rate": "{who}在 {minutes} 分钟内发了 {count} 条评论（最多 {max} 条）",
        "reason.score.passed": "{score} {value} ≥ 阈值 {threshold}",
        "reason.classifier.names_group": "提及群体：{groups}",
        "reason.ban.applied": "封禁 #{ban}（{by}）", "reason.ban.shadow": "影子封禁 #{ban}（{by}）",
        "reason.text": "{text}",
    },
}
# Chinese has no plural: English's one-of variants read as the general sentence.
TEXT["zh-CN"].update({key: TEXT["zh-CN"][key.removesuffix(".one")] for key in TEXT["en"]
                      if key.endswith(".one") and key not in TEXT["zh-CN"]})

# Parameters whose values are codes, rendered through the table under this prefix.
_CODED = {"category": "category.", "action": "action.", "score": "score.", "who": "who."}


def word(language: str, key: str) -> str:
    """Return one entry of the table in `language`, falling back to English, then to the key."""
    return TEXT.get(language, {}).get(key) or TEXT["en"].get(key) or key


def name(language: str, kind: str, code: str) -> str:
    """Return the display name of a code of a kind (filter, action, category, label, field) in `language`."""
    if kind == "label" and code.startswith("group:"):
        return word(language, "label.group").format(name=code.removeprefix("group:"))
    # A span's label is what it matched: a contact kind, a repetition, or a word list's category.
    for key in (f"{kind}.{code}", f"category.{code}") if kind == "label" else (f"{kind}.{code}",):
        found = TEXT.get(language, {}).get(key) or TEXT["en"].get(key)
        if found is not None:
            return found
    return code


def _joined(language: str, values: Any, kind: str | None = None) -> str:
    items = values if isinstance(values, (list, tuple)) else [values]
    return word(language, "list_sep").join(name(language, kind, str(v)) if kind else str(v) for v in items)


def render(reason: Any, language: str = "en") -> str:
    """Return one stored reason as a sentence in `language`; an old English sentence comes back as it is."""
    if isinstance(reason, str):
        return reason
    if not isinstance(reason, dict) or "code" not in reason:
        return str(reason)
    code = str(reason["code"])
    params: dict[str, Any] = {k: v for k, v in reason.items() if k != "code"}
    table = TEXT.get(language, TEXT["en"])
    key = f"reason.{code}"
    variant = f"{key}.one" if params.get("count") == 1 or params.get("threads") == 1 else None
    if params.get("error") == "no_redis":
        variant = f"{key}.no_redis"
    template = (table.get(variant) if variant else None) or table.get(key) or (
        TEXT["en"].get(variant) if variant and language == "en" else None) or TEXT["en"].get(key)
    if template is None:
        return code + "".join(f" {k}={v}" for k, v in params.items())
    shown: dict[str, Any] = {}
    for param, value in params.items():
        if param in _CODED:
            shown[param] = name(language, _CODED[param].rstrip("."), str(value))
        elif param == "categories":
            shown[param] = _joined(language, value, "category")
        elif param == "fields":
            shown[param] = _joined(language, value, "field")
        elif param == "share" and isinstance(value, (int, float)):
            shown[param] = f"{value:.0%}"
        elif param in ("value", "threshold") and isinstance(value, (int, float)):
            shown[param] = f"{value:.2f}"
        elif isinstance(value, (list, tuple)):
            shown[param] = _joined(language, value)
        else:
            shown[param] = value
    fields = [f for f in params.get("fields") or [] if f != "text"]
    shown["where"] = word(language, "where").format(fields=_joined(language, fields, "field")) if fields else ""
    try:
        return template.format(**shown)
    except (KeyError, IndexError, ValueError):
        return code + "".join(f" {k}={v}" for k, v in params.items())


def reason(code: str, **params: Any) -> dict[str, Any]:
    """Return a stored reason: its code and JSON-ready parameters (empty ones left out)."""
    return {"code": code, **{k: v for k, v in params.items() if v not in (None, "", [], ())}}


def reason_code(reason_: Any) -> str:
    """Return a stored reason's code, or "" for an old English sentence."""
    return str(reason_.get("code", "")) if isinstance(reason_, dict) else ""


__all__ = ["LANGUAGES", "TEXT", "name", "reason", "reason_code", "render", "word"]
