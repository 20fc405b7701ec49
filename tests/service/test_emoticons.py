"""The server's emoticon codes (service/emoticons.py) draw what the widget draws."""
from __future__ import annotations

import re

from service.emoticons import CODES, EMOTICONS, Part, emoticon_parts
from service.widget import STATIC


def test_known_codes_become_emoji_and_unknown_ones_stay_text():
    assert emoticon_parts("支持[微笑]，[不存在][赞]") == [Part("支持"), Part("🙂", "微笑"), Part("，[不存在]"),
                                                        Part("👍", "赞")]
    assert emoticon_parts("[可愛]") == [Part("😊", "可愛")]  # the zh-TW names too
    assert emoticon_parts("没有表情") == [Part("没有表情")]


def test_the_table_is_the_widgets():
    script = (STATIC / "embed.js").read_text(encoding="utf-8")
    rows = re.findall(r'\["([^"]+)", "([^"]+)", "([^"]+)", "[^"]+"\]', script.split("var EMO = ")[1].split(";")[0])
    assert tuple(rows) == EMOTICONS
    assert {"强", "強", "哭", "心"} <= set(CODES)
