"""`python -m service run`: every process of a single-machine deployment, supervised, stopped together."""
from __future__ import annotations

import os
import sys
from dataclasses import replace

from service.config import PROJECT_ROOT, Config
from service.embedded_redis import EmbeddedRedis
from service.supervisor import DataDirInUse, DataDirLock, Supervisor, say


def web_command(port: int, processes: int, host: str = "0.0.0.0") -> list[str]:
    """Return the web server's command: granian serving the app through its RSGI interface.

    granian (a Rust HTTP server) answers a trivial Flask endpoint about 6 times as fast as gunicorn on
    this 2-core machine (9,800 against 1,500 requests/s, `bench/`), which leaves the CPU to the app.
    Its RSGI interface, not its WSGI one, so that request bodies are read on the event loop under a
    deadline before a thread runs the app (`service/body_gate.py`); a request head must arrive within
    10 s. `WEB_THREADS` (read by `service.rsgi`) sets the app's threads per process. Its access log is
    off: client addresses are never logged. `service.web_server` is granian's own command line, with
    granian's worker processes made to die with it.
    """
    return [sys.executable, "-m", "service.web_server", "--interface", "rsgi", "--host", host, "--port", str(port),
            "--workers", str(processes), "--backlog", "2048", "--http1-header-read-timeout", "10000", "--no-ws",
            "--respawn-failed-workers", "--log-level", "warning", "service.rsgi:app"]


def run_all(config: Config) -> int:
    """Start Redis (if embedded), migrate, then web, workers and scheduler; keep them running until a signal.

    Every child is supervised (`service/supervisor.py`): one that dies is started again with backoff,
    and all of them stop with the runner, however it ends. One runner per data folder.
    """
    port, workers, web_processes = config.port, config.workers, config.web_processes
    lock = DataDirLock(config.data_path)
    try:
        lock.acquire()
    except DataDirInUse as err:
        say(f"not starting: {err}")
        return 1
    supervisor = Supervisor(lock)
    supervisor.install_signal_handlers()
    try:
        config = config.ensure_secret_key()
        if not config.redis_url:
            redis_server = EmbeddedRedis(config.data_path / "redis")
            # Started first and stopped last: the other children reconnect to it when it comes back.
            supervisor.add("redis", lambda options: redis_server.start(popen_options=options).process,
                           stop_last=True)
            config = replace(config, redis_url=redis_server.url)
        env = dict(os.environ, REDIS_URL=config.redis_url, SECRET_KEY=config.secret_key,
                   DATA_DIR=str(config.data_path), PYTHONUNBUFFERED="1")
        from service.migrate import upgrade

        upgrade(config.resolved_database_url())
        if supervisor.stopping:
            return 0
        supervisor.command("web", web_command(port, web_processes), env=env, cwd=PROJECT_ROOT)
        for index in range(1, workers + 1):
            supervisor.command(f"worker-{index}", [sys.executable, "-m", "workers", "work"], env=env,
                               cwd=PROJECT_ROOT)
        # `rq cron` exits on a Redis error; supervised, it comes back (and runs the reconciler at once).
        supervisor.command("cron", [sys.executable, "-m", "rq.cli", "cron", "--url", config.redis_url,
                                    "workers.cron"], env=env, cwd=PROJECT_ROOT)
        say(f"""running ({web_processes} web processes, {workers} workers, Redis at {config.redis_url}).
  Demo article with the comment form: http://127.0.0.1:{port}/
  API, e.g.:                          http://127.0.0.1:{port}/api/captcha
  Health:                             http://127.0.0.1:{port}/readyz
Press Ctrl-C to stop every process.""")
        supervisor.run()
        return 0
    finally:
        supervisor.stop()
        say("stopped")
