"""Read-path benchmark: a thread of 100 approved comments fetched by many concurrent clients.

    python -m bench.read --duration 10 --connections 32

Prints requests/s and latency p50/p99 as the clients saw them, and the CPU per request of the web
server, Redis and (PostgreSQL) the database's backends, from the kernel's counters (bench/cpu.py).
"""
from __future__ import annotations

import argparse
import os
import time

from bench.cpu import CpuAccount, descendants, postgres_backends, report
from bench.httpload import build_request, run_load, summary
from bench.stack import Stack


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per web process")
    parser.add_argument("--server", default="granian", help="granian, or a gunicorn worker class (sync, gthread)")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args()

    stack = Stack(args.web_processes, 0, args.database_url, worker_class=args.server, threads=args.threads).start()
    try:
        _make_thread(stack.database_url)
        path = "/api/threads/bench/read.html/comments?site=bench&limit=100"
        host = f"127.0.0.1:{stack.port}"
        raw = build_request("GET", path, host)
        web = stack.procs[0].pid
        kinds = {"web": lambda: [web, *descendants(web)], "redis": lambda: [stack.redis.process.pid]}
        if stack.database_url.startswith("postgresql"):
            from sqlalchemy.engine import make_url

            kinds["database"] = lambda: postgres_backends(make_url(stack.database_url).database)
        kinds["load generator"] = lambda: [os.getpid()]
        account = CpuAccount(kinds).start()
        started = time.monotonic()
        result = run_load("127.0.0.1", stack.port, lambda i: raw, args.duration, rate=None,
                          connections=args.connections)
        print(f"thread of 100 approved comments, {args.connections} concurrent clients, {args.server}, "
              f"{args.web_processes} web processes x {args.threads} threads")
        print(f"{result.ok(200)} responses in {result.elapsed:.1f} s: {result.ok(200) / result.elapsed:.0f} requests/s; "
              f"errors {result.errors}, other statuses { {k: v for k, v in result.statuses.items() if k != 200} }")
        print(f"latency: {summary(result.latencies)}")
        elapsed = time.monotonic() - started
        print(report(account.stop(), sum(result.statuses.values()), "request", elapsed,
                     excluded=("load generator",), system=account.system))
    finally:
        stack.stop()


def _make_thread(database_url: str) -> None:
    """Store a thread of 100 approved comments (80 top-level, 20 replies) straight in the database.

    How they were approved does not matter to the read path, and the filters would rightly hold 100
    near-identical comments from one client.
    """
    from service.config import Config
    from service.db import Database
    from service.models import Comment, CommentStatus, Thread, utcnow
    from service.sites import get_or_create_site

    db = Database(Config(database_url=database_url))
    site = get_or_create_site(db, "bench")
    with db.write() as session:
        thread = Thread(site_id=site.id, key="/bench/read.html", title="读取基准")
        session.add(thread)
        session.flush()
        ids: list[int] = []
        for i in range(100):
            comment = Comment(thread_id=thread.id, parent_id=ids[i - 80] if i >= 80 else None, author=f"读者{i}",
                              text=f"第 {i} 条评论：支持老旧小区改造，希望加快进度。", token_hash="-", reasons=[],
                              status=CommentStatus.APPROVED.value, created_at=utcnow(), decided_at=utcnow())
            session.add(comment)
            session.flush()
            ids.append(comment.id)
    db.dispose()


if __name__ == "__main__":
    main()
