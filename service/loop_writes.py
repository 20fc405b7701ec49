"""Accepting a new comment on the web server's event loop, on PostgreSQL: no app thread, no blocked loop.

Why: a POST handed to an app thread and answered back pays for two thread wake-ups, and a web process that
sleeps between requests pays for each at the idle price (`python -m bench.idle_tax`: a hand-off and back
0.015 ms back to back, 0.095-0.100 ms after 5 ms asleep). Storing the comment on the loop's own thread with a
blocking driver was measured before (README, "Tried later on 2026-12-07 and left"): less CPU, but the loop
waited out each commit and POSTs queued behind it. Here the fast lane's code runs on the loop in a greenlet
(`run_on_loop`), and where it would wait for the database it gives the loop back until the answer comes
(`wait_for`): the loop serves other requests meanwhile.

- The usual INSERT of a new comment (`Database.insert_one`) goes through `LoopInserts`: one connection per
  web process (psycopg's, used through its libpq connection), in autocommit mode. Rows that arrive while a
  statement is under way are sent together as one multi-row INSERT when it returns: one statement, one
  commit, one WAL flush.
- Any other database work asked for on the loop raises `NeedsThread` (`Database` calls `refuse_blocking`).
  The fast lane reads (a site, an API key, closed threads) only on a cache miss, and before anything that
  counts (the idempotency key, the captcha, the rate limits, the INSERT; `counting_begins` marks the point,
  after which such work is an error, not a second run): the gate then runs the whole request again in an
  app thread, as it runs every request on SQLite. A signed-in reader's POST, whose session is read from
  the database each time, goes to an app thread from the start (`FastLane.may_run_on_loop`). The writes
  that may come after the counting (a reply, a comment opening a new thread:
  `service.comments.submit_comment`) run in a thread with `in_thread`, and the greenlet waits for them.
- Redis calls (rate limits, captcha, idempotency) stay blocking: a local Redis answers in tens of
  microseconds. With a Redis across a network, set ACCEPT_ON_EVENT_LOOP=0.

SQLite has no asynchronous driver and keeps its app threads (and its own group commit,
`service.db.GroupCommit`).
"""
from __future__ import annotations

import asyncio
import contextvars
import itertools
import os
import select
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import greenlet
import psycopg
import psycopg.errors
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.exc import DBAPIError, OperationalError

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import Dialect

    from service.db import PreparedInsert

T = TypeVar("T")

# How `LoopInserts`' connections are named to the server (pg_stat_activity).
APPLICATION_NAME = "moderato-loop-inserts"
# Rows in one multi-row INSERT at most: each size is a statement text of its own, kept (PreparedInsert).
MAX_ROWS_PER_STATEMENT = 64
# Threads per process for `in_thread` (replies, a thread's first comment).
IN_THREAD_WORKERS = 4


class NeedsThread(BaseException):
    """Raised on the loop where a request asks for blocking work; the gate runs it again in an app thread.

    A BaseException, so that the fast lane's handlers, which answer every error, let it through.
    """


class _LoopGreenlet(greenlet.greenlet):
    """A greenlet running blocking-style code for the event loop (`run_on_loop`)."""

    def __init__(self, function: Callable[..., Any], loop_side: greenlet.greenlet) -> None:
        super().__init__(function, loop_side)
        self.loop_side = loop_side
        self.counting = False  # set by `counting_begins`


def counting_begins() -> None:
    """Say that the request running on the loop now counts or stores things (an idempotency key, a captcha,
    the rate limits, the INSERT): from here it can no longer be run again in a thread (`refuse_blocking`)."""
    current = greenlet.getcurrent()
    if isinstance(current, _LoopGreenlet):
        current.counting = True


def refuse_blocking() -> None:
    """Called before blocking database work: on the loop, have the request run in a thread instead.

    Before `counting_begins`, NeedsThread: the gate runs the whole request again in an app thread. After it,
    running it again would count twice or store twice, so that is a bug of the caller's (blocking work must
    go through `in_thread` there), raised as one.
    """
    current = greenlet.getcurrent()
    if isinstance(current, _LoopGreenlet):
        if current.counting:
            raise RuntimeError("blocking database work on the event loop after the request began counting; "
                               "use service.loop_writes.in_thread")
        raise NeedsThread()


def on_loop() -> bool:
    """Say whether this code runs in `run_on_loop`'s greenlet, on the event loop's thread."""
    return isinstance(greenlet.getcurrent(), _LoopGreenlet)


def wait_for(awaitable: Awaitable[T]) -> T:
    """Wait for `awaitable` from `run_on_loop`'s greenlet, giving the loop back meanwhile; return its result."""
    current = greenlet.getcurrent()
    if not isinstance(current, _LoopGreenlet):
        raise RuntimeError("wait_for is for code that run_on_loop runs")
    return current.loop_side.switch(awaitable)


async def run_on_loop(function: Callable[..., T], *args: Any) -> T:
    """Run `function(*args)` on the loop's thread; each `wait_for` inside it is awaited here."""
    child = _LoopGreenlet(function, greenlet.getcurrent())
    result = child.switch(*args)
    while not child.dead:
        try:
            value = await result
        except BaseException:  # noqa: BLE001 - raised inside the function, where it waited
            result = child.throw(*sys.exc_info())
        else:
            result = child.switch(value)
    return result


