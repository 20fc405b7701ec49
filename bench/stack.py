"""Start the real service for a benchmark: embedded Redis, migrated database, web server, N RQ workers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from service.config import PROJECT_ROOT, Config
from service.embedded_redis import EmbeddedRedis, free_port
from service.migrate import upgrade
from service.runner import web_command


class Stack:
    """The processes of one benchmark run; stopped together."""

    def __init__(self, web_processes: int, workers: int, database_url: str | None, worker_class: str = "granian",
                 threads: int = 4) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="moderato-bench-"))
        self.database_url = database_url or f"sqlite:///{self.tmp / 'bench.sqlite3'}"
        self.port = free_port()
        self.web_processes, self.workers = web_processes, workers
        self.worker_class, self.threads = worker_class, threads
        self.redis = EmbeddedRedis(self.tmp / "redis")
        self.procs: list[subprocess.Popen] = []
        self.env: dict[str, str] = {}
        self.extra_env: dict[str, str] = {}  # set before start(): more settings of the service

    def start(self) -> Stack:
        """Start Redis, migrate, start the web server and the workers, wait until ready."""
        _require_empty(self.database_url)
        self.redis.start()
        self.env = dict(os.environ, DATABASE_URL=self.database_url, REDIS_URL=self.redis.url,
                        SECRET_KEY="bench-secret", DATA_DIR=str(self.tmp), DEMO="0",
                        RATE_LIMITS="0")  # the load comes from one address and one key
        self.env.update(self.extra_env)
        upgrade(self.database_url)
        if self.worker_class == "granian":
            command = web_command(self.port, self.web_processes, host="127.0.0.1")
            self.env["WEB_THREADS"] = str(self.threads)
        else:
            command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers",
                       str(self.web_processes), "--worker-class", self.worker_class, "--threads", str(self.threads),
                       "--backlog", "4096", "--log-level", "warning", "service.wsgi:app"]
        self.procs.append(subprocess.Popen(command, env=self.env, cwd=PROJECT_ROOT))
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as r:
                    if json.loads(r.read())["status"] == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("web server did not start")
            time.sleep(0.2)
        return self

    def start_workers(self, wait: bool = False) -> None:
        """Start the RQ workers; with `wait`, return once each has loaded its model and registered."""
        for _ in range(self.workers):
            self.procs.append(subprocess.Popen([sys.executable, "-m", "workers", "work"], env=self.env,
                                               cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL))
        if wait:
            from redis import Redis
            from rq import Worker

            redis = Redis.from_url(self.redis.url)
            deadline = time.monotonic() + 120
            while Worker.count(connection=redis) < self.workers:
                if time.monotonic() > deadline:
                    raise RuntimeError("the workers did not start")
                time.sleep(0.2)
            redis.close()

    def api_key(self) -> str:
        """Create an API key for the benchmark site."""
        return subprocess.run([sys.executable, "-m", "service", "create-api-key", "--site", "bench"],
                              env=self.env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()

    def stop(self) -> None:
        """Stop every process."""
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.redis.stop()


def raise_post_limits(database_url: str, site_name: str) -> None:
    """Set every rate limit of a site to the most a site may set: each POST is counted, none is refused.

    For the benchmarks' `--rate-limits`, which measure what counting costs (one address, one key and one
    site post thousands of comments a minute there, which the defaults would refuse).
    """
    from sqlalchemy import create_engine, select

    from service.models import Site
    from service.rate_limits import MAX_SETTING, SITE_SETTINGS

    engine = create_engine(Config(database_url=database_url).resolved_database_url())
    with engine.begin() as conn:
        settings = conn.execute(select(Site.settings).where(Site.name == site_name)).scalar_one() or {}
        conn.execute(Site.__table__.update().where(Site.name == site_name).values(
            settings={**settings, **{name: MAX_SETTING for name in SITE_SETTINGS}}))
    engine.dispose()


def with_embedded_redis(prefix: str, run: Callable[[Path, EmbeddedRedis], None]) -> None:
    """Run `run(folder, redis)` in a new folder with an embedded Redis in it, stopped afterwards (the
    benchmarks that run the service's code in their own process)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    redis_server = EmbeddedRedis(tmp / "redis")
    redis_server.start()
    try:
        run(tmp, redis_server)
    finally:
        redis_server.stop()


def _require_empty(database_url: str) -> None:
    """Refuse a database that holds comments: the figures are read from every row of the table."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(Config(database_url=database_url).resolved_database_url())
    try:
        with engine.connect() as conn:
            if inspect(conn).has_table("comments") and conn.execute(text("SELECT 1 FROM comments LIMIT 1")).first():
                raise SystemExit(f"{database_url} already holds comments: give the benchmark an empty database")
    finally:
        engine.dispose()
