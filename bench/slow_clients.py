"""Slow clients against the real web server: does a reader notice 200 connections that send almost nothing?

    python -m bench.slow_clients --slow 200 --duration 15 --rate 200

Measures an unrelated reader (GETs of a 100-comment thread, open loop at `--rate`, a 5-second timeout
per request) first alone, then while `--slow` sockets each send a POST's headers with
`Content-Length: 1000` and 9 bytes of body, then nothing (or, with `--kind headers`, half a request
head; `mixed` does both). A socket the server ends is opened again `--reopen-after` seconds later, so the
pressure stays for the whole run. The slow sockets come from `--sources` loopback addresses, as from
that many clients. Prints the reader's p50/p99 and errors in both phases, and how long the server
held a slow socket before it answered or closed it.
"""
from __future__ import annotations

import argparse
import select
import socket
import statistics
import threading
import time

from bench.httpload import build_request, percentile, run_load, summary

BODY_HEAD = ("POST /api/comments HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
             "Origin: http://{host}\r\nContent-Length: 1000\r\n\r\n")
PARTIAL_BODY = b'{"thread"'
HEADERS_HEAD = "POST /api/comments HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"


class SlowClients:
    """Hold `count` slow connections open to host:port from a thread, reopening each one the server drops."""

    def __init__(self, host: str, port: int, count: int, kind: str = "body", sources: int = 1,
                 reopen_after: float = 1.0) -> None:
        self.host, self.port, self.count, self.kind = host, port, count, kind
        # Loopback answers on all of 127.0.0.0/8: socket i binds 127.0.0.(2 + i % sources), one client each.
        self.sources = sources if host.startswith("127.") else 1
        self.reopen_after = reopen_after
        self.sockets: dict[socket.socket, float] = {}  # socket -> when it was opened
        self.closed_at: list[float] = []  # when the server ended a socket, so that its replacement waits
        self.held: list[float] = []  # seconds the server kept a slow socket before answering or closing it
        self.answers: dict[str, int] = {}  # first line of what the server sent back, counted
        self.open_failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)
        self._index = 0

    def start(self) -> SlowClients:
        """Open the sockets and keep them open until `stop()`."""
        for _ in range(self.count):
            self._open()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every socket."""
        self._stop.set()
        self._thread.join(5)
        for sock in list(self.sockets):
            sock.close()
        self.sockets.clear()

    def report(self) -> str:
        """Say how the server treated the slow sockets."""
        held = (f"held {statistics.median(self.held):.1f} s median, {max(self.held):.1f} s at most"
                if self.held else "none answered or closed")
        return (f"{self.count} {self.kind} slow sockets from {self.sources} addresses; the server ended {len(self.held)} of them ({held}); "
                f"answers {self.answers or '{}'}; failed opens {self.open_failures}; open at the end {len(self.sockets)}")

    def _open(self) -> None:
        host = f"{self.host}:{self.port}"
        kind = self.kind if self.kind != "mixed" else ("body", "headers")[self._index % 2]
        self._index += 1
        source = None if self.sources <= 1 else (f"127.0.0.{2 + self._index % self.sources}", 0)
        try:
            sock = socket.create_connection((self.host, self.port), timeout=5, source_address=source)
            if kind == "body":
                sock.sendall(BODY_HEAD.format(host=host).encode() + PARTIAL_BODY)
            else:
                sock.sendall(HEADERS_HEAD.format(host=host).encode())
            sock.setblocking(False)
        except OSError:
            self.open_failures += 1
            self.closed_at.append(time.monotonic())
            return
        self.sockets[sock] = time.monotonic()

    def _run(self) -> None:
        while not self._stop.is_set():
            due = time.monotonic() - self.reopen_after
            while self.closed_at and self.closed_at[0] <= due:
                self.closed_at.pop(0)
                self._open()
            readable, _, _ = select.select(list(self.sockets), [], [], 0.2)
            for sock in readable:
                try:
                    data = sock.recv(4096)
                except OSError:
                    data = b""
                if data:
                    line = data.split(b"\r\n", 1)[0].decode("latin-1")
                    self.answers[line] = self.answers.get(line, 0) + 1
                self.held.append(time.monotonic() - self.sockets.pop(sock))
                self.closed_at.append(time.monotonic())
                sock.close()


def measure_reader(port: int, path: str, duration: float, rate: float, connections: int) -> str:
    """Return a line of the reader's figures: GETs of `path` at `rate` for `duration` seconds."""
    raw = build_request("GET", path, f"127.0.0.1:{port}")
    result = run_load("127.0.0.1", port, lambda i: raw, duration, rate=rate, connections=connections, timeout=5)
    other = {k: v for k, v in result.statuses.items() if k != 200}
    p99 = percentile(result.latencies, 99) * 1000
    return (f"{result.ok(200)} of {result.sent} answered 200, timeouts/errors {result.errors}, other {other}; "
            f"{summary(result.latencies)}; p99 {p99:.1f} ms")


def main() -> None:
    """Run the benchmark and print its figures."""
    from bench.read import _make_thread
    from bench.stack import Stack

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slow", type=int, default=200, help="slow connections")
    parser.add_argument("--kind", choices=["body", "headers", "mixed"], default="body")
    parser.add_argument("--sources", type=int, default=200,
                        help="client addresses the slow sockets come from (127.0.0.2 up); 1: all from one")
    parser.add_argument("--reopen-after", type=float, default=1.0,
                        help="seconds before a slow socket the server ended is opened again")
    parser.add_argument("--client-body-reads", type=int, default=None, help="CLIENT_BODY_READS of the server")
    parser.add_argument("--duration", type=float, default=15, help="seconds of reading in each phase")
    parser.add_argument("--rate", type=float, default=200, help="reader GETs per second")
    parser.add_argument("--connections", type=int, default=8, help="the reader's keep-alive connections")
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per web process")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args()

    stack = Stack(args.web_processes, 0, args.database_url, threads=args.threads)
    if args.client_body_reads is not None:
        stack.extra_env["CLIENT_BODY_READS"] = str(args.client_body_reads)
    stack.start()
    try:
        _make_thread(stack.database_url)
        path = "/api/threads/bench/read.html/comments?site=bench&limit=100"
        measure_reader(stack.port, path, 2, args.rate, args.connections)  # warm-up, not counted
        print(f"reader alone:            {measure_reader(stack.port, path, args.duration, args.rate, args.connections)}")
        slow = SlowClients("127.0.0.1", stack.port, args.slow, args.kind, args.sources, args.reopen_after).start()
        try:
            time.sleep(1)
            print(f"with {args.slow} slow sockets: "
                  f"{measure_reader(stack.port, path, args.duration, args.rate, args.connections)}")
        finally:
            slow.stop()
        print(slow.report())
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
