"""The comment path end to end: captcha, 202, durable pending comment, worker decision, thread read."""
from __future__ import annotations

from sqlalchemy import select

from service.models import Comment, CommentStatus, VerdictRecord
from tests.factories import comment_payload, post_comment, solve_captcha


def test_comment_is_stored_pending_then_published_by_a_worker(client, app, run_worker):
    response = post_comment(client)
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "pending" and body["token"]
    with app.extensions["moderato.db"].read() as session:
        assert session.get(Comment, body["id"]).status == "pending"

    status = client.get(f"/api/comments/{body['id']}?token={body['token']}").get_json()
    assert status == {"id": body["id"], "status": "pending"}

    assert run_worker() == 1

    status = client.get(f"/api/comments/{body['id']}?token={body['token']}").get_json()
    assert status["status"] == "approved" and status["reasons"] == []
    thread = client.get("/api/threads/news/2026/11/28/1.html/comments").get_json()
    assert thread["total"] == 1
    assert thread["comments"][0]["text"] == "这篇报道写得很好，谢谢记者。"
    assert thread["comments"][0]["author"] == "小明"
    assert "email" not in thread["comments"][0]


def test_replies_are_nested_under_their_parents(client, run_worker):
    first = post_comment(client, text="第一条评论").get_json()["id"]
    run_worker()
    reply = post_comment(client, text="回复第一条", parent=first).get_json()["id"]
    run_worker()
    post_comment(client, text="回复的回复", parent=reply)
    post_comment(client, text="第二条评论")
    run_worker()
    page = client.get("/api/threads//news/2026/11/28/1.html/comments").get_json()
    assert page["total"] == 4
    assert [c["text"] for c in page["comments"]] == ["第一条评论", "第二条评论"]
    assert page["comments"][0]["replies"][0]["text"] == "回复第一条"
    assert page["comments"][0]["replies"][0]["replies"][0]["text"] == "回复的回复"


def test_thread_pages_follow_the_cursor(client, run_worker):
    for i in range(5):
        post_comment(client, text=f"评论 {i}")
    run_worker()
    first = client.get("/api/threads/news/2026/11/28/1.html/comments?limit=2").get_json()
    assert [c["text"] for c in first["comments"]] == ["评论 0", "评论 1"]
    assert first["total"] == 5 and first["next"]
    second = client.get(f"/api/threads/news/2026/11/28/1.html/comments?limit=2&after={first['next']}").get_json()
    assert [c["text"] for c in second["comments"]] == ["评论 2", "评论 3"]
    last = client.get(f"/api/threads/news/2026/11/28/1.html/comments?limit=2&after={second['next']}").get_json()
    assert [c["text"] for c in last["comments"]] == ["评论 4"] and last["next"] is None


def test_counts_cover_several_threads(client, run_worker):
    post_comment(client, thread="/a.html")
    post_comment(client, thread="/a.html", text="另一条")
    post_comment(client, thread="/b.html")
    run_worker()
    counts = client.get("/api/threads/counts?thread=/a.html&thread=/b.html&thread=/none.html").get_json()
    assert counts == {"counts": {"/a.html": 2, "/b.html": 1, "/none.html": 0}}


def test_a_job_run_twice_decides_once(client, app, run_worker, worker_context):
    from workers.tasks import moderate

    comment_id = post_comment(client).get_json()["id"]
    assert moderate(comment_id, worker_context) == "approved"
    assert moderate(comment_id, worker_context) == "approved"  # already decided: nothing changes
    run_worker()  # the queued job runs a third time
    with app.extensions["moderato.db"].read() as session:
        verdicts = session.scalars(select(VerdictRecord).where(VerdictRecord.comment_id == comment_id)).all()
        filters = [v.filter for v in verdicts]
    assert len(filters) == len(set(filters))  # one verdict per filter, not three


def test_held_comment_keeps_its_reasons_and_is_not_shown(client, app, run_worker):
    body = post_comment(client, text="加我 www.a.com www.b.com www.c.com 便宜").get_json()
    run_worker()
    status = client.get(f"/api/comments/{body['id']}?token={body['token']}").get_json()
    assert status["status"] in ("held", "rejected")
    with app.extensions["moderato.db"].read() as session:
        verdicts = session.scalars(select(VerdictRecord).where(VerdictRecord.comment_id == body["id"])).all()
        assert any(v.action in ("hold", "reject") and v.reasons for v in verdicts)
    assert client.get("/api/threads/news/2026/11/28/1.html/comments").get_json()["total"] == 0


def test_form_encoded_submission_is_accepted(client):
    data = comment_payload(client)
    response = client.post("/api/comments", data=data)
    assert response.status_code == 202


def test_text_is_stored_exactly_as_written(client, app):
    text = "<script>alert(1)</script> & 'quotes' \"double\" 😀 繁體"
    comment_id = post_comment(client, text=text).get_json()["id"]
    with app.extensions["moderato.db"].read() as session:
        assert session.get(Comment, comment_id).text == text


def test_status_needs_the_right_token(client):
    body = post_comment(client).get_json()
    assert client.get(f"/api/comments/{body['id']}?token=wrong").status_code == 404
    assert client.get(f"/api/comments/{body['id']}").status_code == 404


