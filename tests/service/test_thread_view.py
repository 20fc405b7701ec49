"""The thread page: order=hot, pinned comments first, likes and avatar digits on every comment."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from service.avatars import avatar_key
from service.models import Comment, utcnow
from service.thread_view import hot_score
from tests.conftest import MODERATOR_TOKEN, TEST_SECRET
from tests.factories import post_comment
from tests.service.test_likes import THREAD, published

MOD = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}


def _age(app, comment_id: int, hours: float) -> None:  # type: ignore[no-untyped-def]
    with app.extensions["moderato.db"].write() as session:
        session.execute(update(Comment).where(Comment.id == comment_id)
                        .values(created_at=utcnow() - timedelta(hours=hours)))


def _like(client, comment_id: int, times: int) -> None:  # type: ignore[no-untyped-def]
    for n in range(times):  # each from its own address, so the per-address cap does not apply
        response = client.post(f"/api/comments/{comment_id}/like", json={},
                               environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"})
        assert response.status_code == 200


def _ids(page: dict) -> list[int]:
    return [c["id"] for c in page["comments"]]


def test_hot_ranks_likes_and_replies_decayed_with_age(client, app):
    old_favourite = published(client, text="昨天的热门评论")
    fresh = published(client, text="刚刚的评论")
    discussed = published(client, text="大家都在讨论")
    liked_today = published(client, text="今天被点赞")
    for _ in range(2):
        published(client, text="回复一下", parent=discussed)
    _age(app, old_favourite, 30)
    _age(app, discussed, 3)
    _age(app, liked_today, 3)
    _like(client, old_favourite, 6)
    _like(client, liked_today, 3)
    page = client.get(f"/api/threads{THREAD}/comments?order=hot").get_json()
    # discussed: (1 + 2*2) / 5^1.5; liked_today: (1 + 3) / 5^1.5; fresh: 1 / 2^1.5; old: 7 / 32^1.5.
    assert _ids(page) == [discussed, liked_today, fresh, old_favourite]
    assert page["order"] == "hot" and page["total"] == 6 and page["next"] is None
    assert [r["text"] for r in page["comments"][0]["replies"]] == ["回复一下", "回复一下"]
    assert page["comments"][1]["likes"] == 3


def test_hot_pages_continue_by_offset(client):
    ids = [published(client, text=f"评论{n}") for n in range(5)]
    first = client.get(f"/api/threads{THREAD}/comments?order=hot&limit=2").get_json()
    assert _ids(first) == ids[::-1][:2] and first["next"] == "2"  # no likes: newest first
    second = client.get(f"/api/threads{THREAD}/comments?order=hot&limit=2&after=2").get_json()
    third = client.get(f"/api/threads{THREAD}/comments?order=hot&limit=2&after=4").get_json()
    assert _ids(second) + _ids(third) == ids[::-1][2:] and third["next"] is None


def test_a_newer_comment_is_hotter_than_an_older_one_alike():
    assert hot_score(0, 0, utcnow(), utcnow()) > hot_score(0, 0, utcnow() - timedelta(hours=1), utcnow())


def test_an_unknown_order_is_a_400(client):
    published(client)
    response = client.get(f"/api/threads{THREAD}/comments?order=best")
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "order"


def test_a_pinned_comment_leads_the_first_page_of_every_order_and_only_there(client):
    ids = [published(client, text=f"评论{n}") for n in range(4)]
    reply = published(client, text="置顶评论的回复", parent=ids[1])
    assert client.post(f"/api/moderation/comments/{ids[1]}/pin", headers=MOD).get_json() == {"id": ids[1],
                                                                                              "pinned": True}
    for order, rest in (("oldest", [ids[0], ids[2], ids[3]]), ("newest", [ids[3], ids[2], ids[0]]),
                        ("hot", [ids[3], ids[2], ids[0]])):
        page = client.get(f"/api/threads{THREAD}/comments?order={order}").get_json()
        assert _ids(page) == [ids[1]] + rest, order
        assert page["comments"][0]["pinned"] is True and "pinned" not in page["comments"][1]
        assert [r["id"] for r in page["comments"][0]["replies"]] == [reply]
    second = client.get(f"/api/threads{THREAD}/comments?order=oldest&limit=2&after={ids[0]}").get_json()
    assert _ids(second) == [ids[2], ids[3]]
    client.post(f"/api/moderation/comments/{ids[1]}/unpin", headers=MOD)
    assert _ids(client.get(f"/api/threads{THREAD}/comments").get_json()) == ids


def test_every_comment_has_avatar_digits_by_account_email_or_nickname(client, app):
    top = published(client, author="小红", email="Hong@Example.com")
    published(client, author="小刚", parent=top)
    page = client.get(f"/api/threads{THREAD}/comments").get_json()
    node = page["comments"][0]
    site_id = 1
    assert node["avatar"] == avatar_key(TEST_SECRET, site_id, None, "hong@example.com", "小红")
    assert node["replies"][0]["avatar"] == avatar_key(TEST_SECRET, site_id, None, None, "小刚")
    assert "hong" not in page and "email" not in node
    # The same email, another nickname: the same picture.
    assert avatar_key(TEST_SECRET, site_id, None, " hong@example.com", "别名") == node["avatar"]


def test_a_pending_comment_is_not_shown_with_a_pinned_one(client):
    top = published(client)
    post_comment(client, thread=THREAD, text="还在审核")
    client.post(f"/api/moderation/comments/{top}/pin", headers=MOD)
    assert _ids(client.get(f"/api/threads{THREAD}/comments").get_json()) == [top]
