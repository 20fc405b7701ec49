"""axe-core scans (serious and critical violations fail) of the widget in zh-CN, zh-TW and en, and of every
console page in zh-CN and en: headless Chromium, the real service."""
from __future__ import annotations

import pytest

from service.demo import DEMO_THREAD
from tests.browser.axe import describe, scan
from tests.conftest import MODERATOR_TOKEN
from tests.factories import post_comment

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

MOD = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}
WIDGET = f'[data-moderato-thread="{DEMO_THREAD}"]'


@pytest.fixture
def axe_context(browser):  # type: ignore[no-untyped-def]
    """Return a browser context that lets Playwright inject axe-core under the pages' strict CSP."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1000, "height": 900}, bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def _published(client, **fields) -> int:  # type: ignore[no-untyped-def]
    comment_id = post_comment(client, thread=DEMO_THREAD, **fields).get_json()["id"]
    assert client.post(f"/api/moderation/comments/{comment_id}/approve", headers=MOD).status_code == 200
    return comment_id


@pytest.mark.parametrize(("lang", "width", "theme"), [("zh-CN", 1000, "light"), ("zh-TW", 1000, "light"),
                                                     ("en", 1000, "light"), ("zh-CN", 390, "light"),
                                                     ("zh-TW", 390, "light"), ("en", 390, "light"),
                                                     ("zh-CN", 1000, "dark")])
def test_the_widget_has_no_serious_accessibility_violations(lang, width, theme, axe_context, live_server, client):
    top = _published(client, author="老张", text="第一条评论[赞]")
    _published(client, author="小李", text="回复老张", parent=top)
    _published(client, author="小王", text="另一条 https://example.com/a")
    page = axe_context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    query = {"zh-TW": "?lang=zh-TW"}.get(lang, "") + ("?theme=dark" if theme == "dark" else "")
    page.goto(live_server.url + "/" + query)
    if lang == "en":
        page.evaluate("document.documentElement.lang = 'en'")
    host = page.locator(WIDGET)
    expect(host.locator("ul.list li.c")).to_have_count(3)
    expect(host.locator("div.m")).to_have_attribute("lang", lang)
    # The states a reader meets: the emoji picker and a report form open, the reply banner, an error shown.
    host.locator("button[aria-controls=m-emo]").click()
    host.locator(f"li[data-id='{top}'] > .acts button[aria-expanded]").last.click()
    host.locator(f"li[data-id='{top}'] > .acts button").nth(1).click()
    host.locator("form.post button[type=submit]").click()
    expect(host.locator("form.post .err")).to_be_visible()
    violations = scan(page, WIDGET)
    assert violations == [], describe(violations)


@pytest.fixture
def console_config(database_url, redis_client, redis_server, tmp_path):  # type: ignore[no-untyped-def]
    """Plain HTTP on 127.0.0.1, so the session cookie is not Secure; the rule-based filters only."""
    from tests.conftest import make_config

    return make_config(database_url, redis_server.url, tmp_path, session_cookie_secure=False,
                       filters=("length", "repetition", "links", "wordlist"))


CONSOLE_PAGES = ["/console/queue", "/console/queue?status=pending", "/console/reports", "/console/bans",
                 "/console/bans?comment={held}", "/console/words", "/console/audit", "/console/stats",
                 "/console/sites", "/console/account", "/console/users", "/console/queue?status=bogus",
                 "/console/author?site=1&key=小明", "/console/queue?status=approved"]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_console_page_has_no_serious_accessibility_violations(lang, console_config, axe_context, run_worker):
    from dataclasses import replace

    from sqlalchemy import update

    from service.app import create_app
    from service.models import User
    from tests.browser.conftest import LiveServer
    from tests.factories import CONSOLE_PASSWORD, make_user

    app = create_app(replace(console_config))
    client = app.test_client()
    server = LiveServer(app).start()
    try:
        make_user(app, "chief", role="admin")
        with app.extensions["moderato.db"].write() as session:
            session.execute(update(User).values(language=lang))
        held = post_comment(client, text="便宜 www.a.com www.b.com www.c.com www.d.com").get_json()["id"]
        published = post_comment(client, text="这篇报道写得很好[赞]").get_json()["id"]
        run_worker()
        client.post(f"/api/moderation/comments/{published}/approve", headers=MOD)
        client.post(f"/api/comments/{published}/reports", json={"reason": "spam", "text": "广告"})

        page = axe_context.new_page()
        page.goto(f"{server.url}/console/login?lang={lang}")
        found = {"/console/login": scan(page)}
        page.fill('input[name="username"]', "chief")
        page.fill('input[name="password"]', CONSOLE_PASSWORD)
        page.click('button[type="submit"]')
        expect(page).to_have_url(server.url + "/console/queue")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        for path in CONSOLE_PAGES:
            path = path.format(held=held)
            page.goto(server.url + path)
            page.wait_for_load_state()
            found[path] = scan(page)
        page.goto(server.url + "/console/queue")
        page.keyboard.press("?")  # the shortcut dialog, open
        found["/console/queue (shortcuts)"] = scan(page)
        bad = {path: v for path, v in found.items() if v}
        assert not bad, "\n".join(f"{path}\n{describe(v)}" for path, v in bad.items())
    finally:
        server.stop()
        app.extensions["moderato.db"].dispose()


def test_the_no_javascript_page_has_no_serious_accessibility_violations(axe_context, live_server, client):
    top = _published(client, author="老张", text="第一条评论[赞]")
    page = axe_context.new_page()
    page.goto(f"{live_server.url}/demo/plain?report={top}#c{top}")
    violations = scan(page)
    page.goto(f"{live_server.url}/demo/plain?reply={top}#post")
    violations += scan(page)
    assert violations == [], describe(violations)
