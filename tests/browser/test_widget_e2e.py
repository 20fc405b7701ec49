"""The comment widget end to end: headless Chromium on the demo page, the real service, Redis and a worker."""
from __future__ import annotations

import os
import re
import threading
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from service.config import PROJECT_ROOT
from service.demo import DEMO_CSP, DEMO_READER, DEMO_THREAD
from service.models import Comment, Report, Site
from service.sites import get_or_create_site
from tests.conftest import MODERATOR_TOKEN
from tests.factories import post_comment

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "demo.png"
XSS = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=2</script>",
       '<a href="javascript:window.__xss=3">点我</a>']


def _host(page, thread: str = DEMO_THREAD):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-moderato-thread="{thread}"]')


def _solve_captcha(host, server) -> str:  # type: ignore[no-untyped-def]
    """Read the captcha the widget shows, and its answer through the test-only hook."""
    image = host.locator("img[data-captcha-id]")
    used = host.get_attribute("data-test-used-captcha")
    if used:
        # After a post the widget fetches a new captcha; on a slow machine the image may still show the
        # one the last post used up.
        expect(image).not_to_have_attribute("data-captcha-id", used)
    expect(image).to_have_attribute("src", re.compile("^data:image/"))
    captcha_id = image.get_attribute("data-captcha-id")
    host.evaluate("(el, id) => el.setAttribute('data-test-used-captcha', id)", captcha_id)
    return server.get_json(f"/api/testing/captcha/{captcha_id}")["answer"]


def _post(host, server, text: str, author: str | None = "小明") -> None:  # type: ignore[no-untyped-def]
    if author is not None:
        host.locator("#m-author").fill(author)
    host.locator("#m-text").fill(text)
    host.locator("#m-captcha").fill(_solve_captcha(host, server))
    host.locator("form.post button[type=submit]").click()


def _publish(client, run_worker, **fields) -> int:  # type: ignore[no-untyped-def]
    """Post a comment through the API and have it decided by a real worker, approved by a moderator if held."""
    comment_id = post_comment(client, thread=DEMO_THREAD, **fields).get_json()["id"]
    run_worker()
    client.post(f"/api/moderation/comments/{comment_id}/approve", headers={"Authorization": f"Bearer {MODERATOR_TOKEN}"})
    return comment_id


def _run_worker_then_approve_held(client, app, run_worker) -> None:  # type: ignore[no-untyped-def]
    """Run the real worker; a comment its filters held is then approved by a moderator, as in production."""
    run_worker()
    with app.extensions["moderato.db"].read() as session:
        held = session.scalars(select(Comment.id).where(Comment.status == "held")).all()
    for comment_id in held:
        client.post(f"/api/moderation/comments/{comment_id}/approve", headers={"Authorization": f"Bearer {MODERATOR_TOKEN}"})


def _no_problems(page) -> None:  # type: ignore[no-untyped-def]
    assert page.problems == []


def test_reader_posts_sees_awaiting_moderation_then_published(page, live_server, client, app, run_worker):
    page.goto(live_server.url + "/")
    host = _host(page)
    expect(host.locator(".empty")).to_have_text("还没有评论，来说两句吧。")
    host.locator("#m-text").fill("老旧小区加装电梯是实事")
    host.locator("button[aria-controls=m-emo]").click()
    host.locator("#m-emo button[aria-label=赞]").click()
    expect(host.locator("#m-text")).to_have_value("老旧小区加装电梯是实事👍")
    expect(host.locator("#m-counter")).to_have_text("12/2000")  # characters, as the service counts: 👍 is one
    host.locator("#m-text").press("End")
    host.locator("#m-text").type("[微笑]")
    _post(host, live_server, host.locator("#m-text").input_value())

    mine = host.locator("ul.mine li")
    expect(mine).to_contain_text("审核中")
    expect(mine).to_contain_text("老旧小区加装电梯是实事👍🙂")  # the bracket code shown as an emoji
    expect(host.locator("[role=status][aria-live=polite]")).to_have_text("评论已提交，审核通过后将公开显示。")
    stored = page.evaluate("JSON.stringify(Object.entries(localStorage))")
    assert "token" in stored and "pending" in stored

    _run_worker_then_approve_held(client, app, run_worker)
    published = host.locator("ul.list li.c")
    expect(published).to_contain_text("老旧小区加装电梯是实事👍🙂", timeout=20_000)
    expect(mine).to_have_count(0)
    expect(host.locator(".head .count")).to_have_text("共 1 条")
    expect(published.locator("time")).to_have_text("刚刚")
    assert page.evaluate("localStorage.length === 0 || !/pending/.test(JSON.stringify(Object.entries(localStorage)))")
    _no_problems(page)


