"""The database wiring: SQLite writers of every process take turns on one OS lock."""
from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from service.db import WriterTurns


def _take_turn_and_mark(lock_path: str, marker: str) -> None:
    with WriterTurns(Path(lock_path)).turn():
        Path(marker).write_text("in")


def test_a_writer_in_another_process_waits_for_the_turn(tmp_path):
    turns = WriterTurns(tmp_path / "db.sqlite3.writer-lock")
    marker = tmp_path / "marker"
    with turns.turn():
        child = multiprocessing.get_context("spawn").Process(
            target=_take_turn_and_mark, args=(str(turns.path), str(marker)))
        child.start()
        child.join(1.0)
        assert child.is_alive() and not marker.exists()  # blocked on the lock, not failed
    child.join(30)
    assert child.exitcode == 0 and marker.read_text() == "in"


def test_threads_of_one_process_take_turns(tmp_path):
    turns = WriterTurns(tmp_path / "lock")
    order: list[str] = []

    def second() -> None:
        with turns.turn():
            order.append("second")

    with turns.turn():
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        order.append("first")
        assert thread.is_alive()
    thread.join(10)
    assert order == ["first", "second"]


def test_threads_that_start_together_share_one_lock_and_never_overlap(tmp_path):
    # Two databases' worth of writers on one file, each thread's first turn at the same moment: the
    # first version could release a different file than it locked here, and every later writer hung.
    path = tmp_path / "db.sqlite3.writer-lock"
    instances = [WriterTurns(path), WriterTurns(path)]
    start, inside, most = threading.Barrier(16), [0], [0]
    guard = threading.Lock()

    def writer(turns: WriterTurns) -> None:
        start.wait()
        for _ in range(50):
            with turns.turn():
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=writer, args=(instances[i % 2],)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a writer never got its turn"
    assert most[0] == 1
    for turns in instances:
        turns.close()


def test_a_single_statement_write_is_committed_as_it_returns_on_postgresql(config):
    """driver_write on PostgreSQL runs its one statement in autocommit mode (one round trip, not three):
    another connection reads the row before the block ends. SQLite's stays inside BEGIN IMMEDIATE."""
    from sqlalchemy import insert, text

    from service.db import Database, PreparedInsert
    from service.models import Site, utcnow

    db = Database(config)
    insert_site = PreparedInsert(insert(Site).returning(Site.id), ("name", "settings", "origins", "created_at", "secret"))
    try:
        with db.driver_write() as (cursor, dialect):
            site_id = insert_site.run(cursor, dialect, {"name": "autocommit", "settings": {}, "origins": [],
                                                        "created_at": utcnow(), "secret": "s"})
            if dialect.name == "postgresql":
                with db.engine.connect() as other:
                    seen = other.execute(text("SELECT name FROM sites WHERE id = :id"), {"id": site_id}).scalar()
                assert seen == "autocommit"
        with db.read_connection() as conn:
            assert conn.execute(text("SELECT name FROM sites WHERE id = :id"), {"id": site_id}).scalar() == "autocommit"
        with db.write_connection() as conn:  # the other paths' connections are not in autocommit mode
            conn.execute(text("UPDATE sites SET name = 'rolled back' WHERE id = :id"), {"id": site_id})
            conn.rollback()
        with db.read_connection() as conn:
            assert conn.execute(text("SELECT name FROM sites WHERE id = :id"), {"id": site_id}).scalar() == "autocommit"
    finally:
        db.dispose()


def test_a_driver_write_that_fails_raises_sqlalchemys_error_and_drops_a_dead_connection(config):
    """The accept path's driver-level write fails as the other paths do: a database error is SQLAlchemy's
    (an OperationalError is answered 503, not 500), and on PostgreSQL a connection that died under the
    statement is not handed out again."""
    import pytest
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import IntegrityError, OperationalError

    from service.db import Database

    db = Database(config)
    try:
        with pytest.raises(IntegrityError):  # an ordinary error: the connection is rolled back and pooled
            with db.driver_write() as (cursor, _dialect):
                cursor.execute("INSERT INTO sites (name) VALUES (NULL)")
        if not config.database_url.startswith("postgresql"):
            return
        with db.driver_write() as (cursor, _dialect):
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        admin = create_engine(config.resolved_database_url())
        with pytest.raises(OperationalError) as raised:
            with db.driver_write() as (cursor, _dialect):
                with admin.begin() as conn:  # the server ends this backend while the statement runs
                    conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                cursor.execute("SELECT pg_sleep(5)")
        admin.dispose()
        assert raised.value.connection_invalidated
        with db.driver_write() as (cursor, _dialect):
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] != pid
    finally:
        db.dispose()


