"""Soak: the whole service (`python -m service run`) under load for minutes while faults come and go.

    python -m bench.soak --duration 300
    python -m bench.soak --duration 300 --database-url postgresql://postgres@127.0.0.1/moderato_soak

Starts `python -m service run` in a folder of its own (embedded Redis, 2 web processes, 2 workers,
the scheduler; SQLite there, or the given PostgreSQL database, emptied first). For `--duration`
seconds it POSTs comments with an API key at `--rate`, while an unrelated reader GETs a thread's
page at `--read-rate`, and every `--fault-every` seconds it does the next of:

- kill-worker: SIGKILL one RQ worker (the runner starts another);
- restart-redis: kill the embedded redis-server, SIGTERM and SIGKILL in turn (the runner restarts it);
- stop-database: PostgreSQL only: refuse new connections to the database (ALLOW_CONNECTIONS false)
  and terminate the open ones, for `--db-down-for` seconds (SQLite is a file: not applicable);
- slow-clients: `--slow` connections from as many loopback addresses that send a request head and 9
  bytes of a 1,000-byte body, then nothing, held (and reopened) for `--slow-for` seconds.

Then it waits up to `--settle` seconds for every accepted comment to be decided, and prints: accepted,
lost (a 202 whose comment is not in the database), decided twice (a comment with two verdicts from
one filter), still pending, responses of 500, and the reader's p99 during the run. Each comment's
author is `soak<i>`, so a 202 is matched to its row.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil
from sqlalchemy import create_engine, make_url, text

from bench.e2e import load_texts
from bench.httpload import build_request, percentile, run_load, summary
from bench.slow_clients import SlowClients
from service.config import PROJECT_ROOT, Config
from service.embedded_redis import free_port

FAULTS = ("kill-worker", "restart-redis", "stop-database", "slow-clients")


def say(message: str) -> None:
    """Print a line of the run's log with the time."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Soak:
    """One soak run: the service, its load, its faults."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="moderato-soak-"))
        self.port = free_port()
        self.database_url = args.database_url or f"sqlite:///{self.tmp / 'data' / 'moderato.sqlite3'}"
        self.postgres = self.database_url.startswith("postgresql")
        self.runner: subprocess.Popen | None = None
        self.env: dict[str, str] = {}
        self.accepted: set[int] = set()
        self.post_statuses: dict[int, int] = {}
        self.faults_done: list[str] = []
        self.slow_answers: dict[str, int] = {}
        self.stop_faults = threading.Event()

    # --- the service -------------------------------------------------------------------------------

    def start(self) -> None:
        """Empty the database, start `python -m service run`, wait until it is ready, make an API key."""
        if self.postgres:
            self._recreate_postgres()
        self.env = dict(os.environ, PORT=str(self.port), WORKERS=str(self.args.workers), WEB_PROCESSES="2",
                        DATA_DIR=str(self.tmp / "data"), DATABASE_URL=self.database_url, DEMO="0",
                        RATE_LIMITS="0",  # the load comes from one address and one key
                        RECONCILE_AFTER=str(self.args.reconcile), RECONCILE_INTERVAL=str(self.args.reconcile),
                        PYTHONUNBUFFERED="1")
        self.env.pop("REDIS_URL", None)
        log = open(self.tmp / "service.log", "w")  # noqa: SIM115 - kept open for the runner's life
        self.runner = subprocess.Popen([sys.executable, "-m", "service", "run"], env=self.env, cwd=PROJECT_ROOT,
                                       stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not self._ready():
            if self.runner.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the service did not start; see {self.tmp / 'service.log'}")
            time.sleep(0.5)
        self.key = subprocess.run([sys.executable, "-m", "service", "create-api-key", "--site", "soak"],
                                  env=self.env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                                  check=True).stdout.strip()
        # The reader's thread exists before the reader starts (it would get 404s until the first POST).
        seed = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/comments", method="POST",
            data=json.dumps({"thread": "/soak/0.html", "author": "seed", "text": "第一条评论"}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"})
        urllib.request.urlopen(seed, timeout=10).close()
        say(f"service ready on port {self.port} ({'PostgreSQL' if self.postgres else 'SQLite'}); log {self.tmp}/service.log")

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as response:
                return json.loads(response.read())["status"] == "ok"
        except (OSError, ValueError):
            return False

    def stop(self) -> None:
        """Stop the service (the runner stops every child)."""
        if self.runner is not None and self.runner.poll() is None:
            self.runner.send_signal(signal.SIGTERM)
            try:
                self.runner.wait(60)
            except subprocess.TimeoutExpired:
                self.runner.kill()

    def _recreate_postgres(self) -> None:
        url = make_url(Config(database_url=self.database_url).resolved_database_url())
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()

    def _children(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.runner.pid).children(recursive=True)  # type: ignore[union-attr]
        except psutil.NoSuchProcess:
            return []

    # --- faults ------------------------------------------------------------------------------------

    def run_faults(self) -> None:
        """Do one fault every `--fault-every` seconds, in turn, until the load ends."""
        faults = [f for f in FAULTS if f != "stop-database" or self.postgres]
        turn = 0
        while not self.stop_faults.wait(self.args.fault_every):
            fault = faults[turn % len(faults)]
            try:
                getattr(self, "_" + fault.replace("-", "_"))(turn // len(faults))
                self.faults_done.append(fault)
            except Exception as err:  # noqa: BLE001 - a fault that could not be done is reported, the run goes on
                say(f"{fault} failed: {err!r}")
            turn += 1

    def _kill_worker(self, _round: int) -> None:
        workers = [p for p in self._children() if p.ppid() == self.runner.pid  # type: ignore[union-attr]
                   and "workers" in p.cmdline() and "work" in p.cmdline()]
        victim = workers[_round % len(workers)]
        victim.send_signal(signal.SIGKILL)
        say(f"kill-worker: SIGKILL worker pid {victim.pid}")

    def _restart_redis(self, _round: int) -> None:
        redis = next(p for p in self._children() if p.name().startswith("redis-server"))
        sig = signal.SIGTERM if _round % 2 == 0 else signal.SIGKILL
        redis.send_signal(sig)
        say(f"restart-redis: {sig.name} redis-server pid {redis.pid}; the runner starts it again")

    def _stop_database(self, _round: int) -> None:
        url = make_url(Config(database_url=self.database_url).resolved_database_url())
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS false'))
                killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                           "WHERE datname = :db AND pid <> pg_backend_pid()"),
                                      {"db": url.database}).scalar()
                say(f"stop-database: {url.database} refuses connections, {killed} terminated, "
                    f"for {self.args.db_down_for} s")
                if self.stop_faults.wait(self.args.db_down_for):
                    pass
                conn.execute(text(f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS true'))
                say("stop-database: accepting connections again")
        finally:
            admin.dispose()

    def _slow_clients(self, _round: int) -> None:
        slow = SlowClients("127.0.0.1", self.port, self.args.slow, "mixed", sources=self.args.slow).start()
        say(f"slow-clients: {self.args.slow} slow sockets from {self.args.slow} addresses for {self.args.slow_for} s")
        try:
            self.stop_faults.wait(self.args.slow_for)
        finally:
            slow.stop()
        for answer, count in slow.answers.items():
            self.slow_answers[answer] = self.slow_answers.get(answer, 0) + count
        say(f"slow-clients: {slow.report()}")

    # --- load --------------------------------------------------------------------------------------

    def run(self) -> None:
        """Load, faults, settle, figures."""
        texts = load_texts()
        host = f"127.0.0.1:{self.port}"
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"}

        def post(i: int) -> bytes:
            body = json.dumps({"thread": f"/soak/{i % 20}.html", "author": f"soak{i}",
                               "text": texts[i % len(texts)]}, ensure_ascii=False).encode()
            return build_request("POST", "/api/comments", host, headers, body)

        def heard(i: int, status: int) -> None:
            if status == 202:
                self.accepted.add(i)

        read_request = build_request("GET", "/api/threads/soak/0.html/comments?site=soak&limit=50", host)
        results: dict[str, object] = {}
        loaders = [
            threading.Thread(target=lambda: results.__setitem__("post", run_load(
                "127.0.0.1", self.port, post, self.args.duration, rate=self.args.rate, connections=16, timeout=10,
                on_status=heard))),
            threading.Thread(target=lambda: results.__setitem__("read", run_load(
                "127.0.0.1", self.port, lambda i: read_request, self.args.duration, rate=self.args.read_rate,
                connections=8, timeout=10))),
        ]
        faults = threading.Thread(target=self.run_faults)
        say(f"load: {self.args.rate}/s POSTs and {self.args.read_rate}/s reads for {self.args.duration:.0f} s, "
            f"a fault every {self.args.fault_every:.0f} s")
        for thread in loaders:
            thread.start()
        faults.start()
        for thread in loaders:
            thread.join()
        self.stop_faults.set()
        faults.join()
        post, read = results["post"], results["read"]
        say("load over; waiting for the accepted comments to be decided")
        pending = self._settle()
        self._report(post, read, pending)  # type: ignore[arg-type]

    def _settle(self) -> int:
        engine = create_engine(Config(database_url=self.database_url).resolved_database_url())
        started = time.monotonic()
        deadline = started + self.args.settle
        last_said, said_pending = started, None
        try:
            while True:
                try:
                    with engine.connect() as conn:
                        pending = conn.execute(text("SELECT count(*) FROM comments WHERE status = 'pending'")).scalar()
                except Exception as err:  # noqa: BLE001 - SQLite busy, say, while the workers write
                    say(f"settle: {type(err).__name__}")
                    pending = -1
                now = time.monotonic()
                if pending == 0 or now > deadline:
                    return pending
                # Every 30 s: how many wait and how fast they go, so that a backlog draining slowly is
                # told apart from comments that are stuck.
                if now - last_said >= 30:
                    rate = "" if said_pending is None else f", {(said_pending - pending) / (now - last_said):.0f} decided/s"
                    say(f"settle: {pending} pending after {now - started:.0f} s{rate}")
                    last_said, said_pending = now, pending
                elif said_pending is None:
                    said_pending = pending
                time.sleep(2)
        finally:
            engine.dispose()

    def _report(self, post, read, pending: int) -> None:  # type: ignore[no-untyped-def]
        engine = create_engine(Config(database_url=self.database_url).resolved_database_url())
        with engine.connect() as conn:
            stored = {int(a[4:]) for (a,) in conn.execute(text("SELECT author FROM comments WHERE author LIKE 'soak%'"))}
            statuses = dict(conn.execute(text("SELECT status, count(*) FROM comments GROUP BY status")).all())
            twice = conn.execute(text("SELECT count(DISTINCT comment_id) FROM (SELECT comment_id FROM verdicts "
                                      "GROUP BY comment_id, filter HAVING count(*) > 1) AS d")).scalar()
        engine.dispose()
        lost = self.accepted - stored
        fives = post.statuses.get(500, 0) + read.statuses.get(500, 0) + sum(
            n for answer, n in self.slow_answers.items() if " 500 " in answer + " ")
        done: dict[str, int] = {}
        for fault in self.faults_done:
            done[fault] = done.get(fault, 0) + 1
        print()
        print(f"run: {self.args.duration:.0f} s, {'PostgreSQL' if self.postgres else 'SQLite'}, faults done {done}")
        print(f"POST statuses {dict(sorted(post.statuses.items()))}, timeouts/errors {post.errors}; "
              f"POST -> 202 {summary(post.latencies)}")
        print(f"reader statuses {dict(sorted(read.statuses.items()))}, timeouts/errors {read.errors}")
        print(f"slow sockets' answers {self.slow_answers}")
        print(f"comments by status {statuses}; stored without a 202 seen by the client {len(stored - self.accepted)}")
        print(f"accepted {len(self.accepted)}")
        print(f"lost {len(lost)}")
        print(f"decided twice {twice}")
        print(f"still pending after it settles {pending}")
        print(f"500s {fives}")
        print(f"reader p99 during the run {percentile(read.latencies, 99) * 1000:.1f} ms "
              f"({summary(read.latencies)}; {read.ok(200)} of {read.sent} answered 200)")


def main() -> None:
    """Run the soak and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=300, help="seconds of load")
    parser.add_argument("--rate", type=float, default=100, help="POSTs per second")
    parser.add_argument("--read-rate", type=float, default=50, help="the unrelated reader's GETs per second")
    parser.add_argument("--fault-every", type=float, default=20, help="seconds between faults")
    parser.add_argument("--db-down-for", type=float, default=5, help="seconds the database refuses connections")
    parser.add_argument("--slow", type=int, default=200, help="slow connections in the slow-clients fault")
    parser.add_argument("--slow-for", type=float, default=15, help="seconds the slow connections stay")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reconcile", type=int, default=20,
                        help="RECONCILE_AFTER and RECONCILE_INTERVAL of the service, in seconds")
    parser.add_argument("--settle", type=float, default=600, help="seconds to wait for the last decisions")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL database to drop and create for the run; default: SQLite in the run's folder")
    args = parser.parse_args()
    soak = Soak(args)
    # A SIGTERM (a timeout, say) still stops the service: the runner takes its children with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        soak.start()
        soak.run()
    finally:
        soak.stop()


if __name__ == "__main__":
    main()
