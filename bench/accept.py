"""The accept path's own work: CPU per comment of a POST answered in a tight loop in this process.

    python -m bench.accept [--comments 3000] [--database-url URL] [--rate-limits] [--on-loop] [--profile]

Calls the web server's fast lane (`service.fast_lane.FastLane`, what `POST /api/comments` runs in the web
process) on API-key POSTs of COLD's dev comments, one after the other, with no HTTP server: what is left is
the service's own work (parsing and checking the body, the API key, the INSERT and its commit, handing the
id to the moderation batcher). Prints this process's CPU per comment and, on PostgreSQL, the server's
backends' (bench/cpu.py). The web server's own cost per request is `python -m bench.floor`'s; both together,
with a process that sleeps between requests, are the web figure of `python -m bench.e2e`. With
`--profile`, prints cProfile's top entries (by CPU time).

Rate limits are off, as in every benchmark whose load comes from one address and one key. With
`--rate-limits` they are on, as in production: each POST names a reader's address of its own
(`reader_ip`), and the site's limits are raised to the most a site may set, so that every POST is counted
against each limit, as a real one is, and none is refused. It also prints Redis's CPU per comment (the
limits' script), so that the two runs' difference is what the limits cost.

With `--on-loop` (PostgreSQL), each POST is answered as the web server answers it there: on an event loop
(uvloop), through the gate's `BodyGate._lane`, its INSERT sent by `service.loop_writes.LoopInserts`. One
after the other, as here, no two POSTs overlap, so no rows are sent together; and there is no hand-off to
an app thread to save, which is what that path is for (`python -m bench.e2e`): this shows what the loop's
machinery costs in itself.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.cpu import database_server_cpu, processes_cpu
from bench.e2e import comment_fields, load_texts
from bench.stack import with_embedded_redis
from service.config import PROJECT_ROOT
from service.embedded_redis import EmbeddedRedis


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=3000)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file (an empty database)")
    parser.add_argument("--rate-limits", action="store_true", help="count every POST against the limits, as in production")
    parser.add_argument("--on-loop", action="store_true",
                        help="PostgreSQL: answer each POST on an event loop, as the web server does there")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with_embedded_redis("moderato-accept-", lambda tmp, redis_server: _run(args, tmp, redis_server))


def _run(args: argparse.Namespace, tmp: Path, redis_server: EmbeddedRedis) -> None:
    from bench.stack import _require_empty, raise_post_limits
    from service.migrate import upgrade

    database_url = args.database_url or f"sqlite:///{tmp / 'accept.sqlite3'}"
    _require_empty(database_url)
    os.environ.update(DATABASE_URL=database_url, REDIS_URL=redis_server.url, SECRET_KEY="bench-secret",
                      DATA_DIR=str(tmp), DEMO="0", RATE_LIMITS="1" if args.rate_limits else "0")
    upgrade(database_url)
    key = subprocess.run([sys.executable, "-m", "service", "create-api-key", "--site", "bench"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    if args.rate_limits:
        raise_post_limits(database_url, "bench")

    from service.app import create_app
    from service.body_gate import LaneRequest
    from service.config import Config
    from service.fast_lane import FastLane
    from service.queue import ModerationBatcher

    app = create_app(Config.from_env())
    lane = FastLane(app)
    answer_all = _on_loop(app, lane) if args.on_loop else (lambda requests: [lane(r) for r in requests])
    texts = load_texts()

    def request(i: int) -> LaneRequest:
        body = json.dumps(comment_fields(i, texts, args.rate_limits), ensure_ascii=False).encode()
        headers = {"content-type": "application/json", "authorization": f"Bearer {key}", "host": "127.0.0.1",
                   "content-length": str(len(body))}
        return LaneRequest("POST", "/api/comments", "", headers, body, "127.0.0.1", "http")

    # The pools open, the thread ids and the API key are cached: not counted.
    assert {answer[0] for answer in answer_all([request(10_000_000 + i) for i in range(300)])} == {202}
    requests = [request(i) for i in range(args.comments)]
    server_cpu = database_server_cpu(database_url)
    redis_cpu = processes_cpu([redis_server.process.pid] if redis_server.process else [])

    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.thread_time)  # CPU, not the waits for Redis and the database
        profiler.enable()
    server, cpu, redis = server_cpu(), time.process_time(), redis_cpu()
    statuses = [answer[0] for answer in answer_all(requests)]
    cpu, server, redis = time.process_time() - cpu, server_cpu() - server, redis_cpu() - redis
    if profiler is not None:
        profiler.disable()
    n = len(requests)
    assert statuses.count(202) == n, f"not every POST was accepted: {sorted(set(statuses))}"
    limits = "rate limits on" if args.rate_limits else "rate limits off"
    where = "on an event loop in this process" if args.on_loop else "in this process"
    print(f"{n} comments accepted on {database_url.split(':', 1)[0]}, one after the other {where}, {limits}:")
    print(f"  this process  {cpu * 1000 / n:.3f} ms of CPU per comment")
    print(f"  Redis         {redis * 1000 / n:.3f} ms")
    if database_url.startswith("postgresql"):
        print(f"  the server    {server * 1000 / n:.3f} ms (PostgreSQL's backends of this process's pools)")
    ModerationBatcher.flush_all()  # the batcher's last ids, while Redis runs
    app.extensions["moderato.db"].dispose()
    if profiler is not None:
        import pstats

        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(30)


def _on_loop(app: Any, lane: Any) -> Callable[[list[Any]], list[Any]]:
    """Return a callable that answers requests one after the other on one uvloop loop, as the gate does."""
    import uvloop

    from service.body_gate import BodyGate

    if not app.extensions["moderato.db"].accepts_on_loop:
        raise SystemExit("--on-loop: new comments are stored from the event loop on PostgreSQL only")
    gate = BodyGate(app, fast_lane=lane, lane_posts_on_loop=True)
    loop = uvloop.new_event_loop()

    async def one_by_one(requests: list[Any]) -> list[Any]:
        return [await gate._lane(request, None) for request in requests]

    return lambda requests: loop.run_until_complete(one_by_one(requests))


if __name__ == "__main__":
    main()
