"""The database: one engine per process, sessions per request or job, SQLite tuned for safe concurrency."""
from __future__ import annotations

import fcntl
import os
import re
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from typing import Any

from flask import Flask, current_app
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPICursor, Dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.sql.dml import Insert
from sqlalchemy.orm import Session, sessionmaker

from service.config import Config
from service.loop_writes import LoopInserts, on_loop, refuse_blocking, socket_says_closed, wait_for


def make_engine(config: Config) -> Engine:
    """Create the engine for the configured database; SQLite gets WAL and a busy timeout."""
    url = config.resolved_database_url()
    if url.startswith("sqlite"):
        if ":memory:" not in url:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _tune_sqlite(engine, config.sqlite_synchronous)
        return engine
    # A connection that died with a restarted server is replaced at checkout, so a restart costs no
    # request (tested): see _replace_dead_connections. pool_recycle keeps connections younger than the
    # usual server and proxy idle timeouts.
    return _server_engine(url)


def _server_engine(url: str, **options: Any) -> Engine:
    engine = create_engine(url, pool_recycle=1800, pool_size=5, max_overflow=10, **options)
    event.listen(engine, "checkout", _replace_dead_connections)
    return engine


def _replace_dead_connections(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection that the server has closed; the pool then opens a new one.

    An idle connection has nothing to read: a server that stops or ends the backend (a restart,
    pg_terminate_backend, a failover) sends its FATAL message or closes the socket, and the socket turns
    readable. One poll without waiting tells it, where pool_pre_ping's SELECT 1 was a round trip per
    checkout: 0.06 ms of the web process's CPU and 0.03 ms of the server's per POST, in a tight loop of
    accepts (README "Performance"). Neither catches a server that vanished without a word (a host lost
    with its network); a statement on such a connection fails, and the pool drops it.
    """
    if dbapi_connection.closed or socket_says_closed(dbapi_connection.fileno()):
        raise DisconnectionError()


def make_autocommit_engine(config: Config) -> Engine | None:
    """Create PostgreSQL's engine for single-statement writes (`Database.driver_write`), None on SQLite.

    In autocommit mode a statement is its own transaction, committed when it returns: one round trip
    where BEGIN, the statement and COMMIT were three. Its own pool, so that no other path ever gets an
    autocommit connection.
    """
    url = config.resolved_database_url()
    if url.startswith("sqlite"):
        return None
    return _server_engine(url, isolation_level="AUTOCOMMIT")


def _tune_sqlite(engine: Engine, synchronous: str) -> None:
    if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise ValueError(f"SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA, not {synchronous!r}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL by default: a comment that got its 202 must survive a power cut, not just a crash.
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        # Writers take the write lock up front: a deferred transaction that upgrades from read to
        # write can fail with SQLITE_BUSY at once, without waiting for the busy timeout. Sent on the
        # driver's connection: through exec_driver_sql it cost a statement execution (events, result)
        # per transaction.
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


class WriterTurns:
    """Gives SQLite writers of every process their turn on one blocking OS lock (flock on a file).

    SQLite has one writer at a time, and a writer that finds the database locked sleeps and polls
    (1, 2, 5, 10 … 100 ms) until its busy timeout. Two web processes and the workers writing at once
    made those sleeps the slowest requests' latency; a writer waiting on flock wakes as soon as the
    lock is released. Threads of one process queue on a thread lock first (flock is per open file).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        # Per process: a forked child must not share its parent's open file (and lock), nor its thread lock.
        self._by_pid: dict[int, tuple[threading.Lock, int]] = {}

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the writers' lock for the duration of the block."""
        # Locals, not attributes: the lock taken must be the lock released, whatever other threads do.
        thread_lock, fd = self._handles()
        with thread_lock:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _handles(self) -> tuple[threading.Lock, int]:
        pid = os.getpid()
        handles = self._by_pid.get(pid)
        if handles is None:
            # Threads that arrive together may each open the file; setdefault (atomic) keeps one for all.
            mine = (threading.Lock(), self._open())
            handles = self._by_pid.setdefault(pid, mine)
            if handles is not mine:
                os.close(mine[1])
        return handles

    def close(self) -> None:
        """Close this process's lock file (a later turn opens it again)."""
        handles = self._by_pid.pop(os.getpid(), None)
        if handles is not None:
            with handles[0]:
                os.close(handles[1])

    def _open(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)


class Database:
    """Holds the engine and session factories; created unbound and wired with `init_app`."""

    def __init__(self, config: Config | None = None) -> None:
        self.engine: Engine | None = None
        self._reader: sessionmaker[Session] | None = None
        self._writer: sessionmaker[Session] | None = None
        self._write_engine: Engine | None = None
        self._autocommit_engine: Engine | None = None
        self._turns: WriterTurns | None = None
        self._group: GroupCommit | None = None
        self._loop_inserts: LoopInserts | None = None
        if config is not None:
            self.configure(config)

    def configure(self, config: Config) -> None:
        """Create the engine and session factories for `config`."""
        self.engine = make_engine(config)
        self._autocommit_engine = make_autocommit_engine(config)
        url = config.resolved_database_url()
        self._turns = (WriterTurns(Path(url.removeprefix("sqlite:///") + ".writer-lock"))
                       if url.startswith("sqlite") and ":memory:" not in url else None)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._write_engine = self.engine.execution_options(sqlite_immediate=True)
        self._writer = sessionmaker(self._write_engine, expire_on_commit=False)
        self._group = GroupCommit(self._write_group) if self.engine.dialect.name == "sqlite" else None
        self._loop_inserts = (
            LoopInserts(self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False),
                        self._autocommit_engine.dialect)
            if self._autocommit_engine is not None and config.accept_on_event_loop else None)

    @property
    def accepts_on_loop(self) -> bool:
        """Say whether new comments may be stored from the web server's event loop (service/loop_writes.py)."""
        return self._loop_inserts is not None

    def init_app(self, app: Flask) -> None:
        """Bind to the app's configuration."""
        self.configure(app.extensions["moderato.config"])
        app.extensions["moderato.db"] = self

    @contextmanager
    def read(self) -> Iterator[Session]:
        """Yield a session for reading; it is rolled back and closed afterwards."""
        refuse_blocking()
        assert self._reader is not None, "Database is not configured"
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """Yield a session for writing; commit on success, roll back on error."""
        refuse_blocking()
        assert self._writer is not None, "Database is not configured"
        with self._writer_turn(), self._writer() as session:
            with session.begin():
                yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """Yield a Core connection for reading; its transaction is rolled back afterwards."""
        refuse_blocking()
        assert self.engine is not None, "Database is not configured"
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """Yield a Core connection in a write transaction; commit on success, roll back on error."""
        refuse_blocking()
        assert self._write_engine is not None, "Database is not configured"
        with self._writer_turn(), self._write_engine.begin() as conn:
            yield conn

    @contextmanager
    def driver_write(self) -> Iterator[tuple[DBAPICursor, Dialect]]:
        """Yield a driver cursor for ONE write statement, and the dialect; it is committed on success.

        For the accept path's one INSERT (`PreparedInsert`): SQLAlchemy's execution machinery around it
        cost more CPU than the statement. On PostgreSQL the connection is in autocommit mode
        (`make_autocommit_engine`), so the statement commits as it returns and a second statement would
        be a transaction of its own: hence one. On SQLite the writers take their turn as in
        `write_connection`, inside BEGIN IMMEDIATE and COMMIT. A server's dead connections are replaced at
        checkout either way (`_replace_dead_connections`).

        The driver's errors are raised as SQLAlchemy raises them (an unavailable or locked database is an
        OperationalError, answered 503), and a connection the error shows to be dead is dropped, not
        pooled again.
        """
        refuse_blocking()
        assert self.engine is not None, "Database is not configured"
        engine = self._autocommit_engine or self.engine
        dialect = engine.dialect
        with self._writer_turn():
            connection = engine.raw_connection()
            cursor = None
            try:
                cursor = connection.cursor()
                if dialect.name == "sqlite":  # autocommit mode: see _tune_sqlite
                    cursor.execute("BEGIN IMMEDIATE")
                yield cursor, dialect
                cursor.close()
                connection.commit()
            except dialect.loaded_dbapi.Error as err:
                dead = dialect.is_disconnect(err, connection.dbapi_connection, cursor)
                if dead:
                    connection.invalidate(err)
                else:
                    connection.rollback()
                raise DBAPIError.instance(None, None, err, dialect.loaded_dbapi.Error,
                                          connection_invalidated=dead, dialect=dialect) from err
            except BaseException:
                connection.rollback()
                raise
            finally:
                connection.close()

    def insert_one(self, prepared: PreparedInsert, values: dict[str, Any]) -> int:
        """Insert one row of `values` and commit it; return its id.

        On SQLite, rows that this process's threads insert at the same time are committed together
        (`GroupCommit`); on PostgreSQL each is one autocommit statement (`driver_write`), whose server
        already flushes concurrent commits together, or, on the web server's event loop, one of
        `LoopInserts`' statements (service/loop_writes.py).
        """
        if self._loop_inserts is not None and on_loop():
            return wait_for(self._loop_inserts.insert(prepared, values))
        if self._group is None:
            with self.driver_write() as (cursor, dialect):
                return prepared.run(cursor, dialect, values)
        return self._group.insert(prepared, values)

    def _write_group(self, rows: list[PendingRow]) -> None:
        """Write a group of rows in one transaction; a row's own fault fails only that row."""
        try:
            with self.driver_write() as (cursor, dialect):
                for row in rows:
                    row.id = row.prepared.run(cursor, dialect, row.values)
            return
        except OperationalError as err:  # the database is locked or away: every row fails as one would
            for row in rows:
                row.id, row.error = None, err
            return
        except Exception as err:  # noqa: BLE001 - given to the rows, below
            if len(rows) == 1:
                rows[0].id, rows[0].error = None, err
                return
        # A constraint or a value of one row failed them all: each alone, so that only its own fails.
        for row in rows:
            row.id = None
            self._write_group([row])

    def _writer_turn(self) -> AbstractContextManager:
        return self._turns.turn() if self._turns is not None else nullcontext()

    def dispose(self) -> None:
        """Close every pooled connection (and the SQLite writers' lock file)."""
        if self.engine is not None:
            self.engine.dispose()
        if self._autocommit_engine is not None:
            self._autocommit_engine.dispose()
        if self._loop_inserts is not None:
            self._loop_inserts.close()
        if self._turns is not None:
            self._turns.close()


