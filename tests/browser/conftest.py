"""Browser fixtures: the real service on a free port (werkzeug, threaded), Debian's Chromium driven by Playwright."""
from __future__ import annotations

import json
import os
import threading
import urllib.request
from collections.abc import Iterator

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

pytestmark = pytest.mark.browser


class _OneRequestPerConnection(WSGIRequestHandler):
    # HTTP/1.0: the connection closes after each response, so no handler thread idles on a keep-alive
    # socket and stop() can wait for every request in flight.
    protocol_version = "HTTP/1.0"


class LiveServer:
    """A WSGI app served by werkzeug in a thread, on 127.0.0.1 and a free port."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_OneRequestPerConnection)
        # Handler threads are joined by server_close(): a request still in flight when the test ends (the
        # widget polls) must finish before the app's engine is disposed, or its database connection is
        # dropped unclosed and the ResourceWarning fails a later test.
        self.server.daemon_threads = False
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        """Start serving."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wait for the requests in flight, and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def get_json(self, path: str) -> dict:
        """GET a path of the service and decode its JSON body."""
        with urllib.request.urlopen(self.url + path, timeout=5) as response:
            return json.loads(response.read())


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Launch Debian's Chromium once per session (skipped when it is not installed)."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install -y chromium fonts-wqy-microhei fonts-noto-color-emoji"
        if os.environ.get("CI"):
            pytest.fail(message)  # .ci/run installs it; a CI run without it must not pass by skipping
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """Serve the test's app over HTTP for the browser."""
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    """Return a fresh page (its own storage) that fails the test on any page error or CSP violation."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.problems = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda err: page.problems.append(f"pageerror: {err}"))
    page.on("console", lambda msg: page.problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    page.on("dialog", lambda dialog: (page.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.set_default_timeout(10_000)
    yield page
    context.close()
