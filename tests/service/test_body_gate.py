"""Slow clients against the real web server (granian, as `python -m service run` starts it): a request
body is read before a thread runs the app, within BODY_READ_TIMEOUT, and one address may be sending only
CLIENT_BODY_READS bodies at once (issue 10, finding 1)."""
from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.config import PROJECT_ROOT
from service.embedded_redis import EmbeddedRedis, free_port
from service.migrate import upgrade
from service.runner import web_command
from tests.factories import wait_until_serving

BODY_READ_TIMEOUT = 4
SLOW_HEAD = ("POST /api/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Origin: http://127.0.0.1\r\nContent-Length: 1000\r\n\r\n").encode() + b'{"thread"'


@pytest.fixture(scope="module")
def database_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the URL of a migrated SQLite database for the module's web server."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'moderato.sqlite3'}"
    upgrade(database_url)
    return database_url


@pytest.fixture(scope="module")
def web_port(redis_server: EmbeddedRedis, database_file: str,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Start one granian process with 4 app threads, as `python -m service run` does, and return its port."""
    tmp = tmp_path_factory.mktemp("web")
    database_url = database_file
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_server.url, SECRET_KEY="test", DATA_DIR=str(tmp),
               DEMO="0", WEB_THREADS="4", BODY_READ_TIMEOUT=str(BODY_READ_TIMEOUT), CLIENT_BODY_READS="8")
    server = subprocess.Popen(web_command(port, 1, host="127.0.0.1"), env=env, cwd=PROJECT_ROOT)
    wait_until_serving(server, port)
    yield port
    server.terminate()
    server.wait(15)


def _slow_socket(port: int, source: str = "127.0.0.1") -> socket.socket:
    """Open a connection that sends a POST's head and 9 of its 1,000 bytes of body, then nothing."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0))
    sock.sendall(SLOW_HEAD)
    return sock


def _answer(sock: socket.socket, timeout: float) -> tuple[bytes, bool]:
    """Return what the server sent back within `timeout` seconds, and whether it then closed the socket."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except TimeoutError:
        return data, False
    return data, True


def _healthz(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return response.status


def test_healthz_answers_while_fifty_slow_bodies_hold_their_connections(web_port: int) -> None:
    # Fifty clients (127.0.0.2 to .51), each under its own limit: every socket is held, none refused.
    sockets = [_slow_socket(web_port, f"127.0.0.{2 + i}") for i in range(50)]
    try:
        time.sleep(0.5)  # the server has every request head and is waiting on the bodies
        assert _healthz(web_port) == 200  # before: the 4 threads waited on bodies and this timed out
        # The slow sockets were still open while /healthz answered: none has been answered yet.
        readable, _, _ = select.select(sockets, [], [], 0)
        assert readable == []
        # Then each gets its 408 and is closed, a few seconds later, instead of holding on for ever.
        for sock in sockets:
            data, closed = _answer(sock, BODY_READ_TIMEOUT + 20)
            assert data.startswith(b"HTTP/1.1 408 ")
            assert json.loads(data.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "request_timeout"
            assert closed
    finally:
        for sock in sockets:
            sock.close()


def test_one_address_sending_more_bodies_than_its_share_gets_429(web_port: int) -> None:
    sockets = [_slow_socket(web_port, "127.0.0.99") for _ in range(8)]
    try:
        time.sleep(1.5)  # a body counts against its address once it has been arriving for a second
        ninth = _slow_socket(web_port, "127.0.0.99")
        sockets.append(ninth)
        data, closed = _answer(ninth, 5)
        assert data.startswith(b"HTTP/1.1 429 ")
        assert b"retry-after: 1" in data.lower()
        assert json.loads(data.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "rate_limited"
        # Another address is not affected.
        assert _healthz(web_port) == 200
    finally:
        for sock in sockets:
            sock.close()


def test_one_address_opening_thirty_slow_bodies_at_once_keeps_only_its_share(web_port: int) -> None:
    # All thirty arrive before any is a second old; a second later, eight are held and the rest refused.
    sockets = [_slow_socket(web_port, "127.0.0.98") for _ in range(30)]
    try:
        answers = [_answer(sock, BODY_READ_TIMEOUT + 20)[0].split(b" ", 2)[1] for sock in sockets]
        assert sorted(answers) == [b"408"] * 8 + [b"429"] * 22
    finally:
        for sock in sockets:
            sock.close()


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(web_port: int) -> None:
    sock = socket.create_connection(("127.0.0.1", web_port), timeout=10)
    try:
        sock.sendall(b"POST /api/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 10000000\r\n\r\n")
        data, _ = _answer(sock, 5)
        assert data.startswith(b"HTTP/1.1 413 ")
        assert json.loads(data.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "payload_too_large"
    finally:
        sock.close()


def test_a_chunked_body_over_the_limit_gets_413(web_port: int) -> None:
    chunk = b"x" * 40000
    request = urllib.request.Request(f"http://127.0.0.1:{web_port}/api/comments", method="POST",
                                      data=iter([chunk, chunk]), headers={"Content-Type": "application/json",
                                                                          "Transfer-Encoding": "chunked"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 413
    assert json.loads(err.value.read())["error"]["code"] == "payload_too_large"


def test_the_app_behind_the_gate_reads_bodies_and_paths_as_before(web_port: int, database_file: str) -> None:
    from service.config import Config
    from service.db import Database
    from service.models import Comment, CommentStatus, Thread, utcnow
    from service.sites import get_or_create_site

    db = Database(Config(database_url=database_file))
    site = get_or_create_site(db, "gate")
    with db.write() as session:
        thread = Thread(site_id=site.id, key="/新闻/一.html", title="门")
        session.add(thread)
        session.flush()
        session.add(Comment(thread_id=thread.id, author="读者", text="路径里的中文", token_hash="-", reasons=[],
                            status=CommentStatus.APPROVED.value, created_at=utcnow(), decided_at=utcnow()))
    db.dispose()
    base = f"http://127.0.0.1:{web_port}"
    # A JSON body arrives whole: the app parses it and answers with its own error (no captcha), not 408.
    request = urllib.request.Request(f"{base}/api/comments", method="POST",
                                     data=json.dumps({"thread": "/门/1.html", "author": "读者", "text": "好"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code in (400, 403)
    assert json.loads(err.value.read())["error"]["code"] not in ("request_timeout", "internal_error")
    # A percent-encoded Chinese thread key reaches the route decoded, as with granian's WSGI interface.
    key = urllib.parse.quote("/新闻/一.html", safe="")
    with urllib.request.urlopen(f"{base}/api/threads/{key}/comments?site=gate", timeout=10) as response:
        first = response.read()
        assert [c["text"] for c in json.loads(first)["comments"]] == ["路径里的中文"]
    # Asked again, the page is in the cache: the fast lane answers it (service/fast_lane.py), alike.
    with urllib.request.urlopen(f"{base}/api/threads/{key}/comments?site=gate", timeout=10) as response:
        assert response.read() == first
        assert (response.headers["Vary"], response.headers["X-Content-Type-Options"]) == ("Origin", "nosniff")


def test_bodies_that_arrive_at_once_never_count_against_their_address(web_port: int) -> None:
    # A back end posting over many connections from one address: 40 bodies in flight at once, none refused.
    import concurrent.futures

    def post(_: int) -> int:
        request = urllib.request.Request(f"http://127.0.0.1:{web_port}/api/comments", method="POST", data=b"{}",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as err:
            return err.code

    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(post, range(200)))
    assert 429 not in statuses and 408 not in statuses


def test_comments_reach_the_fast_lane_through_the_server_and_are_stored(web_port: int, database_file: str) -> None:
    """The gate hands plain JSON POSTs of comments to service/fast_lane.py: a comment posted with an API key is
    stored pending, and a page of another origin is refused as the Flask hooks refuse it."""
    from sqlalchemy import create_engine, text

    key = subprocess.run([sys.executable, "-m", "service", "create-api-key", "--site", "lane"],
                         env=dict(os.environ, DATABASE_URL=database_file, SECRET_KEY="test"), cwd=PROJECT_ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    base = f"http://127.0.0.1:{web_port}/api/comments"
    body = json.dumps({"thread": "/lane/1.html", "author": "读者", "text": "快车道"}, ensure_ascii=False).encode()
    request = urllib.request.Request(base, method="POST", data=body, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())
        assert (response.status, answer["status"]) == (202, "pending")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    engine = create_engine(database_file)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT text, status FROM comments WHERE id = :id"), {"id": answer["id"]}).one()
    engine.dispose()
    assert tuple(stored) == ("快车道", "pending")
    refused = urllib.request.Request(base, method="POST", data=body, headers={
        "Content-Type": "application/json", "Origin": "http://evil.example"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(refused, timeout=10)
    assert err.value.code == 403
    assert err.value.headers["Vary"] == "Origin" and "Access-Control-Allow-Origin" not in err.value.headers
    assert json.loads(err.value.read())["error"]["code"] == "origin_not_allowed"
