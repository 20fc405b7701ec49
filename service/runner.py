"""`python -m service run`: every process of a single-machine deployment, stopped together by Ctrl-C."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

from service.config import PROJECT_ROOT, Config
from service.embedded_redis import EmbeddedRedis


def web_command(port: int, processes: int, host: str = "0.0.0.0") -> list[str]:
    """Return the web server's command: granian serving the WSGI app.

    granian (a Rust HTTP server) answers a trivial Flask endpoint about 6 times as fast as gunicorn on
    this 2-core machine (9,800 against 1,500 requests/s, `bench/`), which leaves the CPU to the app.
    Its access log is off: client addresses are never logged.
    """
    return [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", host, "--port", str(port),
            "--workers", str(processes), "--blocking-threads", "4", "--backlog", "2048",
            "--respawn-failed-workers", "--log-level", "warning", "service.wsgi:app"]


def run_all(config: Config) -> int:
    """Start Redis (if embedded), migrate, then web, workers and scheduler; stop all on Ctrl-C."""
    port, workers, web_processes = config.port, config.workers, config.web_processes
    config = config.ensure_secret_key()
    redis_server: EmbeddedRedis | None = None
    if not config.redis_url:
        redis_server = EmbeddedRedis(config.data_path / "redis").start()
        config = replace(config, redis_url=redis_server.url)
    env = dict(os.environ, REDIS_URL=config.redis_url, SECRET_KEY=config.secret_key,
               DATA_DIR=str(config.data_path), PYTHONUNBUFFERED="1")
    from service.migrate import upgrade

    upgrade(config.resolved_database_url())
    children: list[subprocess.Popen] = []

    def spawn(command: list[str]) -> subprocess.Popen:
        # Own session: Ctrl-C reaches only this runner, which then stops the children in order.
        child = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, start_new_session=True)
        children.append(child)
        return child

    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        spawn(web_command(port, web_processes))
        worker_procs = [spawn([sys.executable, "-m", "workers", "work"]) for _ in range(workers)]
        spawn([sys.executable, "-m", "rq.cli", "cron", "--url", config.redis_url, "workers.cron"])
        print(f"""
Moderato is running ({web_processes} web processes, {workers} workers, Redis at {config.redis_url}).
  Demo article with the comment form: http://127.0.0.1:{port}/
  API, e.g.:                          http://127.0.0.1:{port}/api/captcha
  Health:                             http://127.0.0.1:{port}/readyz
Press Ctrl-C to stop every process.
""", flush=True)
        while not stopping:
            time.sleep(0.5)
            for index, proc in enumerate(worker_procs):
                if proc.poll() is not None and not stopping:
                    # A worker that died is replaced; its job is retried by RQ or the reconciler.
                    # The pause keeps a worker that cannot start from spinning the CPU.
                    print(f"worker exited with {proc.returncode}; starting another in 2 s", flush=True)
                    time.sleep(2)
                    worker_procs[index] = spawn([sys.executable, "-m", "workers", "work"])
            if children[0].poll() is not None:
                print("the web server exited; stopping", flush=True)
                return 1
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        if redis_server is not None:
            redis_server.stop()
        print("stopped", flush=True)
