"""The widget never loses a reader's work (issue 11, defects 11 and 14): the reader's own comment is published
in place, the reply form opens under the comment, the counter counts characters, reports are remembered, a new
article's thread is empty rather than missing, tap targets fit a finger, the emoji picker is one Tab stop, and
every report button names its comment. Headless Chromium, the real service, Redis and a worker."""
from __future__ import annotations

import os

import pytest

from service.config import PROJECT_ROOT
from service.demo import DEMO_THREAD
from tests.browser.test_widget_e2e import _host, _post, _run_worker_then_approve_held
from tests.conftest import MODERATOR_TOKEN
from tests.factories import post_comment

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

MOD = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}
OTHER_ARTICLE = "/news/2026/11/29/metro-line.html"


def _published(client, **fields) -> int:  # type: ignore[no-untyped-def]
    """Post a comment on the demo thread and have a moderator publish it."""
    comment_id = post_comment(client, thread=DEMO_THREAD, **fields).get_json()["id"]
    assert client.post(f"/api/moderation/comments/{comment_id}/approve", headers=MOD).status_code == 200
    return comment_id


def _item(host, comment_id: int):  # type: ignore[no-untyped-def]
    return host.locator(f"li.c[data-id='{comment_id}']")


def _active(page) -> str:  # type: ignore[no-untyped-def]
    """Describe the element focused inside the widget (or BODY when focus fell out of it)."""
    return page.evaluate("""() => {
        const a = document.activeElement, inner = a && a.shadowRoot ? a.shadowRoot.activeElement : null;
        return inner ? inner.tagName + (inner.id ? '#' + inner.id : '') : a.tagName;
    }""")


def test_the_readers_comment_is_published_in_place_and_the_page_stays_as_it_was(page, live_server, client, app,
                                                                              run_worker):
    ids = [_published(client, author=f"读者{i}", text=f"第{i}条评论") for i in range(25)]
    page.goto(live_server.url + "/")
    host = _host(page)
    expect(host.locator("ul.list > li.c")).to_have_count(20)
    host.locator("button.more").click()
    expect(host.locator("ul.list > li.c")).to_have_count(25)
    _post(host, live_server, "我的新评论")
    expect(host.locator("ul.mine li")).to_contain_text("审核中")
    note = host.locator("form.post .note")
    expect(note).to_have_text("评论已提交，审核通过后将公开显示。")

    target = _item(host, ids[3])
    target.locator(".acts button", has_text="举报").click()
    target.locator("textarea").fill("写到一半的举报")
    target.locator("textarea").focus()
    assert page.evaluate("scrollY") > 0
    seen = target.locator("textarea").bounding_box()["y"]

    _run_worker_then_approve_held(client, app, run_worker)
    expect(host.locator("ul.list > li.c", has_text="我的新评论")).to_be_visible(timeout=20_000)
    expect(host.locator("ul.mine li")).to_have_count(0)
    expect(host.locator("ul.list > li.c")).to_have_count(26)  # the second page is still there
    expect(host.locator(".head .count")).to_have_text("共 26 条")
    expect(target.locator("textarea")).to_have_value("写到一半的举报")  # the open report form too
    expect(target.locator("textarea")).to_be_focused()
    # What the reader looks at stays where it was on the screen (the page scrolls by what changed above it).
    assert abs(target.locator("textarea").bounding_box()["y"] - seen) < 2
    expect(note).to_be_hidden()  # "submitted" is no longer true
    expect(host.locator("[role=status][aria-live=polite]")).to_have_text("您的评论已发布。")
    assert page.problems == []


def test_the_submitted_note_goes_when_the_comment_is_rejected(page, live_server, run_worker):
    page.goto(live_server.url + "/")
    host = _host(page)
    _post(host, live_server, "你这个傻逼，滚吧")
    note = host.locator("form.post .note")
    expect(note).to_be_visible()
    run_worker()
    expect(host.locator("ul.mine li")).to_contain_text("未能发布", timeout=20_000)
    expect(note).to_be_hidden()
    assert page.problems == []


