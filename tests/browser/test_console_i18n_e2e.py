"""The console in Chinese end to end: no English outside user content, the sign-in language kept, local times.

Headless Chromium, the real service, Redis and a real RQ worker running every filter (the classifier too).
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.bans import BanRequest, create_ban
from service.models import Comment, User, WordEntry, utcnow
from tests.conftest import make_config
from tests.factories import CONSOLE_PASSWORD, make_user, post_comment

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

# Every visible text node, option, chart label and tooltip of the page, except code-like elements.
_COLLECT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const text = node.nodeValue.trim();
    const el = node.parentElement;
    if (!text || !el || el.closest("script, style, code, kbd")) { continue; }
    if (!el.closest("option, svg, dialog") && el.getClientRects().length === 0) { continue; }
    out.push(text);
  }
  document.querySelectorAll("[title], [aria-label], [placeholder]").forEach((el) => {
    ["title", "aria-label", "placeholder"].forEach((name) => {
      if (el.hasAttribute(name) && !el.closest("code")) { out.push(el.getAttribute(name)); }
    });
  });
  return out;
}"""
# Product names and codes a Chinese console may show as they are.
_ALLOWED = {"moderato", "ip", "api", "utc", "qq", "json", "english", "id", "iana", "esc", "redis", "svg"}
# Things that are codes, not words: IANA zone names, links and domains, hexadecimal hashes, key prefixes.
_CODES = re.compile(r"[A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?|(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}\S*|\b[0-9a-f]{6,}\b|md[uk]_[\w-]+")


def _english_words(texts: list[str], user_words: set[str]) -> dict[str, str]:
    """Return each English word found outside the allowed ones, with the text it was found in."""
    found = {}
    for text in texts:
        for word in re.findall(r"[A-Za-z]{2,}", _CODES.sub(" ", text)):
            if word.lower() not in _ALLOWED and word.lower() not in user_words:
                found.setdefault(word, text)
    return found


def _words_of(*texts: str) -> set[str]:
    return {w.lower() for text in texts for w in re.findall(r"[A-Za-z]{2,}", text)}


@pytest.fixture
def config(database_url, redis_client, redis_server, tmp_path):  # type: ignore[no-untyped-def]
    """Plain HTTP, a Chinese console by default, every filter."""
    return make_config(database_url, redis_server.url, tmp_path, session_cookie_secure=False, moderator_token="",
                       console_language="zh-CN")


