"""Text normalisation for matching, with a map from every normalised character back to the original.

One comment field is normalised once (see `FilterContext.normalised`) into three views:

- `text`: NFKC, case-folded, full-width to half-width, Traditional to Simplified Chinese (character by
  character), Cyrillic/Greek look-alikes and accented Latin folded to plain Latin, zero-width and bidi
  control characters removed. Spaces and punctuation stay, so Latin words and URLs keep their shape.
- `compact`: `text` without any separator (space, punctuation, symbol, emoji, combining mark), so that
  `傻*逼`, `傻 逼` and `傻😀逼` all read `傻逼`. Word lists match here.
- `digits`: `compact` with Chinese numerals (一/壹/幺…) folded to ASCII digits, for phone and QQ numbers.

Every conversion is one character to one or more characters, never many to one, so each normalised
character remembers the offset of the original character it came from (`offsets`, `compact_offsets`).
The tables are built once at import; a comment is then converted with `str.translate`, which costs a few
microseconds for 200 characters, instead of a Python loop over characters.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

_OPENCC_VARIANTS = ("TWVariantsRev.txt", "HKVariantsRev.txt")

# Letters that look like Latin ones, after case folding. Cyrillic and Greek are the usual substitutes.
_HOMOGLYPHS = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m",
    "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "һ": "h",
    "ӏ": "l", "ԛ": "q", "ԝ": "w", "ь": "b", "п": "n", "г": "r", "ц": "u", "ч": "y", "ш": "w", "ѵ": "v",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
    "ο": "o", "ρ": "p", "σ": "o", "ς": "c", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    # Latin letters outside ASCII that readers take for ASCII ones
    "ı": "i", "ȷ": "j", "ɡ": "g", "ɑ": "a", "ɩ": "i", "ʟ": "l", "ɪ": "i", "ʀ": "r", "ᴄ": "c", "ᴏ": "o",
    "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z", "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "ŧ": "t",
}

# Circled digits that NFKC leaves alone (NFKC already folds ①, ⑴, ⒈ and full-width ０–９).
_DINGBAT_DIGITS = {chr(0x2776 + i): str(i + 1) for i in range(9)} | {
    chr(0x2780 + i): str(i + 1) for i in range(9)} | {chr(0x278A + i): str(i + 1) for i in range(9)} | {
    "❿": "10", "➉": "10", "➓": "10", "⓪": "0", "⓿": "0", "🄋": "0", "🄌": "0"}

# Plus signs, kept as "+" so that "➕V" and "+v" read alike in `text`.
_PLUS_SIGNS = {"➕": "+", "✚": "+", "✙": "+"}

# Chinese numerals as written in phone numbers: 一三八…, 壹叁捌…, 幺 and 洞 from radio speech.
_CHINESE_DIGITS = str.maketrans({
    "〇": "0", "零": "0", "洞": "0", "一": "1", "壹": "1", "幺": "1", "二": "2", "贰": "2", "两": "2",
    "三": "3", "叁": "3", "四": "4", "肆": "4", "五": "5", "伍": "5", "六": "6", "陆": "6", "七": "7",
    "柒": "7", "八": "8", "捌": "8", "九": "9", "玖": "9",
})

# Astral ranges with compatibility letters and digits (mathematical alphanumerics, enclosed letters).
_ASTRAL_RANGES = ((0x1D400, 0x1D800), (0x1F100, 0x1F1FF))

_SEPARATORS = re.compile(r"[\W_]+")


def _load_t2s() -> dict[str, str]:
    import opencc

    folder = Path(opencc.__file__).parent / "dictionary"

    def read(name: str) -> dict[str, str]:
        table: dict[str, str] = {}
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            source, _tab, targets = line.partition("\t")
            target = targets.split(" ")[0] if targets else ""
            # Only one-to-one conversions keep the offsets; take the first candidate.
            if len(source) == 1 and len(target) == 1:
                table.setdefault(source, target)
        return table

    t2s = read("TSCharacters.txt")
    # The Taiwan and Hong Kong variant tables lead to OpenCC's standard Traditional form, which then
    # converts to Simplified; applied alone they would turn 群 into 羣.
    for name in _OPENCC_VARIANTS:
        for source, target in read(name).items():
            simplified = t2s.get(target, target)
            if source not in t2s and simplified != source:
                t2s[source] = simplified
    return {k: v for k, v in t2s.items() if k != v}


def _fold_latin(char: str) -> str:
    # "é" and "ü" decompose to a plain letter and marks; keep the letter so "fück" reads "fuck".
    decomposed = unicodedata.normalize("NFKD", char)
    if len(decomposed) > 1 and decomposed[0].isascii() and decomposed[0].isalpha():
        if all(unicodedata.combining(c) for c in decomposed[1:]):
            return decomposed[0]
    return char


def _fold_char(char: str, t2s: dict[str, str]) -> str:
    if _is_invisible(char):
        return ""
    if char in _DINGBAT_DIGITS:
        return _DINGBAT_DIGITS[char]
    if char in _PLUS_SIGNS:
        return _PLUS_SIGNS[char]
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", char).casefold())
    out = []
    for piece in folded:
        piece = _HOMOGLYPHS.get(piece, piece)
        piece = t2s.get(piece, piece)
        piece = _fold_latin(piece)
        if not _is_invisible(piece):
            out.append(piece)
    return "".join(out)


def _is_invisible(char: str) -> bool:
    # Format characters (zero-width spaces and joiners, bidi controls, soft hyphen, BOM) and the
    # variation selectors render as nothing, so they only ever serve to split a word for a filter.
    code = ord(char)
    return (unicodedata.category(char) == "Cf" or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF
            or code == 0x115F or code == 0x1160 or code == 0x3164 or code == 0xFFA0)


def _build_tables() -> tuple[dict[int, str], dict[int, str]]:
    """Return the one-to-one table and the table of characters that expand or vanish."""
    t2s = _load_t2s()
    one_to_one: dict[int, str] = {}
    other: dict[int, str] = {}
    codes = list(range(0x80, 0x10000)) + [c for lo, hi in _ASTRAL_RANGES for c in range(lo, hi)]
    codes += [ord(c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    for code in codes:
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        folded = _fold_char(char, t2s)
        if folded == char:
            continue
        (one_to_one if len(folded) == 1 else other)[code] = folded
    for code in range(0xE0000, 0xE0080):  # tag characters, invisible
        other[code] = ""
    for code in range(0xE0100, 0xE01F0):
        other[code] = ""
    return one_to_one, other


_ONE_TO_ONE, _EXPANDING = _build_tables()
# One table for the common case: characters that expand or vanish become NUL, which sends the text
# down the slow path (as does a NUL in the text itself). A regex class of them is four times slower.
_FAST_TABLE = str.maketrans(_ONE_TO_ONE | {code: "\0" for code in _EXPANDING} | {0: "\0"})


@dataclass(frozen=True)
class NormalisedText:
    """Normalised views of a text and, for each of their characters, the offset of the original one."""

    text: str
    offsets: tuple[int, ...]
    original: str
    compact: str = ""
    compact_offsets: tuple[int, ...] = ()

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map [start, end) in `text` back to [start, end) in the original."""
        return _span(self.offsets, start, end)

    def compact_span(self, start: int, end: int) -> tuple[int, int]:
        """Map [start, end) in `compact` or `digits` back to [start, end) in the original."""
        return _span(self.compact_offsets, start, end)

    @cached_property
    def digits(self) -> str:
        """Return `compact` with Chinese numerals as ASCII digits; same length, same offsets."""
        return self.compact.translate(_CHINESE_DIGITS)

    def gap_before(self, index: int) -> bool:
        """Tell whether `compact[index]` starts the text or follows a removed separator."""
        if index <= 0:
            return True
        return self.compact_offsets[index - 1] + 1 < self.compact_offsets[index]

    def gap_after(self, index: int) -> bool:
        """Tell whether `compact[index - 1]` ends the text or precedes a removed separator."""
        if index >= len(self.compact):
            return True
        return self.compact_offsets[index - 1] + 1 < self.compact_offsets[index]