def test_submit_is_busy_once_and_a_wrong_captcha_is_explained(page, live_server, app):
    page.goto(live_server.url + "/")
    host = _host(page)
    host.locator("#m-author").fill("小明")
    host.locator("#m-text").fill("重复提交测试")
    _solve_captcha(host, live_server)
    used = host.locator("img[data-captcha-id]").get_attribute("data-captcha-id")
    host.locator("#m-captcha").fill("wrong")
    host.locator("#m-captcha").press("Enter")  # the keyboard submits the form
    expect(host.locator("form.post .err")).to_have_text("验证码错误或已过期，请重新输入。")
    expect(host.locator("#m-captcha")).to_be_focused()
    # The wrong answer used the captcha up: the widget shows a new one by itself.
    expect(host.locator("img[data-captcha-id]")).not_to_have_attribute("data-captcha-id", used)
    host.locator("#m-captcha").fill(_solve_captcha(host, live_server))
    button = host.locator("form.post button[type=submit]")
    button.dblclick()  # a double click posts once
    expect(host.locator("ul.mine li")).to_have_count(1)
    with app.extensions["moderato.db"].read() as session:
        assert len(session.scalars(select(Comment)).all()) == 1
    _no_problems(page)


def test_reply_nests_under_its_parent_and_deep_replies_are_flattened(page, live_server, client, app, run_worker):
    top = _publish(client, run_worker, author="老张", text="第一条评论")
    first = _publish(client, run_worker, author="小李", text="回复老张", parent=top)
    second = _publish(client, run_worker, author="小王", text="回复小李", parent=first)
    _publish(client, run_worker, author="小赵", text="第三层以下", parent=second)
    page.goto(live_server.url + "/")
    host = _host(page)
    expect(host.locator("ul.list > li.c")).to_have_count(1)
    level1 = host.locator("ul.list > li.c > ul.replies > li.c")
    expect(level1).to_contain_text("回复老张")
    level2 = level1.locator("> ul.replies > li.c")
    expect(level2).to_have_count(2)  # 小王 nested, 小赵 flattened beside it
    expect(level2.nth(1)).to_contain_text("回复 @小王")
    expect(host.locator(".head .count")).to_have_text("共 4 条")

    host.locator(f"li[data-id='{top}'] > .acts button", has_text="回复").click()
    expect(host.locator(".replying")).to_contain_text("回复 @老张")
    expect(host.locator("#m-text")).to_be_focused()
    _post(host, live_server, "我也来回复一下", author="小陈")
    expect(host.locator("ul.mine li")).to_contain_text("回复 @老张")
    _run_worker_then_approve_held(client, app, run_worker)
    expect(host.locator(f"li[data-id='{top}'] > ul.replies > li.c", has_text="我也来回复一下")).to_be_visible(timeout=20_000)
    _no_problems(page)


def test_reader_reports_a_comment_once(page, live_server, client, app, run_worker):
    comment_id = _publish(client, run_worker, author="广告号", text="加微信领红包")
    page.goto(live_server.url + "/")
    host = _host(page)
    item = host.locator(f"li[data-id='{comment_id}']")
    item.locator(".acts button", has_text="举报").click()
    item.locator("label", has_text="辱骂攻击").click()
    item.locator("textarea").fill("骚扰")
    item.locator("form.report button[type=submit]").click()
    expect(item.locator(".rbox")).to_have_text("已收到举报，感谢您的反馈。")
    expect(item.locator(".acts button", has_text="已举报")).to_be_disabled()
    with app.extensions["moderato.db"].read() as session:
        report = session.scalars(select(Report)).one()
        assert (report.comment_id, report.reason, report.text) == (comment_id, "abuse", "骚扰")
    page.reload()  # a new page view: this browser remembers the report
    item = _host(page).locator(f"li[data-id='{comment_id}']")
    expect(item.locator(".acts button", has_text="已举报")).to_be_disabled()
    page.evaluate("localStorage.clear()")
    page.reload()  # a browser that forgot it: the service still knows this reader reported it
    item = _host(page).locator(f"li[data-id='{comment_id}']")
    item.locator(".acts button", has_text="举报").click()
    item.locator("form.report button[type=submit]").click()
    expect(item.locator(".rbox")).to_have_text("您已经举报过这条评论。")
    _no_problems(page)