@pytest.fixture
def zh_page(browser):  # type: ignore[no-untyped-def]
    """Return a page in Chinese that records script errors."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"pageerror: {err}"))
    page.set_default_timeout(15_000)
    page.problems = problems  # type: ignore[attr-defined]
    yield page
    context.close()


def _sign_in(page, url: str, username: str = "chief", language: str | None = None) -> None:  # type: ignore[no-untyped-def]
    if "/console/login" not in page.url:
        page.goto(url + "/console/login")
    if language:
        page.select_option("#login-language", language)
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', CONSOLE_PASSWORD)
    page.click('form.login button[type="submit"]')
    expect(page).to_have_url(url + "/console/queue")


def test_the_chinese_console_shows_no_english_outside_user_content(app, client, run_worker, live_server,
                                                                  zh_page):
    page = zh_page
    make_user(app, "chief", role="admin")
    # The first comment makes the default site; the site's own word (held as sex trade) is there before the
    # worker first builds the site's pipeline.
    comments = {"length": {"text": "嗯"}}
    ids = {"length": post_comment(client, **comments["length"]).get_json()["id"]}
    with app.extensions["moderato.db"].write() as session:
        session.add(WordEntry(site_id=1, term="特殊服务", category="sex_trade", severity=2, action="hold",
                              updated_at=utcnow()))
    comments.update({
        "repetition": {"text": "哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈哈"},
        "links": {"text": "便宜 www.a.com www.b.com www.c.com www.d.com"},
        "contact": {"text": "有事找我，我的微信是 abc12345", "author": "扣扣12345678"},
        "wordlist": {"text": "本店提供特殊服务，欢迎光临"},
        "ad_phrases": {"text": "约炮 同城交友 看我头像"},
        "classifier": {"text": "河南人都是骗子，一个比一个坏"},
        "english": {"text": "you are a stupid idiot and everyone hates you", "author": "Tom"},
        "gibberish": {"text": "xkqjzvbwpfghtmnrlsdcxqwrtzpsdfghjklxcvbnm zzkq"},
    })
    for name, fields in comments.items():
        if name != "length":
            ids[name] = post_comment(client, **fields).get_json()["id"]
    flood_text = "这家店的东西真的很好用，大家快去买吧，不买后悔"
    for n in range(3):
        ids["flood"] = post_comment(client, text=flood_text, thread=f"/news/2026/12/0{n + 1}.html").get_json()["id"]
    published = post_comment(client, text="写得很好，支持一下。", author="读者丙").get_json()["id"]
    with app.extensions["moderato.db"].write() as session:
        create_ban(session, BanRequest(site_id=1, author_key="捣乱者", ip_hash=None,
                                       until=utcnow() + timedelta(hours=5), shadow=False, reason="多次骂人",
                                       reject_past=False), "chief")
    ids["ban"] = post_comment(client, text="我又来了", author="捣乱者").get_json()["id"]
    run_worker()
    client.post(f"/api/comments/{published}/reports", json={"reason": "abuse", "text": "人身攻击"})
    with app.extensions["moderato.db"].read() as session:
        filters = {v.filter for c in session.scalars(select(Comment)) for v in c.verdicts if v.action != "allow"}
    assert {"length", "repetition", "links", "contact", "wordlist", "flood", "classifier", "ban"} <= filters
    user_words = _words_of(*(f.get("text", "") + " " + f.get("author", "") for f in comments.values()),
                           "chief default news html 12345678 abc12345 helper")

    url = live_server.url
    seen: dict[str, list[str]] = {}

    def collect(name: str) -> None:
        seen[name] = page.evaluate(_COLLECT)

    page.goto(url + "/console/login")
    collect("login")
    _sign_in(page, url)
    for status in ("held", "rejected", "approved", "pending", "review"):
        page.goto(url + f"/console/queue?status={status}")
        collect(f"queue {status}")
    page.goto(url + "/console/queue")
    # Script messages: a key with nothing selected, a decision with its undo, the undo's outcome.
    page.keyboard.press("a")
    expect(page.locator("#messages .message.error")).to_be_visible()
    collect("queue: nothing selected")
    page.keyboard.press("j")
    page.keyboard.press("a")
    expect(page.locator("#messages button.undo")).to_be_visible()
    collect("queue: decided")
    page.click("#messages button.undo")
    expect(page.locator("#messages .message.ok")).to_contain_text("#")
    collect("queue: undone")
    page.keyboard.press("?")
    collect("queue: shortcuts")
    page.keyboard.press("Escape")
    page.locator(f'#c{ids["wordlist"]} button[data-action="delete"]').click()
    expect(page.locator("#confirm")).to_be_visible()
    collect("queue: confirm")
    page.keyboard.press("Escape")

    page.goto(url + "/console/reports")
    collect("reports")
    page.goto(url + f"/console/bans?comment={ids['links']}")
    collect("ban form")
    page.click("#ban-submit")  # no duration chosen: the form says so
    collect("ban form error")
    page.check('input[name="duration"][value="hours"]')
    page.fill('input[name="hours"]', "24")
    page.check('input[name="reject_past"]')
    page.click("#ban-submit")
    expect(page.locator("tr.ban-row")).to_have_count(2)
    collect("bans")
    page.goto(url + "/console/words?site=1")
    page.fill('#add-word input[name="term"]', "特殊服务")
    page.click('#add-word button[type="submit"]')
    expect(page.locator(".word-exists")).to_be_visible()
    collect("words: duplicate")
    page.goto(url + "/console/words?site=1")
    page.fill('#add-word input[name="term"]', "菠菜网")
    page.select_option('#add-word select[name="category"]', "gambling")
    page.click('#add-word button[type="submit"]')
    collect("words: added")
    page.goto(url + "/console/words?site=1")
    page.fill('#test-form textarea[name="text"]', "加我微信 abc12345 便宜出售，兼职日赚三百")
    page.click('#test-form button[type="submit"]')
    expect(page.locator("#test-result .waiting")).to_be_visible()
    collect("words: waiting")
    run_worker()
    expect(page.locator('#test-result [data-state="done"]')).to_be_visible(timeout=20_000)
    collect("words: tested")
    page.goto(url + "/console/sites?site=1")
    collect("sites")
    page.fill("#setting-timezone", "Mars/Olympus")
    page.click('form.settings button[type="submit"]')
    expect(page.locator("#settings-error")).to_be_visible()
    collect("sites: error")
    page.fill("#setting-timezone", "")
    page.fill("#setting-max_links", "3")
    page.click('form.settings button[type="submit"]')
    collect("sites: saved")
    page.click("form[action$='/keys'] button")
    collect("sites: new key")
    page.goto(url + "/console/audit")
    collect("audit")
    page.goto(url + "/console/stats")
    collect("stats")
    page.goto(url + "/console/account")
    page.fill('input[name="name"]', "脚本")
    page.click("form[action$='/account/tokens'] button")
    collect("account")
    page.goto(url + "/console/users")
    page.fill('form[action$="/users"] input[name="username"]', "helper")
    page.click('form[action$="/users"] button[type="submit"]')
    collect("users")
    page.goto(url + "/console/bans?comment=99999")
    collect("error page")

    english = {name: _english_words(texts, user_words) for name, texts in seen.items()}
    untranslated = {name: words for name, words in english.items() if words}
    assert not untranslated, "\n".join(f"{name}: {words}" for name, words in untranslated.items())
    # The filters' reasons are there, in Chinese.
    every = " ".join(" ".join(texts) for texts in seen.values())
    for phrase in ("微信联系方式", "色情交易词「特殊服务」", "提及群体", "辱骂概率", "个链接（最多", "少于 2 个字符",
                   "封禁 #", "相同内容在", "广告：", "UTC+8"):
        assert phrase in every, phrase
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_language_chosen_at_sign_in_is_kept(app, live_server, browser):
    make_user(app, "chief", role="admin")
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/console/login")
        expect(page.locator("h1")).to_have_text("Moderato console")
        page.click('p.languages a[lang="zh-CN"]')
        expect(page.locator("h1")).to_have_text("Moderato 审核台")
        _sign_in(page, live_server.url)
        expect(page.locator("nav.top")).to_contain_text("待审队列")
        with app.extensions["moderato.db"].read() as session:
            assert session.scalar(select(User.language).where(User.username == "chief")) == "zh-CN"
        # Signed out and back in, in the same English browser: still Chinese.
        page.click("nav.top form button")
        expect(page.locator("h1")).to_have_text("Moderato 审核台")
        _sign_in(page, live_server.url)
        expect(page.locator("nav.top")).to_contain_text("待审队列")
        # Choosing on the sign-in form itself works too.
        page.click("nav.top form button")
        _sign_in(page, live_server.url, language="en")
        expect(page.locator("nav.top")).to_contain_text("Queue")
    finally:
        context.close()
