"""The moderator console end to end: headless Chromium, the real service, Redis and a real RQ worker."""
from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from service.models import Comment
from tests.conftest import make_config
from tests.factories import CONSOLE_PASSWORD, make_user, post_comment

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

SPAMMY = "便宜 www.a.com www.b.com www.c.com www.d.com"
THREAD = "/api/threads/news/2026/11/28/1.html/comments"


@pytest.fixture
def config(database_url, redis_client, redis_server, tmp_path):  # type: ignore[no-untyped-def]
    """Plain HTTP on 127.0.0.1, so the session cookie is not Secure; the rule-based filters only."""
    return make_config(database_url, redis_server.url, tmp_path, session_cookie_secure=False, moderator_token="",
                       filters=("length", "repetition", "links", "wordlist"))


@pytest.fixture
def console_page(browser):  # type: ignore[no-untyped-def]
    """Return a page in English that records script errors and CSP violations."""
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"pageerror: {err}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.set_default_timeout(10_000)
    page.problems = problems  # type: ignore[attr-defined]
    yield page
    context.close()


def _status(app, comment_id: int) -> str:  # type: ignore[no-untyped-def]
    with app.extensions["moderato.db"].read() as session:
        return session.get(Comment, comment_id).status


def test_a_moderator_works_through_the_console(app, client, run_worker, live_server, console_page):
    page = console_page
    make_user(app, "chief", role="admin")
    held = post_comment(client, text=SPAMMY, author="读者甲").get_json()["id"]
    run_worker()

    # Sign in; the held comment is there with its reason and the matched link highlighted.
    page.goto(live_server.url + "/console/queue")
    expect(page).to_have_url(live_server.url + "/console/login?next=/console/queue")
    page.fill('input[name="username"]', "chief")
    page.fill('input[name="password"]', CONSOLE_PASSWORD)
    page.click('button[type="submit"]')
    expect(page).to_have_url(live_server.url + "/console/queue")
    item = page.locator(f"#c{held}")
    expect(item.locator("mark").first).to_have_text("www.a.com")
    expect(item.locator(".verdict.hold")).to_contain_text("links")

    # ? shows the shortcuts; j selects the first comment, a approves it through the moderation API.
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(item).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("a")
    expect(item).to_have_attribute("data-status", "approved")
    assert [c["id"] for c in live_server.get_json(THREAD)["comments"]] == [held]

    # Select many and reject them at once.
    bulk = [post_comment(client, text=SPAMMY, author=f"读者{n}").get_json()["id"] for n in range(2)]
    run_worker()
    page.goto(live_server.url + "/console/queue")
    expect(page.locator("li.item")).to_have_count(2)
    page.check("#select-all")
    page.click('#bulk button[value="reject"]')
    expect(page.locator("p.empty")).to_be_visible()
    assert [_status(app, i) for i in bulk] == ["rejected", "rejected"]

    # Ban an author from the queue with b; their next comment is refused.
    troll = post_comment(client, text=SPAMMY, author="捣乱者").get_json()["id"]
    run_worker()
    page.goto(live_server.url + "/console/queue")
    page.keyboard.press("j")
    page.keyboard.press("b")
    expect(page).to_have_url(live_server.url + f"/console/bans?comment={troll}")
    page.check('input[name="reject_past"]')
    page.check('input[name="duration"][value="permanent"]')
    page.click("#ban-submit")
    expect(page.locator("tr.ban-row")).to_contain_text("捣乱者")
    assert _status(app, troll) == "rejected"
    again = post_comment(client, text="我又来了，这次很正常", author="捣乱者").get_json()
    run_worker()
    assert client.get(f"/api/comments/{again['id']}?token={again['token']}").get_json()["status"] == "rejected"

    # Add a word to the site's list; the next comment with it is held, the word highlighted.
    page.goto(live_server.url + "/console/words?site=1")
    page.fill('#add-word input[name="term"]', "菠菜网")
    page.select_option('#add-word select[name="category"]', "gambling")
    page.click('#add-word button[type="submit"]')
    expect(page.locator('tr.word-row input[name="term"]')).to_have_value("菠菜网")
    time.sleep(5.5)  # running workers pick up word-list changes within five seconds
    caught = post_comment(client, text="快来菠菜网玩", author="读者乙").get_json()["id"]
    run_worker()
    assert _status(app, caught) == "held"
    page.goto(live_server.url + "/console/queue")
    expect(page.locator(f"#c{caught} mark")).to_have_text("菠菜网")

    # The audit log tells who did what to which comment.
    page.goto(live_server.url + "/console/audit")
    rows = page.locator("tr.audit-row")
    expect(page.locator(f'tr.audit-row[data-comment="{held}"]')).to_contain_text("Approved")
    expect(page.locator(f'tr.audit-row[data-comment="{bulk[0]}"]')).to_contain_text("Rejected")
    expect(page.locator('tr.audit-row[data-action="ban.create"]')).to_contain_text("chief")
    expect(page.locator('tr.audit-row[data-action="words.save"]')).to_contain_text("菠菜网")
    page.goto(live_server.url + f"/console/audit?comment={held}")
    expect(rows).to_have_count(1)
    assert page.problems == []  # type: ignore[attr-defined]
    with app.extensions["moderato.db"].read() as session:
        assert session.scalar(select(Comment.status).where(Comment.id == caught)) == "held"
