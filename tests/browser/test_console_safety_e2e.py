"""The console keeps moderators' work safe and says what happened (issue 11), in headless Chromium against the
real service: stale tabs, duplicate words, the test box, feedback and undo, confirmations, the ban form, reply
context, site settings, the shortcut dialog and the selected item."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select, update

from service.models import Ban, Comment, Site, User, WordEntry
from service.site_settings import DEFAULT_THRESHOLDS
from tests.conftest import make_config
from tests.factories import CONSOLE_PASSWORD, make_user, post_comment

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

SPAMMY = "便宜 www.a.com www.b.com www.c.com www.d.com"


@pytest.fixture
def config(database_url, redis_client, redis_server, tmp_path):  # type: ignore[no-untyped-def]
    """Plain HTTP on 127.0.0.1, so the session cookie is not Secure; the rule-based filters only."""
    return make_config(database_url, redis_server.url, tmp_path, session_cookie_secure=False, moderator_token="",
                       filters=("length", "repetition", "links", "wordlist"))


@pytest.fixture
def context(browser):  # type: ignore[no-untyped-def]
    """Return a browser context in English whose pages record script errors and CSP violations."""
    ctx = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 900})
    ctx.problems = []  # type: ignore[attr-defined]
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def _tab(context):  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.on("pageerror", lambda err: context.problems.append(f"pageerror: {err}"))
    page.on("console", lambda msg: context.problems.append(f"console: {msg.text}")
            if msg.type == "error" and not _refusal(msg.text) else None)
    return page


def _refusal(text: str) -> bool:
    # Chromium logs every 4xx response; the refusals these tests provoke (409 stale decision, 409 duplicate
    # word, 400 invalid setting) are the behaviour under test, not script errors.
    return "Failed to load resource" in text and ("status of 409" in text or "status of 400" in text)


def _sign_in(context, live_server, username="chief"):  # type: ignore[no-untyped-def]
    page = _tab(context)
    page.goto(live_server.url + "/console/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', CONSOLE_PASSWORD)
    page.click('button[type="submit"]')
    expect(page).to_have_url(live_server.url + "/console/queue")
    page.wait_for_load_state()  # the script is deferred: keys pressed before it runs would go nowhere
    return page


def _held(client, run_worker, **overrides) -> int:  # type: ignore[no-untyped-def]
    comment_id = post_comment(client, **{"text": SPAMMY, **overrides}).get_json()["id"]
    run_worker()
    return comment_id


def _status(app, comment_id: int) -> str:  # type: ignore[no-untyped-def]
    with app.extensions["moderato.db"].read() as session:
        return session.get(Comment, comment_id).status


def _background(locator) -> str:  # type: ignore[no-untyped-def]
    return locator.evaluate("el => getComputedStyle(el).backgroundColor")


def test_a_stale_tab_cannot_overturn_another_moderators_decision(app, client, run_worker, live_server, context):
    make_user(app, "chief", role="admin")
    first, second = _held(client, run_worker), _held(client, run_worker, author="读者乙")
    one = _sign_in(context, live_server)
    other = _tab(context)
    other.goto(live_server.url + "/console/queue")  # a second tab, drawn while both comments are held

    one.keyboard.press("j")
    one.keyboard.press("a")
    expect(one.locator(f"#c{first}")).to_have_attribute("data-status", "approved")

    # The stale tab rejects what it still shows as held: refused, and it says why.
    other.keyboard.press("j")
    other.keyboard.press("r")
    expect(other.locator(f"#c{first} p.error")).to_contain_text("it is now Approved")
    expect(other.locator("#messages")).to_contain_text(f"Comment #{first} was not changed")
    assert _status(app, first) == "approved"

    # Bulk from the stale tab: the fresh comment is rejected, the decided one is reported, not overturned.
    other.check(f'#c{first} input[name="ids"]')
    other.check(f'#c{second} input[name="ids"]')
    other.click('#bulk button[value="reject"]')
    expect(other.locator("#messages")).to_contain_text("Comments rejected: 1.")
    expect(other.locator("#messages .message.error")).to_contain_text(f"Comment #{first} was not changed: it is now "
                                                                      "Approved")
    assert (_status(app, first), _status(app, second)) == ("approved", "rejected")
    assert context.problems == []  # type: ignore[attr-defined]


def test_adding_a_word_that_exists_says_so_and_offers_to_edit_it(app, client, run_worker, live_server, context):
    make_user(app, "chief", role="admin")
    _held(client, run_worker)
    page = _sign_in(context, live_server)
    page.goto(live_server.url + "/console/words?site=1")
    page.fill('#add-word input[name="term"]', "菠菜网")
    page.select_option('#add-word select[name="category"]', "gambling")
    page.click('#add-word button[type="submit"]')
    expect(page.locator("#messages")).to_contain_text("“菠菜网” was added")

    page.fill('#add-word input[name="term"]', "菠菜网")
    page.select_option('#add-word select[name="category"]', "abuse")
    page.select_option('#add-word select[name="action"]', "reject")
    page.click('#add-word button[type="submit"]')
    notice = page.locator(".word-exists")
    expect(notice).to_contain_text("“菠菜网” is already in this site's list (category gambling")
    expect(page.locator('#add-word input[name="term"]')).to_have_value("菠菜网")  # what was typed is kept
    with app.extensions["moderato.db"].read() as session:
        entry = session.scalars(select(WordEntry)).one()
        assert (entry.category, entry.action) == ("gambling", "hold")

    notice.locator("button").click()  # "replace it with what you typed"
    expect(page.locator("#messages")).to_contain_text("“菠菜网” was saved")
    with app.extensions["moderato.db"].read() as session:
        entry = session.scalars(select(WordEntry)).one()
        assert (entry.category, entry.action) == ("abuse", "reject")
    assert context.problems == []  # type: ignore[attr-defined]


def test_the_test_box_waits_without_reloading_the_page(app, client, run_worker, live_server, context):
    make_user(app, "chief", role="admin")
    _held(client, run_worker)
    page = _sign_in(context, live_server)
    page.goto(live_server.url + "/console/words?site=1")
    page.fill("#test-form textarea", SPAMMY)
    page.click('#test-form button[type="submit"]')
    expect(page.locator("#test-result")).to_contain_text("Waiting for a worker")
    page.fill('#add-word input[name="term"]', "正在输入的词")  # a moderator types while the test waits
    time.sleep(2.5)
    expect(page.locator('#add-word input[name="term"]')).to_have_value("正在输入的词")
    run_worker()
    expect(page.locator("#test-result .decision")).to_have_text("hold")
    expect(page.locator("#test-result mark").first).to_have_text("www.a.com")
    expect(page.locator('#add-word input[name="term"]')).to_have_value("正在输入的词")
    assert context.problems == []  # type: ignore[attr-defined]


def test_decisions_show_their_outcome_and_the_last_one_can_be_undone(app, client, run_worker, live_server, context):
    make_user(app, "chief", role="admin")
    first, second = _held(client, run_worker), _held(client, run_worker, author="读者乙")
    page = _sign_in(context, live_server)
    page.click(f'#c{first} button[data-action="approve"]')
    approved = page.locator(f"#c{first}")
    expect(approved.locator(".outcome")).to_have_text("Approved")
    expect(page.locator("#messages")).to_contain_text(f"Comment #{first} approved")
    page.click(f'#c{second} button[data-action="reject"]')
    rejected = page.locator(f"#c{second}")
    expect(rejected.locator(".outcome")).to_have_text("Rejected")
    assert _background(approved) != _background(rejected)
    assert (_status(app, first), _status(app, second)) == ("approved", "rejected")

    page.click("#messages button.undo")
    expect(page.locator("#messages")).to_contain_text(f"Undone: comment #{second} is Held again.")
    expect(rejected.locator(".outcome")).to_have_count(0)
    expect(rejected).to_have_attribute("data-status", "held")
    assert _status(app, second) == "held"
    assert context.problems == []  # type: ignore[attr-defined]


def test_a_needs_a_selection_and_deletes_and_word_removals_ask_first(app, client, run_worker, live_server, context):
    make_user(app, "chief", role="admin")
    first, second = _held(client, run_worker), _held(client, run_worker, author="读者乙")
    page = _sign_in(context, live_server)
    page.keyboard.press("a")
    expect(page.locator("#messages")).to_contain_text("Select a comment first")
    assert (_status(app, first), _status(app, second)) == ("held", "held")

    dialog = page.get_by_role("dialog", name="Please confirm")
    page.click(f'#c{first} button[data-action="delete"]')
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Delete comment #{first}?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert _status(app, first) == "held"
    page.click(f'#c{first} button[data-action="delete"]')
    dialog.get_by_role("button", name="Yes, go ahead").click()
    expect(page.locator(f"#c{first} .outcome")).to_have_text("Deleted")
    assert _status(app, first) == "deleted"

    with app.extensions["moderato.db"].write() as session:
        session.add(WordEntry(site_id=1, term="菠菜网", category="gambling", severity=2, action="hold"))
    page.goto(live_server.url + "/console/words?site=1")
    page.click("button.remove-word")
    expect(dialog).to_contain_text("Remove “菠菜网” from the word list?")
    dialog.get_by_role("button", name="Cancel").click()
    with app.extensions["moderato.db"].read() as session:
        assert session.scalars(select(WordEntry)).all() != []
    page.click("button.remove-word")
    dialog.get_by_role("button", name="Yes, go ahead").click()
    expect(page.locator("#messages")).to_contain_text("“菠菜网” was removed")
    with app.extensions["moderato.db"].read() as session:
        assert session.scalars(select(WordEntry)).all() == []

    # The same guard speaks Chinese in the Chinese console.
    with app.extensions["moderato.db"].write() as session:
        session.execute(update(User).values(language="zh-CN"))
    page.goto(live_server.url + "/console/queue")
    page.keyboard.press("a")
    expect(page.locator("#messages")).to_contain_text("请先选中一条评论")
    assert _status(app, second) == "held"
    assert context.problems == []  # type: ignore[attr-defined]


def test_the_ban_form_shows_whom_it_bans_and_permanent_is_a_choice(app, client, run_worker, live_server, context):
    make_user(app, "chief", role="admin")
    troll = _held(client, run_worker, author="捣乱者", text="加我 www.a.com www.b.com www.c.com 便宜")
    with app.extensions["moderato.db"].read() as session:
        ip_hash = session.get(Comment, troll).ip_hash
    page = _sign_in(context, live_server)
    page.keyboard.press("j")
    page.keyboard.press("b")
    expect(page).to_have_url(live_server.url + f"/console/bans?comment={troll}")
    target = page.locator(".ban-target")
    expect(target.locator(".author")).to_have_text("捣乱者")
    expect(target.locator("blockquote.text")).to_have_text("加我 www.a.com www.b.com www.c.com 便宜")
    expect(target.locator(".badge.ip")).to_have_text(f"IP {ip_hash[:8]}")

    page.click("#ban-submit")  # no duration chosen: nothing is banned, least of all for good
    expect(page).to_have_url(live_server.url + f"/console/bans?comment={troll}")
    with app.extensions["moderato.db"].read() as session:
        assert session.scalars(select(Ban)).all() == []
    page.check('input[name="duration"][value="permanent"]')
    page.click("#ban-submit")
    expect(page.locator("#messages")).to_contain_text("捣乱者 is banned permanently.")
    expect(page.locator("tr.ban-row")).to_contain_text("for good")
    with app.extensions["moderato.db"].read() as session:
        assert session.scalars(select(Ban)).one().until is None
    assert context.problems == []  # type: ignore[attr-defined]


def test_a_held_reply_shows_the_comment_it_answers(app, client, run_worker, live_server, context):
    make_user(app, "chief", role="admin")
    parent = post_comment(client, author="张三", text="这篇报道的数据来源是哪里？").get_json()["id"]
    run_worker()
    reply = _held(client, run_worker, author="李四", parent=parent)
    page = _sign_in(context, live_server)
    context_box = page.locator(f"#c{reply} .reply-to")
    expect(context_box).to_contain_text("In reply to 张三")
    expect(context_box.locator("blockquote.parent")).to_have_text("这篇报道的数据来源是哪里？")
    expect(context_box).to_contain_text("Approved")
    assert context.problems == []  # type: ignore[attr-defined]


def test_site_settings_show_label_default_and_effect_and_keep_the_form_on_error(app, client, run_worker,
                                                                                live_server, context):
    make_user(app, "chief", role="admin")
    _held(client, run_worker)
    page = _sign_in(context, live_server)
    page.goto(live_server.url + "/console/sites?site=1")
    row = page.locator('tr.setting[data-key="abuse_hold_at"]')
    expect(row).to_contain_text("Abuse: hold at (both languages)")
    zh_hold, en_hold = DEFAULT_THRESHOLDS["abuse_zh"][0], DEFAULT_THRESHOLDS["abuse_en"][0]
    expect(row.locator("td.default")).to_have_text(f"Chinese {zh_hold:.2f} · English {en_hold:.2f}")
    expect(row.locator("td.effect")).to_contain_text("waits for a moderator")
    expect(page.locator('tr.setting[data-key="max_links"] td.default')).to_have_text("2")

    page.fill('input[name="abuse_hold_at"]', "abc")
    page.fill('input[name="max_links"]', "7")
    page.fill('textarea[name="origins"]', "https://news.example.com")
    page.click('form.settings button[type="submit"]')
    expect(page.get_by_role("alert")).to_contain_text("Abuse: hold at (both languages): enter a number from 0 to 1")
    expect(page.locator('input[name="abuse_hold_at"]')).to_have_value("abc")
    expect(page.locator('input[name="abuse_hold_at"]')).to_have_attribute("aria-invalid", "true")
    expect(page.locator('input[name="max_links"]')).to_have_value("7")
    expect(page.locator('textarea[name="origins"]')).to_have_value("https://news.example.com")
    with app.extensions["moderato.db"].read() as session:
        assert "max_links" not in session.get(Site, 1).settings

    page.fill('input[name="abuse_hold_at"]', "0.3")
    page.click('form.settings button[type="submit"]')
    expect(page.locator("#messages")).to_contain_text("The site's settings were saved.")
    with app.extensions["moderato.db"].read() as session:
        settings = session.get(Site, 1).settings
        assert (settings["abuse_hold_at"], settings["max_links"]) == (0.3, 7)
    assert context.problems == []  # type: ignore[attr-defined]


def test_the_shortcut_help_is_a_dialog_and_the_selected_item_is_labelled(app, client, run_worker, live_server,
                                                                         context):
    make_user(app, "chief", role="admin")
    first, second = _held(client, run_worker), _held(client, run_worker, author="读者乙")
    page = _sign_in(context, live_server)
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    assert page.evaluate("document.activeElement.closest('dialog') !== null")  # focus moved into it
    page.keyboard.press("j")  # the queue behind a modal dialog does not react
    expect(page.locator("li.item.current")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    page.keyboard.press("j")
    selected, other = page.locator(f"#c{first}"), page.locator(f"#c{second}")
    expect(selected).to_have_attribute("aria-current", "true")
    expect(selected.locator(".current-marker")).to_have_text("Selected")
    expect(other.locator(".current-marker")).to_have_count(0)
    assert _background(selected) != _background(other)
    page.keyboard.press("j")
    expect(other).to_have_attribute("aria-current", "true")
    expect(selected).not_to_have_attribute("aria-current", "true")
    assert context.problems == []  # type: ignore[attr-defined]
