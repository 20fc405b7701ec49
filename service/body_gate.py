"""Read a request's whole body on the event loop, under a deadline, before any thread runs the WSGI app.

granian's WSGI interface reads the body inside the blocking thread that runs the app, with no timeout:
a client that sends `Content-Length: 1000` and then 9 bytes holds that thread for as long as it keeps
the socket open, and eight such sockets held all 2 × 4 threads of `python -m service run` (issue 10,
finding 1). `BodyGate` is an RSGI application (granian's native interface) around the WSGI app:

- the body is read on the event loop, where a waiting connection costs a few kilobytes and no thread,
  within `BODY_READ_TIMEOUT` seconds for the whole body (408 after that, and the connection is closed);
- a body declared larger than `MAX_BODY_BYTES` is refused with 413 before a byte of it is read, and a
  chunked body is refused with 413 once it passes the limit;
- one client address may have `CLIENT_BODY_READS` bodies still arriving after a second at once, per
  web process; a body from that address that is not all there after a second gets 429 with
  `Retry-After` at that second, so one client (even one opening hundreds of connections at once) holds
  at most that many half-sent requests. Bodies that arrive within the second never count: a back end
  posting over many connections from one address is not refused for its concurrency (a first version
  that counted every body being read refused 6 of 6,000 soak POSTs sent over 16 connections);
- only a request whose body is all there is handed to a thread (`WEB_THREADS` per process), with the
  body in memory, so the app's threads never wait on a client.
- on PostgreSQL, a new comment that the fast lane takes is answered on the event loop itself, its INSERT
  awaited there, not handed to a thread (`service/loop_writes.py`, `ACCEPT_ON_EVENT_LOOP`).

Slow request heads are granian's to bound (`--http1-header-read-timeout`, `service.runner.web_command`).
Failure policy: a body that does not arrive in time fails closed (408): the request is not run.
"""
from __future__ import annotations

import asyncio
import atexit
import io
import json
import logging
import queue
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from service.exceptions import ModeratoError, PayloadTooLarge, RateLimited, RequestTimeout
from service.loop_writes import NeedsThread, run_on_loop, settle

logger = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Response = tuple[int, list[tuple[str, str]], bytes]

# Methods whose bodies nothing reads: granian's WSGI interface gave the app an empty body for them too.
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Seconds after which a body still arriving counts against its client's CLIENT_BODY_READS.
SLOW_BODY_AFTER = 1.0


class _BodyTooLarge(Exception):
    pass


@dataclass(frozen=True)
class LaneRequest:
    """What the fast lane reads of a request: plain values taken from the RSGI scope, and its headers."""

    method: str
    path: str  # percent-decoded
    query_string: str
    headers: Any  # a mapping of lower-case names (granian's RSGI headers, or a dict)
    body: bytes
    client: str  # the client's address after the trusted proxies
    scheme: str


class FastLane(Protocol):
    """Answers some requests without the WSGI app (`service/fast_lane.py`), in the same threads."""

    def takes(self, method: str, path: str, query_string: str, headers: Any) -> bool:
        """Say whether this request may be the lane's."""

    def __call__(self, request: LaneRequest) -> Response | None:
        """Answer it (status, headers, body), or return None to have the WSGI app answer it."""

    def may_run_on_loop(self, request: LaneRequest) -> bool:
        """Say whether this POST may start on the event loop (service/loop_writes.py)."""


