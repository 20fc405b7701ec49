"""The stand-in RSGI app of `python -m bench.floor`: a constant 202, at the depth FLOOR_DEPTH names.

Not the service: no Flask, no database, no Redis. It reads bodies with the service's own gate
(`service.body_gate.BodyGate._read_body`) and answers in the service's own app threads (`AppThreads`), so
that what it costs is what those layers cost.
"""
from __future__ import annotations

import os
from typing import Any

from service.body_gate import BodyGate

DEPTH = os.environ.get("FLOOR_DEPTH", "thread")
ANSWER = (202, [("content-type", "application/json")], b'{"id":1,"status":"pending"}\n')


def _answer() -> tuple[int, list[tuple[str, str]], bytes]:
    return ANSWER


class FloorApp(BodyGate):
    """Answers every request with ANSWER, after reading its body and in a thread, as DEPTH says."""

    def __init__(self) -> None:
        super().__init__(lambda environ, start_response: [])

    async def __call__(self, scope: Any, protocol: Any) -> None:
        """Answer one request."""
        if scope.proto != "http":
            return
        if DEPTH == "bare" and scope.method == "POST":
            await protocol()  # the body alone, without the gate's deadlines
        elif DEPTH != "head" and scope.method == "POST":
            await self._read_body(scope, protocol, scope.headers)
        answer = await self.app_threads.run(_answer) if DEPTH == "thread" else ANSWER
        protocol.response_bytes(*answer)


app = FloorApp()