def test_language_follows_the_page_and_api_errors_are_translated(page, live_server):
    page.goto(live_server.url + "/?lang=zh-TW")
    host = _host(page)
    expect(host.locator("h2")).to_contain_text("網友評論")
    expect(host.locator("form.post button[type=submit]")).to_have_text("發表評論")
    expect(host.locator("label[for=m-author]")).to_have_text("暱稱")
    page.locator("a", has_text="简体").click()
    expect(_host(page).locator("form.post button[type=submit]")).to_have_text("发表评论")

    host = _host(page)
    host.locator("#m-text").fill("保留我输入的文字")
    page.evaluate("document.documentElement.lang = 'en'")  # the host page switches language in place
    expect(host.locator("form.post button[type=submit]")).to_have_text("Post comment")
    expect(host.locator("#m-text")).to_have_value("保留我输入的文字")
    host.locator("#m-author").fill("Ming")
    _solve_captcha(host, live_server)
    host.locator("#m-captcha").fill("nope")
    host.locator("form.post button[type=submit]").click()
    expect(host.locator("form.post .err")).to_have_text("The captcha is wrong or expired. Please try again.")
    _no_problems(page)


def test_signed_in_reader_posts_without_a_nickname(page, live_server, app, client, run_worker):
    page.goto(live_server.url + "/?login=1")
    host = _host(page)
    expect(host.locator(".signed")).to_have_text(f"以 {DEMO_READER[1]} 的身份发表")
    expect(host.locator("#m-author")).to_have_count(0)
    _post(host, live_server, "登录用户的评论", author=None)
    expect(host.locator("ul.mine li")).to_contain_text(DEMO_READER[1])
    with app.extensions["moderato.db"].read() as session:
        comment = session.scalars(select(Comment)).one()
        assert (comment.author, comment.user_id) == (DEMO_READER[1], DEMO_READER[0])
    _publish(client, run_worker, author="访客", text="访客的评论")
    _run_worker_then_approve_held(client, app, run_worker)
    page.goto(live_server.url + "/")
    host = _host(page)
    signed = host.locator("ul.list li.c", has_text="登录用户的评论")
    expect(signed.locator(".verified")).to_have_count(1)  # the site vouches for this reader
    expect(host.locator("ul.list li.c", has_text="访客的评论").locator(".verified")).to_have_count(0)
    _no_problems(page)


def test_xss_payloads_are_shown_as_text_and_run_nothing(page, live_server, client, run_worker):
    for payload in XSS:
        _publish(client, run_worker, author='<b onmouseover="window.__xss=4">坏人</b>', text=payload)
    page.goto(live_server.url + "/")
    host = _host(page)
    texts = host.locator("ul.list li.c .text")
    expect(texts).to_have_count(3)
    assert sorted(texts.all_inner_texts()) == sorted(XSS)
    expect(host.locator("ul.list .author").first).to_have_text('<b onmouseover="window.__xss=4">坏人</b>')
    _post(host, live_server, XSS[0], author="<i>x</i>")
    expect(host.locator("ul.mine li .text")).to_have_text(XSS[0])
    host.locator("ul.list li.c .text").first.hover()
    counts = page.evaluate("""() => {
        const root = document.querySelector('[data-moderato-thread]').shadowRoot;
        return {img: root.querySelectorAll('img:not([data-captcha-id])').length, script: root.querySelectorAll('script').length,
                a: root.querySelectorAll('a').length, b: root.querySelectorAll('b, i').length, xss: window.__xss || null};
    }""")
    assert counts == {"img": 0, "script": 0, "a": 0, "b": 0, "xss": None}
    _no_problems(page)


def test_demo_page_works_under_its_strict_csp(page, live_server):
    response = page.goto(live_server.url + "/")
    assert response.headers["content-security-policy"] == DEMO_CSP
    assert "unsafe-inline" not in DEMO_CSP and "unsafe-eval" not in DEMO_CSP
    host = _host(page)
    button = host.locator("form.post button[type=submit]")
    expect(button).to_be_visible()
    # The constructed stylesheet applies under style-src 'self': the button has the widget's accent colour.
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(198, 40, 40)"
    host.locator("#m-text").fill("CSP")
    _solve_captcha(host, live_server)
    _no_problems(page)


def test_widget_follows_a_dark_page(page, live_server):
    page.goto(live_server.url + "/?theme=dark")
    root = _host(page).locator("div.m")
    expect(root).to_have_class(re.compile(r"\bdark\b"))
    _no_problems(page)


