"""A worker's CPU per comment decided, in this process, split into the filters' and the rest's.

    python -m bench.decide [--comments 4000] [--batch 40] [--database-url URL] [--profile]

Stores the comments as pending (COLD's dev texts when the shared data is there), then runs
`workers.tasks.moderate_batch` over them in batches of `--batch`, as the RQ jobs of a 200 ms batch window
at 200 comments/s would, and prints this process's CPU (user + system) per comment, the filters' part of it
(the workers' own counter, as `/metrics` gives it), Redis's time per comment by command and, on PostgreSQL,
the server's CPU per comment. No RQ and no
web server: the end-to-end account is `python -m bench.e2e`. With `--profile`, prints cProfile's top entries
outside the filters.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.cpu import database_server_cpu
from bench.e2e import load_texts
from bench.stack import with_embedded_redis
from service.embedded_redis import EmbeddedRedis


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file (an empty database)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with_embedded_redis("moderato-decide-", lambda tmp, redis_server: _run(args, tmp, redis_server))


def _run(args: argparse.Namespace, tmp: Path, redis_server: EmbeddedRedis) -> None:
    from redis import Redis

    from bench.stack import _require_empty
    from service.comments import Submission, submit_comment
    from service.config import Config
    from service.metrics import FILTER_CPU_KEY
    from service.migrate import upgrade
    from service.queue import ModerationBatcher
    from service.sites import get_or_create_site
    from workers.context import WorkerContext
    from workers.tasks import moderate_batch

    database_url = args.database_url or f"sqlite:///{tmp / 'decide.sqlite3'}"
    _require_empty(database_url)
    upgrade(database_url)
    config = Config(database_url=database_url, redis_url=redis_server.url, secret_key="bench-secret",
                    data_dir=str(tmp), rate_limits=False)
    context = WorkerContext(config)
    site = get_or_create_site(context.db, "bench")
    texts = load_texts()
    # Its jobs go to a queue that no worker reads: this process runs the batches itself.
    batcher = ModerationBatcher(context.redis, "bench-decide-unread", window=0, batch_size=args.batch)
    ids = [submit_comment(context.db, batcher, site, Submission(f"/bench/{i % 50}.html", None, f"读者{i}", None,
                                                                texts[i % len(texts)], None), f"ip{i % 97}")[0].id
           for i in range(args.comments)]
    batches = [ids[i:i + args.batch] for i in range(0, len(ids), args.batch)]
    moderate_batch(batches.pop(0), context)  # the model loads and the pools open: not counted
    counted = sum(len(b) for b in batches)
    redis = Redis.from_url(redis_server.url)
    filters_before = float(redis.get(FILTER_CPU_KEY) or 0)
    commands_before = _commands(redis)
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    server_cpu = database_server_cpu(database_url)

    server, cpu, wall = server_cpu(), time.process_time(), time.perf_counter()
    for batch in batches:
        moderate_batch(batch, context)
    cpu, wall, server = time.process_time() - cpu, time.perf_counter() - wall, server_cpu() - server
    if profiler is not None:
        profiler.disable()
    filters = float(redis.get(FILTER_CPU_KEY) or 0) - filters_before
    print(f"{counted} comments in batches of {args.batch} on {context.db.engine.dialect.name}: "
          f"{wall * 1000 / counted:.3f} ms of wall time per comment")
    print(f"  worker CPU     {cpu * 1000 / counted:.3f} ms per comment")
    print(f"    filters      {filters * 1000 / counted:.3f} ms")
    print(f"    the rest     {(cpu - filters) * 1000 / counted:.3f} ms  (reading, deciding, storing, announcing)")
    if database_url.startswith("postgresql"):
        print(f"  the server     {server * 1000 / counted:.3f} ms per comment (PostgreSQL's backends of this process's pool)")
    spent = {name: (calls - commands_before.get(name, (0, 0))[0], usec - commands_before.get(name, (0, 0))[1])
             for name, (calls, usec) in _commands(redis).items() if name != "info"}
    top = sorted(spent.items(), key=lambda item: -item[1][1])[:6]
    print("  Redis's time per comment: " + ", ".join(
        f"{name} {usec / counted:.1f} µs ({calls / counted:.2f} calls)" for name, (calls, usec) in top))
    if profiler is not None:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"(service|workers|sqlalchemy|rq)/", 40)
    context.db.dispose()


def _commands(redis) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    return {name.removeprefix("cmdstat_"): (int(v["calls"]), int(v["usec"]))
            for name, v in redis.info("commandstats").items()}


if __name__ == "__main__":
    main()
