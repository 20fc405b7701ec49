"""The WSGI entry point, for WSGI servers other than the one `python -m service run` starts.

`python -m service run` and the Docker image serve `service.rsgi:app` (granian's RSGI interface), which
reads each request's body under a deadline before a thread runs the app. A WSGI server reads the body in
the thread that runs the app: put a reverse proxy that buffers whole bodies in front of it
(`docs/nginx.conf`).
"""
from __future__ import annotations

from service.app import create_app

app = create_app()
