"""Supervision for `python -m service run`: children restarted with backoff, dying with their parent.

Three guarantees, each in one place here:

- a child that dies is started again, after 1 s, then 2, 4 … 30 s while it keeps dying young (a child
  that ran for a minute starts again after 1 s), and the runner says so on its output;
- children die with the runner: it stops them on SIGINT, SIGTERM and SIGHUP (a closed terminal), and
  on Linux the kernel sends each child SIGTERM when the runner itself dies (`PR_SET_PDEATHSIG`), even
  by SIGKILL;
- one runner per data folder: an exclusive `flock` on `DATA_DIR/runner.lock`, inherited by every child,
  so that the folder stays locked until the last process of a stack has exited.
"""
from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1
FIRST_DELAY = 1.0
MAX_DELAY = 30.0
# A child that ran this long before dying was healthy: its next start waits FIRST_DELAY again.
STABLE_AFTER = 60.0


def say(message: str) -> None:
    """Print a line of the runner's output; a closed terminal (SIGHUP) must not stop the shutdown."""
    try:
        print(f"moderato: {message}", flush=True)
    except OSError:
        pass


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Have the kernel send this process `sig` when the thread that forked it dies (Linux only)."""
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


def child_preexec(parent_pid: int) -> Callable[[], None]:
    """Return a `preexec_fn` that ties a child's life to `parent_pid` (run between fork and exec)."""
    prctl = _prctl()  # looked up before the fork: the child should do nothing but the system call

    def preexec() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        # The parent may have died between fork and prctl; then no signal would ever come.
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


class DataDirInUse(RuntimeError):
    """Another runner (or what is left of one) holds the data folder."""


class DataDirLock:
    """An exclusive flock on a file in the data folder, held by the runner and inherited by its children."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "runner.lock"
        self.fd: int | None = None

    def acquire(self) -> DataDirLock:
        """Take the lock or raise DataDirInUse with a message saying who holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip()
            os.close(fd)
            raise DataDirInUse(self._in_use_message(holder)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def _in_use_message(self, holder: str) -> str:
        folder = self.path.parent.resolve()
        if holder.isdigit() and _alive(int(holder)):
            return (f"another Moderato (runner pid {holder}) is running on the data folder {folder}; "
                    f"stop it first (Ctrl-C in its terminal, or kill {holder})")
        return (f"processes of an earlier Moderato run are still using the data folder {folder} "
                f"(they hold {self.path.name}; `fuser {self.path}` lists them); wait for them to exit")

    def release(self) -> None:
        """Release the lock (the children's inherited copies keep it until they exit)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def describe_exit(code: int) -> str:
    """Return how a child ended, naming the signal when a signal ended it."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


@dataclass
class Child:
    """One supervised process: how to start it, and when it may be started again."""

    name: str
    start: Callable[[dict], subprocess.Popen]
    # Stopped after every other child (Redis: the others flush to it while they stop).
    stop_last: bool = False
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    delay: float = FIRST_DELAY
    restart_at: float | None = None
    restarts: int = field(default=0)


class Supervisor:
    """Starts children, restarts those that die, and stops them all on a signal or on request."""

    def __init__(self, lock: DataDirLock | None = None, stop_timeout: float = 15.0) -> None:
        self.children: list[Child] = []
        self.lock = lock
        self.stop_timeout = stop_timeout
        self.stopping = False

    def popen_options(self) -> dict:
        """Return the Popen options every child gets: own session, parent-death signal, the lock."""
        return {
            # Own session: Ctrl-C and a terminal's SIGHUP reach only the runner, which stops the children
            # in order (Redis last); the kernel's parent-death signal covers the runner's own death.
            "start_new_session": True,
            "preexec_fn": child_preexec(os.getpid()),
            "pass_fds": (self.lock.fd,) if self.lock and self.lock.fd is not None else (),
        }

    def add(self, name: str, start: Callable[[dict], subprocess.Popen], stop_last: bool = False) -> Child:
        """Start a child now and supervise it from then on."""
        child = Child(name, start, stop_last)
        # A first start that fails is the operator's to fix (a bad setting, a port in use): no retry.
        child.process = start(self.popen_options())
        child.started_at = time.monotonic()
        self.children.append(child)
        return child

    def command(self, name: str, argv: list[str], **popen: object) -> Child:
        """Start and supervise a command."""
        return self.add(name, lambda options: subprocess.Popen(argv, **popen, **options))

    def install_signal_handlers(self) -> None:
        """Stop on SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal closed)."""
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._request_stop)

    def _request_stop(self, signum: int, _frame: object) -> None:
        if not self.stopping:
            say(f"{signal.Signals(signum).name} received; stopping")
        self.stopping = True

    def _start(self, child: Child) -> None:
        child.restart_at = None
        try:
            child.process = child.start(self.popen_options())
        except Exception as err:  # noqa: BLE001 - a child that cannot start is retried like one that died
            child.process = None
            self._schedule_restart(child, f"could not start ({err})")
            return
        child.started_at = time.monotonic()

    def _schedule_restart(self, child: Child, why: str) -> None:
        now = time.monotonic()
        if child.process is not None and now - child.started_at >= STABLE_AFTER:
            child.delay = FIRST_DELAY
        delay = child.delay
        child.delay = min(child.delay * 2, MAX_DELAY)
        child.restart_at = now + delay
        child.process = None
        say(f"{child.name} {why}; starting it again in {delay:g} s")

    def check(self) -> None:
        """Notice children that died and start those whose pause is over."""
        for child in self.children:
            if self.stopping:
                return
            if child.process is not None:
                code = child.process.poll()
                if code is not None:
                    self._schedule_restart(child, f"(pid {child.process.pid}) {describe_exit(code)}")
            elif child.restart_at is not None and time.monotonic() >= child.restart_at:
                child.restarts += 1
                self._start(child)
                if child.process is not None:
                    say(f"{child.name} started again (pid {child.process.pid})")

    def run(self, poll: float = 0.2) -> None:
        """Supervise until a signal asks to stop."""
        while not self.stopping:
            self.check()
            time.sleep(poll)

    def stop(self) -> None:
        """Stop every child: SIGTERM, then SIGKILL after `stop_timeout`; the stop_last ones after the rest."""
        self.stopping = True
        for last in (False, True):
            group = [c.process for c in self.children if c.stop_last == last and c.process is not None]
            for process in group:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + self.stop_timeout
            for process in group:
                try:
                    process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self.lock is not None:
            self.lock.release()


__all__ = ["Child", "DataDirInUse", "DataDirLock", "Supervisor", "child_preexec", "die_with_parent",
           "describe_exit", "say"]
