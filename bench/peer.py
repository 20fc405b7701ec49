"""Moderato beside a peer, Isso, on this machine in one run: the same wrk commands against each, alternating.

    python -m venv /tmp/isso && /tmp/isso/bin/pip install isso gunicorn     # once; Isso is not our dependency
    python -m bench.peer --isso-python /tmp/isso/bin/python [--rounds 2] [--duration 10]

Both run two web processes on SQLite: Moderato as `python -m service run` starts it (granian, RSGI), Isso
under gunicorn (2 sync workers), with its spam guard and moderation off so that it stores and publishes
every POST (it logs each new comment at INFO, as it does by default; the log goes to a file). Each round
runs, against Moderato and then Isso:

- reading a thread of 100 comments: `wrk -t2 -c32 -dDs` on the thread's page;
- posting comments: `wrk -t2 -c32 -dDs -s bench/wrk_post.lua` with a different text each time (Moderato:
  API-key POSTs; Isso, with PEER=isso: POST /new).

It prints wrk's requests/s and latency and the CPU per request of each server's processes, from /proc
(bench/cpu.py). Moderato's POSTs are accepted here and decided later by its workers (not running here:
`python -m bench.e2e` accounts for both); Isso does all of its work in the request. The two differ in what a
POST does: Moderato checks an API key, stores the comment as pending and queues it for the filters; Isso
stores it, published, with no filter.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.cpu import CpuAccount, descendants, report
from bench.read import _make_thread
from bench.stack import Stack
from service.embedded_redis import free_port

HERE = Path(__file__).resolve().parent
THREAD = "/bench/read.html"


def main() -> None:
    """Run the comparison and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--isso-python", required=True, help="a Python with isso and gunicorn installed")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    for round_number in range(1, args.rounds + 1):
        for name, run in (("Moderato", _moderato), ("Isso", _isso)):
            print(f"\n== round {round_number}: {name}")
            run(args)


def _wrk(args: argparse.Namespace, url: str, pids, script: Path | None = None,  # type: ignore[no-untyped-def]
         env: dict[str, str] | None = None, what: str = "") -> None:
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    account = CpuAccount({"server": pids}).start()
    started = time.monotonic()
    out = subprocess.run(command, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=True)
    elapsed = time.monotonic() - started
    totals = account.stop()
    requests = int(re.search(r"(\d+) requests in", out.stdout).group(1))  # type: ignore[union-attr]
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout).group(1)  # type: ignore[union-attr]
    # Latency Distribution's lines ("     50%    8.27ms"), not the "+/- Stdev" column's "96.99%".
    p50 = re.search(r"^\s+50%\s+(\S+)", out.stdout, re.M).group(1)  # type: ignore[union-attr]
    p99 = re.search(r"^\s+99%\s+(\S+)", out.stdout, re.M).group(1)  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out.stdout)
    errors = f", {bad.group(1)} not 2xx" if bad else ""
    print(f"{what}: {float(rate):.0f} requests/s, p50 {p50}, p99 {p99}{errors}  [$ {' '.join(command)}]")
    print(report(totals, requests, "request", elapsed, system=account.system))


def _moderato(args: argparse.Namespace) -> None:
    stack = Stack(2, 0, None).start()
    try:
        _make_thread(stack.database_url)
        key = stack.api_key()
        web = stack.procs[0].pid
        pids = lambda: [web, *descendants(web), stack.redis.process.pid]  # noqa: E731 - Redis is the service's too
        base = f"http://127.0.0.1:{stack.port}"
        _wrk(args, f"{base}/api/threads{THREAD}/comments?site=bench&limit=100", pids,
             what="read a thread of 100 comments")
        _wrk(args, base, pids, script=HERE / "wrk_post.lua", env={"API_KEY": key}, what="post comments")
    finally:
        stack.stop()


def _isso(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="isso-bench-"))
    port = free_port()
    config = tmp / "isso.cfg"
    config.write_text(f"""[general]
dbpath = {tmp / 'comments.db'}
host = http://127.0.0.1:{port}/
[moderation]
enabled = false
[guard]
enabled = false
[server]
listen = http://127.0.0.1:{port}/
""")
    server = subprocess.Popen([args.isso_python, "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "2",
                               "--log-level", "warning", "isso.run:application"],
                              env={**os.environ, "ISSO_SETTINGS": str(config)}, cwd=tmp,
                              stdout=(tmp / "isso.log").open("wb"), stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/info")
        for i in range(100):  # the same thread as Moderato's: 80 comments and 20 replies
            body = {"text": f"第 {i} 条评论：支持老旧小区改造，希望加快进度。", "author": f"读者{i}", "title": "读取基准"}
            if i >= 80:
                body["parent"] = i - 79
            request = urllib.request.Request(f"{base}/new?uri={THREAD}", data=json.dumps(body).encode(),
                                             headers={"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 201, response.status
        pids = lambda: [server.pid, *descendants(server.pid)]  # noqa: E731
        _wrk(args, f"{base}/?uri={THREAD}", pids, what="read a thread of 100 comments")
        _wrk(args, base, pids, script=HERE / "wrk_post.lua", env={"PEER": "isso"}, what="post comments")
    finally:
        server.terminate()
        server.wait(15)


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not answer") from None
            time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
