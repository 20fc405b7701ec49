"""New comments stored from the web server's event loop (service/loop_writes.py), on a real PostgreSQL.

The greenlet bridge on its own; `LoopInserts` against the server (groups, their ids, a row's own fault, a
connection the server ended); and the gate's path (`BodyGate._lane`): the first POST of a process falls back
to an app thread (its caches are empty), the next is stored from the loop, a reply is written in a thread,
and every answer is the same as the thread's path would give.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from service.body_gate import BodyGate, LaneRequest
from service.config import PROJECT_ROOT
from service.comments import _INSERT_COMMENT_FAST
from service.db import Database
from service.fast_lane import FastLane
from service.embedded_redis import free_port
from service.loop_writes import (APPLICATION_NAME, MAX_ROWS_PER_STATEMENT, LoopInserts, NeedsThread, counting_begins,
                                 in_thread, on_loop, refuse_blocking, run_on_loop, wait_for)
from service.readers.accounts import SESSION_HEADER
from service.models import utcnow
from service.runner import web_command
from service.sites import create_api_key, get_or_create_site
from tests.factories import wait_until_serving

MARK: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="none")


def _run(main: Any) -> Any:
    """asyncio.run(main) in a thread of its own: the browser tests' Playwright keeps a loop in the main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main).result()


def test_code_on_the_loop_waits_for_awaitables_while_the_loop_runs_other_tasks():
    ticks: list[int] = []

    async def ticker() -> None:
        for i in range(5):
            ticks.append(i)
            await asyncio.sleep(0.005)

    def blocking_style() -> tuple[bool, str, int]:
        MARK.set("greenlet")
        value = wait_for(asyncio.sleep(0.05, result="slept"))
        return on_loop(), value, len(ticks)

    async def main() -> Any:
        task = asyncio.get_running_loop().create_task(ticker())
        result = await run_on_loop(blocking_style)
        await task
        return result

    inside, value, ticks_meanwhile = _run(main())
    assert (inside, value) == (True, "slept") and ticks_meanwhile == 5  # the ticker ran while it waited
    assert not on_loop() and MARK.get() == "none"  # the greenlet's context stayed its own


def test_errors_raised_while_waiting_reach_the_code_that_waited_and_its_caller():
    async def fails() -> None:
        raise ValueError("from the awaitable")

    def catches() -> str:
        try:
            wait_for(fails())
        except ValueError as err:
            return str(err)
        return "not raised"

    def needs_a_thread() -> None:
        raise NeedsThread()

    assert _run(run_on_loop(catches)) == "from the awaitable"
    with pytest.raises(NeedsThread):
        _run(run_on_loop(needs_a_thread))


def test_blocking_work_before_counting_reruns_the_request_in_a_thread_and_after_it_is_a_bug():
    def reads_a_cache() -> None:
        refuse_blocking()

    def counts_then_reads() -> None:
        counting_begins()
        refuse_blocking()

    with pytest.raises(NeedsThread):
        _run(run_on_loop(reads_a_cache))
    with pytest.raises(RuntimeError, match="in_thread"):
        _run(run_on_loop(counts_then_reads))
    refuse_blocking()  # off the loop: nothing to refuse
    counting_begins()


def test_a_signed_in_readers_post_starts_in_a_thread():
    body = b'{"text": "x"}'
    plain = LaneRequest("POST", "/api/comments", "", {"host": "h", "content-length": str(len(body))}, body, "1.2.3.4",
                        "http")
    signed_in = LaneRequest("POST", "/api/comments", "", {"host": "h", "content-length": str(len(body)),
                                                          SESSION_HEADER.lower(): "s"}, body, "1.2.3.4", "http")
    assert FastLane.may_run_on_loop(plain) and not FastLane.may_run_on_loop(signed_in)


def test_in_thread_runs_in_another_thread_with_the_callers_context():
    def where() -> tuple[str, str]:
        return threading.current_thread().name, MARK.get()

    def on_the_loop() -> tuple[str, str]:
        MARK.set("carried")
        return in_thread(where)

    name, mark = _run(run_on_loop(on_the_loop))
    assert name != threading.current_thread().name and mark == "carried"
    assert in_thread(where) == (threading.current_thread().name, "none")  # off the loop: called here