def _site_values(name: str | None) -> dict:
    from service.models import utcnow

    return {"name": name, "settings": {}, "origins": [], "created_at": utcnow(), "secret": "s"}


def _insert_site():  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    from service.db import PreparedInsert
    from service.models import Site

    return PreparedInsert(insert(Site).returning(Site.id), ("name", "settings", "origins", "created_at", "secret"))


def test_rows_inserted_by_many_threads_at_once_are_all_committed_with_their_own_ids(config):
    from sqlalchemy import text

    from service.db import Database

    db = Database(config)
    prepared = _insert_site()
    ids: list[int] = []
    errors: list[BaseException] = []

    def insert_many(thread: int) -> None:
        try:
            ids.extend(db.insert_one(prepared, _site_values(f"group-{thread}-{i}")) for i in range(40))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    try:
        threads = [threading.Thread(target=insert_many, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors
        assert len(ids) == len(set(ids)) == 320
        with db.read_connection() as conn:
            stored = dict(conn.execute(text("SELECT id, name FROM sites WHERE name LIKE 'group-%'")).all())
        assert sorted(stored) == sorted(ids)
    finally:
        db.dispose()


def test_rows_that_wait_for_a_write_are_committed_together_and_one_bad_row_fails_alone(config):
    """On SQLite, rows arriving while a group is written wait, and go in the next group, in one transaction;
    a row that breaks a constraint fails only its own insert."""
    import time

    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from service.db import Database

    if not config.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's server groups concurrent commits itself: insert_one is one statement there")
    db = Database(config)
    prepared = _insert_site()
    results: dict[str, object] = {}

    def insert(name: str | None, key: str) -> None:
        try:
            results[key] = db.insert_one(prepared, _site_values(name))
        except BaseException as err:  # noqa: BLE001 - checked below
            results[key] = err

    try:
        group = db._group
        assert group is not None
        # Hold the writers' turn, as another write would: the first row's thread waits on it, writing its group.
        turn = db._turns.turn()
        turn.__enter__()
        first = threading.Thread(target=insert, args=("first", "first"))
        first.start()
        while not group._writing:
            time.sleep(0.01)
        waiting = [threading.Thread(target=insert, args=(name, key))
                   for name, key in (("second", "second"), (None, "bad"), ("third", "third"))]
        for thread in waiting:
            thread.start()
        while len(group._waiting) < 3:
            time.sleep(0.01)
        turn.__exit__(None, None, None)
        for thread in [first, *waiting]:
            thread.join(30)
        assert isinstance(results["bad"], IntegrityError)
        assert all(isinstance(results[key], int) for key in ("first", "second", "third"))
        # The first group held the first row alone; the next one the three that waited (then each alone,
        # since one of them failed it).
        assert group.groups == 2
        with db.read_connection() as conn:
            names = set(conn.execute(text("SELECT name FROM sites")).scalars())
        assert {"first", "second", "third"} <= names
    finally:
        db.dispose()


def test_a_child_forked_while_its_parent_writes_a_group_writes_its_own(config, tmp_path):
    """The group's state is the process's own: a child forked while the parent's writer was busy does not
    wait for a writer that is not in it."""
    import multiprocessing

    import pytest

    from service.db import Database

    if not config.database_url.startswith("sqlite"):
        pytest.skip("the group commit is SQLite's")
    db = Database(config)
    prepared = _insert_site()
    try:
        group = db._group
        assert group is not None
        with group._lock:
            group._writing = True  # as if a thread of this process were writing a group now
            child = multiprocessing.get_context("fork").Process(
                target=_insert_in_child, args=(db, prepared, str(tmp_path / "child-id")))
            child.start()
        child.join(30)
        group._writing = False
        if child.is_alive():
            child.kill()
        assert child.exitcode == 0
        assert int((tmp_path / "child-id").read_text()) > 0
    finally:
        db.dispose()


def _insert_in_child(db, prepared, marker: str) -> None:  # type: ignore[no-untyped-def]
    Path(marker).write_text(str(db.insert_one(prepared, _site_values("forked"))))
