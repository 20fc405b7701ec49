"""Read-path benchmark: a thread of 100 approved comments fetched by many concurrent clients.

    python -m bench.read --duration 10 --connections 32

Prints requests/s and latency p50/p99 as the clients saw them.
"""
from __future__ import annotations

import argparse
import json
import time
import urllib.request

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

    stack = Stack(args.web_processes, 1, args.database_url, worker_class=args.server, threads=args.threads).start()
    try:
        key = stack.api_key()
        base = f"http://127.0.0.1:{stack.port}"
        for i in range(100):
            body = {"thread": "/bench/read.html", "author": f"读者{i}", "text": f"第 {i} 条评论：支持老旧小区改造。",
                    "site": "bench"}
            if i >= 80:  # some replies, as real threads have
                body["parent"] = i - 79
            request = urllib.request.Request(f"{base}/api/comments", data=json.dumps(body).encode(), method="POST",
                                             headers={"Content-Type": "application/json",
                                                      "Authorization": f"Bearer {key}"})
            urllib.request.urlopen(request).read()
            if i == 0 or i == 79:
                stack.start_workers() if i == 0 else None
                while _total(base) < i + 1:  # parents must be approved before their replies arrive
                    time.sleep(0.1)
        while _total(base) < 100:
            time.sleep(0.1)
        path = "/api/threads/bench/read.html/comments?site=bench&limit=100"
        host = f"127.0.0.1:{stack.port}"
        raw = build_request("GET", path, host)
        result = run_load("127.0.0.1", stack.port, lambda i: raw, args.duration, rate=None,
                          connections=args.connections)
        print(f"thread of 100 approved comments, {args.connections} concurrent clients, {args.server}, "
              f"{args.web_processes} web processes x {args.threads} threads")
        print(f"{result.ok(200)} responses in {result.elapsed:.1f} s: {result.ok(200) / result.elapsed:.0f} requests/s; "
              f"errors {result.errors}, other statuses { {k: v for k, v in result.statuses.items() if k != 200} }")
        print(f"latency: {summary(result.latencies)}")
    finally:
        stack.stop()


def _total(base: str) -> int:
    try:
        with urllib.request.urlopen(f"{base}/api/threads/bench/read.html/comments?site=bench&limit=1") as r:
            return json.loads(r.read())["total"]
    except OSError:
        return 0


if __name__ == "__main__":
    main()
