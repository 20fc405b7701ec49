"""Moderators working together, end to end in Chromium: notes, the author view and the live queue.

The real service, Redis and a real RQ worker; the console in Chinese (no English outside user content) and in
English.
"""
from __future__ import annotations

import pytest

from service.models import Comment
from tests.browser.test_console_i18n_e2e import _COLLECT, _english_words, _words_of
from tests.conftest import make_config
from tests.factories import CONSOLE_PASSWORD, make_user, post_comment

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

SPAMMY = "便宜 www.a.com www.b.com www.c.com www.d.com"
NOTE = '<img src=x onerror="alert(1)"> 多次发广告，已提醒'


@pytest.fixture
def config(database_url, redis_client, redis_server, tmp_path):  # type: ignore[no-untyped-def]
    """Plain HTTP, a Chinese console by default, the rule-based filters only."""
    return make_config(database_url, redis_server.url, tmp_path, session_cookie_secure=False, moderator_token="",
                       console_language="zh-CN", filters=("length", "repetition", "links", "wordlist"))


def _page(browser, locale: str = "zh-CN"):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda err: page.problems.append(f"pageerror: {err}"))
    page.on("dialog", lambda dialog: (page.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.set_default_timeout(15_000)
    return context, page


def _sign_in(page, url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url + "/console/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', CONSOLE_PASSWORD)
    page.click('form.login button[type="submit"]')
    expect(page).to_have_url(url + "/console/queue")


def _status(app, comment_id: int) -> str:  # type: ignore[no-untyped-def]
    with app.extensions["moderato.db"].read() as session:
        return session.get(Comment, comment_id).status


def test_notes_show_in_the_queue_the_author_page_and_the_audit_log_in_chinese(app, client, run_worker,
                                                                              live_server, browser):
    first = post_comment(client, text=SPAMMY, author="广告哥").get_json()["id"]
    second = post_comment(client, text=SPAMMY + " 再来", author="广告哥").get_json()["id"]
    run_worker()
    make_user(app, "chief", role="admin")
    context, page = _page(browser)
    url = live_server.url
    seen: dict[str, list[str]] = {}
    _sign_in(page, url, "chief")

    # A note on the comment, from the queue; it shows escaped, beside that comment only.
    item = page.locator(f"#c{first}")
    item.locator("details.add-note summary").click()
    item.locator('textarea[name="text"]').fill(NOTE)
    item.locator('.note-form button[type="submit"]').click()
    expect(page.locator("#messages")).to_contain_text("备注已保存")
    expect(page.locator(f"#c{first} .note-text")).to_have_text(NOTE)
    expect(page.locator(f"#c{second} .note")).to_have_count(0)
    # A note on the author shows beside both of their comments.
    item = page.locator(f"#c{second}")
    item.locator("details.add-note summary").click()
    item.locator('select[name="about"]').select_option("author")
    item.locator('textarea[name="text"]').fill("老用户")
    item.locator('.note-form button[type="submit"]').click()
    expect(page.locator(f'#c{first} .note[data-about="author"]')).to_contain_text("老用户")
    expect(page.locator(f'#c{second} .note[data-about="author"]')).to_contain_text("老用户")
    page.locator(f"#c{first} details.add-note summary").click()
    seen["queue with notes"] = page.evaluate(_COLLECT)

    # The author page: history with statuses, standing, bans, notes; a note added there too.
    page.locator(f"#c{first} a.author-page").click()
    expect(page.locator("h1")).to_have_text("作者 广告哥")
    expect(page.locator("tr.history-row")).to_have_count(2)
    expect(page.locator(f'tr.history-row[data-id="{first}"] .status')).to_have_text("待审")
    expect(page.locator(".ban-state")).to_have_text("未封禁")
    expect(page.locator(".author-notes .note-text").first).to_have_text("老用户")
    page.fill('#author-note textarea[name="text"]', "第三次就封")
    page.click('#author-note button[type="submit"]')
    expect(page.locator(".author-notes .note-text").first).to_have_text("第三次就封")
    seen["author page"] = page.evaluate(_COLLECT)
    # The hashed IP's page, from its badge.
    page.locator(".standing a.badge.ip").first.click()
    expect(page.locator("h1")).to_contain_text("IP 哈希")
    expect(page.locator("tr.history-row")).to_have_count(2)
    seen["ip page"] = page.evaluate(_COLLECT)

    # The audit log has every note, as written.
    page.goto(url + "/console/audit")
    expect(page.locator('tr.audit-row[data-action="note.add"]')).to_have_count(3)
    expect(page.locator('tr.audit-row[data-action="note.add"]').last).to_contain_text(NOTE)
    seen["audit"] = page.evaluate(_COLLECT)

    user_words = _words_of(NOTE, SPAMMY, "chief", "default")  # the site is named "default"
    untranslated = {name: w for name, w in ((n, _english_words(t, user_words)) for n, t in seen.items()) if w}
    assert not untranslated, untranslated
    assert page.problems == []  # type: ignore[attr-defined]
    context.close()


def test_two_moderators_work_one_live_queue(app, client, run_worker, live_server, browser):
    first = post_comment(client, text=SPAMMY, author="读者甲").get_json()["id"]
    run_worker()
    make_user(app, "alice")
    make_user(app, "bob")
    url = live_server.url
    alice_context, alice = _page(browser, "en-US")
    bob_context, bob = _page(browser, "en-US")
    _sign_in(alice, url, "alice")
    _sign_in(bob, url, "bob")
    for page in (alice, bob):
        page.goto(url + "/console/queue?lang=en")
        expect(page.locator("li.item")).to_have_count(1)

    # A comment held after the pages were drawn appears in both, without a reload.
    second = post_comment(client, text=SPAMMY + " 又一条", author="读者乙").get_json()["id"]
    run_worker()
    for page in (alice, bob):
        expect(page.locator(f"#c{second}")).to_be_visible(timeout=15_000)
        expect(page.locator("#messages")).to_contain_text("new comments arrived")

    # Bob approves the first; in Alice's queue it folds away, saying who did what.
    bob.locator(f'#c{first} button[data-action="approve"]').click()
    expect(bob.locator(f"#c{first}")).to_have_attribute("data-status", "approved")
    expect(alice.locator(f"#c{first} .live-note")).to_have_text(f"#{first}: Approved by bob, just now.",
                                                                timeout=15_000)
    expect(alice.locator(f"#c{first} blockquote.text")).to_be_hidden()
    # Alice decides the comment that arrived live, with the same buttons and keys as the first ones.
    alice.keyboard.press("j")
    expect(alice.locator(f"#c{second}")).to_have_class(__import__("re").compile(r"\bcurrent\b"))
    alice.keyboard.press("r")
    expect(alice.locator(f"#c{second}")).to_have_attribute("data-status", "rejected")
    assert _status(app, first) == "approved" and _status(app, second) == "rejected"
    # Bob's queue hears of Alice's decision too; his own stays as he left it.
    expect(bob.locator(f"#c{second} .live-note")).to_contain_text("alice", timeout=15_000)
    expect(bob.locator(f"#c{first} .live-note")).to_have_count(0)
    assert alice.problems == [] and bob.problems == []  # type: ignore[attr-defined]
    alice_context.close()
    bob_context.close()