def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Call `function(*args)`: here, or from the loop's greenlet in a thread (with this context), waiting for it."""
    if not on_loop():
        return function(*args)
    context = contextvars.copy_context()  # the greenlet's: Flask's app context goes along
    return wait_for(asyncio.get_running_loop().run_in_executor(_blocking_threads(), context.run, function, *args))


_executor: tuple[int, ThreadPoolExecutor] | None = None


def _blocking_threads() -> ThreadPoolExecutor:
    """The threads of `in_thread`, per process: as many as a process's app threads (WEB_THREADS' default),
    not the loop's default executor, whose size follows the core count past the database pool's."""
    global _executor
    if _executor is None or _executor[0] != os.getpid():
        _executor = (os.getpid(), ThreadPoolExecutor(IN_THREAD_WORKERS, thread_name_prefix="loop-blocking"))
    return _executor[1]


class _Row:
    __slots__ = ("prepared", "values", "future")

    def __init__(self, prepared: PreparedInsert, values: dict[str, Any], future: asyncio.Future) -> None:
        self.prepared, self.values, self.future = prepared, values, future


class LoopInserts:
    """PostgreSQL INSERTs made from the event loop: one connection, the rows that wait meanwhile in one statement.

    A row that finds no statement under way is sent at once, alone. Rows that arrive while one is under way
    wait, and go together when it returns (a multi-row INSERT, in autocommit mode one transaction), so a
    process has one statement in the server at a time: a slow server makes the rows wait, never the loop.
    A group that fails for one row's fault (a constraint) is sent again row by row, so that only that row
    fails. Errors are raised as SQLAlchemy raises them (`Database.driver_write`): an unavailable server is
    an OperationalError, answered 503. A connection that an error or the server closed is replaced.
    """

    def __init__(self, conninfo: str, dialect: Dialect) -> None:
        self.conninfo, self.dialect = conninfo, dialect
        self._connection: Any = None  # psycopg's AsyncConnection, used through its libpq connection
        self._adapt: Any = None  # psycopg's Transformer for it
        self._prepared: dict[tuple[bytes, tuple[int, ...]], bytes] = {}  # (statement, parameter types) -> name
        self._names = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[_Row] = []
        self._writing = False
        self._pid = os.getpid()

    async def insert(self, prepared: PreparedInsert, values: dict[str, Any]) -> int:
        """Insert one row (exactly the prepared keys) and commit it; return its id."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop or self._pid != os.getpid():  # a new loop or a forked child: nothing is shared
            if self._connection is not None and self._pid == os.getpid():
                self._drop(self._connection)  # the old loop's (a forked child leaves its parent's socket alone)
            self._loop, self._pid, self._connection, self._waiting, self._writing = loop, os.getpid(), None, [], False
        row = _Row(prepared, values, loop.create_future())
        self._waiting.append(row)
        if not self._writing:
            # The writing is a task of its own, not the request's: a request cancelled while its row is in
            # the server must not leave the connection in the middle of a statement (its row is then
            # committed all the same; granian cancels a request's task only when it stops).
            self._writing = True
            loop.create_task(self._write_waiting())
        return await row.future

    async def _write_waiting(self) -> None:
        group: list[_Row] = []
        try:
            while self._waiting:
                # A row whose request was cancelled before it was sent is not written (nobody gets its 202).
                group, self._waiting = [row for row in self._waiting if not row.future.cancelled()], []
                by_statement: dict[PreparedInsert, list[_Row]] = {}
                for row in group:
                    by_statement.setdefault(row.prepared, []).append(row)
                for prepared, rows in by_statement.items():
                    for start in range(0, len(rows), MAX_ROWS_PER_STATEMENT):
                        await self._write_rows(prepared, rows[start:start + MAX_ROWS_PER_STATEMENT])
        except BaseException as err:  # the loop is stopping, or a bug: no request may wait for ever
            for row in group + self._waiting:
                if not row.future.done():
                    settle(row.future, None, err if isinstance(err, Exception) else RuntimeError("the loop stopped"))
            self._waiting = []
            raise
        finally:
            self._writing = False

    async def _write_rows(self, prepared: PreparedInsert, rows: list[_Row]) -> None:
        try:
            ids = await self._execute(prepared, [row.values for row in rows])
        except Exception as err:  # noqa: BLE001 - given to the rows
            if len(rows) == 1 or isinstance(err, OperationalError):  # the server is away: none would pass
                for row in rows:
                    settle(row.future, None, err)
                return
            for row in rows:  # one row's fault: each alone, so that only its own fails
                try:
                    settle(row.future, (await self._execute(prepared, [row.values]))[0], None)
                except Exception as own:  # noqa: BLE001 - given to the row
                    settle(row.future, None, own)
            return
        for row, row_id in zip(rows, ids, strict=True):
            settle(row.future, row_id, None)

    async def _execute(self, prepared: PreparedInsert, rows: list[dict[str, Any]]) -> list[int]:
        """One INSERT of `rows` in autocommit mode; their ids, in the rows' order.

        Sent on libpq's connection (psycopg's `pq`), with psycopg's own adaptation of the values and its
        errors, but not through its async cursor: that cost 0.13 ms of CPU per statement against 0.08 ms
        for its blocking one, and this 0.07-0.09 ms (the same INSERT 3,000 times, two runs, ad hoc).
        The single-row statement is prepared once per connection and kind of parameters, as psycopg
        prepares a repeated one.
        """
        sql, params = prepared.numbered_statement(self.dialect, rows)
        connection = self._connection
        if connection is not None and _looks_closed(connection):
            self._drop(connection)
            connection = None
        try:
            if connection is None:
                connection = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True,
                                                                   **self._application_name())
                connection.pgconn.nonblocking = 1
                self._connection, self._adapt, self._prepared = connection, Transformer(connection), {}
                self._names = itertools.count()
            pgconn = connection.pgconn
            values = self._adapt.dump_sequence(params, [PyFormat.AUTO] * len(params))
            types, formats = tuple(self._adapt.types), self._adapt.formats
            name = self._prepared.get((sql, types))
            if name is None and len(rows) == 1:
                name = f"moderato_insert_{next(self._names)}".encode()
                pgconn.send_prepare(name, sql, param_types=types)
                await self._result(pgconn, pq.ExecStatus.COMMAND_OK)
                self._prepared[(sql, types)] = name
            if name is not None:
                pgconn.send_query_prepared(name, values, param_formats=formats)
            else:
                pgconn.send_query_params(sql, values, param_types=types, param_formats=formats)
            result = await self._result(pgconn, pq.ExecStatus.TUPLES_OK)
            found = [int(result.get_value(i, 0)) for i in range(result.ntuples)]
        except psycopg.Error as err:
            dead = connection is None or connection.pgconn.status != pq.ConnStatus.OK or isinstance(
                err, psycopg.OperationalError)
            if dead and connection is not None:
                self._drop(connection)
            raise DBAPIError.instance(None, None, err, psycopg.Error, connection_invalidated=dead,
                                      dialect=self.dialect) from err
        # The server takes the VALUES rows in order and draws each id from the sequence as it inserts the
        # row, so the ids sorted are the rows' in order (RETURNING itself promises no order).
        return sorted(found) if len(found) > 1 else found

    def _application_name(self) -> dict[str, str]:
        """Name the connection in pg_stat_activity, unless the database URL names it already."""
        return {} if "application_name" in conninfo_to_dict(self.conninfo) else {"application_name": APPLICATION_NAME}

    async def _result(self, pgconn: Any, expected: Any) -> Any:
        """Send what libpq holds, wait for the statement's result and return it; raise the server's error.

        libpq's get_result blocks while the connection is busy, even in non-blocking mode: each call waits
        (on the loop) until is_busy says the input is there, the last one for the server's ReadyForQuery.
        """
        loop = asyncio.get_running_loop()
        fd = pgconn.socket
        while pgconn.flush():  # the rest of the statement once the socket takes it (the server may answer first)
            await _ready(loop, fd, writable=True)
            pgconn.consume_input()
        result = None
        while True:
            pgconn.consume_input()
            while pgconn.is_busy():
                await _ready(loop, fd, writable=False)
                pgconn.consume_input()
            last = pgconn.get_result()
            if last is None:
                break
            result = result or last
        if result is None:
            raise psycopg.OperationalError("the server sent no result")
        if result.status != expected:
            if result.status == pq.ExecStatus.FATAL_ERROR:
                raise psycopg.errors.error_from_result(result, encoding=self._connection.info.encoding)
            raise psycopg.OperationalError(f"unexpected result: {pq.ExecStatus(result.status).name}")
        return result

    def close(self) -> None:
        """Close the connection (the process is ending, or its database is disposed of)."""
        if self._connection is not None:
            self._drop(self._connection)

    def _drop(self, connection: Any) -> None:
        """Forget a connection that the server or an error closed, and close our end."""
        if self._connection is connection:
            self._connection = None
        try:
            connection.pgconn.finish()
        except Exception:  # noqa: BLE001 - already gone
            pass


async def _ready(loop: asyncio.AbstractEventLoop, fd: int, writable: bool) -> None:
    """Wait until the socket is readable (or writable)."""
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    (loop.add_writer if writable else loop.add_reader)(fd, wake)
    try:
        await ready
    finally:
        (loop.remove_writer if writable else loop.remove_reader)(fd)


def socket_says_closed(fileno: int) -> bool:
    """Say whether an idle connection's socket has something to read: the server's goodbye, or its close."""
    poller = select.poll()  # not select.select: a busy process's descriptors may pass FD_SETSIZE
    poller.register(fileno, select.POLLIN)
    return bool(poller.poll(0))


def _looks_closed(connection: Any) -> bool:
    return connection.pgconn.status != pq.ConnStatus.OK or socket_says_closed(connection.pgconn.socket)


def settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    """Give a future its result or its error, unless it was cancelled (its request is gone)."""
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
