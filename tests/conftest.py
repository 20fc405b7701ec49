"""Fixtures with real services: a Redis server on a free port, SQLite per test, PostgreSQL when
TEST_DATABASE_URL is set, and RQ SimpleWorkers in burst mode."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from service.config import Config
from service.embedded_redis import EmbeddedRedis, free_port
from service.migrate import upgrade

TEST_SECRET = "test-secret-key"
MODERATOR_TOKEN = "test-moderator-token"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """Start one real redis-server for the session, on a free port, persisting nothing."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), port=free_port(), persistent=False).start()
    yield server
    server.stop()


@pytest.fixture
def redis_client(redis_server: EmbeddedRedis) -> Iterator[Redis]:
    """Return a client of the session's Redis, flushed before each test."""
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()  # a test stopped it on purpose
    from service.queue import ModerationBatcher

    # Jobs of comments an earlier test accepted are enqueued now, before the flush, not into this test.
    ModerationBatcher.flush_all()
    client = Redis.from_url(redis_server.url)
    client.flushall()
    yield client
    client.close()


def _database_params() -> list[str]:
    params = ["sqlite"]
    if os.environ.get("TEST_DATABASE_URL"):
        params.append("postgresql")
    return params


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate one SQLite database with Alembic; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """Migrate a PostgreSQL database for this session, from scratch, on TEST_DATABASE_URL's server.

    The session gets a database of its own (TEST_DATABASE_URL's name with this process's id), so two
    runs on one server cannot drop each other's tables; where the role may not create databases, the
    named database itself is used.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield None
        return
    base = make_url(Config(database_url=url).resolved_database_url())
    own = base.set(database=f"{base.database}_run{os.getpid()}")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{own.database}"'))
            conn.execute(text(f'CREATE DATABASE "{own.database}"'))
        session_url = own.render_as_string(hide_password=False)
    except DBAPIError:
        own = None
        session_url = base.render_as_string(hide_password=False)
        engine = create_engine(session_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(session_url)
    yield session_url
    if own is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=_database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """Return an empty, migrated database: a copy of the SQLite template, or the truncated PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "moderato.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "TRUNCATE sites, api_keys, threads, comments, verdicts, moderation_actions, word_entries, reports, "
            "users, user_tokens, bans, audit_events, readers RESTART IDENTITY CASCADE"
        ))
    engine.dispose()
    return url


def make_config(database_url: str, redis_url: str, tmp_path: Path, **overrides: object) -> Config:
    """Return a test configuration: real services, a fixed secret, the test hooks on."""
    values: dict[str, object] = dict(
        database_url=database_url, redis_url=redis_url, data_dir=str(tmp_path / "data"), secret_key=TEST_SECRET,
        moderator_token=MODERATOR_TOKEN, testing_hooks=True, reconcile_after=0,
        # Tests post many comments from one address; tests/service/test_rate_limits.py turns the limits on.
        rate_limits=False,
    )
    values.update(overrides)
    return Config(**values)  # type: ignore[arg-type]


@pytest.fixture
def config(database_url: str, redis_client: Redis, redis_server: EmbeddedRedis, tmp_path: Path) -> Config:
    """Return the configuration of a test's service."""
    return make_config(database_url, redis_server.url, tmp_path)


@pytest.fixture
def app(config: Config):  # type: ignore[no-untyped-def]
    """Return the Flask app for the test's configuration."""
    from service.app import create_app

    application = create_app(config)
    yield application
    application.extensions["moderato.db"].dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    """Return a test client of the app."""
    return app.test_client()


@pytest.fixture
def worker_context(config: Config):  # type: ignore[no-untyped-def]
    """Return a worker context for the test's configuration, as a worker process would build it."""
    from workers.context import WorkerContext

    context = WorkerContext(config)
    yield context
    context.db.dispose()


@pytest.fixture
def run_worker(config: Config, redis_client: Redis, worker_context):  # type: ignore[no-untyped-def]
    """Return a function that drains the queue with a real SimpleWorker in burst mode; it returns the jobs run."""
    from workers.context import use_context

    # Jobs run in this process, so they use the test's worker context.
    use_context(worker_context)

    def drain() -> int:
        from service.queue import ModerationBatcher

        # Comments accepted in this test are enqueued by their app's batcher within its window: now.
        ModerationBatcher.flush_all()
        queue = Queue(config.queue_name, connection=redis_client)
        waiting = queue.count
        SimpleWorker([queue], connection=redis_client).work(burst=True, logging_level="WARNING")
        return waiting - queue.count

    yield drain
    use_context(None)


class SmtpSink:
    """A local SMTP server (aiosmtpd) that keeps every message it is sent, for tests of readers' mails."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        """Keep the message (aiosmtpd's handler hook)."""
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
        return "250 OK"

    def bodies(self, to: str) -> list[str]:
        """Return the plain-text bodies of the messages sent to an address, oldest first."""
        return [m.get_content() for m in self.messages if m["To"] == to]


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """Run a local SMTP sink for the test."""
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def mail_config(database_url: str, redis_client: Redis, redis_server: EmbeddedRedis, tmp_path: Path,
                smtp_sink: SmtpSink) -> Config:
    """Return a test configuration whose mails go to the test's SMTP sink."""
    return make_config(database_url, redis_server.url, tmp_path, smtp_host="127.0.0.1", smtp_port=smtp_sink.port,
                       held_queue_alert=0)
