"""The classic bracket emoticon codes ([微笑], [赞], …) and the emoji they stand for, as the widget draws them.

The widget (static/embed.js, its EMO and CODES tables) turns the same codes into emoji in the browser; this is
the server's copy, for pages rendered without JavaScript (/demo/plain).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# (emoji, zh-CN name, zh-TW name): the names are the codes readers type between brackets.
EMOTICONS: tuple[tuple[str, str, str], ...] = (
    ("🙂", "微笑", "微笑"), ("😄", "大笑", "大笑"), ("😂", "哈哈", "哈哈"), ("🤭", "偷笑", "偷笑"), ("😊", "可爱", "可愛"),
    ("😍", "色", "色"), ("😎", "酷", "酷"), ("🤔", "疑问", "疑問"), ("😮", "惊讶", "驚訝"), ("😢", "伤心", "傷心"),
    ("😭", "流泪", "流淚"), ("😠", "怒", "怒"), ("😵", "晕", "暈"), ("🤗", "抱抱", "抱抱"), ("🤦", "捂脸", "摀臉"),
    ("👍", "赞", "讚"), ("👎", "踩", "踩"), ("👏", "鼓掌", "鼓掌"), ("🤝", "握手", "握手"), ("💪", "加油", "加油"),
    ("🙏", "祈祷", "祈禱"), ("❤️", "爱心", "愛心"), ("🌹", "玫瑰", "玫瑰"), ("🍉", "吃瓜", "吃瓜"), ("👋", "再见", "再見"),
    ("🎉", "庆祝", "慶祝"),
)
CODES: dict[str, str] = {name: emoji for emoji, cn, tw in EMOTICONS for name in (cn, tw)}
CODES.update({"强": "💪", "強": "💪", "哭": "😭", "心": "❤️"})
_CODE = re.compile(r"\[([^\[\]\s]{1,8})\]")


@dataclass(frozen=True)
class Part:
    """A piece of comment text: plain text, or an emoji (`code` is the name it was typed as)."""

    text: str
    code: str | None = None


def emoticon_parts(text: str) -> list[Part]:
    """Split comment text into plain pieces and the emoji its known [代码] codes stand for."""
    parts: list[Part] = []
    last = 0
    for match in _CODE.finditer(text):
        emoji = CODES.get(match.group(1))
        if emoji is None:
            continue
        if match.start() > last:
            parts.append(Part(text[last:match.start()]))
        parts.append(Part(emoji, match.group(1)))
        last = match.end()
    if last < len(text):
        parts.append(Part(text[last:]))
    return parts
