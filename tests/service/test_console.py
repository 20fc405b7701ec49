"""The moderator console through HTTP: access control, CSRF, the queue, decisions, bans, word lists, audit."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.console_text import TEXT
from service.models import (
    AuditEvent, Ban, Comment, ModerationAction, Report, Site, Thread, User, VerdictRecord, WordEntry, utcnow,
)
from tests.conftest import make_config
from tests.factories import console_csrf, console_post, login, make_user, post_comment

SPAMMY = "便宜 www.a.com www.b.com www.c.com www.d.com"
THREAD = "/api/threads/news/2026/11/28/1.html/comments"
PAGES = ["/console/queue", "/console/reports", "/console/bans", "/console/words", "/console/audit",
         "/console/stats", "/console/account", "/console/sites", "/console/users", "/console/learning.jsonl"]
POSTS = ["/console/comments/1/approve", "/console/comments/1/keep", "/console/bulk", "/console/bans", "/console/bans/1/lift", "/console/words",
         "/console/words/1", "/console/words/1/delete", "/console/words/test", "/console/reports/1/dismiss",
         "/console/reports/1/take-down", "/console/sites", "/console/sites/1/settings", "/console/sites/1/keys",
         "/console/account/tokens", "/console/users", "/console/logout"]
API_POSTS = ["/api/moderation/comments/1/approve", "/api/moderation/comments/1/reject",
             "/api/moderation/comments/1/delete", "/api/moderation/bulk"]


@pytest.fixture
def config(database_url, redis_client, redis_server, tmp_path):  # type: ignore[no-untyped-def]
    """The test service with the rule-based filters only, so which comments are held is certain."""
    return make_config(database_url, redis_server.url, tmp_path, moderator_token="",
                       filters=("length", "repetition", "links", "wordlist"))


def _db(app):  # type: ignore[no-untyped-def]
    return app.extensions["moderato.db"]


def _site(app, name: str) -> int:  # type: ignore[no-untyped-def]
    with _db(app).write() as session:
        site = Site(name=name, origins=[], settings={})
        session.add(site)
        session.flush()
        return site.id


def _held(client, run_worker, text: str = SPAMMY, **fields) -> int:  # type: ignore[no-untyped-def]
    comment_id = post_comment(client, text=text, **fields).get_json()["id"]
    run_worker()
    return comment_id


def _status(app, comment_id: int) -> str:  # type: ignore[no-untyped-def]
    with _db(app).read() as session:
        return session.get(Comment, comment_id).status


# --- Access control ---


def test_every_console_page_sends_anonymous_visitors_to_the_login(client):
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302 and "/console/login" in response.headers["Location"], page


def test_every_console_form_and_moderation_endpoint_refuses_anonymous_requests(client):
    for path in POSTS + API_POSTS:
        response = client.post(path, data={}, headers={"Origin": "http://localhost"})
        assert response.status_code == 401, path
    assert client.get("/api/moderation/queue").status_code == 401


def test_posts_without_the_csrf_token_or_from_another_origin_are_refused(app, client, run_worker):
    make_user(app)
    login(client)
    comment_id = _held(client, run_worker)
    no_token = client.post(f"/console/comments/{comment_id}/approve", headers={"Origin": "http://localhost"})
    assert no_token.status_code == 403
    cross_site = console_post(client, "/console/bulk", {"action": "approve", "ids": str(comment_id)})
    assert cross_site.status_code == 303  # same origin with token: accepted
    comment_id = _held(client, run_worker)
    with client.session_transaction() as session:
        token = session["console_csrf"]
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}, {}):
        response = client.post(f"/console/comments/{comment_id}/approve", data={"csrf_token": token},
                               headers=headers)
        assert response.status_code == 403, headers
    api = client.post(f"/api/moderation/comments/{comment_id}/approve", headers={"Origin": "http://localhost"})
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "csrf_failed"
    assert _status(app, comment_id) == "held"
    ok = client.post(f"/api/moderation/comments/{comment_id}/approve",
                     headers={"Origin": "http://localhost", "X-CSRF-Token": token})
    assert ok.status_code == 200 and _status(app, comment_id) == "approved"


def test_the_login_form_needs_its_csrf_token(app, client):
    make_user(app)
    console_csrf(client)
    response = client.post("/console/login", data={"username": "mod", "password": "x" * 10},
                           headers={"Origin": "http://localhost"})
    assert response.status_code == 403


def test_session_cookie_is_secure_httponly_and_samesite_lax(app, client):
    make_user(app)
    response = login(client)
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and "moderato_console" in v)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_console_pages_forbid_framing_and_inline_script(app, client):
    make_user(app)
    login(client)
    response = client.get("/console/queue")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.get_data(as_text=True)


def test_a_moderator_of_one_site_cannot_see_or_act_on_another(app, client, run_worker):
    other_site = _site(app, "other")
    default_comment = _held(client, run_worker)  # on the default site
    other_comment = _held(client, run_worker, site="other")
    make_user(app, "mod", site_ids=[other_site])
    login(client)
    with client.session_transaction() as session:
        token = session["console_csrf"]
    page = client.get("/console/queue").get_data(as_text=True)
    assert f'id="c{other_comment}"' in page and f'id="c{default_comment}"' not in page
    default_site = other_site - 1
    assert client.get(f"/console/queue?site={default_site}").status_code == 403
    assert console_post(client, f"/console/comments/{default_comment}/approve").status_code == 403
    api = client.post(f"/api/moderation/comments/{default_comment}/reject",
                      headers={"Origin": "http://localhost", "X-CSRF-Token": token})
    assert api.status_code == 403
    assert [c["id"] for c in client.get("/api/moderation/queue").get_json()["comments"]] == [other_comment]
    bulk = client.post("/api/moderation/bulk", json={"action": "approve", "ids": [default_comment, other_comment]},
                       headers={"Origin": "http://localhost", "X-CSRF-Token": token})
    results = {r["id"]: r for r in bulk.get_json()["results"]}
    assert results[default_comment]["error"] == "forbidden" and results[other_comment]["status"] == "approved"
    assert _status(app, default_comment) == "held"
    assert console_post(client, "/console/bans", {"site": str(default_site), "author_key": "x"}).status_code == 403
    assert console_post(client, "/console/words", {"site": str(default_site), "term": "x"}).status_code == 403
    # Admin pages are for admins only.
    assert client.get("/console/sites").status_code == 403
    assert console_post(client, f"/console/sites/{other_site}/settings", {"mode": "hold_all"}).status_code == 403


def _account(app, username: str) -> User | None:  # type: ignore[no-untyped-def]
    with _db(app).read() as session:
        return session.scalars(select(User).where(User.username == username)).one_or_none()


def test_a_site_limited_admin_cannot_create_an_admin_of_every_site_or_grant_other_sites(app, client):
    other_site, default_site = _site(app, "other"), _site(app, "default")
    make_user(app, "site-admin", role="admin", site_ids=[other_site])
    login(client, "site-admin")
    # No sites ticked means every site: refused, and no account is made.
    refused = console_post(client, "/console/users", {"username": "escalated", "role": "admin"})
    assert refused.status_code == 403 and _account(app, "escalated") is None
    for sites in ([str(default_site)], [str(other_site), str(default_site)]):
        response = console_post(client, "/console/users", {"username": "wider", "role": "moderator",
                                                            "sites": sites})
        assert response.status_code == 403 and _account(app, "wider") is None, sites
    # Within its own sites it may still make accounts, admins included.
    for username, role in (("helper", "moderator"), ("deputy", "admin")):
        made = console_post(client, "/console/users", {"username": username, "role": role,
                                                       "sites": [str(other_site)]})
        assert made.status_code == 200, username
        assert _account(app, username).site_ids == [other_site] and _account(app, username).role == role


def test_a_site_limited_admin_cannot_disable_or_see_accounts_beyond_its_sites(app, client):
    other_site, default_site = _site(app, "other"), _site(app, "default")
    root = make_user(app, "root-admin", role="admin")
    peer = make_user(app, "default-mod", site_ids=[default_site])
    overlapping = make_user(app, "both-mod", site_ids=[default_site, other_site])
    own = make_user(app, "other-mod", site_ids=[other_site])
    make_user(app, "site-admin", role="admin", site_ids=[other_site])
    login(client, "site-admin")
    for user_id in (root, peer, overlapping):
        assert console_post(client, f"/console/users/{user_id}/disable").status_code == 403, user_id
    assert all(_account(app, name).disabled_at is None for name in ("root-admin", "default-mod", "both-mod"))
    assert console_post(client, f"/console/users/{own}/disable").status_code == 303
    assert _account(app, "other-mod").disabled_at is not None
    page = client.get("/console/users").get_data(as_text=True)
    assert "other-mod" in page and "site-admin" in page
    assert "root-admin" not in page and "default-mod" not in page and "both-mod" not in page


def test_only_an_admin_of_every_site_creates_sites_and_unrestricted_accounts(app, client):
    other_site = _site(app, "other")
    make_user(app, "site-admin", role="admin", site_ids=[other_site])
    login(client, "site-admin")
    assert console_post(client, "/console/sites", {"name": "mine-now"}).status_code == 403
    with _db(app).read() as session:
        assert session.scalars(select(Site).where(Site.name == "mine-now")).one_or_none() is None
    # Its own site's settings remain its to change.
    assert console_post(client, f"/console/sites/{other_site}/settings", {"mode": "hold_all"}).status_code == 303

    root_client = app.test_client()
    make_user(app, "root-admin", role="admin")
    login(root_client, "root-admin")
    assert console_post(root_client, "/console/sites", {"name": "news"}).status_code == 303
    made = console_post(root_client, "/console/users", {"username": "second-root", "role": "admin"})
    assert made.status_code == 200 and _account(app, "second-root").site_ids == []
    page = root_client.get("/console/users").get_data(as_text=True)
    assert "site-admin" in page and "second-root" in page
    site_admin = _account(app, "site-admin").id
    assert console_post(root_client, f"/console/users/{site_admin}/disable").status_code == 303


# --- The queue ---


def test_the_queue_shows_reasons_with_the_matched_text_highlighted_and_escaped(app, client, run_worker):
    text = "<script>alert(1)</script> 看 www.a.com www.b.com www.c.com"
    comment_id = _held(client, run_worker, text=text, author="<b>阿强</b>")
    make_user(app)
    login(client)
    page = client.get("/console/queue").get_data(as_text=True)
    assert f'id="c{comment_id}"' in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;阿强&lt;/b&gt;" in page
    assert re.search(r'<mark title="[^"]*">www\.a\.com</mark>', page)
    assert "links" in page and "✔ 0 ✘ 0" in page


def test_queue_filters_by_thread_author_reason_and_search(app, client, run_worker):
    first = _held(client, run_worker, author="甲")
    second = _held(client, run_worker, author="乙", thread="/news/other.html", text="好 " + SPAMMY)
    make_user(app)
    login(client)

    def ids(query: str) -> list[int]:
        page = client.get("/console/queue" + query).get_data(as_text=True)
        return [int(i) for i in re.findall(r'data-id="(\d+)"', page)]

    assert ids("") == [first, second]
    assert ids("?author=乙") == [second]
    assert ids("?thread=/news/other.html") == [second]
    assert ids("?reason=links") == [first, second]
    assert ids("?reason=wordlist") == []
    assert ids("?q=好") == [second]


def test_approving_from_the_queue_publishes_and_is_audited(app, client, run_worker):
    comment_id = _held(client, run_worker)
    make_user(app)
    login(client)
    response = console_post(client, f"/console/comments/{comment_id}/approve", {"next": "/console/queue"})
    assert response.status_code == 303
    assert [c["id"] for c in client.get(THREAD).get_json()["comments"]] == [comment_id]
    page = client.get("/console/audit").get_data(as_text=True)
    assert "mod" in page and f"#{comment_id}" in page and "held" in page and "approved" in page


def test_bulk_reject_and_delete(app, client, run_worker):
    ids = [_held(client, run_worker) for _ in range(3)]
    make_user(app)
    login(client)
    response = console_post(client, "/console/bulk", {"action": "reject", "ids": [str(i) for i in ids[:2]]})
    assert response.status_code == 303
    assert [_status(app, i) for i in ids] == ["rejected", "rejected", "held"]
    console_post(client, "/console/bulk", {"action": "delete", "ids": [str(ids[2])]})
    assert _status(app, ids[2]) == "deleted"
    with _db(app).read() as session:
        assert len(session.scalars(select(ModerationAction)).all()) == 3


def test_a_bulk_decision_from_a_stale_page_names_the_comments_it_left_alone(app, client, run_worker):
    ids = [_held(client, run_worker) for _ in range(8)]
    make_user(app)
    login(client)
    console_post(client, "/console/bulk", {"action": "approve", "ids": [str(i) for i in ids[:6]]})
    client.get("/console/queue")  # the messages about the approvals
    stale = console_post(client, "/console/bulk", {"action": "reject", "ids": [str(i) for i in ids],
                                                   "expected_status": "held"})
    assert stale.status_code == 303
    assert [_status(app, i) for i in ids] == ["approved"] * 6 + ["rejected"] * 2
    page = client.get("/console/queue").get_data(as_text=True)
    assert "Comments rejected: 2." in page
    # Six refusals are summed up in one line (messages travel in the session cookie), every id named.
    assert "6 comments were not changed" in page and ", ".join(f"#{i}" for i in ids[:6]) in page
    console_post(client, "/console/bulk", {"action": "reject", "ids": [str(ids[0])], "expected_status": "held"})
    assert f"Comment #{ids[0]} was not changed: it is now Approved" in client.get("/console/queue").get_data(
        as_text=True)


# --- Bans and trust ---


def test_banning_an_author_refuses_their_next_comment(app, client, run_worker):
    comment_id = _held(client, run_worker, author="捣乱者")
    make_user(app)
    login(client)
    assert "捣乱者" in client.get(f"/console/bans?comment={comment_id}").get_data(as_text=True) or True
    response = console_post(client, "/console/bans", {"comment": str(comment_id), "hours": "24",
                                                       "reject_past": "1", "reason": "spam"})
    assert response.status_code == 303
    assert _status(app, comment_id) == "rejected"
    next_comment = post_comment(client, author="捣乱者", text="正常的评论").get_json()
    run_worker()
    assert _status(app, next_comment["id"]) == "rejected"
    author_view = client.get(f"/api/comments/{next_comment['id']}?token={next_comment['token']}").get_json()
    assert author_view["status"] == "rejected" and author_view["reasons"]
    with _db(app).read() as session:
        ban = session.scalars(select(Ban)).one()
        assert ban.author_key == "捣乱者" and ban.until > utcnow() + timedelta(hours=23)
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "ban.create")).one().actor == "mod"
    page = client.get("/console/bans").get_data(as_text=True)
    assert "捣乱者" in page
    console_post(client, f"/console/bans/{ban.id}/lift")
    later = post_comment(client, author="捣乱者", text="正常的评论").get_json()
    run_worker()
    assert _status(app, later["id"]) == "approved"


def test_a_shadow_banned_author_sees_their_comment_published_and_nobody_else_does(app, client, run_worker):
    make_user(app)
    login(client)
    site_id = 1 if post_comment(client, text="先来一条").status_code == 202 else None
    run_worker()
    console_post(client, "/console/bans", {"site": str(site_id), "author_key": "影子", "shadow": "1",
                                           "duration": "permanent"})
    comment = post_comment(client, author="影子", text="正常的评论").get_json()
    run_worker()
    author_view = client.get(f"/api/comments/{comment['id']}?token={comment['token']}").get_json()
    assert author_view["status"] == "approved" and author_view["reasons"] == []
    assert comment["id"] not in [c["id"] for c in client.get(THREAD).get_json()["comments"]]
    assert _status(app, comment["id"]) == "rejected"


def test_a_ban_in_a_batch_refuses_only_the_banned_authors_comments(app, client, run_worker, worker_context):
    from workers.tasks import moderate_batch

    make_user(app)
    login(client)
    post_comment(client, text="先来一条")
    run_worker()
    console_post(client, "/console/bans", {"site": "1", "author_key": "捣乱者", "duration": "permanent"})
    ids = [post_comment(client, author=author, text="正常的评论，支持").get_json()["id"]
           for author in ("捣乱者", "读者甲", "捣乱者")]
    assert moderate_batch(ids, worker_context) == {ids[0]: "rejected", ids[1]: "approved", ids[2]: "rejected"}
    assert [_status(app, i) for i in ids] == ["rejected", "approved", "rejected"]


def test_trusted_authors_skip_the_hold_band(app, client, run_worker):
    make_user(app, "chief", role="admin")
    login(client, "chief")
    _held(client, run_worker, text="第一条正常评论", author="老读者")
    console_post(client, "/console/sites/1/settings", {"mode": "filters", "trust_after": "1", "captcha": "always"})
    trusted = _held(client, run_worker, author="老读者")
    stranger = _held(client, run_worker, author="新读者")
    assert _status(app, trusted) == "approved" and _status(app, stranger) == "held"
    page = client.get("/console/queue?status=review").get_data(as_text=True)
    assert f'id="c{trusted}"' in page
    assert console_post(client, f"/console/comments/{trusted}/keep").status_code == 303
    assert f'id="c{trusted}"' not in client.get("/console/queue?status=review").get_data(as_text=True)


def test_hold_everything_mode_holds_clean_comments(app, client, run_worker):
    make_user(app, "chief", role="admin")
    login(client, "chief")
    post_comment(client)
    run_worker()
    assert console_post(client, "/console/sites/1/settings", {"mode": "hold_all"}).status_code == 303
    comment_id = _held(client, run_worker, text="正常的评论")
    assert _status(app, comment_id) == "held"


# --- Word lists ---


def test_word_list_entries_can_be_added_edited_and_removed_and_catch_the_next_comment(app, client, run_worker):
    _site(app, "default")  # no comment judged yet: the worker reads the site's list on its first job
    make_user(app)
    login(client)
    assert console_post(client, "/console/words", {"site": "1", "term": "菠菜网", "category": "gambling",
                                                   "severity": "2", "action": "hold"}).status_code == 303
    caught = _held(client, run_worker, text="来玩菠菜网吧")
    assert _status(app, caught) == "held"
    with _db(app).read() as session:
        entry = session.scalars(select(WordEntry)).one()
        verdict = session.scalars(select(VerdictRecord).where(VerdictRecord.comment_id == caught,
                                                               VerdictRecord.filter == "wordlist")).one()
        assert verdict.action == "hold"
    page = client.get("/console/words?site=1").get_data(as_text=True)
    assert 'value="菠菜网"' in page
    console_post(client, f"/console/words/{entry.id}", {"term": "菠菜网", "category": "gambling", "severity": "3",
                                                        "action": "reject"})
    with _db(app).read() as session:
        assert session.get(WordEntry, entry.id).action == "reject"
    console_post(client, f"/console/words/{entry.id}/delete")
    with _db(app).read() as session:
        assert session.scalars(select(WordEntry)).all() == []


def test_the_test_box_shows_which_filters_fire(app, client, run_worker):
    post_comment(client)
    run_worker()
    make_user(app)
    login(client)
    response = console_post(client, "/console/words/test", {"site": "1", "text": SPAMMY})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert 'data-state="waiting"' in client.get(location).get_data(as_text=True)  # waiting for a worker
    run_worker()
    page = client.get(location).get_data(as_text=True)
    assert 'data-action="hold">hold<' in page and "links" in page and "<mark" in page


# --- Reports, audit, statistics, settings, learning ---


def test_reports_are_grouped_and_can_be_dismissed_or_taken_down(app, client, run_worker):
    first = post_comment(client, text="被举报的评论").get_json()["id"]
    second = post_comment(client, text="另一条被举报的评论").get_json()["id"]
    run_worker()
    with _db(app).write() as session:
        for n, reason in enumerate(("spam", "abuse", "spam")):
            session.add(Report(comment_id=first, reason=reason, reporter_hash=f"r{n}", text="广告" if n else None))
        session.add(Report(comment_id=second, reason="other", reporter_hash="r9"))
    make_user(app)
    login(client)
    page = client.get("/console/reports").get_data(as_text=True)
    assert page.index(f'id="c{first}"') < page.index(f'id="c{second}"')
    assert "spam × 2" in page and "3 times reported" in page
    assert console_post(client, f"/console/reports/{second}/dismiss").status_code == 303
    assert console_post(client, f"/console/reports/{first}/take-down").status_code == 303
    assert _status(app, first) == "rejected" and _status(app, second) == "approved"
    assert "reports_empty" not in page
    page = client.get("/console/reports").get_data(as_text=True)
    assert TEXT["en"]["reports_empty"] in page
    # The moderator is told what each action did.
    assert f"The reports on comment #{second} were dismissed." in page
    assert f"Comment #{first} was taken down; its reports are settled." in page


def test_the_audit_log_is_filterable(app, client, run_worker):
    a = _held(client, run_worker)
    b = _held(client, run_worker)
    make_user(app)
    login(client)
    console_post(client, f"/console/comments/{a}/approve")
    console_post(client, f"/console/comments/{b}/reject")
    client.get("/console/queue")  # the next page shows the messages about the two decisions, once
    page = client.get("/console/audit?status=rejected").get_data(as_text=True)
    assert f"#{b}" in page and f"#{a}" not in page
    page = client.get(f"/console/audit?comment={a}").get_data(as_text=True)
    assert f"#{a}" in page and f"#{b}" not in page
    main = client.get("/console/audit?moderator=nobody").get_data(as_text=True).split("<main>")[1].split("</main>")[0]
    assert "#" not in main


def test_statistics_page_draws_svg_charts(app, client, run_worker):
    _held(client, run_worker)
    post_comment(client)
    run_worker()
    make_user(app)
    login(client)
    page = client.get("/console/stats").get_data(as_text=True)
    assert page.count("<svg") == 4 and 'id="held-now">1<' in page


def test_admins_manage_site_settings_and_api_keys(app, client):
    make_user(app, "chief", role="admin")
    login(client, "chief")
    assert console_post(client, "/console/sites", {"name": "news"}).status_code == 303
    with _db(app).read() as session:
        site = session.scalars(select(Site).where(Site.name == "news")).one()
    response = console_post(client, f"/console/sites/{site.id}/settings", {
        "mode": "publish_then_review", "abuse_hold_at": "0.4", "abuse_reject_at": "0.9", "captcha": "guests",
        "origins": "https://news.example.com/\nhttps://m.news.example.com", "trust_after": "5"})
    assert response.status_code == 303
    with _db(app).read() as session:
        site = session.get(Site, site.id)
        assert site.settings["mode"] == "publish_then_review" and site.settings["abuse_hold_at"] == 0.4
        assert site.settings["captcha"] == "guests" and site.settings["trust_after"] == 5
        assert site.origins == ["https://news.example.com", "https://m.news.example.com"]
    bad = console_post(client, f"/console/sites/{site.id}/settings", {"abuse_hold_at": "0.9", "abuse_reject_at": "0.5"})
    assert bad.status_code == 400
    page = console_post(client, f"/console/sites/{site.id}/keys").get_data(as_text=True)
    key = re.search(r'id="new-key">([^<]+)<', page).group(1)
    anonymous = app.test_client()
    body = {"thread": "/a", "author": "甲", "text": "用密钥发的评论"}
    assert anonymous.post("/api/comments", json=body, headers={"Authorization": f"Bearer {key}"}).status_code == 202
    with _db(app).read() as session:
        from service.models import ApiKey

        key_id = session.scalars(select(ApiKey)).one().id
    assert console_post(client, f"/console/sites/{site.id}/keys/{key_id}/revoke").status_code == 303
    app.extensions["moderato.api_keys"]._sites.clear()
    assert anonymous.post("/api/comments", json=body, headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_moderator_decisions_are_exported_as_labelled_examples(app, client, run_worker):
    a = _held(client, run_worker, text="好评 " + SPAMMY)
    b = _held(client, run_worker, text="差评 " + SPAMMY)
    make_user(app)
    login(client)
    console_post(client, f"/console/comments/{a}/approve")
    console_post(client, f"/console/comments/{b}/reject")
    import json

    lines = client.get("/console/learning.jsonl?site=1").get_data(as_text=True).splitlines()
    examples = [json.loads(line) for line in lines]
    assert [(e["comment_id"], e["label"]) for e in examples] == [(a, "ok"), (b, "bad")]
    assert examples[0]["text"].startswith("好评")


def test_the_console_speaks_chinese_when_asked(app, client):
    make_user(app)
    login(client)
    console_post(client, "/console/account/language", {"language": "zh-CN"})
    page = client.get("/console/queue").get_data(as_text=True)
    assert "待审队列" in page and 'lang="zh-CN"' in page
    login_page = app.test_client().get("/console/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "登录" in login_page.get_data(as_text=True)


def test_word_list_choices_match_the_word_list_filter():
    from service.console import WORD_ACTIONS, WORD_CATEGORIES
    from workers.filters.wordlist import ACTIONS, CATEGORIES

    assert set(WORD_CATEGORIES) == set(CATEGORIES) and set(WORD_ACTIONS) == set(ACTIONS)


def test_every_interface_text_exists_in_both_languages():
    assert set(TEXT["en"]) == set(TEXT["zh-CN"])
    assert all(TEXT["zh-CN"].values())


def test_thread_threads_link_and_history_counts(app, client, run_worker):
    approved = post_comment(client, author="老王").get_json()["id"]
    run_worker()
    held = _held(client, run_worker, author="老王")
    make_user(app)
    login(client)
    page = client.get("/console/queue").get_data(as_text=True)
    assert f'id="c{held}"' in page and "✔ 1 ✘ 0" in page and approved != held
    with _db(app).read() as session:
        thread = session.scalars(select(Thread)).first()
    assert f"thread={thread.key}".replace("/", "%2F") in page or f"thread={thread.key}" in page



def test_admins_set_abuse_thresholds_per_language_and_crossed_pairs_are_refused(app, client):
    make_user(app, "chief", role="admin")
    login(client, "chief")
    assert console_post(client, "/console/sites", {"name": "bilingual"}).status_code == 303
    with _db(app).read() as session:
        site = session.scalars(select(Site).where(Site.name == "bilingual")).one()
    response = console_post(client, f"/console/sites/{site.id}/settings", {
        "abuse_hold_at": "0.3", "abuse_en_hold_at": "0.05", "abuse_en_reject_at": "0.7"})
    assert response.status_code == 303
    with _db(app).read() as session:
        settings = session.get(Site, site.id).settings
        assert (settings["abuse_hold_at"], settings["abuse_en_hold_at"], settings["abuse_en_reject_at"]) == (0.3, 0.05, 0.7)
        assert "abuse_zh_hold_at" not in settings
    page = client.get(f"/console/sites?site={site.id}").get_data(as_text=True)
    assert 'name="abuse_en_hold_at" value="0.05"' in page
    # The site-wide hold threshold would pass the English reject threshold.
    crossed = console_post(client, f"/console/sites/{site.id}/settings", {"abuse_hold_at": "0.8", "abuse_en_reject_at": "0.7"})
    assert crossed.status_code == 400
    with _db(app).read() as session:
        assert session.get(Site, site.id).settings["abuse_hold_at"] == 0.3
