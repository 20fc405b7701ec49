"""`python -m service run` starts Redis, the web server, workers and the scheduler; Ctrl-C stops them all."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from service.config import PROJECT_ROOT
from service.embedded_redis import free_port


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_run_serves_the_demo_and_decides_comments_then_stops_everything(tmp_path):
    port = free_port()
    env = dict(os.environ, PORT=str(port), WORKERS="1", WEB_PROCESSES="1", DATA_DIR=str(tmp_path / "data"),
               DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'moderato.sqlite3'}")
    env.pop("REDIS_URL", None)
    runner = subprocess.Popen([sys.executable, "-m", "service", "run"], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"{base}/readyz")["status"] == "ok":
                    break
            except OSError:
                pass
            assert runner.poll() is None, runner.stdout.read()
            assert time.monotonic() < deadline, "the service did not become ready"
            time.sleep(0.2)
        with urllib.request.urlopen(f"{base}/", timeout=5) as response:
            page = response.read().decode()
        assert "发表评论" in page or "moderato" in page.lower()

        key = subprocess.run([sys.executable, "-m", "service", "create-api-key", "--site", "default"], env=env,
                             cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.strip()
        request = urllib.request.Request(
            f"{base}/api/comments", method="POST",
            data=json.dumps({"thread": "/run.html", "author": "测试", "text": "完整服务的评论"}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            created = json.loads(response.read())
        deadline = time.monotonic() + 60
        while _get(f"{base}/api/comments/{created['id']}?token={created['token']}")["status"] == "pending":
            assert time.monotonic() < deadline, "the worker did not decide the comment"
            time.sleep(0.2)
        assert _get(f"{base}/api/threads/run.html/comments")["total"] == 1
        children = psutil.Process(runner.pid).children(recursive=True)
        assert len(children) >= 4  # redis, the web server, a worker, the scheduler
    finally:
        runner.send_signal(signal.SIGINT)  # what Ctrl-C sends
        output, _ = runner.communicate(timeout=60)
    assert runner.returncode == 0, output
    assert "http://127.0.0.1:" in output
    time.sleep(0.5)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]


def _start_runner(tmp_path, workers: int = 1) -> tuple[subprocess.Popen, int, Path]:
    """Start `python -m service run` on a free port and a temp DATA_DIR, its output in a file."""
    port = free_port()
    data = tmp_path / "data"
    env = dict(os.environ, PORT=str(port), WORKERS=str(workers), WEB_PROCESSES="1", DATA_DIR=str(data),
               DATABASE_URL=f"sqlite:///{data / 'moderato.sqlite3'}")
    env.pop("REDIS_URL", None)
    log = tmp_path / "runner.log"
    with log.open("w") as out:
        runner = subprocess.Popen([sys.executable, "-m", "service", "run"], cwd=PROJECT_ROOT, env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    return runner, port, log


def _wait(predicate, what: str, timeout: float = 30.0, runner: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert runner is None or runner.poll() is None, f"the runner exited while waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _children_by_name(runner: subprocess.Popen) -> dict[str, psutil.Process]:
    """Return the runner's live children by role: redis, web, worker, cron."""
    found = {}
    for child in psutil.Process(runner.pid).children():
        try:
            cmdline = " ".join(child.cmdline())
        except psutil.NoSuchProcess:
            continue
        for role, marker in (("redis", "redis-server"), ("web", "service.web_server"),
                             ("worker", "workers work"), ("cron", "rq.cli cron")):
            if marker in cmdline and child.status() != psutil.STATUS_ZOMBIE:
                found[role] = child
    return found


