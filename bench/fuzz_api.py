"""Fuzz the HTTP API from its OpenAPI document with Schemathesis, in-process through WSGI.

    python -m bench.fuzz_api --examples 300                 # SQLite in a temporary folder, embedded Redis
    python -m bench.fuzz_api --database-url postgresql://postgres@127.0.0.1:5432/fuzz

Every operation of `/api/openapi.json` gets `--examples` generated requests of valid data (positive) and as
many of invalid data (negative), sent with a site API key (comments) or MODERATOR_TOKEN (moderation,
metrics). Each answer is checked: no 500, every error in the JSON error shape, status code, content type,
headers and body as documented. The fast lane's two operations are then fuzzed again through the lane
(`ThroughTheLane`). Prints how many requests were made and every failure. tests/service/
test_openapi.py runs the same `fuzz` with a few examples per operation.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FUZZ_MODERATOR_TOKEN = "fuzz-moderator-token"
# A thread the fuzzer's comments land in, with approved comments to page, reply to and report.
SEED_THREAD = "/fuzz/seed.html"


@dataclass
class FuzzReport:
    """What a fuzz run did: requests made, statuses seen, and the failures found (one line each, with detail)."""

    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    by_operation: Counter = field(default_factory=Counter)


def error_shape_problem(status: int, content_type: str, body: bytes, path: str) -> str | None:
    """Return what is wrong with an error answer's body, or None when it is the JSON error shape."""
    if status < 400 or (path == "/readyz" and status == 503):  # readiness is a report, not an error
        return None
    if not content_type.startswith("application/json"):
        return f"error {status} is {content_type or 'without a content type'}, not JSON"
    try:
        data = json.loads(body)
    except ValueError:
        return f"error {status} body is not JSON: {body[:200]!r}"
    error = data.get("error") if isinstance(data, dict) else None
    if not (isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)):
        return f"error {status} body is not {{'error': {{'code', 'message'}}}}: {body[:200]!r}"
    return None


def seed(app: Any) -> dict[str, str]:
    """Store what the fuzzer needs (a site API key, approved comments) and return the headers it sends."""
    from sqlalchemy import update

    from service.models import Comment, CommentStatus
    from service.sites import create_api_key

    db = app.extensions["moderato.db"]
    api_key = create_api_key(db, "default")
    client = app.test_client()
    for n in range(3):
        client.post("/api/comments", json={"thread": SEED_THREAD, "author": f"种子{n}", "text": f"第{n}条评论"},
                    headers={"Authorization": f"Bearer {api_key}"})
    with db.write() as session:
        session.execute(update(Comment).values(status=CommentStatus.APPROVED.value))
    return {"api_key": api_key, "moderator_token": app.extensions["moderato.config"].moderator_token}


def _headers_for(case: Any, secrets: dict[str, str]) -> dict[str, str]:
    path = case.operation.path
    if path.startswith("/api/moderation/") or path == "/metrics":
        return {"Authorization": f"Bearer {secrets['moderator_token']}"}
    if path == "/api/comments":
        return {"Authorization": f"Bearer {secrets['api_key']}"}
    return {}


class ThroughTheLane:
    """A WSGI app that hands the requests the web server's fast lane takes (service/fast_lane.py) to the lane,
    as the RSGI gate does, and the rest (and what the lane hands back) to the Flask app."""

    def __init__(self, app: Any) -> None:
        from service.fast_lane import FastLane

        self.app, self.lane = app, FastLane(app, app.extensions["moderato.config"].trusted_proxies)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        from http import HTTPStatus

        from service.body_gate import LaneRequest

        headers = {key[5:].lower().replace("_", "-"): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.lower().replace("_", "-")] = environ[key]
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        query = environ.get("QUERY_STRING", "")
        if not self.lane.takes(method, path, query, headers):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(headers.get("content-length") or 0)) if method == "POST" else b""
        answer = self.lane(LaneRequest(method, path, query, headers, body, environ.get("REMOTE_ADDR", ""),
                                       environ.get("wsgi.url_scheme", "http")))
        if answer is None:
            import io

            environ["wsgi.input"] = io.BytesIO(body)
            return self.app(environ, start_response)
        status, response_headers, content = answer
        start_response(f"{status} {HTTPStatus(status).phrase}", response_headers)
        return [content]


LANE_OPERATIONS = ("POST /api/comments", "GET /api/threads/{thread}/comments")


