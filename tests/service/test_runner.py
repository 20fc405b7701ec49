"""`python -m service run` starts Redis, the web server, workers and the scheduler; Ctrl-C stops them all."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

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
