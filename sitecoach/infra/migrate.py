"""Run the Alembic migrations from code (the release step, and `make demo`)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from sitecoach.settings import REPO_ROOT


def alembic_config(database_uri: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", database_uri.replace("%", "%%"))
    return config


def upgrade(database_uri: str, revision: str = "head") -> None:
    """Bring the database schema up to `revision`."""
    command.upgrade(alembic_config(database_uri), revision)


def downgrade(database_uri: str, revision: str) -> None:
    """Take the database schema back to `revision`."""
    command.downgrade(alembic_config(database_uri), revision)
