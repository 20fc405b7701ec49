"""The widget's server side: /embed.js, the per-site CORS allowlist, and the demo pages that embed it."""
from __future__ import annotations

import gzip
import shutil
import subprocess
from dataclasses import replace

import pytest

from sqlalchemy import select, update

from service.app import create_app
from service.models import Comment, Site
from service.sites import get_or_create_site
from tests.factories import comment_payload

PARTNER = "https://news.partner.example"
EVIL = "https://evil.example"
THREAD_PATH = "/api/threads/news/2026/11/28/1.html/comments"


def _allow(app, origins: list[str], name: str = "default") -> None:  # type: ignore[no-untyped-def]
    db = app.extensions["moderato.db"]
    get_or_create_site(db, name)
    with db.write() as session:
        session.execute(update(Site).where(Site.name == name).values(origins=origins))


def test_embed_js_is_one_cached_script_with_its_styles_inside(client):
    response = client.get("/embed.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    body = response.get_data(as_text=True)
    assert "__MODERATO_CSS__" not in body and ":host{all:initial" in body
    assert "public, max-age=" in response.headers["Cache-Control"] and response.headers["ETag"]
    again = client.get("/embed.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_embed_js_is_served_gzipped_within_the_30_kb_budget(client):
    response = client.get("/embed.js", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in response.headers["Vary"]
    assert len(response.data) < 30 * 1024
    assert gzip.decompress(response.data) == client.get("/embed.js").data


def test_embed_js_uses_no_eval_inline_styles_or_html_parsing():
    from service.widget import embed_script

    script = embed_script().decode()
    for forbidden in ("eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                      ".style.", "setAttribute(\"style\"", "cssText"):
        assert forbidden not in script, forbidden


def test_own_origin_gets_cors_headers_and_every_answer_varies_by_origin(client):
    response = client.get("/api/captcha", headers={"Origin": "http://localhost"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost"
    assert "Origin" in response.headers["Vary"]
    assert "Origin" in client.get("/api/captcha").headers["Vary"]


def test_an_unlisted_origin_may_read_nothing_and_write_nothing(client, app):
    read = client.get("/api/captcha", headers={"Origin": EVIL})
    assert read.status_code == 200 and "Access-Control-Allow-Origin" not in read.headers
    write = client.post("/api/comments", json=comment_payload(client), headers={"Origin": EVIL})
    assert write.status_code == 403 and write.get_json()["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in write.headers
    preflight = client.options("/api/comments", headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 403
    with app.extensions["moderato.db"].read() as session:
        assert session.scalars(select(Comment)).all() == []


def test_a_site_origin_is_allowed_to_preflight_post_and_read(client, app):
    _allow(app, [PARTNER + "/"])  # a trailing slash in the list is forgiven
    preflight = client.options("/api/comments", headers={
        "Origin": PARTNER, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"].lower() == "content-type, idempotency-key, x-moderato-session"
    posted = client.post("/api/comments", json=comment_payload(client), headers={"Origin": PARTNER})
    assert posted.status_code == 202 and posted.headers["Access-Control-Allow-Origin"] == PARTNER
    assert client.get(THREAD_PATH, headers={"Origin": PARTNER}).headers["Access-Control-Allow-Origin"] == PARTNER


def test_origins_are_per_site(client, app):
    _allow(app, [PARTNER], name="partner")
    payload = comment_payload(client, site="partner")
    refused = client.post("/api/comments", json=payload, headers={"Origin": PARTNER.replace("news", "blog")})
    assert refused.status_code == 403
    assert client.post("/api/comments", json=payload, headers={"Origin": PARTNER}).status_code == 202
    # The partner's origin is not allowed to act for the default site.
    default = client.post("/api/comments", json=comment_payload(client), headers={"Origin": PARTNER})
    assert default.status_code == 403
    unknown = client.get("/api/captcha?site=nope", headers={"Origin": PARTNER})
    assert "Access-Control-Allow-Origin" not in unknown.headers


def test_default_site_origins_come_from_the_configuration(config, client):
    app = create_app(replace(config, default_site_origins=(PARTNER,)))
    try:
        response = app.test_client().post("/api/comments", json=comment_payload(client), headers={"Origin": PARTNER})
        assert response.status_code == 202 and response.headers["Access-Control-Allow-Origin"] == PARTNER
    finally:
        app.extensions["moderato.db"].dispose()


def test_moderation_api_is_never_cross_origin(client, app):
    _allow(app, [PARTNER])
    response = client.get("/api/moderation/queue", headers={"Origin": PARTNER})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_demo_page_embeds_the_widget_under_a_strict_csp(client):
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert 'data-moderato-thread="/news/2026/11/28/demo-article.html"' in page
    assert '<script src="/embed.js" async></script>' in page and "<script>" not in page and "style=" not in page
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp
    assert 'href="/demo/plain"' in page  # the no-JavaScript fallback


def test_demo_traditional_switch_and_second_article(client):
    page = client.get("/?lang=zh-TW").get_data(as_text=True)
    assert '<html lang="zh-TW">' in page and "老舊小區" in page
    other = client.get("/news/2026/11/29/metro-line.html").get_data(as_text=True)
    assert 'data-moderato-thread="/news/2026/11/29/metro-line.html"' in other
    assert client.get("/news/2026/11/29/nothing.html").status_code == 404


def test_demo_signed_in_reader_gets_a_token_the_service_accepts(client, app):
    page = client.get("/?login=1").get_data(as_text=True)
    token = page.split('data-moderato-user-token="')[1].split('"')[0]
    response = client.post("/api/comments", json=comment_payload(client, author=None, user_token=token))
    assert response.status_code == 202


def test_the_demo_sign_in_is_only_for_a_browser_on_this_machine(client):
    # A signed reader may skip the captcha: handed to the network, the demo sign-in would open the site.
    remote = client.get("/?login=1", environ_base={"REMOTE_ADDR": "203.0.113.7"}).get_data(as_text=True)
    assert "data-moderato-user-token" not in remote
    local = client.get("/?login=1", environ_base={"REMOTE_ADDR": "::1"}).get_data(as_text=True)
    assert "data-moderato-user-token=" in local


def test_plain_form_still_works_without_javascript(client):
    page = client.get("/demo/plain")
    assert page.status_code == 200 and 'action="/demo/comments"' in page.get_data(as_text=True)
    form = {"author": "无脚本读者", "text": "不用 JavaScript 也能评论", **_captcha(client)}
    response = client.post("/demo/comments", data=form)
    assert response.status_code == 303 and response.headers["Location"].startswith("/demo/plain?posted=")


def _captcha(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from tests.factories import solve_captcha

    return solve_captcha(client)


def test_the_served_script_is_the_source_minified_and_still_parses(client, tmp_path):
    from service.widget import STATIC

    served = client.get("/embed.js").get_data(as_text=True)
    source = (STATIC / "embed.js").read_text(encoding="utf-8")
    # A comment of the source, and one of the stylesheet, are not sent; the reader's text tables are.
    assert "// Emoticons:" in source and "Emoticons:" not in served
    assert "/*" in (STATIC / "embed.css").read_text(encoding="utf-8") and "/*" not in served
    assert "还没有评论，来说两句吧。" in served
    assert len(served) < len(source)  # with the stylesheet inside it
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    (tmp_path / "embed.js").write_text(served, encoding="utf-8")
    subprocess.run([node, "--check", str(tmp_path / "embed.js")], check=True, timeout=30)
