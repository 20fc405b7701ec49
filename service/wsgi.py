"""The WSGI entry point: `granian --interface wsgi service.wsgi:app` (or any WSGI server)."""
from __future__ import annotations

from service.app import create_app

app = create_app()
