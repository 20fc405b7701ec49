"""Command line of the workers: `python -m workers work` runs one RQ worker, `reconcile` runs the reconciler.

A SimpleWorker runs jobs in its own process instead of forking for each one: a fork per job costs
more than the job (about 70 jobs/s forking against 320 without, measured on this machine), and the
filters' model is loaded once per process this way. The scheduler is on so that retries with backoff run.
The worker class (`workers/worker.py`) retries a dead worker's job within about 30 s and brings the
scheduler back within seconds after a Redis outage.
"""
from __future__ import annotations

import logging

import click
from rq import Queue

from service.config import Config
from service.redis_conn import connect
from workers.worker import ModerationWorker, tie_forks_to_this_process


@click.group()
def cli() -> None:
    """Moderato's workers."""


@cli.command()
def work() -> None:
    """Run one worker on the moderation queue until it is told to stop."""
    from service.sites import get_or_create_site
    from workers.context import worker_context

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    config = Config.from_env()
    if not config.redis_url:
        raise click.UsageError("REDIS_URL is not set: start everything with `python -m service run`")
    # Build the pipeline (and load the model) before taking jobs, not inside the first one.
    context = worker_context()
    context.pipeline_for(get_or_create_site(context.db).id)
    redis = connect(config.redis_url)
    worker = ModerationWorker([Queue(config.queue_name, connection=redis)], connection=redis)
    tie_forks_to_this_process()
    worker.work(with_scheduler=True, logging_level="WARNING")


@cli.command()
def reconcile() -> None:
    """Re-enqueue comments left pending without a job, and print what was found."""
    from workers.context import WorkerContext
    from workers.tasks import reconcile as reconcile_job

    config = Config.from_env()
    if not config.redis_url:
        raise click.UsageError("set REDIS_URL to the Redis the workers use")
    counts = reconcile_job(WorkerContext(config))
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    cli()
