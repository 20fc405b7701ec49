"""Likes, hot order, pins, closed threads, links and avatars in the widget: headless Chromium, the real service."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from service.demo import DEMO_THREAD
from service.models import Like, Site
from service.sites import get_or_create_site
from tests.conftest import MODERATOR_TOKEN
from tests.factories import post_comment

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

MOD = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}


def _published(client, **fields) -> int:  # type: ignore[no-untyped-def]
    """Post a comment on the demo thread and have a moderator publish it."""
    comment_id = post_comment(client, thread=DEMO_THREAD, **fields).get_json()["id"]
    assert client.post(f"/api/moderation/comments/{comment_id}/approve", headers=MOD).status_code == 200
    return comment_id


def _host(page):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-moderato-thread="{DEMO_THREAD}"]')


def _item(host, comment_id: int):  # type: ignore[no-untyped-def]
    return host.locator(f"li.c[data-id='{comment_id}']")


def _no_problems(page) -> None:  # type: ignore[no-untyped-def]
    assert page.problems == []


def test_reader_likes_a_comment_once_and_can_take_it_back(page, live_server, client, app):
    comment_id = _published(client, text="支持这项政策")
    page.goto(live_server.url + "/")
    like = _item(_host(page), comment_id).locator(".acts button.like")
    expect(like).to_have_text("👍 赞")
    like.click()
    expect(like).to_have_text("👍 1")
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).to_have_attribute("aria-label", "点赞，已有 1 人赞过")
    page.reload()  # the cached page was dropped, and the browser remembers its like
    like = _item(_host(page), comment_id).locator(".acts button.like")
    expect(like).to_have_text("👍 1")
    expect(like).to_have_attribute("aria-pressed", "true")
    assert "mrt1." in page.evaluate("JSON.stringify(Object.entries(localStorage))")
    like.click()
    expect(like).to_have_text("👍 赞")
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect(like).to_have_text("👍 1")
    with app.extensions["moderato.db"].read() as session:
        assert len(session.scalars(select(Like)).all()) == 1  # one reader, one like, whatever the clicks
    _no_problems(page)


def test_hot_order_puts_the_pinned_comment_first_then_the_most_liked(page, live_server, client):
    quiet = _published(client, text="没人点赞的评论")
    popular = _published(client, text="很多人点赞的评论")
    pinned = _published(client, author="编辑", text="编辑置顶：欢迎理性讨论")
    newest = _published(client, text="最新的评论")
    for n in range(3):
        client.post(f"/api/comments/{popular}/like", json={}, environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"})
    assert client.post(f"/api/moderation/comments/{pinned}/pin", headers=MOD).status_code == 200
    page.goto(live_server.url + "/")
    host = _host(page)
    top = host.locator("ul.list > li.c")
    expect(top).to_have_count(4)
    assert [int(i) for i in top.evaluate_all("els => els.map(e => e.dataset.id)")] == [pinned, newest, popular, quiet]
    expect(top.first.locator(".badge.pin")).to_have_text("置顶")
    host.locator(".sort button", has_text="热评").click()
    expect(host.locator(".sort button", has_text="热评")).to_have_attribute("aria-pressed", "true")
    expect(top.nth(1)).to_have_attribute("data-id", str(popular))
    assert [int(i) for i in top.evaluate_all("els => els.map(e => e.dataset.id)")] == [pinned, popular, newest, quiet]
    expect(top.nth(1).locator("button.like")).to_have_text("👍 3")
    host.locator(".sort button", has_text="最早").click()
    expect(top.nth(1)).to_have_attribute("data-id", str(quiet))
    _no_problems(page)


def test_a_closed_thread_says_so_and_a_reader_who_was_writing_is_told(page, live_server, client):
    comment_id = _published(client, text="关闭之前的评论")
    page.goto(live_server.url + "/")
    host = _host(page)
    host.locator("#m-author").fill("小明")
    host.locator("#m-text").fill("关闭之后才提交")
    expect(host.locator("img[data-captcha-id]")).to_have_count(1)
    host.locator("#m-captcha").fill("x")  # not checked: the thread is refused first
    assert client.post("/api/moderation/threads/close", json={"thread": DEMO_THREAD}, headers=MOD).status_code == 200
    host.locator("form.post button[type=submit]").click()
    expect(host.locator("p.closed")).to_have_text("本文评论已关闭。")
    expect(host.locator("form.post")).to_be_hidden()
    page.reload()
    host = _host(page)
    expect(host.locator("p.closed")).to_be_visible()
    expect(host.locator("form.post")).to_be_hidden()
    item = _item(host, comment_id)
    expect(item).to_contain_text("关闭之前的评论")
    expect(item.locator(".acts button", has_text="回复")).to_have_count(0)
    expect(item.locator(".acts button.like")).to_be_visible()  # the comments can still be liked
    _no_problems(page)


LINKS = [
    "详见 https://example.org/report?id=1&x=2。谢谢",
    "本站旧文 http://news.example.com/2020/1.html 可参考",
    "第一行\n第二行 [微笑]",
]
HOSTILE = [
    "javascript:window.__xss=1",
    "data:text/html,<script>window.__xss=2</script>",
    'https://x.example/"onmouseover="window.__xss=3"',
    "https://evil.example/<img src=x onerror=window.__xss=4>",
    "https://javascript:window.__xss=5@evil.example/ https://bank.example@evil.example/",
    "https://аpple.com/login",
    "https://example.com/\u202egpj.exe",
    "<a href='javascript:window.__xss=6'>https://ok.example/</a>",
    "HTTPS://EXAMPLE.NET/UP) 以及 https://example.com/%22%3E%3Cscript%3E",
]


def test_links_and_line_breaks_and_hostile_urls_stay_harmless(page, live_server, client, app):
    db = app.extensions["moderato.db"]
    site_id = get_or_create_site(db).id
    with db.write() as session:
        session.get(Site, site_id).settings = {"allowed_domains": ["example.com"]}
    app.extensions["moderato.sites"].clear()
    ids = [_published(client, text=text) for text in LINKS + HOSTILE]
    page.goto(live_server.url + "/?order=oldest")
    host = _host(page)
    expect(host.locator("ul.list > li.c")).to_have_count(len(ids))
    first = _item(host, ids[0]).locator(".text a")
    expect(first).to_have_attribute("href", "https://example.org/report?id=1&x=2")
    expect(first).to_have_attribute("rel", "nofollow ugc noopener")
    expect(first).to_have_text("https://example.org/report?id=1&x=2")  # the full stop stays text
    own = _item(host, ids[1]).locator(".text a")
    expect(own).to_have_attribute("rel", "ugc noopener")  # a subdomain of the site's own domain
    assert _item(host, ids[2]).locator(".text").inner_text() == "第一行\n第二行 🙂"
    links = page.evaluate("""() => {
        const root = document.querySelector('[data-moderato-thread]').shadowRoot;
        return [...root.querySelectorAll('ul.list .text a:not(.to):not(.at)')].map(a => ({
            href: a.getAttribute('href'), rel: a.rel, text: a.textContent, attrs: a.getAttributeNames().sort()}));
    }""")
    for link in links:
        assert link["href"].startswith(("http://", "https://")), link
        assert link["attrs"] == ["href", "rel", "target"], link
    hrefs = [link["href"] for link in links]
    assert not any("javascript" in h.lower() or '"' in h or "<" in h for h in hrefs), hrefs
    assert "https://xn--pple-43d.com/login" in hrefs
    assert any(link["text"] == "https://xn--pple-43d.com/login" for link in links)  # the look-alike unmasked
    assert "https://example.net/UP" in hrefs  # the closing parenthesis stays text
    for comment_id, text in zip(ids[3:], HOSTILE):
        shown = _item(host, comment_id).locator(".text").text_content()
        assert shown.replace("https://xn--pple-43d.com/login", "https://аpple.com/login") == text
    for link in host.locator("ul.list .text a:not(.to):not(.at)").all():
        link.hover()
    counts = page.evaluate("""() => {
        const root = document.querySelector('[data-moderato-thread]').shadowRoot;
        return {img: root.querySelectorAll('img:not([data-captcha-id])').length,
                script: root.querySelectorAll('script').length, xss: window.__xss || null};
    }""")
    assert counts == {"img": 0, "script": 0, "xss": None}
    _no_problems(page)


def test_at_name_in_a_reply_links_to_the_comment_answered(page, live_server, client):
    top = _published(client, author="老张", text="第一条评论")
    first = _published(client, author="小李", text="@老张 说得对，@路人 不算", parent=top)
    second = _published(client, author="小王", text="同意", parent=first)
    deep = _published(client, author="小赵", text="第三层以下", parent=second)
    page.goto(live_server.url + "/")
    host = _host(page)
    mention = _item(host, first).locator(".text a.at")
    expect(mention).to_have_count(1)  # @路人 answers nobody here: it stays text
    expect(mention).to_have_text("@老张")
    mention.click()
    expect(_item(host, top)).to_be_focused()
    label = _item(host, deep).locator(".text a.to")
    expect(label).to_have_text("回复 @小王")
    label.click()
    expect(_item(host, second)).to_be_focused()
    _no_problems(page)


def test_avatars_are_drawn_in_the_page_without_third_party_requests(page, live_server, client):
    _published(client, author="小红", email="hong@example.com", text="第一条")
    _published(client, author="红红", email="HONG@example.com", text="换了昵称")
    _published(client, author="小刚", text="没有邮箱")
    hosts = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.goto(live_server.url + "/")
    host = _host(page)
    avatars = host.locator("ul.list li.c .meta svg.av")
    expect(avatars).to_have_count(3)
    drawn = avatars.evaluate_all("els => els.map(e => e.innerHTML)")
    # Newest first: the two comments with one email share a picture, the third differs.
    assert drawn[1] == drawn[2] and drawn[0] != drawn[1]
    assert all(d.count("<rect") > 1 for d in drawn)
    assert hosts == {f"127.0.0.1:{live_server.port}"}
    digits = client.get(f"/api/threads{DEMO_THREAD}/comments").get_json()["comments"][0]["avatar"]
    assert client.get(f"/api/avatars/{digits}.svg").status_code == 200
    _no_problems(page)
