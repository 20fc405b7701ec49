"""Rewrites that writers of abuse use to slip past filters, for measuring how robust the filters are.

Each rewrite is deterministic for a given seed: Traditional characters, full-width letters, separators
between characters, look-alike characters (Kangxi radicals for Chinese, Cyrillic for Latin), pinyin
for the characters abuse most often hinges on, and leetspeak in Latin words ("sh1t").
"""
from __future__ import annotations

import random
import re
import unicodedata
from functools import lru_cache
from typing import Any, Callable

# Pinyin (toneless) of characters that carry much of the abuse in Chinese comments.
PINYIN = {
    "黑": "hei", "鬼": "gui", "女": "nv", "拳": "quan", "蛆": "qu", "猪": "zhu", "狗": "gou", "傻": "sha",
    "逼": "bi", "贱": "jian", "婊": "biao", "滚": "gun", "死": "si", "垃": "la", "圾": "ji", "蠢": "chun",
    "屎": "shi", "骚": "sao", "渣": "zha", "舔": "tian", "奴": "nu", "杀": "sha", "恶": "e", "脏": "zang",
    "臭": "chou", "绿": "lv", "娘": "niang", "畜": "chu", "牲": "sheng", "废": "fei", "骗": "pian",
    "偷": "tou", "抢": "qiang", "歧": "qi", "罪": "zui", "犯": "fan", "懒": "lan", "劣": "lie", "愚": "yu",
    "癌": "ai", "喷": "pen", "屁": "pi", "跪": "gui", "毒": "du", "粪": "fen", "艾": "ai", "滋": "zi",
    "恨": "hen", "丑": "chou", "猴": "hou", "蛮": "man", "夷": "yi", "婆": "po", "贼": "zei", "骂": "ma",
    "智": "zhi", "障": "zhang", "残": "can", "暴": "bao", "蝗": "huang", "崽": "zai", "穆": "mu",
    "默": "mo", "尼": "ni", "畜生": "chusheng", "鄙": "bi", "侮": "wu", "辱": "ru", "欺": "qi", "骗子": "pianzi",
}

_CYRILLIC = {"a": "а", "c": "с", "e": "е", "i": "і", "o": "о", "p": "р", "x": "х", "y": "у",
             "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О", "P": "Р", "T": "Т"}
_SEPARATORS = (" ", "*", ".", "-", "|", "_", "/")


def _kangxi() -> dict[str, str]:
    # Kangxi and supplementary radicals that NFKC folds back to ordinary characters: they look the same.
    out = {}
    for cp in list(range(0x2F00, 0x2FD6)) + list(range(0x2E80, 0x2EF4)):
        folded = unicodedata.normalize("NFKC", chr(cp))
        if folded != chr(cp) and len(folded) == 1:
            out.setdefault(folded, chr(cp))
    return out


_HOMOGLYPHS = {**_kangxi(), **_CYRILLIC}


@lru_cache(maxsize=1)
def _s2t() -> Any:
    from opencc import OpenCC

    return OpenCC("s2t")


def traditional(text: str, seed: int = 0) -> str:
    """Return the text in Traditional characters."""
    return str(_s2t().convert(text))


def fullwidth(text: str, seed: int = 0) -> str:
    """Return the text with ASCII letters, digits and punctuation in their full-width forms."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


def separators(text: str, seed: int = 0) -> str:
    """Return the text with a separator between letters and characters, as in 黑*人."""
    rng = random.Random(seed)
    sep = rng.choice(_SEPARATORS)
    out = []
    for i, c in enumerate(text):
        out.append(c)
        if i + 1 < len(text) and c.isalnum() and text[i + 1].isalnum():
            out.append(sep)
    return "".join(out)


def homoglyphs(text: str, seed: int = 0) -> str:
    """Return the text with characters swapped for look-alikes (Kangxi radicals, Cyrillic letters)."""
    return "".join(_HOMOGLYPHS.get(c, c) for c in text)


def pinyin(text: str, seed: int = 0, limit: int = 2) -> str:
    """Return the text with up to `limit` of its abuse-bearing characters written in pinyin."""
    out = []
    done = 0
    for c in text:
        if done < limit and c in PINYIN:
            out.append(PINYIN[c])
            done += 1
        else:
            out.append(c)
    return "".join(out)


_LEET_OUT = {"i": "1", "e": "3", "o": "0", "a": "4", "s": "$", "t": "7"}
_LATIN_WORD = re.compile(r"[A-Za-z]{4,}")


def leetspeak(text: str, seed: int = 0) -> str:
    """Return the text with one letter of every Latin word of four or more letters in leetspeak ("sh1t")."""
    def one(match: re.Match[str]) -> str:
        word = match.group()
        for i in range(1, len(word)):
            if word[i].lower() in _LEET_OUT:
                return word[:i] + _LEET_OUT[word[i].lower()] + word[i + 1:]
        return word

    return _LATIN_WORD.sub(one, text)


EVASIONS: dict[str, Callable[..., str]] = {
    "traditional": traditional,
    "fullwidth": fullwidth,
    "separators": separators,
    "homoglyphs": homoglyphs,
    "pinyin": pinyin,
    "leetspeak": leetspeak,
}
