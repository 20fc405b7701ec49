"""Idempotent comment submission (service/idempotency.py) through the real API, Redis and databases."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from service.idempotency import IdempotencyStore, fingerprint
from service.models import Comment
from tests.factories import comment_payload, solve_captcha


def _count(app) -> int:  # type: ignore[no-untyped-def]
    with app.extensions["moderato.db"].read() as session:
        return session.scalar(select(func.count()).select_from(Comment))


def test_a_retried_post_with_the_same_key_gets_the_first_answer_and_no_second_comment(app, client):
    payload = comment_payload(client)
    first = client.post("/api/comments", json=payload, headers={"Idempotency-Key": "submit-1"})
    assert first.status_code == 202 and "Idempotent-Replayed" not in first.headers
    # The retry carries the consumed captcha (the answer was lost on the way back): still the first answer.
    again = client.post("/api/comments", json=payload, headers={"Idempotency-Key": "submit-1"})
    assert again.status_code == 202
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count(app) == 1
    # The replayed token is the author's: it reads the comment's status.
    body = first.get_json()
    assert client.get(f"/api/comments/{body['id']}?token={body['token']}").status_code == 200


def test_a_retry_with_a_newly_solved_captcha_is_the_same_submission(app, client):
    payload = comment_payload(client)
    first = client.post("/api/comments", json=payload, headers={"Idempotency-Key": "k"})
    again = client.post("/api/comments", json={**payload, **solve_captcha(client)}, headers={"Idempotency-Key": "k"})
    assert again.status_code == 202 and again.get_json()["id"] == first.get_json()["id"]
    assert _count(app) == 1


def test_a_key_reused_with_another_body_is_refused_with_422(app, client):
    client.post("/api/comments", json=comment_payload(client), headers={"Idempotency-Key": "k"})
    other = client.post("/api/comments", json=comment_payload(client, text="另一条评论。"),
                        headers={"Idempotency-Key": "k"})
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert _count(app) == 1


def test_without_a_key_two_posts_are_two_comments(app, client):
    client.post("/api/comments", json=comment_payload(client))
    client.post("/api/comments", json=comment_payload(client))
    assert _count(app) == 2


def test_the_same_key_on_another_site_is_another_submission(app, client):
    client.post("/api/comments", json=comment_payload(client), headers={"Idempotency-Key": "k"})
    from service.sites import get_or_create_site

    get_or_create_site(app.extensions["moderato.db"], "other")
    other = client.post("/api/comments", json=comment_payload(client, site="other"),
                        headers={"Idempotency-Key": "k"})
    assert other.status_code == 202
    assert _count(app) == 2


def test_a_failed_request_frees_its_key_for_the_retry(app, client):
    payload = comment_payload(client, captcha_answer="wrong")
    refused = client.post("/api/comments", json=payload, headers={"Idempotency-Key": "k"})
    assert refused.status_code == 403
    retried = client.post("/api/comments", json={**payload, **solve_captcha(client)}, headers={"Idempotency-Key": "k"})
    assert retried.status_code == 202
    assert _count(app) == 1


def test_an_unusable_key_is_a_400(client):
    for key in ("", "a b", "x" * 256, "键"):
        response = client.post("/api/comments", json=comment_payload(client), headers={"Idempotency-Key": key})
        assert response.status_code == 400, key
        assert response.get_json()["error"] == {
            "code": "invalid_field", "field": "Idempotency-Key",
            "message": "The Idempotency-Key header must be 1 to 255 visible ASCII characters."}


def test_a_request_still_being_handled_holds_its_key(app, client, redis_client):
    store = IdempotencyStore(redis_client, app.extensions["moderato.config"].secret_key)
    site_id = _default_site_id(app, client)
    payload = comment_payload(client)
    # Another process has claimed the key and not answered yet.
    assert store.begin(site_id, "k", fingerprint(payload)) is None
    busy = client.post("/api/comments", json=payload, headers={"Idempotency-Key": "k"})
    assert busy.status_code == 409 and busy.get_json()["error"]["code"] == "idempotency_key_in_use"
    assert _count(app) == 0


def test_concurrent_retries_make_one_comment(app, redis_client):
    payload = comment_payload(app.test_client())
    answers: list[tuple[int, dict]] = []
    barrier = threading.Barrier(8)

    def post() -> None:
        barrier.wait()
        response = app.test_client().post("/api/comments", json=payload, headers={"Idempotency-Key": "same"})
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _count(app) == 1
    accepted = [body for status, body in answers if status == 202]
    assert accepted and all(body == accepted[0] for body in accepted)
    assert all(status in (202, 409) for status, _body in answers)


def test_when_redis_is_down_the_comment_is_accepted_without_the_guard(app, client, redis_server):
    payload = comment_payload(client)
    redis_server.stop()
    try:
        response = client.post("/api/comments", json={**payload, "captcha_id": "", "captcha_answer": ""},
                               headers={"Idempotency-Key": "k", "Authorization": f"Bearer {_api_key(app)}"})
    finally:
        redis_server.start()
    assert response.status_code == 202
    assert _count(app) == 1


def _default_site_id(app, client) -> int:  # type: ignore[no-untyped-def]
    from service.sites import get_or_create_site

    return get_or_create_site(app.extensions["moderato.db"]).id


def _api_key(app) -> str:  # type: ignore[no-untyped-def]
    from service.sites import create_api_key

    return create_api_key(app.extensions["moderato.db"], "default")
