"""Plain factory functions for tests."""
from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


def solve_captcha(client: FlaskClient) -> dict[str, str]:
    """Get a captcha and read its answer through the test-only hook, as the browser tests do."""
    captcha = client.get("/api/captcha").get_json()
    answer = client.get(f"/api/testing/captcha/{captcha['id']}").get_json()["answer"]
    return {"captcha_id": captcha["id"], "captcha_answer": answer}


def comment_payload(client: FlaskClient, **overrides: Any) -> dict[str, Any]:
    """Return a valid comment submission with a solved captcha."""
    payload: dict[str, Any] = {
        "thread": "/news/2026/11/28/1.html", "thread_title": "示例新闻", "author": "小明",
        "text": "这篇报道写得很好，谢谢记者。",
    }
    payload.update(solve_captcha(client))
    payload.update(overrides)
    return payload


def post_comment(client: FlaskClient, **overrides: Any):  # type: ignore[no-untyped-def]
    """Post a valid comment with a solved captcha and return the response."""
    return client.post("/api/comments", json=comment_payload(client, **overrides))
