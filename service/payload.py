"""Reading request bodies: JSON or form, strict UTF-8, and field validation with clear errors."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from flask import Request

from service.exceptions import (
    FieldTooLong, InvalidEncoding, InvalidField, InvalidJSON, MissingField, UnsupportedMediaType,
)


def read_body(request: Request) -> dict[str, Any]:
    """Return the request's fields from a JSON object or a urlencoded form."""
    raw = request.get_data(cache=True)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidEncoding() from err
    mimetype = request.mimetype
    if mimetype == "application/json" or (not mimetype and body.lstrip().startswith("{")):
        try:
            data = json.loads(body) if body.strip() else None
        except ValueError as err:
            raise InvalidJSON() from err
        if not isinstance(data, dict):
            raise InvalidJSON("The request body must be a JSON object.")
        return data
    if mimetype == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body, keep_blank_values=True))
    raise UnsupportedMediaType("Send application/json or application/x-www-form-urlencoded.")


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
    if isinstance(value, bool):
        raise InvalidField(f"The field '{name}' must be an integer.", field=name)
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and 0 < len(value) < 19:
        return int(value)
    raise InvalidField(f"The field '{name}' must be a positive integer.", field=name)
