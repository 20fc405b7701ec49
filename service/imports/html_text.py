"""HTML comment bodies (Disqus, Twikoo, WordPress) to the plain text that Moderato stores and shows."""
from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "blockquote", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "tr"}


class _TextParser(HTMLParser):
    def __init__(self, keep_newlines: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.keep_newlines = keep_newlines
        self.parts: list[str] = []
        self.links: list[tuple[str, int]] = []  # (href, where its text starts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))
        elif tag == "img":
            # Emoticons (Twikoo's OwO, Disqus's) carry their meaning in alt.
            self.parts.append(dict(attrs).get("alt") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            shown = "".join(self.parts[start:])
            # The link's address is kept as text when the page showed other words for it.
            if href.startswith(("http://", "https://")) and href not in shown:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self.keep_newlines else re.sub(r"\s+", " ", data))


def html_to_text(html: str, keep_newlines: bool = False) -> str:
    """Return the text of an HTML fragment: paragraphs and <br> become line breaks, tags go, entities are read.

    `keep_newlines` keeps the line breaks of the source as written (WordPress stores comments so and
    adds paragraphs only when it shows them); otherwise white space runs become one space, as a browser
    shows them.
    """
    parser = _TextParser(keep_newlines)
    parser.feed(html or "")
    parser.close()
    text = "".join(parser.parts).replace("\r\n", "\n")
    text = re.sub(r"[ \t]+\n", "\n", text)
    if not keep_newlines:
        text = re.sub(r"\n[ \t]+", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
