"""The widget's Idempotency-Key in Chromium: a submission whose answer was lost, retried, is one comment."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from service.demo import DEMO_THREAD
from service.models import Comment

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402


def test_a_retry_after_a_lost_answer_makes_one_comment(page, live_server, app):
    keys: list[str] = []

    def lose_first_answer(route) -> None:  # type: ignore[no-untyped-def]
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()  # the service stores the comment...
            route.abort()  # ...and the answer never reaches the reader
        else:
            route.continue_()

    page.route(re.compile(r".*/api/comments(\?.*)?$"), lose_first_answer)
    page.goto(live_server.url + "/")
    host = page.locator(f'[data-moderato-thread="{DEMO_THREAD}"]')
    host.locator("#m-author").fill("小明")
    host.locator("#m-text").fill("网络断了也只发一条")
    for attempt in range(2):
        image = host.locator("img[data-captcha-id]")
        expect(image).to_have_attribute("src", re.compile("^data:image/"))
        if attempt:  # the widget fetched a new captcha after the network error
            expect(image).not_to_have_attribute("data-captcha-id", used)
        used = image.get_attribute("data-captcha-id")
        host.locator("#m-captcha").fill(live_server.get_json(f"/api/testing/captcha/{used}")["answer"])
        host.locator("form.post button[type=submit]").click()
        if not attempt:
            expect(host.locator("form.post .err")).to_have_text("网络连接失败，请检查网络后重试。")
    expect(host.locator("ul.mine li")).to_have_count(1)
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    with app.extensions["moderato.db"].read() as session:
        assert len(session.scalars(select(Comment)).all()) == 1
    # Chromium logs the aborted request; nothing else may go wrong.
    assert [p for p in page.problems if "ERR_FAILED" not in p and "Failed to load" not in p] == []
