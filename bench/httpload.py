"""A small open-loop HTTP/1.1 load generator on asyncio, so the benchmarks need no extra tools.

Requests are sent at a fixed rate (open loop: a slow server does not slow the sender down, so queueing
shows up in the latencies) over a pool of keep-alive connections, reconnecting when the server closes.
"""
from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    """What a load run saw from the client side."""

    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds, successful responses only
    errors: int = 0
    elapsed: float = 0.0

    def ok(self, status: int) -> int:
        """Return how many responses had `status`."""
        return self.statuses.get(status, 0)


def percentile(values: list[float], p: float) -> float:
    """Return the p-th percentile (0-100) by nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length = 0
        close = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        if length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def build_request(method: str, path: str, host: str, headers: dict[str, str] | None = None,
                  body: bytes = b"") -> bytes:
    """Return the bytes of one HTTP/1.1 request."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _run(host: str, port: int, make_request: Callable[[int], bytes], rate: float | None, duration: float,
               connections: int) -> LoadResult:
    result = LoadResult()
    pool: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(_Connection(host, port))
    pending: set[asyncio.Task] = set()

    async def one(index: int) -> None:
        conn = await pool.get()
        started = time.perf_counter()
        try:
            status = await conn.request(make_request(index))
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                result.latencies.append(time.perf_counter() - started)
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            result.errors += 1
            conn.close()
        finally:
            pool.put_nowait(conn)

    start = time.perf_counter()
    index = 0
    if rate:  # open loop at a fixed rate
        interval = 1.0 / rate
        while True:
            due = start + index * interval
            now = time.perf_counter()
            if due - start >= duration:
                break
            if due > now:
                await asyncio.sleep(due - now)
            task = asyncio.create_task(one(index))
            pending.add(task)
            task.add_done_callback(pending.discard)
            index += 1
    else:  # closed loop: each connection sends as fast as it is answered
        async def loop() -> None:
            nonlocal index
            while time.perf_counter() - start < duration:
                index += 1
                await one(index)

        await asyncio.gather(*(loop() for _ in range(connections)))
    if pending:
        await asyncio.gather(*pending)
    result.sent = index
    result.elapsed = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait().close()
    return result


def run_load(host: str, port: int, make_request: Callable[[int], bytes], duration: float,
             rate: float | None = None, connections: int = 32) -> LoadResult:
    """Send requests for `duration` seconds at `rate` per second (or closed-loop when None)."""
    return asyncio.run(_run(host, port, make_request, rate, duration, connections))


def summary(values: list[float]) -> str:
    """Return p50/p95/p99 of seconds, in milliseconds."""
    if not values:
        return "no samples"
    return (f"p50 {percentile(values, 50) * 1000:.1f} ms, p95 {percentile(values, 95) * 1000:.1f} ms, "
            f"p99 {percentile(values, 99) * 1000:.1f} ms (mean {statistics.fmean(values) * 1000:.1f} ms)")
