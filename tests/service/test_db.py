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
