"""The demo news site: article pages with the comment widget under them, and a plain no-JavaScript form."""
from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from service.comments import comment_status, parse_submission, submit_comment, thread_page
from service.db import get_db
from service.emoticons import emoticon_parts
from service.exceptions import AlreadyReported, ModeratoError, ThreadNotFound
from service.identity import sign_reader
from service.keys import hash_ip
from service.payload import parse_int
from service.redis_conn import get_redis
from service.reports import ReportRateLimit, file_report, parse_report
from service.signals import comment_reported
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


# The plain page speaks the reader's language, never the service's developer messages (zh-CN: the demo
# article is in Simplified Chinese). Codes are the exceptions' (service/exceptions.py).
PLAIN_ERRORS = {
    "captcha_invalid": "验证码错误或已过期，请重新输入。",
    "missing_field": "请填写{field}。",
    "field_too_long": "{field}太长了（最多 {max_length} 字）。",
    "invalid_field": "{field}格式不正确。",
    "thread_closed": "本文评论已关闭，不能再发表评论。",
    "rate_limited": "操作太频繁，请稍后再试。",
    "already_reported": "您已经举报过这条评论。",
    "comment_not_found": "评论不存在或已被删除。",
    "parent_in_other_thread": "评论不存在或已被删除。",
    "service_unavailable": "服务暂时不可用，请稍后再试。",
}
PLAIN_FIELDS = {"author": "昵称", "text": "评论内容", "email": "邮箱", "captcha_answer": "验证码", "reason": "举报原因",
                "parent": "回复的评论"}
PLAIN_OTHER_ERROR = "出错了，请稍后再试。"
REPORT_REASONS = (("spam", "垃圾广告"), ("abuse", "辱骂攻击"), ("other", "其他"))
# Readers of a Chinese news site read Beijing time; China has had one offset and no summer time since 1991.
try:
    BEIJING: tzinfo = ZoneInfo("Asia/Shanghai")
except ZoneInfoNotFoundError:  # a system without the time zone database
    BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def plain_error(err: ModeratoError) -> str:
    """Return a reader's sentence, in Chinese, for an error of the plain page's forms."""
    template = PLAIN_ERRORS.get(err.code, PLAIN_OTHER_ERROR)
    field = PLAIN_FIELDS.get(str(err.details.get("field", "")), "内容")
    return template.format(field=field, max_length=err.details.get("max_length", ""))


def beijing_time(value: str | datetime) -> str:
    """Return a stored UTC time as Beijing wall-clock time, "2026-11-28 17:30"."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


demo.add_app_template_filter(emoticon_parts, "emoticons")
demo.add_app_template_filter(beijing_time, "beijing_time")


def _find(nodes: list[dict[str, Any]], comment_id: int | None) -> dict[str, Any] | None:
    for node in nodes:
        if node["id"] == comment_id:
            return node
        found = _find(node["replies"], comment_id)
        if found is not None:
            return found
    return None


def _arg_id(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _render_plain(error: str | None = None, form: dict | None = None, status_code: int = 200,
                  reply: int | None = None, report: int | None = None, report_error: str | None = None) -> Response:
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
    reply_to = _find(page["comments"], reply)
    challenge = current_app.extensions["moderato.captcha"].create()
    reported = _arg_id("reported")
    html = render_template(
        "demo_plain.html", thread=DEMO_THREAD, title=DEMO_TITLE, page=page, captcha=challenge, error=error,
        form=form or {}, posted=posted, max_length=config.max_comment_length, reply_to=reply_to,
        report=report if _find(page["comments"], report) else None, report_error=report_error,
        reasons=REPORT_REASONS, reported=reported, already=request.args.get("already") == "1",
    )
    return _csp(current_app.make_response((html, status_code)))


@demo.get("/demo/plain")
def plain() -> Response:
    """Show the demo article with a server-rendered comment form, for readers without JavaScript.

    `?reply=<id>` opens the comment form under that comment, `?report=<id>` a report form under it.
    """
    return _render_plain(reply=_arg_id("reply"), report=_arg_id("report"))


@demo.post("/demo/comments")
def post_from_form() -> Response:
    """Accept the plain form's comment or reply and come back to the article (POST/redirect/GET)."""
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
        parent = form.get("parent", "")
        return _render_plain(error=plain_error(err), form=form, status_code=err.status,
                             reply=int(parent) if parent.isdigit() and len(parent) < 19 else None)
    return redirect(url_for("demo.plain", posted=comment.id, token=token) + "#comments", code=303)


@demo.post("/demo/comments/<int:comment_id>/reports")
def report_from_form(comment_id: int) -> Response:
    """Accept the plain page's report of a comment: one per reader, a few per hour, as from the widget."""
    config = current_app.extensions["moderato.config"]
    ip_hash = hash_ip(config.secret_key, request.remote_addr)
    try:
        submission = parse_report(request.form.to_dict())
        ReportRateLimit(get_redis(), config.reports_per_hour).hit(ip_hash)
        report = file_report(get_db(), get_or_create_site(get_db(), DEFAULT_SITE), comment_id, submission,
                             ip_hash or "unknown")
    except AlreadyReported:
        return redirect(url_for("demo.plain", reported=comment_id, already=1) + f"#c{comment_id}", code=303)
    except ModeratoError as err:
        return _render_plain(status_code=err.status, report=comment_id, report_error=plain_error(err))
    comment_reported.send(comment_id, comment_id=comment_id, report_id=report.id)
    return redirect(url_for("demo.plain", reported=comment_id) + f"#c{comment_id}", code=303)
