"""Periodic jobs for RQ's cron scheduler: `rq cron workers.cron` (started by `python -m service run`)."""
from __future__ import annotations

from rq import cron

from service.config import Config
from workers.retrain import retrain_sites
from workers.tasks import reconcile

# This module is a configuration file that `rq cron` executes, so reading the environment here is its job.
_config = Config.from_env()
cron.register(reconcile, _config.queue_name, interval=_config.reconcile_interval, job_timeout=300)
# Nightly: fold each site's new moderator decisions into its adapter (workers/retrain.py).
cron.register(retrain_sites, _config.queue_name, cron="30 3 * * *", job_timeout=3600)