class PendingRow:
    """A row waiting in `GroupCommit`: what to insert, then its id or its error."""

    __slots__ = ("prepared", "values", "id", "error", "done", "leads")

    def __init__(self, prepared: PreparedInsert, values: dict[str, Any]) -> None:
        self.prepared, self.values = prepared, values
        self.id: int | None = None
        self.error: BaseException | None = None
        self.done: threading.Event | None = None  # made only for a row that waits for another thread
        self.leads = False  # handed the next group to write

    def result(self) -> int:
        """Return the row's id, or raise what failed it."""
        if self.error is not None:
            raise self.error
        assert self.id is not None
        return self.id


class GroupCommit:
    """Rows that threads of one process insert at the same time, written in one transaction.

    SQLite commits one transaction at a time, each with its fsync (`synchronous=FULL`), and its writers
    take turns on one lock (`WriterTurns`). A thread that finds no group being written writes the rows
    waiting (its own first) in one transaction; threads that arrive meanwhile wait, and the first of them
    writes the next group when the current one is committed. An accept that finds none under way is
    written at once, alone, as before. Why: at saturation one SQLite web process spent 0.82 ms of CPU per
    accepted comment against PostgreSQL's 0.36-0.39 ms, whose server commits concurrent transactions
    together. With the groups, `python -m bench.wrk` (closed loop, 32 connections, SQLite), A/B two rounds:
    1,176-1,326 -> 1,765-2,003 comments/s, web CPU 0.79-0.86 -> 0.54-0.59 ms per comment; at 200 and 600
    comments/s in an open loop, where requests seldom overlap, no change beyond the runs' spread.
    """

    _instances: weakref.WeakSet[GroupCommit] = weakref.WeakSet()

    def __init__(self, write: Callable[[list[PendingRow]], None]) -> None:
        self._write = write
        self._start()
        self.groups = 0  # groups written by this process (tests, and how often rows were grouped)
        GroupCommit._instances.add(self)

    def _start(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[PendingRow] = []
        self._writing = False

    @classmethod
    def _reset_in_child(cls) -> None:
        # Right after a fork, before any other thread runs: a child forked while its parent was writing
        # must not wait for the parent's writer, nor find its lock held.
        for group in list(cls._instances):
            group._start()

    def insert(self, prepared: PreparedInsert, values: dict[str, Any]) -> int:
        """Insert a row within the next group; return its id, or raise what failed it."""
        row = PendingRow(prepared, values)
        with self._lock:
            self._waiting.append(row)
            follows = self._writing
            if follows:
                row.done = threading.Event()
            else:
                self._writing = True
        if follows:
            row.done.wait()  # type: ignore[union-attr]
            if not row.leads:
                return row.result()
        with self._lock:
            group, self._waiting = self._waiting, []
        try:
            self._write(group)
            self.groups += 1
        finally:
            for other in group:
                if other is not row:
                    if other.id is None and other.error is None:  # the write itself broke off
                        other.error = RuntimeError("the group this row was in was not written")
                    other.done.set()  # type: ignore[union-attr]
            with self._lock:
                if self._waiting:
                    following = self._waiting[0]
                    following.leads = True
                    following.done.set()  # type: ignore[union-attr]
                else:
                    self._writing = False
        return row.result()


os.register_at_fork(after_in_child=GroupCommit._reset_in_child)


class PreparedInsert:
    """An `INSERT … RETURNING id` of given columns, compiled once per dialect for `Database.driver_write`.

    The columns' bind processors (UTCDateTime, JSON) still turn the values into what the driver takes,
    so a row is stored exactly as SQLAlchemy would store it.
    """

    def __init__(self, statement: Insert, keys: tuple[str, ...]) -> None:
        self.statement, self.keys = statement, keys
        self._by_dialect: dict[str, Any] = {}

    def _compiled(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=list(self.keys))
            processors = {name: processor for name, bind in compiled.binds.items()
                          if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
            order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
            found = self._by_dialect[dialect.name] = (compiled.string, order, processors)
        return found

    def run(self, cursor: DBAPICursor, dialect: Dialect, values: dict[str, Any]) -> int:
        """Insert one row of `values` (exactly the prepared keys); return its id."""
        sql, order, processors = self._compiled(dialect)
        params = {name: processors[name](value) if name in processors else value for name, value in values.items()}
        cursor.execute(sql, [params[name] for name in order] if order is not None else params)
        return cursor.fetchone()[0]

    def numbered_statement(self, dialect: Dialect, rows: list[dict[str, Any]]) -> tuple[bytes, list[Any]]:
        """Return the SQL (libpq's numbered placeholders, $1…) and the parameters that insert `rows` in one statement.

        For `service.loop_writes.LoopInserts`, which sends it below psycopg's cursor; PostgreSQL only.
        Several rows are one `INSERT … VALUES (…), (…) RETURNING id`.
        """
        sql, order, processors = self._numbered(dialect, len(rows))
        return sql, [processors[name](values[name]) if name in processors else values[name]
                     for values in rows for name in order]

    def _numbered(self, dialect: Dialect, count: int) -> tuple[bytes, tuple[str, ...], dict[str, Any]]:
        key = f"{dialect.name}${count}"
        found = self._by_dialect.get(key)
        if found is None:
            single, _, processors = self._compiled(dialect)
            head, _, tail = single.partition(" VALUES ")
            values, _, returning = tail.partition(" RETURNING ")
            if dialect.paramstyle != "pyformat" or "%%" in single or not returning:
                raise NotImplementedError(f"a numbered INSERT on {dialect.name}")
            order = tuple(_PYFORMAT.findall(values))  # the row's, casts and all
            numbers = iter(range(1, len(order) * count + 1))
            rows = ", ".join(_PYFORMAT.sub(lambda _: f"${next(numbers)}", values) for _ in range(count))
            found = self._by_dialect[key] = (f"{head} VALUES {rows} RETURNING {returning}".encode(), order, processors)
        return found


_PYFORMAT = re.compile(r"%\((\w+)\)s")


def get_db() -> Database:
    """Return the database of the current app."""
    return current_app.extensions["moderato.db"]
