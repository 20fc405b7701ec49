"""Notifications: a signed webhook to a real local HTTP server and email to a real local SMTP listener."""
from __future__ import annotations

import hashlib
import hmac
import json
import socketserver
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from service.notifications import unsubscribe
from tests.conftest import make_config
from tests.factories import make_user, post_comment
from workers.notifications import NotificationFailed, deliver

SPAMMY = "便宜 www.a.com www.b.com www.c.com www.d.com"
WEBHOOK_SECRET = "webhook-test-secret"


class Recorder:
    """What a local server received, and what it answers."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.received = threading.Event()


@pytest.fixture
def webhook() -> Iterator[tuple[str, Recorder]]:
    """Start an HTTP server on 127.0.0.1 that records POSTs."""
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            recorder.requests.append(({k: v for k, v in self.headers.items()}, body))
            self.send_response(recorder.status)
            self.end_headers()
            recorder.received.set()

        def log_message(self, *_args) -> None:  # type: ignore[no-untyped-def]
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/moderato", recorder
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[str]]]:
    """Start a minimal SMTP listener on 127.0.0.1 that keeps each message's data."""
    messages: list[str] = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self.wfile.write(b"220 localhost ready\r\n")
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                command = line.strip().upper()
                if command.startswith(b"EHLO") or command.startswith(b"HELO"):
                    self.wfile.write(b"250-localhost\r\n250 OK\r\n")
                elif command == b"DATA":
                    self.wfile.write(b"354 go on\r\n")
                    data = []
                    while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                        data.append(chunk)
                    messages.append(b"".join(data).decode("utf-8", "replace"))
                    self.wfile.write(b"250 queued\r\n")
                elif command == b"QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:
                    self.wfile.write(b"250 OK\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], messages
    server.shutdown()
    server.server_close()


@pytest.fixture
def config(database_url, redis_client, redis_server, tmp_path, webhook, smtp):  # type: ignore[no-untyped-def]
    """Notifications on: the local webhook, the local SMTP listener, an alert at two held comments."""
    yield make_config(database_url, redis_server.url, tmp_path, filters=("length", "repetition", "links", "wordlist"),
                      notify_webhook_url=webhook[0], notify_webhook_secret=WEBHOOK_SECRET, held_queue_alert=2,
                      smtp_host="127.0.0.1", smtp_port=smtp[0], notify_emails=("desk@example.com",))
    unsubscribe()


def _verify(headers: dict[str, str], body: bytes) -> dict:
    expected = hmac.new(WEBHOOK_SECRET.encode(), headers["X-Moderato-Timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Moderato-Signature"], f"sha256={expected}")
    return json.loads(body)


def test_passing_the_held_threshold_sends_one_signed_webhook_and_an_email(app, client, run_worker, webhook, smtp):
    url, recorder = webhook
    make_user(app, "mod", email="mod@example.com")
    post_comment(client, text=SPAMMY)
    run_worker()
    assert recorder.requests == []  # one held: below the threshold of two
    post_comment(client, text=SPAMMY)
    run_worker()  # the moderation job, then the check it queued, then the deliveries
    assert len(recorder.requests) == 1
    headers, body = recorder.requests[0]
    event = _verify(headers, body)
    assert headers["X-Moderato-Event"] == "held_queue" and event["held"] == 2 and event["site"] == "default"
    assert len(smtp[1]) == 1 and "2 comments held on default" in smtp[1][0]
    assert "mod@example.com" in smtp[1][0] and "desk@example.com" in smtp[1][0]
    post_comment(client, text=SPAMMY)
    run_worker()
    assert len(recorder.requests) == 1  # once an hour per site, not once per held comment


def test_a_forged_signature_does_not_verify(app, client, run_worker, webhook):
    _url, recorder = webhook
    for _ in range(2):
        post_comment(client, text=SPAMMY)
    run_worker()
    headers, body = recorder.requests[0]
    with pytest.raises(AssertionError):
        _verify(headers, body.replace(b"default", b"defaulx"))


def test_a_report_notifies_moderators(app, client, run_worker, webhook):
    _url, recorder = webhook
    comment_id = post_comment(client, text="一条正常的评论").get_json()["id"]
    run_worker()
    response = client.post(f"/api/comments/{comment_id}/reports", json={"reason": "abuse", "text": "人身攻击"})
    assert response.status_code == 201
    run_worker()
    event = _verify(*recorder.requests[0])
    assert event["type"] == "comment_reported" and event["comment_id"] == comment_id
    assert event["text"] == "一条正常的评论"


def test_a_failing_webhook_raises_so_that_rq_retries(app, worker_context, webhook):
    _url, recorder = webhook
    recorder.status = 500
    with pytest.raises(NotificationFailed):
        deliver("webhook", {"type": "held_queue", "site_id": 1, "summary": "x"}, context=worker_context)
    assert len(recorder.requests) == 1
