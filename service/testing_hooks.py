"""Test-only endpoints; registered only when TESTING_HOOKS=1, never in production."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

testing_hooks = Blueprint("testing_hooks", __name__)


@testing_hooks.get("/api/testing/captcha/<captcha_id>")
def captcha_answer(captcha_id: str) -> Response:
    """Return a captcha's answer, so browser tests can solve it."""
    return jsonify({"answer": current_app.extensions["moderato.captcha"].answer_for(captcha_id)})