def _whole_stack(runner: subprocess.Popen) -> list[psutil.Process] | None:
    """Return every process under the runner once all four children and their forks are up."""
    children = _children_by_name(runner)
    if len(children) < 4:
        return None
    try:
        # granian's worker process and the RQ worker's scheduler are forks of their own.
        if not children["web"].children() or not children["worker"].children():
            return None
        return psutil.Process(runner.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None


def _gone(processes: list[psutil.Process]) -> bool:
    return not [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def _stop(runner: subprocess.Popen) -> None:
    if runner.poll() is None:
        runner.send_signal(signal.SIGINT)
        try:
            runner.wait(30)
        except subprocess.TimeoutExpired:
            runner.kill()
            runner.wait()


@pytest.mark.slow
def test_children_that_die_are_started_again_and_the_runner_says_so(tmp_path):
    runner, port, log = _start_runner(tmp_path)
    try:
        _wait(lambda: _whole_stack(runner), "the whole stack", runner=runner)
        for role, name in (("cron", "cron"), ("worker", "worker-1"), ("web", "web"), ("redis", "redis")):
            old = _children_by_name(runner)[role]
            old.kill()
            new = _wait(lambda: (c := _children_by_name(runner).get(role)) and c.pid != old.pid and c,
                        f"a new {role}", runner=runner)
            assert new.pid != old.pid
            assert f"{name} (pid {old.pid}) was killed by SIGKILL; starting it again in" in log.read_text()
        assert "started again" in log.read_text()
        # After Redis came back, the service answers and the worker's scheduler fork is back too.
        _wait(lambda: _ready(port), "/readyz after the Redis restart", runner=runner)
        # A worker that was starting while Redis was away exits and is started again: wait for one.
        _wait(lambda: (w := _children_by_name(runner).get("worker")) and w.children(),
              "a worker with its RQ scheduler", timeout=30, runner=runner)
    finally:
        _stop(runner)
    assert runner.returncode == 0, log.read_text()


def _ready(port: int) -> bool:
    try:
        return _get(f"http://127.0.0.1:{port}/readyz")["status"] == "ok"
    except (OSError, ValueError):
        return False


@pytest.mark.slow
def test_the_workers_scheduler_comes_back_within_seconds_of_redis(tmp_path):
    runner, _port, log = _start_runner(tmp_path)
    try:
        _wait(lambda: _whole_stack(runner), "the whole stack", runner=runner)
        scheduler = _children_by_name(runner)["worker"].children()[0]
        _children_by_name(runner)["redis"].kill()
        # RQ's scheduler process exits on the Redis error...
        _wait(lambda: not scheduler.is_running() or scheduler.status() == psutil.STATUS_ZOMBIE,
              "the scheduler to exit", timeout=10, runner=runner)
        # ...and once Redis is back (the runner starts it after 1 s), a scheduler runs again within seconds:
        # started by the same worker's maintenance, or by a new worker if the outage broke the old one's job.
        _wait(lambda: _children_by_name(runner).get("redis"), "a new Redis", timeout=15, runner=runner)
        back = time.monotonic()
        _wait(lambda: (w := _children_by_name(runner).get("worker"))
              and [c for c in w.children() if c.pid != scheduler.pid], "a new scheduler", timeout=20,
              runner=runner)
        assert time.monotonic() - back < 20, log.read_text()
    finally:
        _stop(runner)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM, signal.SIGKILL])
def test_every_process_dies_with_the_runner(tmp_path, sig):
    runner, _port, log = _start_runner(tmp_path)
    stack: list[psutil.Process] = []
    try:
        stack = _wait(lambda: _whole_stack(runner), "the whole stack", runner=runner)
        runner.send_signal(sig)  # SIGHUP: the terminal of `dev.py run` was closed
        runner.wait(30)
        _wait(lambda: _gone(stack), "every process of the stack to exit", timeout=20)
    finally:
        _stop(runner)
        for process in stack:  # only when the test failed: leave nothing behind
            if process.is_running():
                process.kill()
    if sig != signal.SIGKILL:
        assert runner.returncode == 0 and "stopped" in log.read_text()


@pytest.mark.slow
def test_a_second_runner_on_the_same_data_folder_refuses(tmp_path):
    first, port, log = _start_runner(tmp_path)
    try:
        _wait(lambda: _children_by_name(first).get("web"), "the first runner's web server", runner=first)
        env = dict(os.environ, PORT=str(free_port()), DATA_DIR=str(tmp_path / "data"), WORKERS="1",
                   DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'moderato.sqlite3'}")
        env.pop("REDIS_URL", None)
        second = subprocess.run([sys.executable, "-m", "service", "run"], cwd=PROJECT_ROOT, env=env,
                                capture_output=True, text=True, timeout=30)
        assert second.returncode == 1
        assert f"another Moderato (runner pid {first.pid}) is running on the data folder" in second.stdout
        assert first.poll() is None and len(_children_by_name(first)) >= 2
    finally:
        _stop(first)
    assert first.returncode == 0, log.read_text()


def test_run_refuses_a_port_that_another_program_listens_on(tmp_path):
    import socket

    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        env = dict(os.environ, PORT=str(port), DATA_DIR=str(tmp_path / "data"),
                   DATABASE_URL=f"sqlite:///{tmp_path / 'data' / 'moderato.sqlite3'}")
        env.pop("REDIS_URL", None)
        done = subprocess.run([sys.executable, "-m", "service", "run"], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"not starting: port {port} on 127.0.0.1 is in use" in done.stdout
    assert "http://" not in done.stdout  # no address printed for a server that never started
    assert not (tmp_path / "data" / "redis").exists()  # nothing was started


@pytest.mark.slow
def test_the_banner_comes_once_the_address_answers_and_only_loopback_listens(tmp_path):
    runner, port, log = _start_runner(tmp_path)
    try:
        _wait(lambda: "Demo article with the comment form" in log.read_text(), "the banner", timeout=60,
              runner=runner)
        # The moment the banner is out, the address it prints answers.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert response.status == 200
        assert f"http://127.0.0.1:{port}/" in log.read_text()
        assert "listening on 127.0.0.1 only" in log.read_text()
        web = _children_by_name(runner)["web"]
        listening = {c.laddr.ip for p in [web, *web.children(recursive=True)]
                     for c in p.net_connections("tcp") if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
        assert listening == {"127.0.0.1"}  # not 0.0.0.0 by default: the demo sign-in is not on the network
    finally:
        _stop(runner)
