"""Avatars: keyed digits nobody can reverse without SECRET_KEY, and the identicon drawn as SVG by the service."""
from __future__ import annotations

import hashlib

from service.avatars import avatar_key, identicon_cells


def test_avatar_digits_are_keyed_so_an_email_cannot_be_looked_up():
    email = "reader@example.com"
    digits = avatar_key("secret-a", 1, None, email, "读者")
    assert len(digits) == 16 and digits != avatar_key("secret-b", 1, None, email, "读者")
    # Neither the email's MD5 (Gravatar) nor its plain SHA-256 shows up.
    assert digits not in hashlib.md5(email.encode()).hexdigest() + hashlib.sha256(email.encode()).hexdigest()
    assert avatar_key("secret-a", 2, None, email, "读者") != digits  # another site, another picture
    assert avatar_key("secret-a", 1, "u-7", email, "读者") == avatar_key("secret-a", 1, "u-7", None, "别名")


def test_the_identicon_is_mirrored_left_to_right():
    for digits in ("0123456789abcdef", "fffffffffffffff0", "a5a5a5a5a5a5a5a5"):
        _hue, cells = identicon_cells(digits)
        assert {(4 - c, r) for c, r in cells} == set(cells)
    assert identicon_cells("000" + "ffff" + "0" * 9)[1].__len__() == 25


def test_the_service_draws_an_avatar_as_svg_without_third_parties(client):
    response = client.get("/api/avatars/0123456789abcdef.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    body = response.get_data(as_text=True)
    assert body.startswith("<svg") and "<rect" in body and "http" not in body.replace("http://www.w3.org/2000/svg", "")
    assert "immutable" in response.headers["Cache-Control"]
    assert client.get("/api/avatars/0123456789ABCDEF.svg").status_code == 404
    assert client.get("/api/avatars/..%2fetc.svg").status_code == 404