def test_the_reply_form_opens_under_the_comment_and_goes_back_after(page, live_server, client, app, run_worker):
    ids = [_published(client, author=f"读者{i}", text=f"第{i}条评论") for i in range(8)]
    page.goto(live_server.url + "/")
    host = _host(page)
    target = _item(host, ids[0])  # the oldest: last of the newest-first list, far below the form
    reply = target.locator(":scope > .acts button", has_text="回复")
    reply.click()
    expect(target.locator("form.post")).to_be_visible()
    expect(host.locator(".replying")).to_contain_text("回复 @读者0")
    expect(host.locator("#m-text")).to_be_focused()
    acts = target.locator(":scope > .acts").bounding_box()
    form = host.locator("form.post").bounding_box()
    assert 0 <= form["y"] - (acts["y"] + acts["height"]) < 60  # right under the comment

    host.locator(".replying button").click()  # cancel: the form goes home, focus back on the reply button
    expect(target.locator("form.post")).to_have_count(0)
    expect(host.locator("div.m > form.post")).to_have_count(1)
    expect(reply).to_be_focused()

    reply.click()
    expect(target.locator("form.post")).to_be_visible()
    _post(host, live_server, "回复最早的评论")
    expect(host.locator("ul.mine li")).to_contain_text("回复 @读者0")
    expect(host.locator("div.m > form.post")).to_have_count(1)  # home again, ready for a new comment
    expect(host.locator(".replying")).to_be_hidden()
    _run_worker_then_approve_held(client, app, run_worker)
    expect(target.locator("> ul.replies > li.c", has_text="回复最早的评论")).to_be_visible(timeout=20_000)
    assert page.problems == []


def test_the_counter_counts_characters_as_the_server_does_and_says_when_a_paste_is_cut(page, live_server):
    page.goto(live_server.url + "/")
    host = _host(page)
    text, counter = host.locator("#m-text"), host.locator("#m-counter")
    text.fill("👍👍👍好")
    expect(counter).to_have_text("4/2000")
    text.fill("字" * 1995 + "👍" * 10)  # 2,005 characters (2,015 UTF-16 units)
    expect(counter).to_have_text("2000/2000")
    assert text.evaluate("t => [...t.value].length") == 2000
    assert text.input_value().endswith("👍" * 5)  # cut between characters, never inside an emoji
    expect(host.locator("form.post .cut")).to_have_text("内容超过 2000 字，多出的部分已删去。")
    text.fill("短")
    expect(host.locator("form.post .cut")).to_be_hidden()
    assert page.problems == []


def test_reports_are_remembered_after_a_reload_and_own_comments_offer_no_report(page, live_server, client, app,
                                                                               run_worker):
    other = _published(client, author="广告号", text="加微信领红包")
    page.goto(live_server.url + "/")
    host = _host(page)
    _item(host, other).locator(".acts button", has_text="举报").click()
    _item(host, other).locator("form.report button[type=submit]").click()
    expect(_item(host, other).locator(".rbox")).to_have_text("已收到举报，感谢您的反馈。")
    page.reload()
    host = _host(page)
    expect(_item(host, other).locator(".acts button", has_text="已举报")).to_be_disabled()

    _post(host, live_server, "我自己的评论")
    expect(host.locator("ul.mine li")).to_contain_text("我自己的评论")  # accepted before the worker runs
    _run_worker_then_approve_held(client, app, run_worker)
    own = host.locator("ul.list li.c", has_text="我自己的评论")
    expect(own).to_be_visible(timeout=20_000)
    expect(own.locator(".acts button", has_text="回复")).to_have_count(1)
    expect(own.locator(".acts button", has_text="举报")).to_have_count(0)
    page.reload()
    own = _host(page).locator("ul.list li.c", has_text="我自己的评论")
    expect(own.locator(".acts button", has_text="回复")).to_have_count(1)
    expect(own.locator(".acts button", has_text="举报")).to_have_count(0)
    assert page.problems == []


def test_a_new_articles_empty_thread_logs_no_error(page, live_server):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    page.goto(live_server.url + OTHER_ARTICLE)
    host = _host(page, OTHER_ARTICLE)
    expect(host.locator(".empty")).to_have_text("还没有评论，来说两句吧。")
    expect(host.locator(".head .count")).to_have_text("共 0 条")
    page.wait_for_load_state("networkidle")
    assert errors == []
    assert page.problems == []


