"""Contact details and advertising: links, phone and QQ numbers, WeChat ids, e-mail addresses.

Spammers write contact details so that word filters miss them (`薇信`, `➕V`, `V💬`, `🐧`, `一三八…`,
`www点xx点com`, `xx。c o m`), so each detector reads the normalised view that undoes its tricks: links and
e-mail addresses the `text` view (dots and spaces matter there), numbers the `digits` view, WeChat cues
the `compact` view, and emoji cues (which the compact view drops) the `text` view.

Policy: a plain link flags, and a link to one of the site's own domains is ignored; any other contact
detail, or a disguised link, holds; two different channels, or a contact detail next to advertising
words, reject.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from service.reason_text import reason
from workers.filters import register
from workers.filters.base import Action, FilterContext, Span, Verdict, allow
from workers.filters.normalise import NormalisedText

_TLDS = ("com|net|org|cn|info|top|xyz|cc|me|io|vip|club|site|online|shop|app|tk|ws|biz|co|tv|la|hk|tw|us|uk|ru|"
         "jp|wang|xin|ren|link|live|ltd|pw|win|bid|loan|icu|fun|store|tech|website|space|asia|mobi|so|work|"
         "life|cloud|pro|in|de|edu|gov")
# A top-level domain spelled out letter by letter ("c o m"), or in Chinese (康姆 for com).
_TLDS_SPACED = r"c\s+o\s*m|c\s*o\s+m|n\s+e\s*t|n\s*e\s+t|o\s+r\s*g|o\s*r\s+g|c\s+n|康姆"
# A dot, or what stands in for one: 点 (and 點, folded), 。, 丶, a middle dot, "dot", "(dot)", "[.]".
_DOT = r"(?:\s*(?:[.。丶·・]|点|\(\s*(?:dot|\.)\s*\)|\[\s*(?:dot|\.)\s*\]|(?<![a-z])dot(?![a-z]))\s*)"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_LINK = re.compile(
    rf"https?://[^\s<>\"'\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+"
    rf"|(?<![a-z0-9@.-])(?:www{_DOT})?{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}(?:{_TLDS_SPACED}|{_TLDS})(?![a-z0-9])"
    rf"(?:[/?#][^\s<>\"'\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]*)?"
)
_DISGUISE = re.compile(r"点|。|丶|·|・|康姆|dot|\[|\(|\s")
# "the dot com bubble" is prose about the web, not a disguised address.
_PROSE_DOT = re.compile(r"(?:the|a|an|of|to|and|in|on|my|your|our|his|her|its|this|that|new|old)\s+dot\s")
# A full stop and a space before a word that happens to be a top-level domain ("take care of me. So no
# worries") ends a sentence; spammers who space out a dot use the domains people know.
_SPACED_STOP = re.compile(r"\s\.|\.\s")
_SPACED_STOP_TLDS = {"com", "net", "org", "cn", "cc", "top", "xyz", "vip", "info", "club", "site"}


def _sentence_end(value: str) -> bool:
    """Tell whether a disguised link is only a full stop, a space and a word that looks like a TLD."""
    if not _SPACED_STOP.search(value):
        return False
    tld = re.split(r"[.\s]+", value.strip().lower())[-1]
    return tld not in _SPACED_STOP_TLDS


_EMAIL = re.compile(rf"(?<![a-z0-9._%+-])[a-z0-9._%+-]+\s*(?:@|\(\s*at\s*\)|\[\s*at\s*\])\s*{_LABEL}"
                    rf"(?:{_DOT}{_LABEL})*{_DOT}[a-z]{{2,}}(?![a-z0-9])")
_MOBILE = re.compile(r"(?<!\d)(?:86)?1[3-9]\d{9}(?!\d)|(?<!\d)[48]00\d{7}(?!\d)")
_QQ_CUES = r"(?<![a-z])qq|(?<![a-z])q(?=\d|号)|扣扣|抠抠|寇寇|蔻蔻|叩叩|秋秋|企鹅|球球|q群|群号|qun|加群|群"
_QQ_NUMBER = r"(?:号码|号)?(?:是|为)?[1-9]\d{4,10}(?!\d)"
_QQ = re.compile(rf"(?:{_QQ_CUES}){_QQ_NUMBER}")
_QQ_AFTER_EMOJI = re.compile(_QQ_NUMBER)
# WeChat spellings; with an id after them they are a contact detail whatever the spelling.
_WECHAT_CUES = ("微信|薇信|威信|徽信|维信|威芯|微芯|危信|胃信|v信|v芯|微xin|wei信|weixin|wechat|vxin|vx|wx|加v|加微|"
                "加薇|薇|卫星号|v(?=号)")
_WECHAT_ID_AFTER = r"(?:号码|号|id)?(?:是|为)?(?P<id>[a-z][a-z0-9]{5,19}|\d{5,11})"
_WECHAT_ID = re.compile(rf"(?P<cue>{_WECHAT_CUES}){_WECHAT_ID_AFTER}")
_ID_AFTER_EMOJI = re.compile(_WECHAT_ID_AFTER)
# These spellings exist only to dodge filters, so they count even without an id.
_WECHAT_BARE = re.compile(r"薇信|威信|徽信|威芯|微芯|危信|胃信|v信|v芯|wei信|加v|加微信|加薇|微信号|加我微信|"
                          r"(?<![a-z])(?:vx|wx|vxin|weixin)(?![a-z])")
# "V" (or 微, 薇, 威, 维) and an emoji (V💬, v❤, 薇🌹): a WeChat cue made to slip past the compact view,
# which drops emoji; "V:" or "VX:" with an id after it. Not after a Latin letter or digit ("lov❤", "mp3:").
_EMOJI = "💬|❤|♥|💚|💗|💓|💕|💖|💘|💝|🧡|💛|💙|💜|🖤|🤍|✉|📩|📧|🌹|🌸|⭐|🌟|✨|🍀|🔥"
_WECHAT_EMOJI = re.compile(rf"(?<![a-z0-9])(?:v|vx|wx|微|薇|威|维|卫)\s*(?:{_EMOJI})")
_WECHAT_COLON = re.compile(r"(?<![a-z0-9])(?:v|vx|wx)\s*:\s*(?:[a-z][a-z0-9_-]{5,19}|\d{6,11})(?![a-z0-9])")
# The penguin is QQ's mascot: "🐧 12345678".
_QQ_EMOJI = re.compile(r"🐧")
# One pass over a character class tells whether any of these emoji is there at all: most comments have none.
_ANY_CUE_EMOJI = re.compile("[" + _EMOJI.replace("|", "") + "🐧]")
# Not after a Latin word: "ctrl+v" is a shortcut.
_PLUS_V = re.compile(r"(?<![a-z])(?<![a-z] )\+\s*(?:v|vx|wx|微|薇)(?![a-z])")
_AD_CUES = re.compile(
    "兼职|日结|日赚|刷单|代理|招聘|招募|加盟|推广|优惠|福利|免费领|免费送|赚钱|返利|返现|贷款|网贷|代办|办证|"
    "发票|私聊|私信|咨询|详情|联系我|加我|加好友|看我主页|点击|进群|接单|代写|代购|微商|彩票|博彩|棋牌|下注|包赢|"
    "稳赚|月入|躺赚|低价|出售|批发|货到付款|包邮|上门|外围|约炮|资源|看片|代练|引流|涨粉|客服|回收"
)


@dataclass(frozen=True)
class Contact:
    """One contact detail found in a field: its kind, what it says, and where it is in the original."""

    kind: str  # link, disguised_link, email, phone, qq, wechat
    value: str
    start: int
    end: int
    field: str = "text"


def find_contacts(norm: NormalisedText, field: str = "text") -> list[Contact]:
    """Return every contact detail in one normalised field; where two overlap, the longer one."""
    found: list[Contact] = []
    for match in _EMAIL.finditer(norm.text):
        found.append(Contact("email", match.group(), *norm.original_span(*match.span()), field))
    for match in _LINK.finditer(norm.text):
        value = match.group()
        start, end = norm.original_span(*match.span())
        # Full-width letters, 点 for the dot, spaces inside: written so that a plain link filter misses it.
        disguised = not value.startswith("http") and (
            _DISGUISE.search(value) is not None or not norm.original[start:end].isascii())
        if disguised and (_PROSE_DOT.match(value) or _sentence_end(value)):
            continue
        found.append(Contact("disguised_link" if disguised else "link", value, start, end, field))
    for match in _PLUS_V.finditer(norm.text):
        found.append(Contact("wechat", match.group(), *norm.original_span(*match.span()), field))
    for match in _WECHAT_COLON.finditer(norm.text) if ":" in norm.text else ():
        found.append(Contact("wechat", match.group(), *norm.original_span(*match.span()), field))
    emoji_cues = ((_WECHAT_EMOJI, "wechat", _ID_AFTER_EMOJI, True), (_QQ_EMOJI, "qq", _QQ_AFTER_EMOJI, False))
    for pattern, kind, after, bare in emoji_cues if _ANY_CUE_EMOJI.search(norm.text) else ():
        for match in pattern.finditer(norm.text):
            start, end = norm.original_span(*match.span())
            # What follows the emoji is read in the view its detector uses, ids in compact, numbers in digits.
            view = norm.compact if kind == "wechat" else norm.digits
            index = bisect.bisect_left(norm.compact_offsets, end)
            follow = after.match(view, index)
            if follow is not None:
                end = norm.compact_span(index, follow.end())[1]
            elif not bare:
                continue
            found.append(Contact(kind, norm.original[start:end], start, end, field))
    for pattern, kind, view in ((_WECHAT_ID, "wechat", norm.compact), (_WECHAT_BARE, "wechat", norm.compact),
                                (_QQ, "qq", norm.digits), (_MOBILE, "phone", norm.digits)):
        for match in pattern.finditer(view):
            if kind == "wechat" and not _at_token_start(norm, match.start()):
                continue
            if pattern is _WECHAT_ID and _glued_latin(norm, match):
                continue
            found.append(Contact(kind, match.group(), *norm.compact_span(*match.span()), field))
    # A QQ number inside an e-mail address, a phone number that is a WeChat id: keep the outer finding.
    found.sort(key=lambda c: (-(c.end - c.start), c.start))
    kept: list[Contact] = []
    for contact in found:
        if any(k.start < contact.end and contact.start < k.end for k in kept):
            continue
        kept.append(contact)
    return sorted(kept, key=lambda c: c.start)


def _at_token_start(norm: NormalisedText, index: int) -> bool:
    # "vx" in "vx123456" is a cue, in "devx" it is not; Chinese cues are never inside a Latin word.
    char = norm.compact[index]
    return not (char.isascii() and index > 0 and norm.compact[index - 1].isascii()
                and norm.compact[index - 1].isalnum() and not norm.gap_before(index))


def _glued_latin(norm: NormalisedText, match: re.Match[str]) -> bool:
    # "wxpython" is a word, not the cue "wx" and the id "python"; "wx python123" is a cue and an id.
    cue, ident = match.group("cue"), match.group("id")
    return cue.isascii() and ident[0].isalpha() and match.end("cue") == match.start("id") and not (
        norm.gap_before(match.start("id")))


def link_domain(value: str) -> str:
    """Return the host name of a found link, its disguised dots made plain."""
    host = re.sub(_DOT, ".", value.lower()).replace("康姆", "com")
    host = re.sub(rf"\.(?:{_TLDS_SPACED})$", lambda m: "." + re.sub(r"\s", "", m.group()[1:]), host)
    host = re.sub(r"^https?://", "", host)
    host = re.split(r"[/?#:]", host, maxsplit=1)[0]
    return host.removeprefix("www.")


@register
class ContactFilter:
    """Hold comments that carry contact details; reject contact details that come with advertising."""

    name = "contact"

    def __init__(self, allowed_domains: tuple[str, ...] = ()) -> None:
        self.allowed_domains = tuple(d.lower().removeprefix("www.").strip(".") for d in allowed_domains if d)

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> ContactFilter:
        """Build the filter from `allowed_domains`, the site's own domains."""
        return cls(allowed_domains=tuple(options.get("allowed_domains", ())))

    def is_allowed(self, contact: Contact) -> bool:
        """Tell whether a link points to one of the site's own domains."""
        if contact.kind != "link":
            return False
        host = link_domain(contact.value)
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def check(self, ctx: FilterContext) -> Verdict:
        """Count the contact details in the text, the author's name, e-mail and website fields."""
        contacts = [c for c in find_contacts(ctx.normalised("text")) if not self.is_allowed(c)]
        contacts += find_contacts(ctx.normalised("author"), "author")
        # A website link and an e-mail address are what those fields are for; anything else in them is not.
        contacts += [c for c in find_contacts(ctx.normalised("url"), "url")
                     if c.kind not in ("link", "email") and not self.is_allowed(c)]
        contacts += [c for c in find_contacts(ctx.normalised("email"), "email") if c.kind == "wechat"]
        ad_cues = _ad_cues(ctx.normalised("text")) + _ad_cues(ctx.normalised("author"))
        if not contacts:
            return allow(self.name)
        kinds = {c.kind for c in contacts}
        details = kinds - {"link"}
        reasons = [_describe(kind, [c for c in contacts if c.kind == kind]) for kind in sorted(kinds)]
        if ad_cues:
            reasons.append(reason("contact.ad_words", match=", ".join(dict.fromkeys(ad_cues))))
        spans = tuple(Span(c.start, c.end, c.kind, c.field) for c in contacts)
        if details and (len(kinds) >= 2 or ad_cues):
            action, score = Action.REJECT, 1.0
        elif details or ad_cues or any(c.field == "author" for c in contacts):
            action, score = Action.HOLD, 0.7
        else:
            action, score = Action.FLAG, 0.2
        return Verdict(self.name, action, score, tuple(reasons), spans)


def _ad_cues(norm: NormalisedText) -> list[str]:
    return [m.group() for m in _AD_CUES.finditer(norm.compact)]


def _describe(kind: str, contacts: list[Contact]) -> dict[str, Any]:
    # A code and its parameters (service/reason_text.py renders them in the moderator's language).
    return reason(f"contact.{kind}", count=len(contacts), fields=sorted({c.field for c in contacts} - {"text"}),
                  match=", ".join(dict.fromkeys(c.value for c in contacts)))
