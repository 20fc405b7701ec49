"""Likes: POST /api/comments/<id>/like and /unlike, one per reader, rate-limited, counted in the cached thread page."""
from __future__ import annotations

import time

from sqlalchemy import select

from service.identity import sign_reader
from service.likes import new_reader_token
from service.models import Like
from service.sites import get_or_create_site
from tests.conftest import MODERATOR_TOKEN, TEST_SECRET
from tests.factories import post_comment

THREAD = "/news/2026/12/01/likes.html"
MOD = {"Authorization": f"Bearer {MODERATOR_TOKEN}"}


def published(client, **overrides) -> int:  # type: ignore[no-untyped-def]
    """Post a comment and have a moderator publish it (no filters needed to test likes)."""
    comment_id = post_comment(client, thread=THREAD, **overrides).get_json()["id"]
    assert client.post(f"/api/moderation/comments/{comment_id}/approve", headers=MOD).status_code == 200
    return comment_id


def _page(client, **query) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/threads{THREAD}/comments", query_string=query)
    assert response.status_code == 200
    return response.get_json()


def _likes_on_page(client, comment_id: int) -> int:  # type: ignore[no-untyped-def]
    return next(c["likes"] for c in _page(client)["comments"] if c["id"] == comment_id)


def test_a_guest_likes_once_keeps_a_token_and_the_cached_page_shows_the_count(client, app):
    comment_id = published(client)
    assert _likes_on_page(client, comment_id) == 0  # now cached in Redis
    first = client.post(f"/api/comments/{comment_id}/like", json={})
    assert first.status_code == 200
    body = first.get_json()
    assert body["likes"] == 1 and body["liked"] is True and body["reader_token"].startswith("mrt1.")
    assert _likes_on_page(client, comment_id) == 1  # the cached page was dropped
    again = client.post(f"/api/comments/{comment_id}/like", json={"reader_token": body["reader_token"]})
    assert again.get_json() == {"id": comment_id, "likes": 1, "liked": True}
    with app.extensions["moderato.db"].read() as session:
        like = session.scalars(select(Like)).one()
        assert body["reader_token"] not in like.liker_hash and "127.0.0.1" not in (like.ip_hash or "")


def test_unlike_withdraws_the_like_and_the_page_follows(client):
    comment_id = published(client)
    token = client.post(f"/api/comments/{comment_id}/like", json={}).get_json()["reader_token"]
    assert _likes_on_page(client, comment_id) == 1
    gone = client.post(f"/api/comments/{comment_id}/unlike", json={"reader_token": token})
    assert gone.status_code == 200 and gone.get_json() == {"id": comment_id, "likes": 0, "liked": False}
    assert _likes_on_page(client, comment_id) == 0
    twice = client.post(f"/api/comments/{comment_id}/unlike", json={"reader_token": token})
    assert twice.get_json()["likes"] == 0


def test_signed_in_readers_like_by_account_whatever_the_browser(client, app):
    comment_id = published(client)
    secret = get_or_create_site(app.extensions["moderato.db"]).secret
    alice = sign_reader(secret, "u-1", "阿丽", int(time.time()) + 600)
    bob = sign_reader(secret, "u-2", "阿博", int(time.time()) + 600)
    assert client.post(f"/api/comments/{comment_id}/like", json={"user_token": alice}).get_json()["likes"] == 1
    # The same account from a fresh browser (another guest token) still likes once.
    again = client.post(f"/api/comments/{comment_id}/like",
                        json={"user_token": alice, "reader_token": new_reader_token(TEST_SECRET)})
    assert again.get_json()["likes"] == 1 and "reader_token" not in again.get_json()
    assert client.post(f"/api/comments/{comment_id}/like", json={"user_token": bob}).get_json()["likes"] == 2
    forged = client.post(f"/api/comments/{comment_id}/like", json={"user_token": alice[:-2] + "xx"})
    assert forged.status_code == 403 and forged.get_json()["error"]["code"] == "identity_invalid"


def test_a_forged_reader_token_is_refused(client):
    comment_id = published(client)
    token = new_reader_token("another-secret")
    response = client.post(f"/api/comments/{comment_id}/like", json={"reader_token": token})
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "invalid_field", "field": "reader_token",
                                            "message": "The field 'reader_token' is not a token of this service."}


def test_one_address_likes_a_comment_at_most_five_times_whatever_the_tokens(client):
    comment_id = published(client)
    for n in range(1, 6):
        assert client.post(f"/api/comments/{comment_id}/like", json={}).get_json()["likes"] == n
    sixth = client.post(f"/api/comments/{comment_id}/like", json={})
    assert sixth.status_code == 429 and sixth.get_json()["error"]["code"] == "rate_limited"
    other = client.post(f"/api/comments/{comment_id}/like", json={}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.get_json()["likes"] == 6


def test_likes_are_rate_limited_per_reader(database_url, redis_server, redis_client, tmp_path):
    from service.app import create_app
    from tests.conftest import make_config

    app = create_app(make_config(database_url, redis_server.url, tmp_path, rate_limits=True))
    try:
        client = app.test_client()
        comment_id = published(client)
        with app.extensions["moderato.db"].write() as session:
            site = get_or_create_site(app.extensions["moderato.db"])
            session.merge(site).settings = {"rate_likes_per_reader_minute": 3}
        app.extensions["moderato.sites"].clear()
        token = client.post(f"/api/comments/{comment_id}/like", json={}).get_json()["reader_token"]
        for path in ("unlike", "like"):
            assert client.post(f"/api/comments/{comment_id}/{path}", json={"reader_token": token}).status_code == 200
        limited = client.post(f"/api/comments/{comment_id}/unlike", json={"reader_token": token})
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert limited.get_json()["error"]["code"] == "rate_limited"
    finally:
        app.extensions["moderato.db"].dispose()


def test_only_published_comments_of_the_site_can_be_liked(client):
    pending = post_comment(client, thread=THREAD).get_json()["id"]
    response = client.post(f"/api/comments/{pending}/like", json={})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "comment_not_found"
    assert client.post("/api/comments/999999/like", json={}).status_code == 404


def test_a_like_from_a_page_of_an_origin_the_site_does_not_allow_is_refused(client):
    comment_id = published(client)
    response = client.post(f"/api/comments/{comment_id}/like", json={}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "origin_not_allowed"
