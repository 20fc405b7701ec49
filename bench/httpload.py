"""A small open-loop HTTP/1.1 load generator on asyncio (uvloop), so the benchmarks need no extra tools.

Requests are sent at a fixed rate (open loop: a slow server does not slow the sender down, so queueing
shows up in the latencies) over a pool of keep-alive connections, reconnecting when the server closes.
"""
from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import uvloop


@dataclass
class LoadResult:
    """What a load run saw from the client side."""

    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds, successful responses only
    sent_at: list[float] = field(default_factory=list)  # seconds from the start, one per latency
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


class _Connection(asyncio.Protocol):
    """One keep-alive connection, parsing responses as bytes arrive (no stream readers: they cost the
    sender CPU that the server under test needs, on a machine they share)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None

    async def request(self, raw: bytes) -> int:
        loop = asyncio.get_running_loop()
        if self.transport is None or self.transport.is_closing():
            self.buffer.clear()
            await loop.create_connection(lambda: self, self.host, self.port)
        self.waiter = loop.create_future()
        assert self.transport is not None
        self.transport.write(raw)
        status, close = await self.waiter
        if close:
            self.close()
        return status

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None or self.waiter.done():
            return
        head = bytes(self.buffer[:end]).split(b"\r\n")
        length, close = 0, False
        for line in head[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close = value.strip().lower() == b"close"
            elif name == b"transfer-encoding":
                self.waiter.set_exception(ValueError("chunked responses are not read here"))
                return
        if len(self.buffer) < end + 4 + length:
            return
        del self.buffer[:end + 4 + length]
        self.waiter.set_result((int(head[0].split(b" ", 2)[1]), close))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.transport = None


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
               connections: int, timeout: float | None, on_status: Callable[[int, int], None] | None) -> LoadResult:
    result = LoadResult()
    pool: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(_Connection(host, port))
    pending: set[asyncio.Task] = set()

    async def one(index: int) -> None:
        due = time.perf_counter()
        conn = await pool.get()
        started = time.perf_counter()
        if timeout is not None and started - due > timeout:  # waited its whole timeout for a connection
            result.errors += 1
            pool.put_nowait(conn)
            return
        try:
            status = await asyncio.wait_for(conn.request(make_request(index)),
                                            None if timeout is None else timeout - (started - due))
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if on_status is not None:
                on_status(index, status)
            if 200 <= status < 300:
                result.latencies.append(time.perf_counter() - started)
                result.sent_at.append(started - start)
        except (OSError, ConnectionError, ValueError, IndexError, TimeoutError):
            # A request that timed out counts as an error; its connection is dropped, not reused.
            result.errors += 1
            conn.close()
            # A fresh protocol object: the old one's connection_lost, still to come, must not fail the next request.
            conn = _Connection(host, port)
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
             rate: float | None = None, connections: int = 32, timeout: float | None = None,
             on_status: Callable[[int, int], None] | None = None) -> LoadResult:
    """Send requests for `duration` seconds at `rate` per second (or closed-loop when None).

    With `timeout`, a request unanswered after that many seconds counts as an error (`errors`);
    `on_status(index, status)` hears of every answer.
    """
    # uvloop's event loop costs the sender a fraction of asyncio's CPU, leaving it to the server.
    return uvloop.run(_run(host, port, make_request, rate, duration, connections, timeout, on_status))


def summary(values: list[float]) -> str:
    """Return p50/p95/p99 of seconds, in milliseconds."""
    if not values:
        return "no samples"
    return (f"p50 {percentile(values, 50) * 1000:.1f} ms, p95 {percentile(values, 95) * 1000:.1f} ms, "
            f"p99 {percentile(values, 99) * 1000:.1f} ms (mean {statistics.fmean(values) * 1000:.1f} ms)")
