"""The console's design at a desktop and a phone width: the queue's screenshots for the README, and the layout
facts a phone depends on (nothing wider than the screen, the bulk bar stays in view, the hierarchy holds)."""
from __future__ import annotations

import os

import pytest

from tests.browser.axe import describe, scan
from service.config import PROJECT_ROOT
from tests.conftest import make_config
from tests.factories import CONSOLE_PASSWORD, make_user, post_comment

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"


@pytest.fixture
def config(database_url, redis_client, redis_server, tmp_path):  # type: ignore[no-untyped-def]
    """Plain HTTP, an English console, every filter."""
    return make_config(database_url, redis_server.url, tmp_path, session_cookie_secure=False, moderator_token="",
                       console_language="en")


def _queue_with_comments(app, client, run_worker) -> None:  # type: ignore[no-untyped-def]
    make_user(app, "chief", role="admin")
    top = post_comment(client, text="小区的电梯终于装好了，老人出门方便多了。", author="东城老李").get_json()["id"]
    [
        post_comment(client, text="便宜 www.a.com www.b.com www.c.com www.d.com", author="优惠小助手").get_json()["id"],
        post_comment(client, text="有事找我，我的微信是 abc12345", author="路人乙", parent=top).get_json()["id"],
        post_comment(client, text="河南人都是骗子，一个比一个坏", author="老王").get_json()["id"],
        post_comment(client, text="哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈", author="读者丁").get_json()["id"],
    ]
    run_worker()


def _sign_in(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url + "/console/login")
    page.fill('input[name="username"]', "chief")
    page.fill('input[name="password"]', CONSOLE_PASSWORD)
    page.click('form.login button[type="submit"]')
    expect(page).to_have_url(url + "/console/queue")


def _target(name: str, tmp_path):  # type: ignore[no-untyped-def]
    # The README's screenshots are rewritten only when asked (UPDATE_SCREENSHOTS=1): a test run must not
    # change tracked files.
    target = SCREENSHOTS / name if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def test_the_queue_at_desktop_and_phone_widths(app, client, run_worker, live_server, browser, tmp_path):
    _queue_with_comments(app, client, run_worker)
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"pageerror: {err}"))
    try:
        _sign_in(page, live_server.url)
        items = page.locator("ol.queue > li.item")
        expect(items.first).to_be_visible()
        shown = items.count()
        assert shown >= 3, shown
        # The tabs count each status's comments; the current tab is marked for assistive technology too.
        current = page.locator('nav.tabs a[aria-current="page"]')
        expect(current).to_contain_text("Held")
        expect(current.locator(".count")).to_have_text(str(shown))
        # The hierarchy: the comment's text is larger than its context line, and comes first in the card.
        sizes = page.evaluate("""() => {
            const item = document.querySelector('ol.queue > li.item');
            const px = (sel) => parseFloat(getComputedStyle(item.querySelector(sel)).fontSize);
            const body = item.querySelector('.body');
            return {text: px('blockquote.text'), meta: px('.meta'), first: body.firstElementChild.className};
        }""")
        assert sizes["text"] >= sizes["meta"] * 1.3, sizes
        assert sizes["first"] == "text", sizes
        # Reasons are chips coloured by their action: a held verdict does not look like a rejecting one.
        hold_chip = page.locator("li.verdict.hold").first
        expect(hold_chip).to_be_visible()
        page.screenshot(path=str(_target("console-1280.png", tmp_path)), full_page=True)

        # At a phone's width: nothing wider than the screen, and the bulk bar stays in view while scrolling.
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(100)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        bar = page.locator(".bulkbar")
        expect(bar).to_be_visible()
        expect(bar.locator('button[value="approve"]')).to_be_visible()
        # axe-core at this width, before scrolling: the stuck bar would cover the cards it checks.
        violations = scan(page, "ol.queue")
        assert not violations, describe(violations)
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_timeout(100)
        box = bar.bounding_box()
        assert box is not None and 0 <= box["y"] <= 2 and box["y"] + box["height"] <= 844, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        for n in range(items.count()):
            card = items.nth(n).bounding_box()
            assert card is not None and card["x"] >= 0 and card["x"] + card["width"] <= 390, card
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(_target("console-390.png", tmp_path)), full_page=True)

        # An empty tab says so, also on a phone, and still fits the screen.
        page.locator("nav.tabs a.tab", has_text="Pending").click()
        expect(page.locator("p.empty")).to_be_visible()
        expect(page.locator('nav.tabs a[aria-current="page"] .count')).to_have_text("0")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert problems == []
    finally:
        context.close()


def test_the_login_page_is_a_centred_card_on_a_phone(app, live_server, browser):
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(live_server.url + "/console/login")
        card = page.locator(".login-card")
        expect(card).to_be_visible()
        box = card.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        field = page.locator('input[name="username"]').bounding_box()
        assert field is not None and field["width"] >= box["width"] * 0.7, (field, box)
    finally:
        context.close()