def test_tap_targets_fit_a_finger_on_a_phone(browser, live_server, client, tmp_path):
    top = _published(client, author="老张", text="第一条评论 https://example.com/a")
    _published(client, author="小李", text="回复老张", parent=top)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        host = _host(page)
        expect(host.locator("ul.list li.c")).to_have_count(2)
        host.locator("button[aria-controls=m-emo]").click()
        _item(host, top).locator(":scope > .acts button", has_text="举报").click()
        expect(host.locator("img[data-captcha-id]")).to_be_visible()
        small = host.evaluate("""el => {
            const out = [];
            el.shadowRoot.querySelectorAll('button, a, input, textarea, select').forEach(n => {
                if (!n.getClientRects().length || n.type === 'hidden') return;
                if (n.closest('.text')) return;  // links inside a sentence are exempt (WCAG 2.5.8, inline)
                // A radio or checkbox is tapped through its label, which is its target.
                const box = (n.type === 'radio' || n.type === 'checkbox' ? n.closest('label') : n).getBoundingClientRect();
                if (box.width < 44 || box.height < 44)
                    out.push(`${n.tagName} ${n.textContent || n.name || n.type}: ${box.width}x${box.height}`);
            });
            return out;
        }""")
        assert small == []
        # The README's phone screenshot is rewritten only when asked: a test run must not change tracked files.
        target = (PROJECT_ROOT / "docs" / "screenshots" / "widget-phone.png"
                  if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / "widget-phone.png")
        host.evaluate("el => el.scrollIntoView()")
        page.screenshot(path=str(target))
        assert target.stat().st_size > 10_000
    finally:
        context.close()


def test_the_emoji_picker_is_one_tab_stop_moved_through_with_arrow_keys(page, live_server):
    page.goto(live_server.url + "/")
    host = _host(page)
    host.locator("#m-text").fill("表情")
    host.locator("button[aria-controls=m-emo]").click()
    buttons = host.locator("#m-emo button")
    expect(buttons.first).to_be_focused()
    expect(host.locator("#m-emo button[tabindex='0']")).to_have_count(1)
    expect(host.locator("#m-emo button[tabindex='-1']")).to_have_count(buttons.count() - 1)
    page.keyboard.press("ArrowRight")
    expect(buttons.nth(1)).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(buttons.first).to_be_focused()
    page.keyboard.press("End")
    expect(buttons.last).to_be_focused()
    page.keyboard.press("Home")
    columns = host.evaluate("""el => { const b = [...el.shadowRoot.querySelectorAll('#m-emo button')];
        return b.filter(x => x.offsetTop === b[0].offsetTop).length; }""")
    assert 1 < columns < buttons.count()
    page.keyboard.press("ArrowDown")
    expect(buttons.nth(columns)).to_be_focused()
    page.keyboard.press("Tab")  # one Tab leaves the picker
    assert host.evaluate("el => el.shadowRoot.activeElement && el.shadowRoot.activeElement.closest('#m-emo')") is None
    page.keyboard.press("Shift+Tab")  # and comes back to the emoji last chosen
    expect(buttons.nth(columns)).to_be_focused()
    expect(buttons.nth(columns)).to_have_attribute("tabindex", "0")
    page.keyboard.press("Enter")
    expect(host.locator("#m-text")).to_have_value("表情" + buttons.nth(columns).inner_text())
    assert page.problems == []


@pytest.mark.parametrize(("lang", "name"), [("zh-CN", "举报 老张 的评论：第一条评论"),
                                            ("en", "Report 老张’s comment: 第一条评论")])
def test_every_report_button_names_the_comment_it_reports(lang, name, page, live_server, client):
    _published(client, author="老张", text="第一条评论")
    _published(client, author="小李", text="第二条评论，这一条比较长，超过二十个字的部分不会放进按钮的名字里")
    page.goto(live_server.url + "/")
    if lang == "en":
        page.evaluate("document.documentElement.lang = 'en'")
    host = _host(page)
    expect(host.get_by_role("button", name=name, exact=True)).to_have_count(1)
    names = host.locator(".acts button:not(.like)").evaluate_all(
        "bs => bs.map(b => b.getAttribute('aria-label') || b.textContent)")
    assert len(names) == len(set(names)) == 4
    assert page.problems == []