def fuzz(app: Any, examples: int, *, seed_value: int | None = None, modes: tuple[str, ...] = ("positive", "negative"),
         progress: Callable[[str], None] | None = None, through_the_lane: bool = False) -> FuzzReport:
    """Send `examples` generated requests per operation and mode to the app; return what was found.

    With no `seed_value` the run is derandomized (the same requests each time), as a test needs. With
    `through_the_lane`, only the fast lane's operations are sent, through `ThroughTheLane`.
    """
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.errors import FailureGroup
    from schemathesis.specs.openapi.checks import (
        content_type_conformance, response_headers_conformance, response_schema_conformance,
        status_code_conformance,
    )

    secrets = seed(app)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", ThroughTheLane(app) if through_the_lane else app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
              response_schema_conformance]
    report = FuzzReport()
    seen: set[str] = set()

    def record(label: str, problem: str) -> None:
        key = f"{label}: {problem.splitlines()[0][:300]}"
        if key not in seen:  # the same failure on many examples is one line
            seen.add(key)
            report.failures.append(f"{label}: {problem.strip()[:2000]}")

    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if through_the_lane and label not in LANE_OPERATIONS:
            continue
        for mode in modes:
            strategy = operation.as_strategy(generation_mode=GenerationMode(mode))

            @settings(max_examples=examples, derandomize=seed_value is None, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.generate])
            @given(strategy)
            def run(case: Any) -> None:
                headers = _headers_for(case, secrets)
                response = case.call(headers=headers)
                report.requests += 1
                report.statuses[response.status_code] += 1
                report.by_operation[label] += 1
                content_type = (response.headers.get("content-type") or [""])[0]
                problem = error_shape_problem(response.status_code, content_type, response.content, operation.path)
                if problem:
                    record(label, f"{problem}\n{case.as_curl_command(headers=headers)}")
                try:
                    case.validate_response(response, checks=checks, headers=headers)
                except FailureGroup as err:  # every check that failed, with a curl command to reproduce
                    record(label, str(err))

            if seed_value is not None:
                run = hypothesis_seed(seed_value)(run)
            try:
                run()
            except Unsatisfiable:
                pass  # nothing to make invalid (no parameters, or none that can be sent wrong)
            except Exception as err:  # noqa: BLE001 - a generation problem is a finding too, not the end
                record(label, f"{mode} generation stopped: {type(err).__name__}: {err}")
            if progress:
                progress(f"{label} {mode}: {report.by_operation[label]} requests so far")
    return report


def main() -> None:
    """Run the fuzzer against a fresh service and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=300, help="generated requests per operation and mode")
    parser.add_argument("--seed", type=int, default=None, help="a random seed (default: derandomized)")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args()

    from service.app import create_app
    from service.config import Config
    from service.embedded_redis import EmbeddedRedis, free_port
    from service.migrate import upgrade

    with tempfile.TemporaryDirectory() as folder:
        database_url = args.database_url or f"sqlite:///{Path(folder) / 'fuzz.sqlite3'}"
        upgrade(database_url)
        (Path(folder) / "redis").mkdir()
        redis = EmbeddedRedis(Path(folder) / "redis", port=free_port(), persistent=False).start()
        try:
            config = Config(database_url=database_url, redis_url=redis.url, data_dir=folder, secret_key="fuzz",
                            moderator_token=FUZZ_MODERATOR_TOKEN, rate_limits=False, demo=False,
                            reconcile_after=0)
            app = create_app(config)
            started = time.monotonic()
            report = fuzz(app, args.examples, seed_value=args.seed, progress=print)
            lane = fuzz(app, args.examples, seed_value=args.seed, progress=print, through_the_lane=True)
            report.requests += lane.requests
            report.statuses.update(lane.statuses)
            report.failures += [f"(through the fast lane) {failure}" for failure in lane.failures]
            elapsed = time.monotonic() - started
            app.extensions["moderato.db"].dispose()
        finally:
            redis.stop()
    print(f"\n{report.requests} requests in {elapsed:.0f} s; statuses: "
          + ", ".join(f"{status}: {n}" for status, n in sorted(report.statuses.items())))
    print(f"responses of 500: {report.statuses.get(500, 0)}; failures: {len(report.failures)}")
    for failure in report.failures:
        print("\n" + failure)
    raise SystemExit(1 if report.failures else 0)


if __name__ == "__main__":
    main()
