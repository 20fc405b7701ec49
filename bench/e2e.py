"""End-to-end benchmark: POST comments with an API key at a fixed rate, N workers decide them.

    python -m bench.e2e --rate 1200 --duration 10 --workers 2

Prints accepted/s and the POST latency seen by the client, then decided/s and submit→decision latency
p50/p95/p99 from the timestamps stored with each comment. Everything (load generator, web server,
workers, Redis, database) shares this machine.

It also prints a CPU account (bench/cpu.py): the CPU milliseconds per comment of each kind of process,
from the kernel's counters, which a busy machine changes much less than it changes rates. With
`--workers-during-load` the account runs from the end of the warm-up (once its comments are decided)
until every comment of the run is decided: the end-to-end cost. Without it there are two: accepting
(while the load runs) and deciding (while the workers drain the backlog, warm-up included). The
filters' own CPU comes from the workers' `moderato_filter_cpu_seconds_total` counter in Redis, and from
Redis's time running the flood filter's script (EVALSHA in INFO commandstats: Redis's own clock).

Rate limits are off (the load comes from one address and one key). `--rate-limits` turns them on, as in
production: each POST names a reader's address of its own (`reader_ip`, which the flood filter then also
sees), and the site's limits are raised so that every POST is counted and none is refused. Only with
accepting and deciding apart, since the limits' script is an EVALSHA too.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass

from sqlalchemy import create_engine, text

from bench.cpu import CpuAccount, descendants, postgres_backends, report
from bench.httpload import build_request, percentile, run_load, summary
from bench.stack import Stack, raise_post_limits
from service.config import Config

# Phrases combined at random into distinct comments, so that the duplicate detector sees what a
# real thread brings, not one text posted thousands of times.
PHRASES = [
    "这篇报道写得很好", "希望有关部门继续跟进", "老旧小区加装电梯是好事", "费用分摊要公开透明",
    "我们小区去年也改造了", "现在停车方便多了", "物业管理也要跟上", "楼下的充电桩什么时候装",
    "施工期间噪音太大", "老人上下楼终于方便了", "建议多听听居民的意见", "资金来源是什么",
    "I agree with the article", "the city should build more bike lanes", "great reporting",
    "what about the older districts", "thanks for the update", "more details please",
    "支持", "点赞", "期待后续报道", "我家附近也需要改造", "排水管网问题很严重", "绿化也要加强",
]


def comment_text(i: int) -> str:
    """Return the i-th benchmark comment: 3 to 6 phrases picked by a seeded generator."""
    import random

    rng = random.Random(i)
    return "，".join(rng.sample(PHRASES, rng.randint(3, 6))) + "。"


def load_texts() -> list[str]:
    """Return real comments (COLD's dev file, both labels) when the shared data is there, else generated ones."""
    try:
        from workers.datasets import DATA_DIR, read_table

        texts = list(read_table(DATA_DIR / "cold" / "dev.csv").texts)
        if texts:
            return texts
    except (ImportError, OSError):
        pass
    return [comment_text(i) for i in range(5000)]


def comment_fields(i: int, texts: list[str], own_address: bool = False) -> dict[str, str]:
    """Return the JSON fields of the benchmarks' i-th API-key POST: 50 threads, an author each, texts in turn.

    With `own_address`, a reader's address of its own (`reader_ip`, as a back end passes it), for runs with
    the rate limits on: they count per address.
    """
    fields = {"thread": f"/bench/{i % 50}.html", "author": f"读者{i}", "text": texts[i % len(texts)]}
    if own_address:
        fields["reader_ip"] = f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
    return fields


def _pending(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM comments WHERE status = 'pending'")).scalar()


def _wait_until_decided(engine, timeout: float = 600) -> int:  # type: ignore[no-untyped-def]
    """Wait until no comment is pending (or `timeout`); return how many are left."""
    deadline = time.monotonic() + timeout
    while (left := _pending(engine)) and time.monotonic() < deadline:
        time.sleep(0.25)
    return left


@dataclass(frozen=True)
class FilterSpend:
    """The filters' own CPU seconds: in the workers (their counter), and in Redis running the flood filter's
    script (EVALSHA's time in INFO commandstats; the benchmark turns rate limits, the other script, off)."""

    workers: float
    redis_script: float
    script_calls: int

    @classmethod
    def read(cls, stack: Stack) -> FilterSpend:
        """Read both counters now."""
        from redis import Redis

        from service.metrics import FILTER_CPU_KEY

        redis = Redis.from_url(stack.redis.url)
        try:
            script = redis.info("commandstats").get("cmdstat_evalsha", {})
            return cls(float(redis.get(FILTER_CPU_KEY) or 0), int(script.get("usec", 0)) / 1e6,
                       int(script.get("calls", 0)))
        finally:
            redis.close()

    def since(self, before: FilterSpend) -> FilterSpend:
        """Return what was spent between `before` and this reading."""
        return FilterSpend(self.workers - before.workers, self.redis_script - before.redis_script,
                           self.script_calls - before.script_calls)


def _command_stats(stack: Stack) -> dict[str, tuple[int, int]]:
    """Return Redis's own count of calls and microseconds per command (INFO commandstats)."""
    from redis import Redis

    redis = Redis.from_url(stack.redis.url)
    try:
        return {name.removeprefix("cmdstat_"): (int(v["calls"]), int(v["usec"]))
                for name, v in redis.info("commandstats").items()}
    finally:
        redis.close()


def _print_commands(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], comments: int) -> None:
    """Print the Redis commands that took the most of Redis's time, per comment (commands that scripts
    call are counted both on their own and inside EVALSHA)."""
    spent = {name: (calls - before.get(name, (0, 0))[0], usec - before.get(name, (0, 0))[1])
             for name, (calls, usec) in after.items() if name != "info"}
    top = sorted(spent.items(), key=lambda item: -item[1][1])[:8]
    print("  Redis commands by Redis's time (calls and CPU µs per comment): " + ", ".join(
        f"{name} {calls / max(comments, 1):.2f}× {usec / max(comments, 1):.1f} µs" for name, (calls, usec) in top))


def _account(stack: Stack, engine, kinds: tuple[str, ...]) -> CpuAccount:  # type: ignore[no-untyped-def]
    """Return a CPU account of the stack's processes of `kinds`, and of this process (the load generator)."""
    import os

    web, workers = stack.procs[0].pid, [p.pid for p in stack.procs[1:]]
    every = {
        "web": lambda: [web, *descendants(web)],
        "worker": lambda: workers,
        "scheduler": lambda: [child for pid in workers for child in descendants(pid)],
        "redis": lambda: [stack.redis.process.pid] if stack.redis.process else [],
    }
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:  # the pooled connection this script polls with: left out
            own = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        every["database"] = lambda: postgres_backends(engine.url.database, exclude=[own])
    every["load generator"] = lambda: [os.getpid()]
    return CpuAccount({k: v for k, v in every.items() if k in kinds or k in ("database", "load generator")})


def _print_account(account: CpuAccount, comments: int, elapsed: float, filters: FilterSpend | None) -> None:
    totals = account.stop()
    excluded: tuple[str, ...] = ("load generator",)
    if filters is not None and "worker" in totals:
        totals = {**totals, "  of which filters": filters.workers}
        excluded += ("  of which filters",)
        if "redis" in totals:
            # Each decided comment's flood check is one script call; calls beyond that would be another
            # script's, so the share is left out rather than guessed.
            if filters.script_calls <= comments * 1.05 + 50:
                totals["  of which filters' script"] = filters.redis_script
                excluded += ("  of which filters' script",)
            else:
                print(f"  ({filters.script_calls} script calls for {comments} comments: Redis's share of the "
                      "filters is not separated)")
    print(report(totals, comments, "comment", elapsed, excluded=excluded, system=account.system))
    if filters is not None:
        filter_total = sum(v for k, v in totals.items() if k.startswith("  of which filters"))
        rest = sum(v for k, v in totals.items() if k not in excluded) - filter_total
        print(f"  the filters' own work:      {filter_total * 1000 / max(comments, 1):.3f} ms per comment "
              "(in the workers, and their script in Redis)")
        print(f"  everything but the filters: {rest * 1000 / max(comments, 1):.3f} ms per comment")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1200, help="POSTs per second")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load")
    parser.add_argument("--workers", type=int, default=2, help="RQ workers")
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per web process")
    parser.add_argument("--server", default="granian", help="granian, or a gunicorn worker class (sync, gthread)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--warmup", type=float, default=2,
                        help="seconds of load at the same rate before the measured run, not counted")
    parser.add_argument("--workers-during-load", action="store_true",
                        help="start the workers before the load instead of after it")
    parser.add_argument("--rate-limits", action="store_true",
                        help="count every POST against the rate limits, as in production (each its own reader_ip)")
    args = parser.parse_args()
    if args.rate_limits and args.workers_during_load:
        # The limits' script and the flood filter's are both EVALSHA in Redis's stats: only apart (accepting,
        # then deciding) can the filters' own work be told from the rest.
        parser.error("--rate-limits measures accepting and deciding apart: leave out --workers-during-load")

    stack = Stack(args.web_processes, args.workers, args.database_url, worker_class=args.server,
                  threads=args.threads)
    if args.rate_limits:
        stack.extra_env["RATE_LIMITS"] = "1"
    stack.start()
    try:
        key = stack.api_key()
        if args.rate_limits:  # before the first POST: the web process reads the site's settings then
            raise_post_limits(stack.database_url, "bench")
        if args.workers_during_load:
            stack.start_workers(wait=True)
        host = f"127.0.0.1:{stack.port}"
        texts = load_texts()
        print(f"{len(texts)} distinct comment texts, posted in turn")
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

        def make_request(i: int) -> bytes:
            body = json.dumps(comment_fields(i, texts, args.rate_limits), ensure_ascii=False).encode()
            return build_request("POST", "/api/comments", host, headers, body)

        warmed = 0
        if args.warmup > 0:
            # A cold start opens the database pools and fills per-process caches: measured alone, its
            # first few hundred milliseconds held every request slower than 50 ms of a 1,200/s run.
            warm = run_load("127.0.0.1", stack.port, lambda i: make_request(10_000_000 + i), args.warmup,
                            rate=args.rate, connections=args.connections)
            warmed = warm.ok(202)
            print(f"warm-up: {args.warmup:.0f} s at the same rate, {warmed} accepted, not in the figures below")
        engine = create_engine(Config(database_url=stack.database_url).resolved_database_url())
        if args.workers_during_load:
            _wait_until_decided(engine)  # the warm-up's comments, so that the account holds only the run's
            account = _account(stack, engine, ("web", "worker", "scheduler", "redis"))
        else:
            account = _account(stack, engine, ("web", "redis"))
        filters_before = FilterSpend.read(stack)
        commands_before = _command_stats(stack)
        started = time.monotonic()
        account.start()
        result = run_load("127.0.0.1", stack.port, make_request, args.duration, rate=args.rate,
                          connections=args.connections)
        accepted = result.ok(202)
        print(f"offered {result.sent / result.elapsed:.0f}/s for {result.elapsed:.1f} s; "
              f"accepted {accepted} ({accepted / result.elapsed:.0f}/s), other statuses "
              f"{ {k: v for k, v in result.statuses.items() if k != 202} }, errors {result.errors}")
        print(f"POST -> 202 latency: {summary(result.latencies)}")
        if not args.workers_during_load:
            print("accepting (while the load ran; no workers):")
            _print_account(account, accepted, time.monotonic() - started, None)
        if args.workers_during_load:
            with engine.connect() as conn:
                backlog = conn.execute(text("SELECT count(*) FROM comments WHERE status = 'pending'")).scalar()
            # Workers that keep up leave only the last fraction of a second behind them.
            print(f"pending when the load stopped: {backlog} ({backlog / max(accepted + warmed, 1):.1%} of those accepted)")
        if not args.workers_during_load:
            stack.start_workers(wait=True)
            filters_before = FilterSpend.read(stack)
            drain_start, decided_before = time.monotonic(), accepted + warmed - _pending(engine)
            account = _account(stack, engine, ("web", "worker", "scheduler", "redis")).start()
        left = _wait_until_decided(engine)
        elapsed = time.monotonic() - (started if args.workers_during_load else drain_start)
        filters = FilterSpend.read(stack).since(filters_before)
        if args.workers_during_load:
            print(f"end to end (from the first POST until every comment was decided; {left} left pending):")
            _print_account(account, accepted, elapsed, filters)
            _print_commands(commands_before, _command_stats(stack), accepted)
        else:
            print(f"deciding (the workers draining the backlog; {left} left pending):")
            _print_account(account, accepted + warmed - decided_before, elapsed, filters)
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT created_at, decided_at, status FROM comments WHERE decided_at IS NOT NULL")).all()
        engine.dispose()
        def ts(value) -> float:  # type: ignore[no-untyped-def]
            if isinstance(value, str):
                from datetime import datetime, timezone

                value = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
            return value.timestamp()

        latencies = [ts(d) - ts(c) for c, d, _ in rows]
        decided_times = sorted(ts(d) for _, d, _ in rows)
        statuses: dict[str, int] = {}
        for _, _, status in rows:
            statuses[status] = statuses.get(status, 0) + 1
        span = decided_times[-1] - decided_times[0] if len(decided_times) > 1 else float("nan")
        print(f"decided {len(rows)} of {accepted + warmed} (with the warm-up's) ({statuses}); still pending {left}")
        print(f"decided/s, first to last decision, with {args.workers} workers: {len(rows) / span:.0f}")
        print(f"submit -> decision latency: p50 {percentile(latencies, 50):.2f} s, "
              f"p95 {percentile(latencies, 95):.2f} s, p99 {percentile(latencies, 99):.2f} s"
              + ("" if args.workers_during_load else " (workers started after the load: includes the backlog)"))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
