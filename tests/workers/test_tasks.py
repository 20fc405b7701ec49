"""The moderation job and the reconciler, with a real Redis, real workers and real databases."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace

from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import create_engine, select, text

from service.config import PROJECT_ROOT
from service.models import Comment, VerdictRecord
from service.config import Config
from service.queue import ModerationBatcher, batch_job_id, enqueue_moderation
from service.sites import create_api_key
from workers.context import WorkerContext
from workers.filters import REGISTRY, register
from workers.tasks import moderate, moderate_batch, reconcile
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
    app.extensions["moderato.batcher"].flush()  # its enqueue is tried, and fails, while Redis is down

    redis_server.start()  # it comes back empty: the job was never queued
    assert run_worker() == 0
    counts = reconcile(worker_context)
    assert counts["enqueued"] == 1
    assert run_worker() == 1
    assert _status(app, comment_id) == "approved"
    assert reconcile(worker_context)["pending"] == 0


def test_reconciler_leaves_queued_jobs_alone(client, app, worker_context, redis_client, config):
    post_comment(client)
    app.extensions["moderato.batcher"].flush()
    counts = reconcile(worker_context)
    assert counts == {"pending": 1, "enqueued": 0, "live": 1, "failed": 0}
    assert Queue(config.queue_name, connection=redis_client).count == 1


def test_reconciler_re_enqueues_when_redis_lost_the_job(client, app, worker_context, redis_client, run_worker):
    comment_id = post_comment(client).get_json()["id"]
    app.extensions["moderato.batcher"].flush()
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


def test_batch_job_id_names_its_first_comment_and_size():
    assert batch_job_id([7]) == "moderate-7-1"
    assert batch_job_id([7, 9, 12]) == "moderate-7-3"


def test_comments_accepted_within_the_window_share_one_job(config, redis_client, run_worker):
    from service.app import create_app

    # A window of a minute, so that a slow machine cannot split the three posts across two jobs.
    app = create_app(replace(config, moderation_batch_window_ms=60_000))
    try:
        client = app.test_client()
        ids = [post_comment(client, text=f"第{n}条评论，说说我的看法").get_json()["id"] for n in range(3)]
        queue = Queue(config.queue_name, connection=redis_client)
        assert queue.count == 0  # still gathering
        app.extensions["moderato.batcher"].flush()
        assert [job.args for job in queue.get_jobs()] == [(ids,)]
        assert run_worker() == 1
        assert {_status(app, i) for i in ids} == {"approved"}
    finally:
        app.extensions["moderato.db"].dispose()


def test_the_batcher_thread_enqueues_without_being_asked(client, app, config, redis_client):
    comment_id = post_comment(client).get_json()["id"]
    queue = Queue(config.queue_name, connection=redis_client)
    deadline = time.monotonic() + 10
    while queue.count == 0:
        assert time.monotonic() < deadline, "the batch was never enqueued"
        time.sleep(0.01)
    assert queue.get_jobs()[0].args == ([comment_id],)


def test_a_window_of_zero_enqueues_inside_the_request(app, config, redis_client):
    batcher = ModerationBatcher(redis_client, config.queue_name, window=0, batch_size=50)
    batcher.add(41)
    assert Queue(config.queue_name, connection=redis_client).get_jobs()[0].args == ([41],)


def test_a_large_backlog_is_cut_into_batches(config, redis_client):
    assert enqueue_moderation(redis_client, config.queue_name, range(1, 121), batch_size=50)
    jobs = Queue(config.queue_name, connection=redis_client).get_jobs()
    assert [len(job.args[0]) for job in jobs] == [50, 50, 20]


def test_a_batch_run_twice_decides_each_comment_once(client, app, worker_context):
    ids = [post_comment(client, text=f"评论{n}：支持这个决定").get_json()["id"] for n in range(3)]
    assert moderate_batch(ids, worker_context) == {i: "approved" for i in ids}
    assert moderate_batch(ids + [123456], worker_context) == {**{i: "approved" for i in ids}, 123456: "missing"}
    with app.extensions["moderato.db"].read() as session:
        for comment_id in ids:
            verdicts = session.scalars(select(VerdictRecord).where(VerdictRecord.comment_id == comment_id)).all()
            assert verdicts and len(verdicts) == len({v.filter for v in verdicts})


class _ExplodingFilter:
    """A filter with a bug that only one comment's text triggers."""

    name = "test_exploding"

    @classmethod
    def from_options(cls, options):  # type: ignore[no-untyped-def]
        return cls()

    def check(self, ctx):  # type: ignore[no-untyped-def]
        if "BOOM" in ctx.comment.text:
            raise ValueError("a bug in a filter")
        from workers.filters.base import allow

        return allow(self.name)


def test_a_comment_whose_filters_raise_does_not_hold_back_its_batch(client, app, config, redis_client):
    register(_ExplodingFilter)
    context = WorkerContext(Config(**{**config.__dict__, "filters": ("length", "test_exploding")}))
    try:
        ids = [post_comment(client, text=text).get_json()["id"] for text in ("好文章", "BOOM 一下", "写得不错")]
        app.extensions["moderato.batcher"].flush()
        Queue(config.queue_name, connection=redis_client).empty()
        assert moderate_batch(ids, context) == {ids[0]: "approved", ids[1]: "split-off", ids[2]: "approved"}
        assert _status(app, ids[1]) == "pending"
        # The bad comment now has a job of its own, which fails alone and is kept for an operator.
        jobs = Queue(config.queue_name, connection=redis_client).get_jobs()
        assert [job.args for job in jobs] == [([ids[1]],)]
    finally:
        context.db.dispose()
        REGISTRY.pop("test_exploding", None)


def test_reconciler_reads_the_comments_of_batched_jobs(client, app, worker_context, redis_client, config):
    ids = [post_comment(client, text=f"排队中的评论{n}").get_json()["id"] for n in range(3)]
    app.extensions["moderato.batcher"].flush()
    queue = Queue(config.queue_name, connection=redis_client)
    jobs = queue.count  # one, or two if the posts straddled a window
    assert reconcile(worker_context) == {"pending": 3, "enqueued": 0, "live": 3, "failed": 0}
    assert queue.count == jobs


def test_a_forked_web_process_runs_its_own_batcher(config, redis_client):
    # gunicorn --preload builds the app, and its batcher, before forking the web workers.
    batcher = ModerationBatcher(redis_client, config.queue_name, window=0.01, batch_size=50)
    batcher.add(1)
    batcher.flush()
    pid = os.fork()
    if pid == 0:  # the child: its parent's thread did not come along
        try:
            batcher.add(2)
            batcher.flush()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert sorted(job.args for job in Queue(config.queue_name, connection=redis_client).get_jobs()) == [([1],), ([2],)]
