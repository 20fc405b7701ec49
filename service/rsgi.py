"""The RSGI entry point that `python -m service run` serves: `granian --interface rsgi service.rsgi:app`.

The WSGI app behind `service.body_gate.BodyGate`, which reads each request's body before a thread runs
the app, and answers new comments and cached thread pages by its fast lane (`service/fast_lane.py`). `service/wsgi.py`
stays for other WSGI servers, behind a proxy that buffers bodies.
"""
from __future__ import annotations

from service.app import create_app
from service.body_gate import BodyGate
from service.config import Config
from service.fast_lane import FastLane

_config = Config.from_env().ensure_secret_key()
_flask_app = create_app(_config)
app = BodyGate(_flask_app, threads=_config.web_threads, body_timeout=_config.body_read_timeout,
               max_body=_config.max_body_bytes, client_body_reads=_config.client_body_reads,
               trusted_proxies=_config.trusted_proxies,
               fast_lane=FastLane(_flask_app, _config.trusted_proxies),
               lane_posts_on_loop=_flask_app.extensions["moderato.db"].accepts_on_loop)