def test_api_key_replaces_the_captcha(client, app, config):
    from service.sites import create_api_key

    key = create_api_key(app.extensions["moderato.db"], "news-portal")
    payload = {"thread": "/x.html", "author": "后台导入", "text": "通过 API 导入的评论"}
    response = client.post("/api/comments", json=payload, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 202
    bad = client.post("/api/comments", json=payload, headers={"Authorization": "Bearer mdk_wrong"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "unauthorized"
    # Only the key's hash is stored.
    with app.extensions["moderato.db"].read() as session:
        from service.models import ApiKey

        stored = session.scalars(select(ApiKey)).one()
        assert stored.key_hash != key and key not in stored.key_hash


def test_ip_address_is_stored_only_as_a_keyed_hash(client, app):
    comment_id = post_comment(client).get_json()["id"]
    with app.extensions["moderato.db"].read() as session:
        ip_hash = session.get(Comment, comment_id).ip_hash
    assert ip_hash and "127.0.0.1" not in ip_hash and len(ip_hash) == 32


def test_comment_status_enum_values_are_strings():
    assert CommentStatus.PENDING == "pending" and CommentStatus("held") is CommentStatus.HELD


def test_api_key_posts_hash_the_reader_ip_they_pass_not_their_own(client, app):
    from service.keys import hash_ip
    from service.sites import create_api_key

    key = create_api_key(app.extensions["moderato.db"], "news-portal")
    headers = {"Authorization": f"Bearer {key}"}
    base = {"thread": "/x.html", "author": "读者", "text": "后台代发的评论"}
    with_ip = client.post("/api/comments", json={**base, "reader_ip": "203.0.113.9"}, headers=headers)
    without = client.post("/api/comments", json=base, headers=headers)
    with app.extensions["moderato.db"].read() as session:
        assert session.get(Comment, with_ip.get_json()["id"]).ip_hash == hash_ip(app.extensions[
            "moderato.config"].secret_key, "203.0.113.9")
        assert session.get(Comment, without.get_json()["id"]).ip_hash is None


def test_thread_pages_newest_first_follow_the_cursor(client, run_worker):
    first = post_comment(client, text="最早的评论").get_json()["id"]
    run_worker()
    post_comment(client, text="回复最早的", parent=first)
    for i in range(3):
        post_comment(client, text=f"评论 {i}")
    run_worker()
    path = "/api/threads/news/2026/11/28/1.html/comments?order=newest&limit=2"
    page = client.get(path).get_json()
    assert [c["text"] for c in page["comments"]] == ["评论 2", "评论 1"]
    rest = client.get(f"{path}&after={page['next']}").get_json()
    assert [c["text"] for c in rest["comments"]] == ["评论 0", "最早的评论"] and rest["next"] is None
    assert rest["comments"][1]["replies"][0]["text"] == "回复最早的"
    assert client.get("/api/threads/news/2026/11/28/1.html/comments?order=random").status_code == 400


def test_a_page_read_before_a_decision_is_not_cached_after_it(client, app, run_worker, redis_client):
    from service.comments import ThreadCache, page_json, thread_page
    from service.models import Thread

    post_comment(client, text="第一条")
    run_worker()
    with app.extensions["moderato.db"].read() as session:
        site_id = session.scalars(select(Thread.site_id)).one()
    cache = ThreadCache(redis_client, 30)
    key = "/news/2026/11/28/1.html"
    body, generation = cache.get(site_id, key, "oldest:0:50")
    assert body is None
    with app.extensions["moderato.db"].read() as session:
        stale = page_json(thread_page(session, site_id, key, None, 50))  # read before the decision...
    post_comment(client, text="第二条")
    run_worker()  # ...which approves a comment and invalidates the thread...
    cache.put(site_id, key, "oldest:0:50", stale, generation)  # ...so the late write is dropped
    assert cache.get(site_id, key, "oldest:0:50")[0] is None
    assert client.get("/api/threads/news/2026/11/28/1.html/comments").get_json()["total"] == 2


def test_a_comment_in_a_known_thread_is_stored_like_the_first(client, app):
    # The first comment of a thread goes through SQLAlchemy; later ones through the driver's cursor
    # (service.db.PreparedInsert): both rows must read back the same.
    ids = [post_comment(client, text=text).get_json()["id"] for text in ("第一条评论", "第二条评论")]
    with app.extensions["moderato.db"].read() as session:
        first, second = (session.get(Comment, i) for i in ids)
        assert second.thread_id == first.thread_id
        for comment in (first, second):
            assert comment.status == "pending" and comment.reasons == [] and comment.parent_id is None
            assert comment.created_at.tzinfo is not None and comment.decided_at is None
            assert comment.author == "小明" and len(comment.token_hash) == 64
        assert abs((second.created_at - first.created_at).total_seconds()) < 60


def test_a_thread_created_by_a_failed_reply_is_not_remembered(client):
    """A reply to a missing comment on a new thread rolls the thread back; the thread's id must not be kept.

    It was kept before the transaction committed: the next comment on that thread took the rolled-back id and
    failed the foreign key (500), as did a concurrent comment taking the id of a thread not yet committed.
    """
    missing = post_comment(client, thread="/news/new-article.html", parent=999_999)
    assert missing.status_code == 404
    assert post_comment(client, thread="/news/new-article.html").status_code == 202
