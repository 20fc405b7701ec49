"""The moderation API: the held queue with reasons, approve and reject, behind MODERATOR_TOKEN."""
from __future__ import annotations

from sqlalchemy import select

from service.models import ModerationAction
from tests.conftest import MODERATOR_TOKEN
from tests.factories import post_comment

AUTH = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}
SPAMMY = "相关报道：www.example.com/1 www.example.com/2 www.example.com/3"


def test_queue_needs_the_moderator_token(client):
    assert client.get("/api/moderation/queue").status_code == 401
    wrong = client.get("/api/moderation/queue", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "unauthorized"
    assert client.post("/api/moderation/comments/1/approve").status_code == 401


def test_held_comment_appears_with_reasons_and_can_be_approved(client, app, run_worker):
    held = post_comment(client, text=SPAMMY).get_json()
    post_comment(client, text="这篇报道写得很好，谢谢记者。")
    run_worker()
    queue = client.get("/api/moderation/queue", headers=AUTH).get_json()["comments"]
    assert [c["id"] for c in queue] == [held["id"]]
    assert queue[0]["text"] == SPAMMY
    verdict = next(v for v in queue[0]["verdicts"] if v["filter"] == "links")
    assert verdict["action"] == "hold" and verdict["reasons"][0]["code"] == "links.too_many"
    assert verdict["reason_texts"] == [f"{verdict['reasons'][0]['count']} links (at most 2)"]
    chinese = client.get("/api/moderation/queue?lang=zh-CN", headers=AUTH).get_json()["comments"]
    assert next(v for v in chinese[0]["verdicts"] if v["filter"] == "links")["reason_texts"][0].endswith("（最多 2 个）")
    start, end = verdict["spans"][0]["start"], verdict["spans"][0]["end"]
    assert SPAMMY[start:end] == "www.example.com/1"

    response = client.post(f"/api/moderation/comments/{held['id']}/approve", headers=AUTH)
    assert response.status_code == 200 and response.get_json()["status"] == "approved"
    thread = client.get("/api/threads/news/2026/11/28/1.html/comments").get_json()
    assert {c["text"] for c in thread["comments"]} == {SPAMMY, "这篇报道写得很好，谢谢记者。"}
    author_view = client.get(f"/api/comments/{held['id']}?token={held['token']}").get_json()
    assert author_view["status"] == "approved"
    with app.extensions["moderato.db"].read() as session:
        action = session.scalars(select(ModerationAction)).one()
        assert (action.previous_status, action.new_status) == ("held", "approved")


def test_rejecting_a_published_comment_takes_it_down(client, run_worker):
    comment = post_comment(client).get_json()
    run_worker()
    path = "/api/threads/news/2026/11/28/1.html/comments"
    assert client.get(path).get_json()["total"] == 1  # now cached
    assert client.post(f"/api/moderation/comments/{comment['id']}/reject", headers=AUTH).status_code == 200
    assert client.get(path).get_json()["total"] == 0  # the cache was dropped
    author_view = client.get(f"/api/comments/{comment['id']}?token={comment['token']}").get_json()
    assert author_view["status"] == "rejected" and author_view["reasons"]


def test_deciding_twice_the_same_way_is_a_conflict(client, run_worker):
    comment_id = post_comment(client).get_json()["id"]
    run_worker()
    response = client.post(f"/api/moderation/comments/{comment_id}/approve", headers=AUTH)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "conflict"


def test_a_decision_on_a_status_that_changed_meanwhile_is_refused_as_stale(client, run_worker):
    held = [post_comment(client, text=SPAMMY).get_json()["id"] for _ in range(2)]
    run_worker()
    seen = {"expected_status": "held"}
    assert client.post(f"/api/moderation/comments/{held[0]}/approve", json=seen, headers=AUTH).status_code == 200
    stale = client.post(f"/api/moderation/comments/{held[0]}/reject", json=seen, headers=AUTH)
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "stale_decision"
    assert stale.get_json()["error"]["current_status"] == "approved"
    bulk = client.post("/api/moderation/bulk", json={"action": "reject", "ids": held, **seen}, headers=AUTH)
    assert [(r["id"], r["status"], r["error"]) for r in bulk.get_json()["results"]] == [
        (held[0], "unchanged", "stale_decision"), (held[1], "rejected", None)]
    assert bulk.get_json()["results"][0]["current_status"] == "approved"
    # Undo: back to the held queue, only from the status the moderator's own decision left.
    assert client.post(f"/api/moderation/comments/{held[1]}/hold", json={"expected_status": "approved"},
                       headers=AUTH).status_code == 409
    back = client.post(f"/api/moderation/comments/{held[1]}/hold", json={"expected_status": "rejected"}, headers=AUTH)
    assert back.get_json() == {"id": held[1], "status": "held"}
    assert client.post(f"/api/moderation/comments/{held[1]}/approve", json={"expected_status": "gone"},
                       headers=AUTH).status_code == 400


def test_moderating_an_unknown_comment_is_404(client):
    response = client.post("/api/moderation/comments/99999/approve", headers=AUTH)
    assert response.status_code == 404


def test_pending_comments_are_listed_on_request(client):
    comment_id = post_comment(client).get_json()["id"]
    queue = client.get("/api/moderation/queue?status=pending", headers=AUTH).get_json()["comments"]
    assert [c["id"] for c in queue] == [comment_id]
    assert client.get("/api/moderation/queue?status=bogus", headers=AUTH).status_code == 400


def test_worker_does_not_override_a_moderator(client, run_worker):
    comment_id = post_comment(client).get_json()["id"]
    # A moderator rejects it while its job is still queued; the job must not publish it.
    assert client.post(f"/api/moderation/comments/{comment_id}/reject", headers=AUTH).status_code == 200
    run_worker()
    assert client.get("/api/threads/news/2026/11/28/1.html/comments").get_json()["total"] == 0
