"""Running the Alembic migrations from code."""
from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig

from service.config import PROJECT_ROOT


def alembic_config(database_url: str) -> AlembicConfig:
    """Return the Alembic configuration for a database URL."""
    cfg = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str) -> None:
    """Bring the database schema up to the latest revision of every branch."""
    # "heads", not "head": revisions made on separate branches (imports_0001 beside 0004) each apply
    # until a merge revision joins them.
    command.upgrade(alembic_config(database_url), "heads")
