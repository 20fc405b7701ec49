"""The demo news site: article pages with the comment widget under them, and a plain no-JavaScript form."""
from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from functools import lru_cache

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from service.comments import comment_status, parse_submission, submit_comment, thread_page
from service.db import get_db
from service.exceptions import ModeratoError, ThreadNotFound
from service.identity import sign_reader
from service.keys import hash_ip
from service.payload import parse_int
from service.redis_conn import get_redis
from service.sites import DEFAULT_SITE, get_or_create_site

demo = Blueprint("demo", __name__)

DEMO_THREAD = "/news/2026/11/28/demo-article.html"
DEMO_TITLE = "城市更新进入新阶段：老旧小区改造惠及百万居民"
# What a host page needs for the widget: its script and API on the service's origin, the captcha image as a
# data: URL, the spoken captcha from the service. The demo is its own host, so 'self' covers all of them.
DEMO_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
            "media-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
DEMO_READER = ("reader-1001", "读者小王")


@dataclass(frozen=True)
class Article:
    """A demo news article."""

    thread: str
    title: str
    channel: str
    meta: str
    paragraphs: tuple[str, ...]


ARTICLES = {
    DEMO_THREAD: Article(
        DEMO_THREAD, DEMO_TITLE, "社会", "2026年11月28日 09:30 · 来源：示例新闻网 · 记者 王晓",
        (
            "记者从市住房和城乡建设委员会获悉，今年本市计划改造老旧小区三百余个，涉及居民楼两千余栋，预计惠及居民"
            "超过一百万人。改造内容包括加装电梯、更换老化管网、增设停车位和充电桩等。",
            "“过去上下楼要歇好几次，现在电梯装好了，出门方便多了。”家住东城区某小区的李阿姨告诉记者。据介绍，改造"
            "过程中，街道和社区多次召开居民议事会，充分听取居民意见。",
            "专家表示，老旧小区改造不仅改善了居住条件，也带动了相关产业投资。下一步，本市将探索建立长效管理机制，"
            "让改造成果持续惠及居民。",
        ),
    ),
    "/news/2026/11/29/metro-line.html": Article(
        "/news/2026/11/29/metro-line.html", "地铁新线今日开通试运营 沿线居民通勤时间缩短三成", "城市",
        "2026年11月29日 07:00 · 来源：示例新闻网 · 记者 陈静",
        (
            "今天上午六时，地铁新线正式开通试运营。新线全长三十二公里，设车站二十四座，串联起城市东部多个大型居住区"
            "和产业园区。",
            "首班车上，不少乘客拿出手机拍照留念。“以前坐公交换乘要一个半小时，现在不到一小时就能到单位。”在园区工作"
            "的张先生说。",
            "运营公司表示，试运营期间将根据客流情况动态调整发车间隔，早晚高峰最小间隔为三分钟。",
        ),
    ),
}


@lru_cache(maxsize=1)
def _to_traditional():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("s2t").convert


def _localise(text: str, lang: str) -> str:
    return _to_traditional()(text) if lang == "zh-TW" else text


def _csp(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = DEMO_CSP
    return response


def _from_this_machine() -> bool:
    """Tell whether the request came from a loopback address (after any trusted proxies)."""
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _article_page(article: Article) -> Response:
    lang = "zh-TW" if request.args.get("lang") == "zh-TW" else "zh-CN"
    token = None
    # Only for a browser on this machine: a signed reader is spared the captcha where the default site's
    # policy is "guests", so a demo sign-in open to the network would open the site to scripts.
    login = request.args.get("login") == "1" and _from_this_machine()
    if login:
        # What a host site does for its signed-in reader: sign id, name and expiry with the site's secret.
        site = get_or_create_site(get_db(), DEFAULT_SITE)
        token = sign_reader(site.secret or "", DEMO_READER[0], DEMO_READER[1], int(time.time()) + 3600)
    others = [a for a in ARTICLES.values() if a.thread != article.thread]
    html = render_template(
        "demo.html", article=article, lang=lang, t=lambda s: _localise(s, lang), token=token,
        login=login, reader=DEMO_READER[1], others=others,
        max_length=current_app.extensions["moderato.config"].max_comment_length,
    )
    return _csp(current_app.make_response(html))


@demo.get("/")
def article() -> Response:
    """Show the demo article with the comment widget under it."""
    return _article_page(ARTICLES[DEMO_THREAD])


@demo.get("/news/<int:year>/<int:month>/<int:day>/<slug>.html")
def other_article(year: int, month: int, day: int, slug: str) -> Response:
    """Show another demo article (its own thread)."""
    article = ARTICLES.get(f"/news/{year}/{month:02d}/{day:02d}/{slug}.html")
    if article is None:
        abort(404)
    return _article_page(article)


def _render_plain(error: str | None = None, form: dict | None = None, status_code: int = 200) -> Response:
    config = current_app.extensions["moderato.config"]
    site = get_or_create_site(get_db(), DEFAULT_SITE)
    with get_db().read() as session:
        try:
            page = thread_page(session, site.id, DEMO_THREAD, None, 50)
        except ThreadNotFound:
            page = {"comments": [], "total": 0}
        posted = None
        if request.args.get("posted") and request.args.get("token"):
            try:
                posted = comment_status(session, parse_int(request.args["posted"], "posted"), request.args["token"])
            except ModeratoError:
                posted = None
    challenge = current_app.extensions["moderato.captcha"].create()
    html = render_template(
        "demo_plain.html", thread=DEMO_THREAD, title=DEMO_TITLE, page=page, captcha=challenge, error=error,
        form=form or {}, posted=posted, max_length=config.max_comment_length,
    )
    return _csp(current_app.make_response((html, status_code)))


@demo.get("/demo/plain")
def plain() -> Response:
    """Show the demo article with a server-rendered comment form, for readers without JavaScript."""
    return _render_plain()


@demo.post("/demo/comments")
def post_from_form() -> Response:
    """Accept the plain form's comment and come back to the article (POST/redirect/GET)."""
    config = current_app.extensions["moderato.config"]
    form = request.form.to_dict()
    form["thread"] = DEMO_THREAD
    form["thread_title"] = DEMO_TITLE
    try:
        submission = parse_submission(form, config)
        site = get_or_create_site(get_db(), DEFAULT_SITE)
        current_app.extensions["moderato.closed_threads"].refuse_if_closed(get_db(), site.id, submission.thread)
        current_app.extensions["moderato.captcha"].verify(form.get("captcha_id", ""), form.get("captcha_answer", ""))
        comment, token = submit_comment(get_db(), current_app.extensions["moderato.batcher"], site, submission,
                                        hash_ip(config.secret_key, request.remote_addr),
                                        current_app.extensions["moderato.thread_ids"])
    except ModeratoError as err:
        return _render_plain(error=err.message, form=form, status_code=err.status)
    return redirect(url_for("demo.plain", posted=comment.id, token=token) + "#comments", code=303)
