"""The no-JavaScript page (/demo/plain) in a browser with scripts off (issue 11, defect 13): Chinese messages,
no developer links, emoticons drawn, Beijing time, and replies and reports that work without a script."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, update

from service.demo import DEMO_THREAD
from service.models import Comment, Report
from tests.conftest import MODERATOR_TOKEN
from tests.factories import post_comment

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

MOD = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}


@pytest.fixture
def plain_page(browser):  # type: ignore[no-untyped-def]
    """Return a page in a browser context with JavaScript turned off."""
    context = browser.new_context(locale="zh-CN", java_script_enabled=False, viewport={"width": 1000, "height": 900})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _published(client, app, when: datetime | None = None, **fields) -> int:  # type: ignore[no-untyped-def]
    comment_id = post_comment(client, thread=DEMO_THREAD, **fields).get_json()["id"]
    assert client.post(f"/api/moderation/comments/{comment_id}/approve", headers=MOD).status_code == 200
    if when is not None:
        with app.extensions["moderato.db"].write() as session:
            session.execute(update(Comment).where(Comment.id == comment_id).values(created_at=when))
    return comment_id


def _answer(page, live_server, form) -> str:  # type: ignore[no-untyped-def]
    captcha_id = form.locator("input[name=captcha_id]").get_attribute("value")
    return live_server.get_json(f"/api/testing/captcha/{captcha_id}")["answer"]


def test_the_plain_page_speaks_chinese_draws_emoticons_and_shows_beijing_time(plain_page, live_server, client, app):
    # 16:05 UTC is 00:05 the next day in Beijing: the date changes too.
    _published(client, app, when=datetime(2026, 11, 28, 16, 5, tzinfo=timezone.utc), author="老张",
               text="支持[微笑]，早该改造了[赞][不存在]")
    page = plain_page
    page.goto(live_server.url + "/demo/plain")
    comment = page.locator(".comment").first
    expect(comment.locator(".text")).to_have_text("支持🙂，早该改造了👍[不存在]")
    expect(comment.locator(".text [role=img][aria-label=微笑]")).to_have_text("🙂")
    expect(comment.locator("time")).to_have_text("2026-11-29 00:05")
    expect(comment.locator(".who")).to_contain_text("北京时间")
    assert page.locator("a[href*='/api/threads']").count() == 0  # no leftover developer link

    form = page.locator("form#post")
    form.locator("#author").fill("小明")
    form.locator("#text").fill("验证码填错了")
    form.locator("#captcha_answer").fill("wrong")
    form.locator("button[type=submit]").click()
    expect(page.locator("form#post .error")).to_have_text("验证码错误或已过期，请重新输入。")
    expect(page.locator("form#post #text")).to_have_value("验证码填错了")  # what the reader wrote is kept
    page.locator("form#post #text").fill("长" * 2001)
    page.locator("form#post #captcha_answer").fill(_answer(page, live_server, page.locator("form#post")))
    page.locator("form#post button[type=submit]").click()
    expect(page.locator("form#post .error")).to_have_text("评论内容太长了（最多 2000 字）。")
    # No English sentence anywhere a reader looks.
    body = page.locator("body").inner_text()
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", body), body


def test_a_reader_replies_and_reports_without_javascript(plain_page, live_server, client, app, run_worker):
    top = _published(client, app, author="老张", text="第一条评论")
    page = plain_page
    page.goto(live_server.url + "/demo/plain")
    page.locator(f"#c{top} .acts a", has_text="回复").click()
    form = page.locator(f"#c{top} form#post")  # the form opens under the comment answered
    expect(form.locator(".replying")).to_contain_text("回复 @老张")
    form.locator("#author").fill("小明")
    form.locator("#text").fill("没有脚本也能回复[鼓掌]")
    form.locator("#captcha_answer").fill(_answer(page, live_server, form))
    form.locator("button[type=submit]").click()
    expect(page.locator(".notice")).to_have_text("您的评论已提交，审核通过后将公开显示。")
    with app.extensions["moderato.db"].read() as session:
        reply = session.scalars(select(Comment).where(Comment.author == "小明")).one()
        assert reply.parent_id == top

    page.locator(f"#c{top} .acts a", has_text="举报").click()
    report = page.locator(f"#c{top} form.report")
    report.locator("label", has_text="辱骂攻击").click()
    report.locator("textarea").fill("人身攻击")
    report.locator("button[type=submit]").click()
    expect(page.locator(f"#c{top} .notice")).to_have_text("已收到举报，感谢您的反馈。")
    with app.extensions["moderato.db"].read() as session:
        filed = session.scalars(select(Report)).one()
        assert (filed.comment_id, filed.reason, filed.text) == (top, "abuse", "人身攻击")
    page.locator(f"#c{top} .acts a", has_text="举报").click()
    page.locator(f"#c{top} form.report button[type=submit]").click()
    expect(page.locator(f"#c{top} .notice")).to_have_text("您已经举报过这条评论。")
