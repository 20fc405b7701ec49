"""`python -m service run`: every process of a single-machine deployment, supervised, stopped together."""
from __future__ import annotations

import errno
import os
import socket
import sys
import threading
import time
import urllib.request
from dataclasses import replace

from service.config import PROJECT_ROOT, Config
from service.embedded_redis import EmbeddedRedis
from service.supervisor import DataDirInUse, DataDirLock, Supervisor, say


def web_command(port: int, processes: int, host: str = "127.0.0.1") -> list[str]:
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
            # Each request an asyncio task: the body gate's deadlines cancel it (service/body_gate.py).
            # uvloop, named rather than left to granian's "auto" (which takes it only where it is installed):
            # 0.07 ms of CPU less per POST than asyncio's own loop (bench.floor), and what the benchmarks measure.
            "--task-impl", "asyncio", "--loop", "uvloop",
            "--respawn-failed-workers", "--log-level", "warning", "service.rsgi:app"]


def port_in_use(host: str, port: int) -> bool:
    """Say whether something already listens on host:port.

    A plain bind, without SO_REUSEPORT: granian binds with it, so a second granian would share the port
    with the first instead of failing, and half the requests would go to the other stack.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def banner(host: str, port: int, web_processes: int, workers: int, redis_url: str) -> str:
    """Return what the runner prints once the web server answers."""
    every = host in ("0.0.0.0", "::", "")
    shown = "127.0.0.1" if every else (f"[{host}]" if ":" in host else host)
    where = " on every interface (HOST=0.0.0.0)" if every else f" on {host} only (HOST chooses)"
    return f"""running ({web_processes} web processes, {workers} workers, Redis at {redis_url}), listening{where}.
  Demo article with the comment form: http://{shown}:{port}/
  API, e.g.:                          http://{shown}:{port}/api/captcha
  Health:                             http://{shown}:{port}/readyz
Press Ctrl-C to stop every process."""


def announce_when_ready(supervisor: Supervisor, host: str, port: int, message: str, patience: float = 60) -> None:
    """Print `message` once /healthz answers on host:port (from a thread), not before: the address works then."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else (f"[{host}]" if ":" in host else host)
    started = time.monotonic()
    warned = False
    while not supervisor.stopping:
        try:
            with urllib.request.urlopen(f"http://{shown}:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    say(message)
                    return
        except OSError:
            pass
        if not warned and time.monotonic() - started > patience:
            say(f"the web server has not answered http://{shown}:{port}/healthz for {patience:.0f} s; still waiting")
            warned = True
        time.sleep(0.25)


def run_all(config: Config) -> int:
    """Start Redis (if embedded), migrate, then web, workers and scheduler; keep them running until a signal.

    Every child is supervised (`service/supervisor.py`): one that dies is started again with backoff,
    and all of them stop with the runner, however it ends. One runner per data folder; none on a port
    that something else listens on. The addresses are printed once the web server answers.
    """
    port, workers, web_processes = config.port, config.workers, config.web_processes
    lock = DataDirLock(config.data_path)
    try:
        lock.acquire()
    except DataDirInUse as err:
        say(f"not starting: {err}")
        return 1
    if port_in_use(config.host, port):
        lock.release()
        say(f"not starting: port {port} on {config.host} is in use by another program; set PORT to choose another")
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
        supervisor.command("web", web_command(port, web_processes, host=config.host), env=env, cwd=PROJECT_ROOT)
        for index in range(1, workers + 1):
            supervisor.command(f"worker-{index}", [sys.executable, "-m", "workers", "work"], env=env,
                               cwd=PROJECT_ROOT)
        # `rq cron` exits on a Redis error; supervised, it comes back (and runs the reconciler at once).
        supervisor.command("cron", [sys.executable, "-m", "rq.cli", "cron", "--url", config.redis_url,
                                    "workers.cron"], env=env, cwd=PROJECT_ROOT)
        message = banner(config.host, port, web_processes, workers, config.redis_url)
        threading.Thread(target=announce_when_ready, args=(supervisor, config.host, port, message),
                         name="announce", daemon=True).start()
        supervisor.run()
        return 0
    finally:
        supervisor.stop()
        say("stopped")
