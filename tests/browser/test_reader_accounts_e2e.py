"""Reader accounts and reply notices in the widget: headless Chromium, the real service, the mail jobs run by a
real worker, and the mails caught by a local SMTP server (aiosmtpd)."""
from __future__ import annotations

import json
import re
import urllib.request

import pytest
from sqlalchemy import select

from service.demo import DEMO_THREAD
from service.models import Comment, ReaderAccount
from tests.conftest import MODERATOR_TOKEN
from tests.factories import READER_PASSWORD, post_comment, set_reader_accounts

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

LINK = re.compile(r"http://\S+")


@pytest.fixture
def config(mail_config):  # type: ignore[no-untyped-def]
    """Mails go to the test's SMTP sink."""
    return mail_config


def _host(page):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-moderato-thread="{DEMO_THREAD}"]')


def _link(body: str, path: str) -> str:
    found = [m for m in LINK.findall(body) if path in m]
    assert found, body
    return found[0]


def _solve_captcha(host, server) -> str:  # type: ignore[no-untyped-def]
    image = host.locator("img[data-captcha-id]")
    expect(image).to_have_attribute("src", re.compile("^data:image/"))
    return server.get_json(f"/api/testing/captcha/{image.get_attribute('data-captcha-id')}")["answer"]


def _approve_over_http(server, comment_id: int) -> None:  # type: ignore[no-untyped-def]
    """Approve as a moderator through the live server, so the notice's links name its address."""
    request = urllib.request.Request(f"{server.url}/api/moderation/comments/{comment_id}/approve", data=b"{}",
                                     method="POST", headers={"Authorization": f"Bearer {MODERATOR_TOKEN}",
                                                             "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read())["status"] == "approved"


def test_a_reader_registers_verifies_by_mail_signs_in_posts_and_signs_out(page, live_server, app, run_worker,
                                                                           smtp_sink):
    set_reader_accounts(app, "both")
    page.goto(live_server.url + "/")
    host = _host(page)
    host.locator(".acct button", has_text="注册").click()
    host.locator("#m-a-nickname").fill("老读者")
    host.locator("#m-a-email").fill("laoduzhe@example.com")
    host.locator("#m-a-password").fill(READER_PASSWORD)
    host.locator(".apanel button[type=submit]").click()
    expect(host.locator(".acct p.note")).to_have_text("验证邮件已发送，请点击邮件中的链接，然后登录。")
    # Signing in before the link is opened is refused, and says why.
    host.locator("#m-a-email").fill("laoduzhe@example.com")
    host.locator("#m-a-password").fill(READER_PASSWORD)
    host.locator(".apanel button[type=submit]").click()
    expect(host.locator(".apanel p.err")).to_contain_text("请先点击验证邮件中的链接")
    assert run_worker() == 1
    [body] = smtp_sink.bodies("laoduzhe@example.com")
    assert body.startswith("老读者，您好")
    verify = page.context.new_page()
    verify.goto(_link(body, "/readers/verify"))
    expect(verify.locator("p.message")).to_have_text("邮箱已验证，现在可以回到文章页面登录并发表评论了。")
    verify.close()
    host.locator(".apanel button[type=submit]").click()  # the same form, now verified
    expect(host.locator(".acct p.signed")).to_contain_text("以 老读者 的身份发表")
    expect(host.locator("#m-author")).to_have_count(0)  # the account names the author
    assert "mrs1_" in page.evaluate("JSON.stringify(Object.entries(localStorage))")
    assert page.context.cookies() == []  # no cookie of any origin: the session is a header
    host.locator("#m-text").fill("注册用户的第一条评论")
    host.locator("#m-notify").check()
    host.locator("#m-captcha").fill(_solve_captcha(host, live_server))
    host.locator("form.post button[type=submit]").click()
    expect(host.locator("ul.mine li")).to_contain_text("注册用户的第一条评论")
    with app.extensions["moderato.db"].read() as session:
        account = session.scalar(select(ReaderAccount))
        comment = session.scalar(select(Comment))
        assert (comment.reader_id, comment.author, comment.reply_notice_lang) == (account.id, "老读者", "zh-CN")
    page.reload()  # the session survives a reload, from the widget's storage
    host = _host(page)
    expect(host.locator(".acct p.signed")).to_contain_text("以 老读者 的身份发表")
    host.locator(".acct button", has_text="退出").click()
    expect(host.locator(".acct button", has_text="登录")).to_be_visible()
    expect(host.locator("#m-author")).to_be_visible()
    assert "mrs1_" not in page.evaluate("JSON.stringify(Object.entries(localStorage))")
    assert page.problems == []


def test_a_reply_notice_is_mailed_once_the_reply_is_approved_and_its_link_unsubscribes(page, live_server, app,
                                                                                       client, run_worker,
                                                                                       smtp_sink):
    page.goto(live_server.url + "/")
    host = _host(page)
    host.locator("#m-author").fill("小明")
    host.locator("#m-email").fill("ming@example.com")
    host.locator("#m-text").fill("这篇报道很及时")
    host.locator("#m-notify").check()
    host.locator("#m-captcha").fill(_solve_captcha(host, live_server))
    host.locator("form.post button[type=submit]").click()
    expect(host.locator("ul.mine li")).to_have_count(1)
    with app.extensions["moderato.db"].read() as session:
        parent = session.scalar(select(Comment))
        assert (parent.email, parent.reply_notice_lang) == ("ming@example.com", "zh-CN")
    _approve_over_http(live_server, parent.id)
    reply = post_comment(client, thread=DEMO_THREAD, author="小红", text="同意楼上", parent=parent.id).get_json()["id"]
    with app.extensions["moderato.db"].write() as session:  # held for a moderator, whatever the filters say
        session.get(Comment, reply).status = "held"
    run_worker()
    assert smtp_sink.bodies("ming@example.com") == []  # not before the reply is approved
    _approve_over_http(live_server, reply)
    run_worker()
    [message] = [m for m in smtp_sink.messages if m["To"] == "ming@example.com"]
    assert message["Subject"] == "小红 回复了您的评论"
    body = message.get_content()
    assert "同意楼上" in body and "这篇报道很及时" in body
    page.goto(_link(body, "/readers/unsubscribe"))
    expect(page.locator("p.message")).to_have_text("以后有人回复您的评论时，不再发送邮件通知。")
    page.locator("button[type=submit]").click()
    expect(page.locator("p.message")).to_have_text("已退订，您不会再收到回复通知。")
    with app.extensions["moderato.db"].read() as session:
        assert session.get(Comment, parent.id).reply_notice_lang is None
    assert page.problems == []


def test_a_signed_in_reader_deletes_their_own_comment_and_only_theirs(page, live_server, app, client):
    from tests.factories import comment_payload, make_reader, reader_session

    set_reader_accounts(app, "both")
    make_reader(app, nickname="老读者", email="laoduzhe@example.com")
    mine = client.post("/api/comments", json=comment_payload(client, thread=DEMO_THREAD, text="我写的评论"),
                       headers=reader_session(client, "laoduzhe@example.com")).get_json()["id"]
    theirs = post_comment(client, thread=DEMO_THREAD, author="路人", text="别人写的评论").get_json()["id"]
    for comment_id in (mine, theirs):
        client.post(f"/api/moderation/comments/{comment_id}/approve",
                    headers={"Authorization": f"Bearer {MODERATOR_TOKEN}"})
    page.goto(live_server.url + "/")
    host = _host(page)
    host.locator(".acct button", has_text="登录").click()
    host.locator("#m-a-email").fill("laoduzhe@example.com")
    host.locator("#m-a-password").fill(READER_PASSWORD)
    host.locator(".apanel button[type=submit]").click()
    expect(host.locator(".acct p.signed")).to_contain_text("以 老读者 的身份发表")
    expect(host.locator(f"li.c[data-id='{theirs}'] button.del")).to_have_count(0)
    delete = host.locator(f"li.c[data-id='{mine}'] button.del")
    delete.click()
    expect(delete).to_have_text("确认删除")  # a second click, not a dialog
    delete.click()
    expect(host.locator(f"li.c[data-id='{mine}'] .text em")).to_have_text("该评论已应作者要求删除")
    expect(host.locator(f"li.c[data-id='{theirs}']")).to_contain_text("别人写的评论")
    assert page.problems == []
