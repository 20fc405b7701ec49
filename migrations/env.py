"""Alembic environment: the URL comes from the service's configuration, or from the caller."""
from __future__ import annotations

from alembic import context

from service.config import Config
from service.db import make_engine
from service.models import Base
import service.imports.models  # noqa: F401  (the import mapping's table, for autogenerate)

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on the connection given by the caller, or on the configured database."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.config.attributes.get("database_url")
    config = Config.from_env() if url is None else Config(database_url=url)
    engine = make_engine(config)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `python -m service migrate`")
run_migrations_online()
