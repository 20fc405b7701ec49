"""The privacy API: admins export or erase everything one author wrote (service/privacy.py)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from service.accounts import require_admin
from service.db import get_db
from service.payload import read_body, text_field
from service.privacy import erase_author, export_author, parse_query
from service.redis_conn import get_redis

privacy_api = Blueprint("privacy_api", __name__)


@privacy_api.post("/api/moderation/privacy/export")
def export() -> Response:
    """Return everything one author wrote on the admin's sites (or the one named), as JSON."""
    principal = require_admin()
    data = read_body(request)
    author = parse_query(data)
    return jsonify(export_author(get_db(), current_app.extensions["moderato.config"], principal, author,
                                 text_field(data, "site", 100, required=False)))


@privacy_api.post("/api/moderation/privacy/erase")
def erase() -> Response:
    """Erase everything one author wrote on the admin's sites (or the one named), leaving tombstones."""
    principal = require_admin()
    data = read_body(request)
    author = parse_query(data)
    ids = erase_author(get_db(), get_redis(), current_app.extensions["moderato.config"], principal, author,
                       text_field(data, "site", 100, required=False))
    return jsonify({"erased": len(ids), "ids": ids})
