"""Benchmark the pipeline: CPU time per comment and the worker's memory with the model loaded.

    python bench/filters.py [--limit N] [--batch 120]

Runs every registered filter over COLD's dev texts one comment at a time (`Pipeline.run`), and over the
same texts joined and cut to 200 characters, the budget's reference length. Prints median and p95 CPU
milliseconds per comment, and the resident memory after loading (VmRSS, and the peak VmHWM). Then runs
COLD's texts again in batches of `--batch`, as a worker's job does (`Pipeline.run_many`: filter by filter,
the flood filter's Redis calls in one round trip), and prints the mean CPU per comment each way, and
batched without the flood filter's prepared calls, which splits the gain between the two.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workers.datasets import DATA_DIR, read_table  # noqa: E402
from workers.filters.base import CommentInput  # noqa: E402
from workers.score import all_filter_names, build_pipeline  # noqa: E402


def memory_mb() -> dict[str, float]:
    """Return the process's resident and peak resident memory in MB, from /proc/self/status."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def cpu_ms(pipeline, texts: list[str], redis=None) -> list[float]:  # type: ignore[no-untyped-def]
    """Return the CPU milliseconds the pipeline spends on each text (this process's CPU, not Redis's)."""
    times = []
    clock = time.process_time_ns
    for index, text in enumerate(texts):
        comment = CommentInput(text=text, comment_id=index + 1, site_id=1, thread=f"/t/{index % 50}",
                               author_key=f"reader{index}", ip_hash=f"ip{index}")
        start = clock()
        pipeline.run(comment, redis=redis)
        times.append((clock() - start) / 1e6)
    return times


def batched_ms(pipeline, texts: list[str], redis, batch: int) -> float:  # type: ignore[no-untyped-def]
    """Return the mean CPU milliseconds per text of running the texts through `run_many` in batches."""
    comments = [CommentInput(text=text, comment_id=index + 1, site_id=1, thread=f"/t/{index % 50}",
                             author_key=f"reader{index}", ip_hash=f"ip{index}") for index, text in enumerate(texts)]
    start = time.process_time_ns()
    for first in range(0, len(comments), batch):
        pipeline.run_many(comments[first:first + batch], redis=redis)
    return (time.process_time_ns() - start) / 1e6 / len(comments)


def _summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered):.3f} ms, p95 {p95:.3f} ms, n={len(ordered)}"


def main() -> int:
    """Print the benchmark figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N dev texts")
    parser.add_argument("--batch", type=int, default=120, help="comments per batch in the batched runs (0: none)")
    parser.add_argument("--no-redis", action="store_true",
                        help="run without Redis (the flood filter then skips its duplicate and rate checks)")
    args = parser.parse_args()
    redis_server = redis = None
    if not args.no_redis:
        import tempfile

        from redis import Redis

        from service.embedded_redis import EmbeddedRedis, free_port

        redis_server = EmbeddedRedis(Path(tempfile.mkdtemp()), port=free_port(), persistent=False).start()
        redis = Redis.from_url(redis_server.url)
    texts = list(read_table(args.data / "cold" / "dev.csv").texts)
    if args.limit:
        texts = texts[:args.limit]
    before = memory_mb()
    names = all_filter_names()
    pipeline = build_pipeline(names, {})
    pipeline.run(CommentInput(text="预热 warm-up"))  # loads the model and any lazy tables
    loaded = memory_mb()
    print(f"filters: {', '.join(names)}")
    print(f"RSS before loading {before['VmRSS']:.1f} MB; after loading {loaded['VmRSS']:.1f} MB "
          f"(peak {loaded['VmHWM']:.1f} MB)")
    joined = "".join(texts)
    long_texts = [joined[i:i + 200] for i in range(0, min(len(joined), 200 * len(texts)) - 200, 200)]
    print(f"Redis for the flood filter: {'none' if redis is None else 'a real redis-server'}")
    try:
        print(f"COLD dev as written (median {statistics.median(len(t) for t in texts):.0f} chars): "
              f"{_summary(cpu_ms(pipeline, texts, redis))}")
        if redis is not None:
            redis.flushall()
        print(f"200-character comments: {_summary(cpu_ms(pipeline, long_texts, redis))}")
        if args.batch:
            means = {}
            for way in ("one by one", "batched", "batched, flood unprepared"):
                if redis is not None:
                    redis.flushall()
                flood = next((f for f in pipeline.filters if f.name == "flood"), None)
                if flood is not None and way.endswith("unprepared"):
                    flood.prepare = None  # run_many then leaves the flood filter's calls to its checks
                means[way] = (statistics.fmean(cpu_ms(pipeline, texts, redis)) if way == "one by one"
                              else batched_ms(pipeline, texts, redis, args.batch))
                if flood is not None:
                    vars(flood).pop("prepare", None)
            print(f"COLD dev, mean CPU per comment: one by one {means['one by one']:.3f} ms; in batches of "
                  f"{args.batch} {means['batched']:.3f} ms ({means['batched, flood unprepared']:.3f} ms with the "
                  f"flood filter's Redis calls made one by one)")
    finally:
        if redis_server is not None:
            redis_server.stop()
    print(f"RSS after the run {memory_mb()['VmRSS']:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