# New comments are stored from the event loop on PostgreSQL only: these tests run there alone (the
# conftest's database_url, parametrised here to its PostgreSQL case), where TEST_DATABASE_URL is set.
postgresql_only = pytest.mark.parametrize("database_url", [pytest.param(
    "postgresql", marks=pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL"))],
    indirect=True)


def _thread_id(database_url: str, config: Any) -> int:
    database = Database(config)
    site = get_or_create_site(database, "loop")
    database.dispose()
    engine = create_engine(database_url)
    with engine.begin() as conn:
        thread = conn.execute(text("INSERT INTO threads (site_id, key, created_at) VALUES (:s, '/t', now()) "
                                   "RETURNING id"), {"s": site.id}).scalar_one()
    engine.dispose()
    return thread


def _row(thread_id: int, text_: str) -> dict[str, Any]:
    return dict(thread_id=thread_id, parent_id=None, author="a", email=None, text=text_, status="pending",
                ip_hash=None, token_hash=text_, reasons=[], created_at=utcnow(), user_id=None, reader_id=None,
                reply_notice_lang=None)


@pytest.fixture
def inserts(database_url: str, config: Any) -> Iterator[LoopInserts]:
    """The LoopInserts of a Database on the test's PostgreSQL."""
    database = Database(config)
    assert database.accepts_on_loop and database._loop_inserts is not None
    yield database._loop_inserts
    database.dispose()


def _stored(database_url: str) -> dict[int, tuple[str, int]]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, text, xmin::text::bigint FROM comments")).all()
    engine.dispose()
    return {row.id: (row.text, row.xmin) for row in rows}


@postgresql_only
def test_rows_sent_together_get_their_own_ids_and_share_commits(database_url, config, inserts):
    thread_id = _thread_id(database_url, config)

    async def thirty() -> list[int]:
        return await asyncio.gather(*(inserts.insert(_INSERT_COMMENT_FAST, _row(thread_id, f"row {i}"))
                                      for i in range(30)))

    ids = _run(thirty())
    stored = _stored(database_url)
    assert [stored[row_id][0] for row_id in ids] == [f"row {i}" for i in range(30)]  # each its own id
    transactions = {xmin for _, xmin in stored.values()}
    assert len(transactions) < 30  # the first alone, those that waited for it together


@postgresql_only
def test_more_rows_than_one_statement_takes_are_sent_in_several(database_url, config, inserts):
    thread_id = _thread_id(database_url, config)

    async def many() -> list[int]:
        return await asyncio.gather(*(inserts.insert(_INSERT_COMMENT_FAST, _row(thread_id, f"row {i}"))
                                      for i in range(MAX_ROWS_PER_STATEMENT * 2 + 5)))

    ids = _run(many())
    stored = _stored(database_url)
    assert [stored[row_id][0] for row_id in ids] == [f"row {i}" for i in range(MAX_ROWS_PER_STATEMENT * 2 + 5)]


@postgresql_only
def test_a_row_that_fails_in_a_group_fails_alone(database_url, config, inserts):
    thread_id = _thread_id(database_url, config)

    async def some_bad() -> list[Any]:
        rows = [_row(thread_id if i != 3 else 999_999, f"row {i}") for i in range(8)]
        return await asyncio.gather(*(inserts.insert(_INSERT_COMMENT_FAST, row) for row in rows),
                                    return_exceptions=True)

    results = _run(some_bad())
    assert isinstance(results[3], IntegrityError)  # the thread does not exist: the foreign key
    assert all(isinstance(result, int) for i, result in enumerate(results) if i != 3)
    assert sorted(text_ for text_, _ in _stored(database_url).values()) == [f"row {i}" for i in range(8) if i != 3]


@postgresql_only
def test_a_row_whose_request_was_cancelled_before_it_was_sent_is_not_written(database_url, config, inserts):
    thread_id = _thread_id(database_url, config)

    async def one_cancelled() -> list[Any]:
        tasks = [asyncio.ensure_future(inserts.insert(_INSERT_COMMENT_FAST, _row(thread_id, f"row {i}")))
                 for i in range(5)]
        await asyncio.sleep(0)  # every row waits; the writing task, made by the first, has not run yet
        tasks[3].cancel()
        return await asyncio.gather(*tasks, return_exceptions=True)

    results = _run(one_cancelled())
    assert isinstance(results[3], asyncio.CancelledError)
    assert sorted(text_ for text_, _ in _stored(database_url).values()) == ["row 0", "row 1", "row 2", "row 4"]


@postgresql_only
def test_a_connection_the_server_ended_is_replaced_and_no_row_is_lost(database_url, config, inserts):
    thread_id = _thread_id(database_url, config)

    async def across_a_terminated_backend() -> tuple[int, int]:
        first = await inserts.insert(_INSERT_COMMENT_FAST, _row(thread_id, "before"))
        backend = inserts._connection.pgconn.backend_pid
        engine = create_engine(database_url)
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        engine.dispose()
        await asyncio.sleep(0.2)  # the server's goodbye arrives on the idle connection
        return first, await inserts.insert(_INSERT_COMMENT_FAST, _row(thread_id, "after"))

    first, second = _run(across_a_terminated_backend())
    stored = _stored(database_url)
    assert (stored[first][0], stored[second][0]) == ("before", "after")


@postgresql_only
def test_a_server_that_cannot_be_reached_is_an_operational_error(inserts):
    inserts.conninfo = "postgresql://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
    with pytest.raises(OperationalError):
        _run(inserts.insert(_INSERT_COMMENT_FAST, _row(1, "lost")))


def _request(key: str, **fields: Any) -> LaneRequest:
    body = json.dumps({"thread": "/loop/1.html", "author": "读者", "text": "事件循环", **fields},
                      ensure_ascii=False).encode()
    headers = {"host": "localhost", "content-type": "application/json", "content-length": str(len(body)),
               "authorization": f"Bearer {key}"}
    return LaneRequest("POST", "/api/comments", "", headers, body, "127.0.0.1", "http")


@postgresql_only
def test_the_gate_stores_posts_from_the_loop_and_falls_back_to_a_thread_where_it_must(database_url, app):
    database = app.extensions["moderato.db"]
    key = create_api_key(database, "loop")
    gate = BodyGate(app, fast_lane=FastLane(app), lane_posts_on_loop=True)
    loop_thread = concurrent.futures.ThreadPoolExecutor(1)  # one loop, in a thread of its own (see _run)
    loop = loop_thread.submit(asyncio.new_event_loop).result()

    def post(**fields: Any) -> tuple[int, dict[str, Any]]:
        answer = loop_thread.submit(loop.run_until_complete, gate._lane(_request(key, **fields), None)).result()
        status, _, content = answer
        return status, json.loads(content)

    try:
        first = post(text="第一条")  # the API key and the thread are not cached yet: in an app thread
        assert first[0] == 202 and database._loop_inserts._connection is None
        second = post(text="第二条")  # from the loop, on its own connection
        assert second[0] == 202 and database._loop_inserts._connection is not None
        reply = post(text="回复", parent=second[1]["id"])  # a parent to check: written in a thread
        missing = post(text="回复", parent=999_999)
        bad = post(text="")
    finally:
        loop_thread.submit(loop.close).result()
        loop_thread.shutdown()
    assert reply[0] == 202 and missing[0] == 404 and bad[0] == 400
    assert missing[1]["error"]["code"] == "comment_not_found" and bad[1]["error"]["field"] == "text"
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM comments ORDER BY id")).mappings().all()
    engine.dispose()
    assert [(row["text"], row["parent_id"], row["status"]) for row in rows] == [
        ("第一条", None, "pending"), ("第二条", None, "pending"), ("回复", second[1]["id"], "pending")]
    # The row stored from the loop is stored as the thread's path stores one: every column alike.
    in_a_thread, from_the_loop = rows[0], rows[1]
    differ = {"id", "text", "token_hash", "created_at"}
    assert {k: v for k, v in from_the_loop.items() if k not in differ} == \
        {k: v for k, v in in_a_thread.items() if k not in differ}
    assert from_the_loop["reasons"] == [] and from_the_loop["created_at"].tzinfo is not None
    assert abs((from_the_loop["created_at"] - in_a_thread["created_at"]).total_seconds()) < 60


@postgresql_only
def test_comments_posted_to_the_real_server_are_stored_from_its_loop(postgres_url, redis_server, redis_client,
                                                                      database_url, tmp_path):
    """granian as `python -m service run` starts it, on PostgreSQL: 300 POSTs over 30 connections are all
    accepted and stored, each once, and the server saw the loop's own connection; when the server ends it,
    the next POST is stored on a new one."""
    database_url = postgres_url
    key = subprocess.run([sys.executable, "-m", "service", "create-api-key", "--site", "loop-server"],
                         env=dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="test"), cwd=PROJECT_ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_server.url, SECRET_KEY="test",
               DATA_DIR=str(tmp_path), DEMO="0", RATE_LIMITS="0")
    server = subprocess.Popen(web_command(port, 1), env=env, cwd=PROJECT_ROOT)
    try:
        wait_until_serving(server, port)

        def post(i: int) -> tuple[int, int]:
            body = json.dumps({"thread": f"/server/{i % 3}.html", "author": "读者", "text": f"第{i}条"},
                              ensure_ascii=False).encode()
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/comments", method="POST", data=body,
                                             headers={"Content-Type": "application/json",
                                                      "Authorization": f"Bearer {key}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())["id"]

        with concurrent.futures.ThreadPoolExecutor(30) as pool:
            answers = list(pool.map(post, range(300)))
        engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            named = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
                                 {"name": APPLICATION_NAME}).scalar_one()
            # The server ends the loop's connection (a restart, a failover): the next POST gets a new one.
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
                         {"name": APPLICATION_NAME})
            time.sleep(0.3)
            answers += [post(300)]
            stored = {row.id: row.text for row in conn.execute(text("SELECT id, text FROM comments"))}
        engine.dispose()
    finally:
        server.terminate()
        server.wait(15)
    assert {status for status, _ in answers} == {202}
    assert [stored[comment_id] for _, comment_id in answers] == [f"第{i}条" for i in range(301)]
    assert named == 1  # one connection for the process's loop

