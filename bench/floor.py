"""The web server's floor: what granian costs per POST before the service does anything, on this machine.

    python -m bench.floor [--rate 200] [--duration 10] [--rounds 2]

Runs granian as `python -m service run` does (one process, RSGI, the same options) with a stand-in app
(`bench/floor_app.py`) that answers every request with a constant 202, at three depths:

- `head`: answered from the request's head, its body left unread;
- `bare`: answered once its body is read by granian's `await protocol()` alone, with no deadline;
- `body`: answered once its body is read as `service.body_gate.BodyGate` reads it, with its deadlines;
- `thread`: that, and the answer made in one of the app's threads (`service.body_gate.AppThreads`), as the
  service's POSTs are.

Each depth is loaded with the same comment POSTs at `--rate` per second over 64 connections, alternating,
and its CPU per request read from /proc (bench/cpu.py). The difference between the `thread` depth and the
web process's CPU per POST in `python -m bench.e2e` is the service's own work (parsing, checks, the
INSERT and its commit, queueing). README "Performance" quotes both.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

from bench.cpu import CpuAccount, descendants
from bench.httpload import build_request, run_load, summary
from service.config import PROJECT_ROOT
from service.embedded_redis import free_port
from service.runner import web_command

DEPTHS = ("head", "bare", "body", "thread")


def _serve(depth: str, port: int) -> subprocess.Popen:
    command = web_command(port, 1, host="127.0.0.1")
    command[-1] = "bench.floor_app:app"
    server = subprocess.Popen(command, env=dict(os.environ, FLOOR_DEPTH=depth), cwd=PROJECT_ROOT)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("the stand-in server did not start") from None
            time.sleep(0.1)


def measure(depth: str, rate: float, duration: float) -> str:
    """Load one depth at `rate` and return a line of its figures."""
    port = free_port()
    server = _serve(depth, port)
    try:
        host = f"127.0.0.1:{port}"
        text = "这篇报道写得很好，谢谢记者。" * 4

        def make_request(i: int) -> bytes:
            body = json.dumps({"thread": f"/bench/{i % 50}.html", "author": f"读者{i}", "text": text},
                              ensure_ascii=False).encode()
            return build_request("POST", "/api/comments", host, {"Content-Type": "application/json"}, body)

        run_load("127.0.0.1", port, make_request, 2, rate=rate, connections=64)  # warm-up, not counted
        account = CpuAccount({"web": lambda: [server.pid, *descendants(server.pid)]}).start()
        result = run_load("127.0.0.1", port, make_request, duration, rate=rate, connections=64)
        spent = account.stop()["web"]
        answered = result.ok(202)
        return (f"{depth:7s} {spent * 1000 / max(answered, 1):.3f} ms of CPU per request "
                f"({account.system['web'] * 1000 / max(answered, 1):.3f} in the kernel), {answered} answered, "
                f"latency {summary(result.latencies)}")
    finally:
        server.terminate()
        server.wait(15)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200, help="POSTs per second")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per depth and round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"granian, one process, {args.rate:.0f} POST/s over 64 connections, {os.cpu_count()} cores")
    for _ in range(args.rounds):
        for depth in DEPTHS:
            print(measure(depth, args.rate, args.duration), flush=True)


if __name__ == "__main__":
    sys.exit(main())