def _span(offsets: tuple[int, ...], start: int, end: int) -> tuple[int, int]:
    if start >= end or end > len(offsets):
        return (0, 0)
    # Characters that expand ("ß" to "ss") share one offset, so the end is the last one's offset + 1.
    return (offsets[start], offsets[end - 1] + 1)


def normalise(text: str) -> NormalisedText:
    """Return the normalised views of `text`, keeping a map to the original offsets."""
    if text.isascii() and "\0" not in text:
        out, offsets = text.lower(), tuple(range(len(text)))
    else:
        out = text.translate(_FAST_TABLE)
        offsets = tuple(range(len(text)))
        if "\0" in out:
            out, offsets = _normalise_slowly(text)
    if _LEET_CANDIDATE.search(out):
        out = _LEET_WORD.sub(_unleet, out)
    compact, compact_offsets = _compact(out, offsets)
    return NormalisedText(out, offsets, text, compact, compact_offsets)


# Leetspeak inside Latin words ("sh1t", "n1gg3r", "a$$"): a word of three or more characters that starts
# with a letter and holds at most two of 0 1 3 4 5 7 $, and no other digit. Phone numbers, QQ and WeChat
# ids (digits, or more of them in a word), SMS shorthand ("4get", "b4", "gr8") and prices are left alone;
# "@" is left alone because it belongs to addresses. One character for one, so the offsets still hold.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s"})
_LEET_CANDIDATE = re.compile(r"[a-z][013457$]")
_LEET_WORD = re.compile(r"[a-z0-9$]*[a-z][0-9$][a-z0-9$]*")


def _unleet(match: re.Match[str]) -> str:
    word = match.group()
    leet = [c for c in word if not c.isalpha()]
    if not word[0].isalpha() or len(word) < 3 or len(leet) > 2 or any(c not in "013457$" for c in leet):
        return word
    return word.translate(_LEET)


def _normalise_slowly(text: str) -> tuple[str, tuple[int, ...]]:
    # Some character expands or vanishes (ligatures, ⑩, zero-width spaces): walk character by character.
    pieces: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        code = ord(char)
        folded = _EXPANDING[code] if code in _EXPANDING else _ONE_TO_ONE.get(code, char)
        pieces.append(folded)
        offsets.extend([index] * len(folded))
    return "".join(pieces), tuple(offsets)


def _compact(text: str, offsets: tuple[int, ...]) -> tuple[str, tuple[int, ...]]:
    if not _SEPARATORS.search(text):
        return text, offsets
    parts: list[str] = []
    kept: list[int] = []
    position = 0
    for match in _SEPARATORS.finditer(text):
        if match.start() > position:
            parts.append(text[position:match.start()])
            kept.extend(offsets[position:match.start()])
        position = match.end()
    parts.append(text[position:])
    kept.extend(offsets[position:])
    return "".join(parts), tuple(kept)

