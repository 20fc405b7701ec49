"""The OpenAPI document (service/openapi.py) is true: it names every route of the API and no other, every
documented error is the JSON error shape, and Schemathesis's generated requests get documented answers."""
from __future__ import annotations

import re

import pytest

from bench.fuzz_api import error_shape_problem, fuzz
from service.openapi import UNDOCUMENTED_PREFIXES

OPERATIONS_ROOTS = ("/healthz", "/readyz", "/metrics")
_METHODS = {"get", "post", "put", "patch", "delete"}


def _document(client) -> dict:  # type: ignore[no-untyped-def]
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def _follow(document: dict, node: dict) -> dict:
    """Return the object a `$ref` points to (the node itself when it is not a reference)."""
    while isinstance(node, dict) and "$ref" in node:
        target: object = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]  # type: ignore[index]
        node = target  # type: ignore[assignment]
    return node


def _documented(document: dict) -> set[tuple[str, str]]:
    pairs = set()
    for path, item in document["paths"].items():
        item = _follow(document, item)
        pairs |= {(method.upper(), path) for method in item if method in _METHODS}
    return pairs


def _flask_rules(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    pairs = set()
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if not (path.startswith("/api/") or path in OPERATIONS_ROOTS) or path.startswith(UNDOCUMENTED_PREFIXES):
            continue
        openapi_path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", path)
        pairs |= {(method, openapi_path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return pairs


def test_every_api_route_is_documented_and_every_documented_operation_is_a_route(app, client):
    document = _document(client)
    assert document["openapi"].startswith("3.1")
    documented, routes = _documented(document), _flask_rules(app)
    assert routes - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routes == set(), "documented operations that the app does not serve"


def test_every_documented_error_is_the_json_error_shape(client):
    document = _document(client)
    errors = 0
    for path, item in document["paths"].items():
        item = _follow(document, item)
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            for status, response in operation["responses"].items():
                if int(status) < 400 or path == "/readyz":
                    continue
                content = _follow(document, response)["content"]
                assert list(content) == ["application/json"], (method, path, status)
                assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
                errors += 1
    assert errors > 50


def test_the_document_carries_the_configured_length_limits(client, app):
    fields = _document(client)["components"]["schemas"]["CommentSubmission"]["properties"]
    config = app.extensions["moderato.config"]
    assert fields["text"]["maxLength"] == config.max_comment_length
    assert fields["author"]["maxLength"] == config.max_author_length


def test_the_error_shape_check_tells_a_bad_error_body():
    assert error_shape_problem(404, "application/json", b'{"error": {"code": "x", "message": "y"}}', "/a") is None
    assert error_shape_problem(404, "text/html", b"<h1>Not found</h1>", "/a")
    assert error_shape_problem(400, "application/json", b'{"message": "y"}', "/a")
    assert error_shape_problem(503, "application/json", b'{"status": "unavailable"}', "/readyz") is None


@pytest.mark.slow
def test_schemathesis_finds_no_500_and_no_answer_unlike_the_document(app):
    # A few derandomized examples per operation and mode, so the suite stays fast; bench/fuzz_api.py runs more.
    report = fuzz(app, examples=8)
    assert report.requests > 200
    assert report.statuses.get(500, 0) == 0
    assert report.failures == []


@pytest.mark.slow
def test_schemathesis_finds_no_500_and_no_answer_unlike_the_document_through_the_fast_lane(app):
    # The lane's two operations (service/fast_lane.py), handed to it as the web server's gate does.
    report = fuzz(app, examples=25, through_the_lane=True)
    assert report.requests > 60
    assert report.statuses.get(500, 0) == 0
    assert report.failures == []
