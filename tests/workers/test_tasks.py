"""The moderation job and the reconciler, with a real Redis, real workers and real databases."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import create_engine, select, text

from service.config import PROJECT_ROOT
from service.models import Comment, VerdictRecord
from service.queue import job_id_for
from service.sites import create_api_key
from workers.tasks import moderate, reconcile
from tests.factories import post_comment


def _status(app, comment_id: int) -> str:
    with app.extensions["moderato.db"].read() as session:
        return session.get(Comment, comment_id).status


def test_comment_accepted_while_redis_is_down_is_decided_after_it_returns(
        client, app, redis_server, run_worker, worker_context):
    key = create_api_key(app.extensions["moderato.db"], "news-portal")
    redis_server.stop()
    response = client.post("/api/comments", json={"thread": "/down.html", "author": "读者", "text": "Redis 停了也要收下"},
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 202
    comment_id = response.get_json()["id"]
    assert _status(app, comment_id) == "pending"

    redis_server.start()  # it comes back empty: the job was never queued
    assert run_worker() == 0
    counts = reconcile(worker_context)
    assert counts["enqueued"] == 1
    assert run_worker() == 1
    assert _status(app, comment_id) == "approved"
    assert reconcile(worker_context)["pending"] == 0


def test_reconciler_leaves_queued_jobs_alone(client, app, worker_context, redis_client, config):
    post_comment(client)
    counts = reconcile(worker_context)
    assert counts == {"pending": 1, "enqueued": 0, "live": 1, "failed": 0}
    assert Queue(config.queue_name, connection=redis_client).count == 1


def test_reconciler_re_enqueues_when_redis_lost_the_job(client, app, worker_context, redis_client, run_worker):
    comment_id = post_comment(client).get_json()["id"]
    redis_client.flushall()  # Redis restarted without its data
    assert reconcile(worker_context)["enqueued"] == 1
    assert run_worker() == 1
    assert _status(app, comment_id) == "approved"


def test_captcha_fails_closed_when_redis_is_down(client, redis_server):
    captcha = client.get("/api/captcha").get_json()
    redis_server.stop()
    response = client.post("/api/comments", json={"thread": "/a", "author": "a", "text": "b",
                                                   "captcha_id": captcha["id"], "captcha_answer": "X"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"
    assert client.get("/api/captcha").status_code == 503


def _hold_write_lock(database_url: str, comment_id: int):
    """Take the lock a deciding job needs, so the worker blocks inside the job."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        return conn.rollback
    engine = create_engine(database_url)
    conn = engine.connect()
    conn.execute(text("SELECT id FROM comments WHERE id = :id FOR UPDATE"), {"id": comment_id})

    def release() -> None:
        conn.rollback()
        conn.close()
        engine.dispose()

    return release


def test_killed_worker_job_is_picked_up_again_and_decided_once(client, app, config, redis_client, run_worker):
    comment_id = post_comment(client).get_json()["id"]
    release = _hold_write_lock(config.resolved_database_url(), comment_id)
    env = dict(os.environ, DATABASE_URL=config.database_url, REDIS_URL=config.redis_url,
               SECRET_KEY=config.secret_key, QUEUE_NAME=config.queue_name, DATA_DIR=config.data_dir)
    worker = subprocess.Popen([sys.executable, "-m", "workers", "work"], env=env, cwd=PROJECT_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    queue = Queue(config.queue_name, connection=redis_client)
    try:
        deadline = time.monotonic() + 30
        while not StartedJobRegistry(queue=queue).get_job_ids():
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.05)
        time.sleep(0.3)  # let it reach the blocked write
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
        release()
    assert _status(app, comment_id) == "pending"

    # RQ's clean-up finds the dead worker's job once its heartbeat has lapsed, and retries it.
    StartedJobRegistry(queue=queue).cleanup(timestamp=time.time() + 3600)
    for job_id in ScheduledJobRegistry(queue=queue).get_job_ids():  # the retry's backoff, skipped
        queue.enqueue_job(Job.fetch(job_id, connection=redis_client))
    assert run_worker() == 1
    assert _status(app, comment_id) == "approved"
    with app.extensions["moderato.db"].read() as session:
        verdicts = session.scalars(select(VerdictRecord).where(VerdictRecord.comment_id == comment_id)).all()
        assert len(verdicts) == len({v.filter for v in verdicts})


def test_moderate_tolerates_a_missing_comment(worker_context):
    assert moderate(123456, worker_context) == "missing"


def test_job_id_is_one_per_comment():
    assert job_id_for(7) == "moderate-7"
