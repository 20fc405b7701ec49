"""The demo article page: a news article with its comments and a plain, server-rendered comment form."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from service.comments import comment_status, parse_submission, submit_comment, thread_page
from service.db import get_db
from service.exceptions import ModeratoError, ThreadNotFound
from service.keys import hash_ip
from service.redis_conn import get_redis
from service.sites import DEFAULT_SITE, get_or_create_site

demo = Blueprint("demo", __name__)

DEMO_THREAD = "/news/2026/11/28/demo-article.html"
DEMO_TITLE = "城市更新进入新阶段：老旧小区改造惠及百万居民"


def _render(error: str | None = None, form: dict | None = None, status_code: int = 200) -> tuple[str, int]:
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
                posted = comment_status(session, int(request.args["posted"]), request.args["token"])
            except (ModeratoError, ValueError):
                posted = None
    challenge = current_app.extensions["moderato.captcha"].create()
    html = render_template(
        "demo.html", thread=DEMO_THREAD, title=DEMO_TITLE, page=page, captcha=challenge, error=error,
        form=form or {}, posted=posted, max_length=config.max_comment_length,
    )
    return html, status_code


@demo.get("/")
def article() -> tuple[str, int]:
    """Show the demo article with its approved comments and the comment form."""
    return _render()


@demo.post("/demo/comments")
def post_from_form() -> Response | tuple[str, int]:
    """Accept the demo form's comment and come back to the article (POST/redirect/GET)."""
    config = current_app.extensions["moderato.config"]
    form = request.form.to_dict()
    form["thread"] = DEMO_THREAD
    form["thread_title"] = DEMO_TITLE
    try:
        submission = parse_submission(form, config)
        current_app.extensions["moderato.captcha"].verify(form.get("captcha_id", ""), form.get("captcha_answer", ""))
        site = get_or_create_site(get_db(), DEFAULT_SITE)
        comment, token = submit_comment(get_db(), get_redis(), config, site, submission,
                                        hash_ip(config.secret_key, request.remote_addr),
                                        current_app.extensions["moderato.thread_ids"])
    except ModeratoError as err:
        return _render(error=err.message, form=form, status_code=err.status)
    return redirect(url_for("demo.article", posted=comment.id, token=token) + "#comments", code=303)
