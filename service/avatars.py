"""Avatars drawn locally: identicons from a keyed hash, so no third party sees a request and no stranger can
reverse the hash to an email address (a plain MD5 of an email, as Gravatar's, is reversed by guessing).

The thread page gives each comment `avatar`, 16 hex digits of HMAC-SHA256(SECRET_KEY, who) where `who` is
the signed-in reader's id, else the email address (trimmed, lower-cased), else the nickname, each within
its site. The widget draws the identicon from those digits itself; `GET /api/avatars/<digits>.svg` draws
the same picture for other pages (the console, the no-JavaScript form).

The picture: hue from the first three digits; a 5×5 grid mirrored left to right, whose 15 free cells are
the bits of the next four digits (most significant first, column by column from the left edge).
"""
from __future__ import annotations

import hashlib
import hmac
import re

AVATAR_DIGITS = 16
_AVATAR = re.compile(r"[0-9a-f]{16}")


def avatar_key(secret: str, site_id: int, user_id: str | None, email: str | None, author: str,
               reader_id: int | None = None) -> str:
    """Return the avatar digits of a comment's author: by account, else email, else nickname."""
    if user_id:
        who = f"user:{site_id}:{user_id}"
    elif reader_id is not None:
        who = f"reader:{site_id}:{reader_id}"
    elif email and email.strip():
        who = f"email:{site_id}:{email.strip().lower()}"
    else:
        who = f"name:{site_id}:{author.strip().casefold()}"
    return hmac.new(secret.encode(), ("avatar:" + who).encode(), hashlib.sha256).hexdigest()[:AVATAR_DIGITS]


def is_avatar_key(text: str) -> bool:
    """Return whether `text` is well-formed avatar digits."""
    return bool(_AVATAR.fullmatch(text))


def identicon_cells(key: str) -> tuple[int, list[tuple[int, int]]]:
    """Return the hue and the filled (column, row) cells of the identicon for avatar digits."""
    hue = int(key[:3], 16) % 360
    bits = int(key[3:7], 16)
    cells = []
    for i in range(15):
        if bits >> (15 - i) & 1:
            column, row = divmod(i, 5)
            cells.append((column, row))
            if column < 2:
                cells.append((4 - column, row))
    return hue, cells


def identicon_svg(key: str) -> str:
    """Return the identicon of avatar digits as an SVG document (the widget draws the same one)."""
    hue, cells = identicon_cells(key)
    rects = "".join(f'<rect x="{c + 1}" y="{r + 1}" width="1" height="1"/>' for c, r in sorted(cells))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 7 7" width="40" height="40" '
            f'shape-rendering="crispEdges">'
            f'<rect width="7" height="7" fill="hsl({hue},45%,92%)"/><g fill="hsl({hue},55%,45%)">{rects}</g></svg>')
