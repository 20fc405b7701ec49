"""The idle tax: what the same small piece of work costs in CPU when the process sleeps between pieces.

    python -m bench.idle_tax [--pieces 2000] [--gap-ms 5]

Why: every figure in README "Performance" is CPU per comment, and a comment costs more at 200/s than at
800/s with the same code. A web process at 200 POSTs/s sleeps about 5 ms between requests; each request then
wakes threads that had gone to sleep and runs on caches that others have used meanwhile. This prints, for
three pieces of the work a POST does, the process's CPU per piece done back to back and done with a sleep of
`--gap-ms` before each (the sleep's own wake-up counted, as it is in a server):

- `sleep`: the sleep and the wake-up alone, with no work;
- `hop`: a call handed to another thread and its answer handed back (`queue.SimpleQueue`, as
  `service.body_gate.AppThreads` does), the other thread's CPU included;
- `insert`: one INSERT and its commit in SQLite (WAL, `synchronous=NORMAL`, so that the disk's fsync is not
  in the figure), on a table with three indexes as `comments` has.

The process's CPU (all threads) from os.times(); `--gap-ms 0` gives the back-to-back figure alone.
"""
from __future__ import annotations

import argparse
import os
import queue
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path


def cpu_ms_per_piece(piece: Callable[[int], None], pieces: int, gap: float) -> float:
    """Return this process's CPU milliseconds per call of `piece`, each call after `gap` seconds' sleep."""
    before = os.times()
    for i in range(pieces):
        if gap:
            time.sleep(gap)
        piece(i)
    after = os.times()
    return ((after.user - before.user) + (after.system - before.system)) * 1000 / pieces


def _hop() -> tuple[Callable[[int], None], Callable[[], None]]:
    calls: queue.SimpleQueue[int | None] = queue.SimpleQueue()
    answers: queue.SimpleQueue[int] = queue.SimpleQueue()

    def serve() -> None:
        while (call := calls.get()) is not None:
            answers.put(call)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def piece(i: int) -> None:
        calls.put(i)
        answers.get()

    def stop() -> None:
        calls.put(None)
        thread.join()

    return piece, stop


def _insert(folder: Path) -> Callable[[int], None]:
    connection = sqlite3.connect(folder / "idle-tax.sqlite3", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE comments (id INTEGER PRIMARY KEY, thread_id INTEGER, status TEXT, "
                       "created_at TEXT, reader_id INTEGER, text TEXT, token_hash TEXT)")
    connection.execute("CREATE INDEX ix_thread_status_id ON comments (thread_id, status, id)")
    connection.execute("CREATE INDEX ix_status_created ON comments (status, created_at)")
    connection.execute("CREATE INDEX ix_reader ON comments (reader_id)")
    text = "这篇报道写得很清楚，谢谢作者。" * 6

    def piece(i: int) -> None:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO comments (thread_id, status, created_at, reader_id, text, token_hash) "
                           "VALUES (?, 'pending', ?, NULL, ?, ?)", (i % 50, f"2026-12-07T00:00:{i:08d}", text, f"{i:064d}"))
        connection.execute("COMMIT")

    return piece


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pieces", type=int, default=2000)
    parser.add_argument("--gap-ms", type=float, default=5.0)
    args = parser.parse_args()
    gap = args.gap_ms / 1000
    hop, stop_hop = _hop()
    with tempfile.TemporaryDirectory(prefix="moderato-idle-tax-") as folder:
        insert = _insert(Path(folder))
        pieces: dict[str, Callable[[int], None]] = {"sleep": lambda i: None, "hop": hop, "insert": insert}
        for piece in (hop, insert):  # warm: the table's first pages, the thread's first wake-up
            for i in range(200):
                piece(i)
        print(f"CPU per piece, {args.pieces} pieces, {os.cpu_count()} cores (ms):")
        print(f"  {'piece':8} {'back to back':>13} {f'after {args.gap_ms:g} ms asleep':>22}")
        for name, piece in pieces.items():
            hot = cpu_ms_per_piece(piece, args.pieces, 0) if name != "sleep" else 0.0
            idle = cpu_ms_per_piece(piece, args.pieces, gap) if gap else float("nan")
            print(f"  {name:8} {hot:13.3f} {idle:22.3f}")
    stop_hop()


if __name__ == "__main__":
    main()
