"""Reading request input: JSON or form bodies, strict UTF-8, bounded integers, and field validation with
clear errors.

Every request passes `check_request_text` first (a before_request hook): text that no database column can
hold (NUL, which PostgreSQL refuses in strings; lone surrogates, which cannot be encoded) is refused there
once, in the query string, the URL's own parts and form fields, instead of at each view. JSON bodies get
the same check in `read_body`, and every integer taken from a request goes through `parse_int`, so that
no id reaches the database out of BIGINT's range and no string of thousands of digits reaches `int()`.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Request, current_app, request

from service.exceptions import (
    FieldTooLong, InvalidEncoding, InvalidField, InvalidJSON, MissingField, PayloadTooLarge,
    UnsupportedMediaType,
)

MAX_ID = 2**63 - 1  # the largest BIGINT (PostgreSQL) and INTEGER (SQLite)
_MAX_DIGITS = 20  # more digits than any integer we take; int() is never asked to read more
# The API's bodies are flat objects with at most a list of ids; anything deeper is not ours.
MAX_JSON_DEPTH = 8


def unstorable(text: str) -> bool:
    """Return whether text holds a NUL or a lone surrogate, which no database column can store."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_fields(pairs: Iterable[tuple[str, Any]], where: str) -> None:
    for name, value in pairs:
        for text in (name, value):
            if isinstance(text, str) and unstorable(text):
                raise InvalidField(f"The {where} '{_printable(name)}' contains a NUL character or invalid Unicode.",
                                   field=_printable(name))


def _printable(name: str) -> str:
    return name.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:100]


def check_request_text() -> None:
    """Refuse a request whose query, URL parts or form fields hold unstorable text; enforce the body limit.

    Registered on the app before every other hook, so the CORS check and the views only see clean text.
    """
    _check_body_size(request)
    _check_fields(request.args.items(multi=True), "parameter")
    _check_fields((request.view_args or {}).items(), "path part")
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        request.get_data(cache=True)  # kept, so that read_body can read the same body afterwards
        _check_fields(request.form.items(multi=True), "field")


def _check_body_size(req: Request) -> None:
    # With Content-Length, Werkzeug refuses a body over the limit itself (413). A chunked body has none:
    # Werkzeug stops reading at the limit and hands over the truncated start, which then fails to parse
    # (400). A body that reaches the limit is therefore refused here as too large; one of exactly the
    # limit is refused too, as the stream cannot tell it from a longer one without reading past it.
    if req.content_length is not None or req.method in ("GET", "HEAD", "OPTIONS"):
        return
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and len(req.get_data(cache=True)) >= limit:
        raise PayloadTooLarge()


def read_body(request: Request) -> dict[str, Any]:
    """Return the request's fields from a JSON object or a urlencoded form."""
    _check_body_size(request)
    return parse_body(request.get_data(cache=True), request.mimetype)


def parse_body(raw: bytes, mimetype: str) -> dict[str, Any]:
    """Return the fields of a body of `mimetype` (a JSON object or a urlencoded form), checked as `read_body` says."""
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidEncoding() from err
    if mimetype == "application/json" or (not mimetype and body.lstrip().startswith("{")):
        try:
            data = json.loads(body) if body.strip() else None
        except RecursionError as err:  # nested about a thousand deep
            raise InvalidJSON(f"The JSON body is nested more than {MAX_JSON_DEPTH} deep.") from err
        except ValueError as err:
            raise InvalidJSON() from err
        if not isinstance(data, dict):
            raise InvalidJSON("The request body must be a JSON object.")
        _check_json(data)
        return data
    if mimetype == "application/x-www-form-urlencoded":
        data = dict(parse_qsl(body, keep_blank_values=True))
        _check_fields(data.items(), "field")
        return data
    raise UnsupportedMediaType("Send application/json or application/x-www-form-urlencoded.")


def _check_json(data: dict[str, Any]) -> None:
    """Refuse a JSON body nested too deep or holding unstorable text anywhere (walked without recursion)."""
    stack: list[tuple[str, Any, int]] = [(name, value, 1) for name, value in data.items()]
    _check_fields(((name, name) for name in data), "field")
    while stack:
        name, value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidJSON(f"The JSON body is nested more than {MAX_JSON_DEPTH} deep.")
        if isinstance(value, str):
            _check_fields([(name, value)], "field")
        elif isinstance(value, list):
            stack.extend((name, item, depth + 1) for item in value)
        elif isinstance(value, dict):
            _check_fields(((name, key) for key in value), "field")
            stack.extend((name, item, depth + 1) for item in value.values())


def parse_int(value: Any, name: str, low: int = 0, high: int = MAX_ID) -> int:
    """Return a JSON integer or a string of ASCII digits as an int from `low` to `high`, or raise InvalidField."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        digits = value.strip()
        if digits.isascii() and digits.isdigit() and len(digits) <= _MAX_DIGITS:
            number = int(digits)
    if number is None or not low <= number <= high:
        raise InvalidField(f"'{name}' must be an integer from {low} to {high}.", field=name)
    return number


def optional_int(value: Any, name: str, low: int = 0, high: int = MAX_ID) -> int | None:
    """Return `parse_int` of a value, or None when it is absent or blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_int(value, name, low, high)


def text_field(data: dict[str, Any], name: str, max_length: int, required: bool = True) -> str | None:
    """Return a string field, stripped of surrounding space, checked for presence, type and length."""
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise MissingField(f"The field '{name}' is required.", field=name)
        return None
    if not isinstance(value, str):
        raise InvalidField(f"The field '{name}' must be a string.", field=name)
    value = value.strip()
    if "\x00" in value:
        raise InvalidField(f"The field '{name}' contains a NUL character.", field=name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:  # lone surrogates from JSON \ud800 escapes
        raise InvalidField(f"The field '{name}' is not valid Unicode text.", field=name) from err
    if len(value) > max_length:
        raise FieldTooLong(f"The field '{name}' is longer than {max_length} characters.",
                           field=name, max_length=max_length)
    return value


def int_field(data: dict[str, Any], name: str) -> int | None:
    """Return an optional positive integer field (a JSON number or a string of digits)."""
    value = data.get(name)
    if value is None or value == "":
        return None
    return parse_int(value, name, low=1)
