"""Closed-loop POSTs with wrk (a user's tool, not our generator) against the real service, with its CPU account.

    python -m bench.wrk --connections 32 --duration 10 [--workers-during-load] [--database-url …]

Starts the stack (bench/stack.py), makes an API key, runs
`wrk -t2 -cN -dDs -s bench/wrk_post.lua http://127.0.0.1:PORT` with API_KEY set, prints wrk's own
report, then the CPU per accepted comment of each kind of process (bench/cpu.py) until every comment
is decided. Needs `wrk` on PATH (Debian: apt-get install wrk).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import time
from pathlib import Path

from sqlalchemy import create_engine

from bench.e2e import FilterSpend, _account, _pending, _print_account, _wait_until_decided
from bench.stack import Stack
from service.config import Config

SCRIPT = Path(__file__).with_name("wrk_post.lua")


def main() -> None:
    """Run wrk against the service and print its figures and the CPU account."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--web-processes", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4, help="threads per web process")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--workers-during-load", action="store_true")
    args = parser.parse_args()

    stack = Stack(args.web_processes, args.workers, args.database_url, threads=args.threads).start()
    try:
        key = stack.api_key()
        engine = create_engine(Config(database_url=stack.database_url).resolved_database_url())
        if args.workers_during_load:
            stack.start_workers(wait=True)
        command = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
                   "-s", str(SCRIPT), f"http://127.0.0.1:{stack.port}"]
        print("$", " ".join(command))
        kinds = ("web", "worker", "scheduler", "redis") if args.workers_during_load else ("web", "redis")
        account = _account(stack, engine, kinds)
        filters_before = FilterSpend.read(stack)
        started = time.monotonic()
        account.start()
        out = subprocess.run(command, env=dict(os.environ, API_KEY=key), capture_output=True, text=True, check=True)
        print(out.stdout)
        accepted = _pending(engine) if not args.workers_during_load else None
        if not args.workers_during_load:
            print(f"accepting ({accepted} comments; the wrk process is not in the account):")
            _print_account(account, accepted, time.monotonic() - started, None)
            return
        _wait_until_decided(engine)
        from sqlalchemy import text

        with engine.connect() as conn:
            total = conn.execute(text("SELECT count(*) FROM comments")).scalar()
        print(f"end to end ({total} comments, all decided; the wrk process is not in the account):")
        _print_account(account, total, time.monotonic() - started, FilterSpend.read(stack).since(filters_before))
        statuses = re.findall(r"^status (\d+)", out.stderr, re.M)
        if statuses:
            print(f"non-202 responses: {len(statuses)}")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