class BodyGate:
    """An RSGI application that runs a WSGI app in a thread pool once the request's body is all in."""

    def __init__(self, wsgi_app: WSGIApp, *, threads: int = 4, body_timeout: float = 10.0,
                 max_body: int = 65536, client_body_reads: int = 8, trusted_proxies: int = 0,
                 fast_lane: FastLane | None = None, lane_posts_on_loop: bool = False) -> None:
        self.wsgi_app = wsgi_app
        self.fast_lane = fast_lane
        # The fast lane's POSTs run on the event loop (service/loop_writes.py): PostgreSQL only.
        self.lane_posts_on_loop = lane_posts_on_loop
        self.threads = threads
        self.body_timeout = body_timeout
        self.max_body = max_body
        self.client_body_reads = client_body_reads
        self.trusted_proxies = trusted_proxies
        self.slow_reads: dict[str, int] = {}  # client address -> bodies still arriving after a second (this process)
        self._app_threads: AppThreads | None = None

    @property
    def app_threads(self) -> AppThreads:
        """Return the threads that run the app, made on first use (granian forks after import)."""
        if self._app_threads is None:
            self._app_threads = AppThreads(self.threads)
        return self._app_threads

    async def __call__(self, scope: Any, protocol: Any) -> None:
        """Serve one HTTP request: read its body, then run the WSGI app in a thread and send its answer."""
        if scope.proto != "http":  # websockets are off (--no-ws); nothing here speaks them
            return
        headers = scope.headers
        body = b""
        if scope.method not in _NO_BODY_METHODS or "content-length" in headers or "transfer-encoding" in headers:
            try:
                body = await self._read_body(scope, protocol, headers)
            except ModeratoError as err:
                self._send_error(protocol, err)
                return
            except Exception:  # noqa: BLE001 - the client went away while sending: nobody to answer
                return
        try:
            if self.fast_lane is not None and self.fast_lane.takes(scope.method, scope.path, scope.query_string,
                                                                   headers):
                request = LaneRequest(scope.method, scope.path, scope.query_string, headers, body,
                                      self._client(scope, headers), scope.scheme)
                status, response_headers, content = await self._lane(request, scope)
            else:
                environ = self._environ(scope, headers, body)
                status, response_headers, content = await self.app_threads.run(self._run_app, environ)
        except Exception:  # noqa: BLE001 - Flask answers its own errors; this is a broken response
            logger.exception("the WSGI app failed outside its error handlers")
            self._send_error(protocol, ModeratoError())
            return
        protocol.response_bytes(status, response_headers, content)

    async def _read_body(self, scope: Any, protocol: Any, headers: Any) -> bytes:
        """Read the whole body; 413 past the limit, 429 or 408 for one still arriving (see the module's text).

        The deadlines are timers that cancel this request's task, not a task, a shield and a timeout around
        the read: most bodies are all there at once, and the read alone is what they should cost (a constant
        answer after each kind of read at 200 POSTs/s, A/B: about 0.08 ms of CPU per POST less; `python -m
        bench.floor` shows what the reads cost now). granian runs each request as an asyncio task
        (`service.runner.web_command` pins `--task-impl asyncio`), which the timers cancel.
        """
        declared = headers.get("content-length")
        length = -1
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1  # granian refuses these before they reach the app; read up to the limit
            if length > self.max_body:
                raise PayloadTooLarge()
            if length == 0:
                return b""
        watch = _SlowBody(self, lambda: self._client(scope, headers))
        try:
            # A declared length is within the limit: the whole body in one read. Chunked ones are counted.
            return await (protocol() if length > 0 else self._read_all(protocol))
        except asyncio.CancelledError:
            if watch.refusal is None:
                raise  # cancelled by someone else: the server is stopping
            asyncio.current_task().uncancel()  # type: ignore[union-attr]
            raise watch.refusal from None
        except _BodyTooLarge as err:
            raise PayloadTooLarge() from err
        finally:
            watch.close()

    async def _read_all(self, protocol: Any) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in protocol:
            size += len(chunk)
            if size > self.max_body:  # only a chunked body gets here: a declared length was checked before
                raise _BodyTooLarge()
            chunks.append(chunk)
        return b"".join(chunks)

    def _client(self, scope: Any, headers: Any) -> str:
        """Return the client's address: the peer's, or the one the trusted proxies forwarded (as ProxyFix reads it)."""
        peer = scope.client.rpartition(":")[0].strip("[]")
        if self.trusted_proxies:
            values = ",".join(header_values(headers, "x-forwarded-for"))
            forwarded = [part.strip() for part in values.split(",") if part.strip()]
            if len(forwarded) >= self.trusted_proxies:
                return forwarded[-self.trusted_proxies]
        return peer

    def _environ(self, scope: Any, headers: Any, body: bytes) -> dict[str, Any]:
        """Return the PEP 3333 environ of a request, as granian's own WSGI interface builds it."""
        server_host, _, server_port = scope.server.rpartition(":")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope.method,
            "SCRIPT_NAME": "",
            # RSGI gives the path percent-decoded as text; WSGI wants its bytes as latin-1.
            "PATH_INFO": scope.path.encode("utf-8").decode("latin-1"),
            "QUERY_STRING": scope.query_string,
            "SERVER_NAME": server_host.strip("[]"),
            "SERVER_PORT": server_port,
            "SERVER_PROTOCOL": "HTTP/2" if scope.http_version == "2" else f"HTTP/{scope.http_version}",
            "SERVER_SOFTWARE": "Granian",
            "REMOTE_ADDR": scope.client.rpartition(":")[0].strip("[]"),
            "GATEWAY_INTERFACE": "CGI/1.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
                continue
            key = "HTTP_" + key
            if key in environ:  # a repeated header: one value, as CGI has it
                environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
            else:
                environ[key] = value
        return environ

    async def _lane(self, request: LaneRequest, scope: Any) -> Response:
        """Answer a request that the fast lane took: on the loop (a POST, where so configured), else in a thread."""
        assert self.fast_lane is not None
        if self.lane_posts_on_loop and request.method == "POST" and self.fast_lane.may_run_on_loop(request):
            try:
                answer = await run_on_loop(self.fast_lane, request)
            except NeedsThread:  # a cache to fill first, before anything was counted: all of it in a thread
                pass
            else:
                if answer is not None:
                    return answer
                # Handed back: the WSGI app answers, and the lane is not run a second time.
                return await self.app_threads.run(self._run_app, self._environ(scope, request.headers, request.body))
        return await self.app_threads.run(self._lane_or_app, request, scope)

    def _lane_or_app(self, request: LaneRequest, scope: Any) -> Response:
        """Have the fast lane answer (in an app thread), or the WSGI app when the lane hands the request back.

        The environ is made only then, here: granian's scope and headers are plain read-only values that any
        thread may read.
        """
        assert self.fast_lane is not None
        answer = self.fast_lane(request)
        return answer if answer is not None else self._run_app(self._environ(scope, request.headers, request.body))

    def _run_app(self, environ: dict[str, Any]) -> Response:
        """Run the WSGI app (in an app thread) and return its status, headers and whole body."""
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return chunks.append

        result = self.wsgi_app(environ, start_response)
        try:
            for chunk in result:
                if chunk:
                    chunks.append(chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started
        return int(status.split(" ", 1)[0]), list(headers), b"".join(chunks)

    @staticmethod
    def _send_error(protocol: Any, err: ModeratoError) -> None:
        headers = [("content-type", "application/json"), *err.headers.items()]
        if err.status in (408, 413):  # the rest of the body is not read: the connection cannot be reused
            headers.append(("connection", "close"))
        protocol.response_bytes(err.status, headers, json.dumps(err.to_dict()).encode())


class _SlowBody:
    """The deadlines of one body being read: after a second it counts against its client, then 408.

    Timers on the event loop that cancel the request's task with the refusal to send (`refusal`); a body
    that arrives within the second costs one timer set and cancelled.
    """

    def __init__(self, gate: BodyGate, client: Callable[[], str]) -> None:
        self.gate, self.client = gate, client
        self.refusal: ModeratoError | None = None
        self._task = asyncio.current_task()
        self._loop = asyncio.get_running_loop()
        self._counted: str | None = None  # the client address this body counts against, once slow
        self._timer: asyncio.TimerHandle | None = self._loop.call_later(
            min(SLOW_BODY_AFTER, gate.body_timeout), self._slow)

    def _slow(self) -> None:
        gate = self.gate
        if gate.body_timeout <= SLOW_BODY_AFTER:
            self._refuse(RequestTimeout())
            return
        client = self.client()
        slow = gate.slow_reads.get(client, 0)
        if gate.client_body_reads and slow >= gate.client_body_reads:
            self._refuse(RateLimited("Too many requests from this address are still sending their bodies.",
                                     retry_after=1))
            return
        gate.slow_reads[client] = slow + 1
        self._counted = client
        self._timer = self._loop.call_later(gate.body_timeout - SLOW_BODY_AFTER, self._refuse, RequestTimeout())

    def _refuse(self, refusal: ModeratoError) -> None:
        self._timer = None
        self.refusal = refusal
        if self._task is not None:
            self._task.cancel()

    def close(self) -> None:
        """Stop the timers and take this body off its client's count."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._counted is not None:
            slow_reads, client = self.gate.slow_reads, self._counted
            self._counted = None
            left = slow_reads[client] - 1
            if left:
                slow_reads[client] = left
            else:
                del slow_reads[client]


class AppThreads:
    """The threads that run the app for the event loop: a queue of calls and a future per call.

    Why not `loop.run_in_executor`: its concurrent future, the chaining of that future to the loop's and
    their locks and callbacks cost about 0.05 ms of CPU per request more than this queue at 200 requests/s
    (a constant answer through each, A/B); here a call's answer goes straight to the loop's future.
    """

    def __init__(self, threads: int) -> None:
        self._calls: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._serve, name=f"wsgi_{i}", daemon=True)
                         for i in range(max(1, threads))]
        for thread in self._threads:
            thread.start()
        atexit.register(self.close)

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run `function(*args)` in one of the threads and return what it returns (or raise what it raises)."""
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        self._calls.put((loop, answer, function, args))
        return await answer

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            loop, answer, function, args = call
            try:
                result, error = function(*args), None
            except BaseException as err:  # noqa: BLE001 - handed to the awaiting request
                result, error = None, err
            try:
                loop.call_soon_threadsafe(settle, answer, result, error)
            except RuntimeError:  # the loop was closed meanwhile: nobody waits for this answer
                pass

    def close(self) -> None:
        """Let the threads finish the calls they have, and stop."""
        for _ in self._threads:
            self._calls.put(None)
        for thread in self._threads:
            thread.join(5)


def header_values(headers: Any, name: str) -> list[str]:
    """Return every value of a header (RSGI's mapping lists a repeated header once per value in items())."""
    return [value for key, value in headers.items() if key == name]
