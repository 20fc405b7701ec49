"""Captchas: image and audio of one answer, consumed on first check, hashed in Redis, expiring."""
from __future__ import annotations

import base64

from service.captcha import ALPHABET
from tests.factories import comment_payload, solve_captcha


def test_captcha_has_an_image_and_an_audio_link(client):
    body = client.get("/api/captcha").get_json()
    assert body["image"].startswith("data:image/png;base64,")
    assert base64.b64decode(body["image"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert body["audio"] == f"/api/captcha/{body['id']}/audio"


def test_audio_is_a_wav_generated_once(client, redis_client):
    captcha_id = client.get("/api/captcha").get_json()["id"]
    first = client.get(f"/api/captcha/{captcha_id}/audio")
    assert first.status_code == 200 and first.mimetype == "audio/wav"
    assert first.data[:4] == b"RIFF" and first.data[8:12] == b"WAVE"
    assert redis_client.exists(f"captcha:{captcha_id}:audio")
    assert client.get(f"/api/captcha/{captcha_id}/audio").data == first.data


def test_audio_of_unknown_captcha_is_404(client):
    response = client.get("/api/captcha/nope/audio")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_answer_is_stored_only_hashed_with_a_ttl(client, redis_client, app):
    captcha_id = client.get("/api/captcha").get_json()["id"]
    answer = app.extensions["moderato.captcha"].answer_for(captcha_id)
    stored = redis_client.get(f"captcha:{captcha_id}").decode()
    assert answer not in stored and len(stored) == 64
    assert 0 < redis_client.ttl(f"captcha:{captcha_id}") <= 300


def test_answers_avoid_look_alike_characters(app):
    captcha = app.extensions["moderato.captcha"]
    answers = "".join(captcha.answer_for(str(i)) for i in range(200))
    assert not set(answers) & set("0O1IlL")
    assert set(answers) <= set(ALPHABET)


def test_answer_is_case_insensitive(client):
    payload = comment_payload(client)
    payload["captcha_answer"] = payload["captcha_answer"].lower()
    assert client.post("/api/comments", json=payload).status_code == 202


def test_wrong_captcha_answer_is_rejected_and_consumed(client, app):
    solved = solve_captcha(client)
    payload = comment_payload(client, captcha_id=solved["captcha_id"], captcha_answer="WRONG")
    response = client.post("/api/comments", json=payload)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "captcha_invalid"
    # The right answer no longer works: the first check consumed the captcha.
    payload["captcha_answer"] = solved["captcha_answer"]
    assert client.post("/api/comments", json=payload).status_code == 403


def test_reused_captcha_is_rejected(client):
    payload = comment_payload(client)
    assert client.post("/api/comments", json=payload).status_code == 202
    again = client.post("/api/comments", json=payload)
    assert again.status_code == 403 and again.get_json()["error"]["code"] == "captcha_invalid"


def test_expired_captcha_is_rejected(client, redis_client):
    payload = comment_payload(client)
    redis_client.delete(f"captcha:{payload['captcha_id']}")  # what the TTL does after 5 minutes
    assert client.post("/api/comments", json=payload).status_code == 403


def test_missing_captcha_is_rejected(client):
    payload = comment_payload(client)
    del payload["captcha_id"], payload["captcha_answer"]
    response = client.post("/api/comments", json=payload)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "captcha_invalid"


def test_invalid_fields_do_not_burn_the_captcha(client):
    payload = comment_payload(client, text="")
    assert client.post("/api/comments", json=payload).status_code == 400
    payload["text"] = "现在写好了"
    assert client.post("/api/comments", json=payload).status_code == 202