class _HostSite:
    """Another origin (localhost instead of 127.0.0.1) serving a news page that embeds two threads."""

    PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>两篇文章</title></head><body>
    <h1>频道页</h1><div data-moderato-thread="/a.html"></div><div data-moderato-thread="/b.html" data-moderato-order="oldest"></div>
    <script src="{service}/embed.js" async></script></body></html>"""

    def __init__(self, service: str) -> None:
        def app(environ, start_response):  # type: ignore[no-untyped-def]
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Security-Policy",
                           f"default-src 'none'; script-src {service}; connect-src {service}; img-src data:; "
                           f"media-src {service}; style-src {service}")])
            return [self.PAGE.format(service=service).encode()]

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://localhost:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_several_threads_on_another_allowed_origin(page, live_server, client, app, run_worker):
    host_site = _HostSite(live_server.url)
    try:
        # The site's allowlist is set before the service first reads (and caches) the site.
        get_or_create_site(app.extensions["moderato.db"])
        with app.extensions["moderato.db"].write() as session:
            session.execute(update(Site).where(Site.name == "default").values(origins=[host_site.url]))
        post_comment(client, thread="/a.html", text="A 的评论")
        post_comment(client, thread="/b.html", text="B 的评论")
        _run_worker_then_approve_held(client, app, run_worker)
        page.goto(host_site.url + "/")
        expect(_host(page, "/a.html").locator("ul.list")).to_contain_text("A 的评论")
        expect(_host(page, "/b.html").locator("ul.list")).to_contain_text("B 的评论")
        expect(_host(page, "/b.html").locator(".sort button[aria-pressed=true]")).to_have_text("最早")
        a = _host(page, "/a.html")
        _post(a, live_server, "跨域发表的评论")
        expect(a.locator("ul.mine li")).to_contain_text("审核中")
        _no_problems(page)
    finally:
        host_site.stop()


def test_an_origin_the_site_does_not_allow_cannot_use_the_widget(page, live_server):
    host_site = _HostSite(live_server.url)
    try:
        page.goto(host_site.url + "/")
        expect(_host(page, "/a.html").locator("[role=alert]", has_text="评论加载失败")).to_be_visible()
    finally:
        host_site.stop()
    # The browser reports the refused CORS read on the console; that is the point here, not a failure.


def test_screenshot_of_the_demo_page_with_comments(page, live_server, client, run_worker, tmp_path):
    top = _publish(client, run_worker, author="东城老李", text="我们小区去年装了电梯，老人出门方便多了[赞]")
    _publish(client, run_worker, author="热心市民", text="希望改造的时候也考虑一下停车问题。", parent=top)
    _publish(client, run_worker, author="小区业主", text="支持！管网老化确实是大问题，冬天经常停暖。")
    _publish(client, run_worker, author="路人甲", text="期待长效管理机制早日落地 👍")
    page.goto(live_server.url + "/")
    host = _host(page)
    expect(host.locator("ul.list > li.c")).to_have_count(3)
    host.locator("#m-author").fill("新读者")
    host.locator("#m-text").fill("写得很好，希望多报道这样的民生新闻🙂")
    _solve_captcha(host, live_server)
    # The README's screenshot is rewritten only when asked (UPDATE_SCREENSHOTS=1): a test run must not
    # change tracked files.
    target = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / "demo.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
    _no_problems(page)


def test_the_form_is_usable_by_keyboard_alone(page, live_server):
    page.goto(live_server.url + "/")
    host = _host(page)
    host.locator("#m-text").focus()
    page.keyboard.type("键盘用户")
    page.keyboard.press("Tab")
    expect(host.locator("button[aria-controls=m-emo]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(host.locator("#m-emo")).to_be_visible()
    expect(host.locator("#m-emo button").first).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(host.locator("#m-emo")).to_be_hidden()
    expect(host.locator("button[aria-controls=m-emo]")).to_be_focused()
    expect(host.locator("#m-text")).to_have_value("键盘用户🙂")
    # Every field has a label; the spoken captcha is a real button, reachable with Tab.
    for field in ("m-author", "m-email", "m-text", "m-captcha"):
        expect(host.locator(f"label[for={field}]")).to_have_count(1)
    audio = host.locator(".captcha button", has_text="听语音验证码")
    audio.focus()
    expect(audio).to_be_focused()
    src = host.locator("img[data-captcha-id]").get_attribute("data-captcha-id")
    with urllib.request.urlopen(f"{live_server.url}/api/captcha/{src}/audio", timeout=5) as response:
        assert response.headers["Content-Type"] == "audio/wav"
    _no_problems(page)


def test_signed_in_reader_skips_the_captcha_where_the_site_allows_it(page, live_server, app):
    site = get_or_create_site(app.extensions["moderato.db"])
    with app.extensions["moderato.db"].write() as session:
        session.execute(update(Site).where(Site.id == site.id).values(settings={"captcha": "guests"}))
    app.extensions["moderato.sites"].clear()
    page.goto(live_server.url + "/?login=1")
    host = _host(page)
    host.locator("#m-text").fill("登录用户不用验证码")
    expect(host.locator("div.captcha")).to_be_hidden()
    host.locator("button.submit").click()
    expect(host.locator("ul.mine li")).to_contain_text("登录用户不用验证码")
    page.goto(live_server.url + "/")  # a guest still gets one
    host = _host(page)
    host.locator("#m-text").fill("访客")
    expect(host.locator("div.captcha img")).to_have_attribute("data-captcha-id", re.compile(".+"))
    _no_problems(page)


def test_a_rate_limited_reader_is_told_in_their_language_how_long_to_wait(page, config):
    from dataclasses import replace

    from service.app import create_app
    from tests.browser.conftest import LiveServer

    limited = create_app(replace(config, rate_limits=True))
    site = get_or_create_site(limited.extensions["moderato.db"])
    with limited.extensions["moderato.db"].write() as session:
        session.execute(update(Site).where(Site.id == site.id).values(settings={"rate_posts_per_ip_minute": 1}))
    server = LiveServer(limited).start()
    try:
        page.goto(server.url + "/")
        host = _host(page)
        _post(host, server, "第一条评论")
        expect(host.locator("ul.mine li")).to_have_count(1)
        _post(host, server, "一分钟内的第二条")
        error = host.locator("form.post .err")
        expect(error).to_have_text(re.compile(r"^操作太频繁，请 \d+ 秒后再试。$"))
        expect(host.locator("#m-text")).to_have_value("一分钟内的第二条")  # the reader's text is kept
        seconds = int(re.search(r"\d+", error.inner_text()).group())
        assert 1 <= seconds <= 60

        page.evaluate("document.documentElement.lang = 'zh-TW'")
        _post(host, server, "再試一次", author=None)
        expect(host.locator("form.post .err")).to_have_text(re.compile(r"^操作太頻繁，請 \d+ 秒後再試。$"))
        page.evaluate("document.documentElement.lang = 'en'")
        _post(host, server, "and again", author=None)
        expect(host.locator("form.post .err")).to_have_text(
            re.compile(r"^Too many requests\. Please try again in \d+ s\.$"))
        with limited.extensions["moderato.db"].read() as session:
            assert len(session.scalars(select(Comment)).all()) == 1
        _no_problems(page)
    finally:
        server.stop()
        limited.extensions["moderato.db"].dispose()


def test_a_reader_refused_more_audio_captchas_is_told_how_long_to_wait(page, config):
    """The audio captcha is played from its URL; when the service refuses it (429), the widget says so and
    for how long, instead of blaming the network."""
    from dataclasses import replace

    from service.app import create_app
    from tests.browser.conftest import LiveServer

    limited = create_app(replace(config, rate_limits=True, audio_captchas_per_client=1))
    server = LiveServer(limited).start()
    try:
        page.goto(server.url + "/")
        host = _host(page)
        host.locator("#m-text").focus()  # the captcha is fetched once the reader starts writing
        expect(host.locator("img[data-captcha-id]")).to_have_count(1)
        audio = host.locator(".captcha button", has_text="听语音验证码")
        audio.click()
        audio.click()
        expect(host.locator("form.post .err")).to_have_text(re.compile(r"^操作太频繁，请 \d+ 秒后再试。$"))
    finally:
        server.stop()
        limited.extensions["moderato.db"].dispose()


def test_a_rejected_reader_is_told_the_kind_of_problem_in_their_language(page, live_server, run_worker):
    page.goto(live_server.url + "/?lang=zh-TW")
    host = _host(page)
    _post(host, live_server, "你這個傻逼，滾吧")
    mine = host.locator("ul.mine li")
    expect(mine).to_contain_text("審核中")
    run_worker()
    expect(mine).to_contain_text("很抱歉，您的評論未能發佈：含有不文明用語。", timeout=20_000)
    note = mine.locator("p.meta").inner_text()
    # Never the matched word, a score or a threshold, and not in English.
    assert "傻" not in note and "abuse" not in note and ">=" not in note
    _no_problems(page)
