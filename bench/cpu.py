"""CPU accounting for the benchmarks: the CPU each kind of process spent, from the kernel's own counters.

A rate on a shared 2-core machine moves with whatever else runs on it; the CPU a process spent on a
known amount of work does much less. `CpuAccount` reads utime + stime of /proc/<pid>/stat for every
process of each kind (the web server and its forks, the workers, their scheduler children, Redis, the
database's backends of the benchmark's database, this process) at the start, every half second, and at
the end, so that a process started or gone in between is counted for the time it was seen.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> tuple[float, float] | None:
    """Return the user and system CPU seconds of a process (its threads included), None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()  # the command name may hold spaces and parentheses
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS  # utime and stime, fields 14 and 15 of proc(5)


def descendants(pid: int) -> list[int]:
    """Return the pids of a process's children, grandchildren and so on."""
    import psutil

    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def postgres_backends(database: str, exclude: Iterable[int] = ()) -> list[int]:
    """Return the pids of PostgreSQL's processes working for `database` (backends, autovacuum workers).

    They are found by their process titles ("postgres: user database host(port) state"), so the
    server's other databases (other people's tests on a shared server) are left out; so are its shared
    background processes (WAL writer, checkpointer), see `postgres_background`.
    """
    skip = set(exclude)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in skip:
            continue
        try:
            title = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in f"{title} ":
            found.append(int(entry.name))
    return found


def processes_cpu(pids: Iterable[int]) -> Callable[[], float]:
    """Return a function that reads the CPU seconds (user + system) the processes `pids` have spent."""
    pids = list(pids)
    return lambda: sum(sum(cpu_seconds(pid) or (0.0, 0.0)) for pid in pids)


def database_server_cpu(database_url: str) -> Callable[[], float]:
    """Return a function that reads the CPU seconds of PostgreSQL's backends of `database_url` open now.

    The backends are found when this is called (the benchmark's pools must be open by then); on SQLite,
    which has no server, the function returns 0.
    """
    return processes_cpu(postgres_backends(database_url.rsplit("/", 1)[-1])
                         if database_url.startswith("postgresql") else [])


def postgres_background() -> list[int]:
    """Return the pids of PostgreSQL's shared processes (postmaster, WAL writer, checkpointer …)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parts = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        title = parts[0].decode(errors="replace")
        if any(word in title for word in ("walwriter", "checkpointer", "background writer", "walsender",
                                          "autovacuum launcher", "logical replication launcher")) \
                or title.endswith("/postgres") or title.endswith("postmaster"):
            found.append(int(entry.name))
    return found


class CpuAccount:
    """CPU seconds spent by each kind of process between `start` and `stop`, and how much of it in the kernel."""

    def __init__(self, kinds: dict[str, Callable[[], Iterable[int]]], interval: float = 0.5) -> None:
        self.kinds, self.interval = kinds, interval
        self._first: dict[tuple[str, int], tuple[float, float]] = {}
        self._last: dict[tuple[str, int], tuple[float, float]] = {}
        self.system: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = False

    def _sample(self) -> None:
        for kind, pids in self.kinds.items():
            for pid in pids():
                seconds = cpu_seconds(pid)
                if seconds is None:
                    continue
                key = (kind, pid)
                if key not in self._first:
                    # A process that appears after the start spent all its CPU inside the window.
                    self._first[key] = seconds if not self._started else (0.0, 0.0)
                self._last[key] = seconds

    def start(self) -> CpuAccount:
        """Take the first reading and keep sampling in a thread."""
        self._sample()
        self._started = True
        self._thread = threading.Thread(target=self._run, name="cpu-account", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def stop(self) -> dict[str, float]:
        """Take the last reading; return CPU seconds per kind."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        totals = {kind: 0.0 for kind in self.kinds}
        self.system = {kind: 0.0 for kind in self.kinds}
        for key, (user, system) in self._last.items():
            first = self._first[key]
            totals[key[0]] += user + system - first[0] - first[1]
            self.system[key[0]] += system - first[1]
        return totals


def report(totals: dict[str, float], per: int, unit: str, elapsed: float, excluded: Iterable[str] = (),
           system: dict[str, float] | None = None) -> str:
    """Return the account as lines: CPU ms per `unit` of each kind (and the kernel's share, from `system`),
    and the total without `excluded`."""
    skip = set(excluded)
    width = max(len(kind) for kind in totals)
    lines = [f"CPU per {unit} ({per} {unit}s, {elapsed:.1f} s, {os.cpu_count()} cores):"]
    for kind, seconds in totals.items():
        seconds = max(seconds, 0.0)  # an idle process read a tick apart can come out at -0.00
        note = " (not in the total)" if kind in skip else ""
        if system and kind in system and seconds > 0:
            note = f", {system[kind] / seconds:4.0%} in the kernel" + note
        lines.append(f"  {kind:<{width}} {seconds * 1000 / max(per, 1):7.3f} ms  "
                     f"({seconds:6.2f} s, {seconds / elapsed:4.2f} cores{note})")
    total = sum(seconds for kind, seconds in totals.items() if kind not in skip)
    lines.append(f"  {'total':<{width}} {total * 1000 / max(per, 1):7.3f} ms  ({total:6.2f} s, "
                 f"{total / elapsed:4.2f} cores)")
    return "\n".join(lines)
