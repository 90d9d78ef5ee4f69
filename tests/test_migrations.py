"""Alembic creates and removes the schema on this run's database engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import os
import uuid

import sqlalchemy as sa

from sitecoach import models
from sitecoach.infra.migrate import downgrade, upgrade
from sitecoach.settings import Settings


def _scratch_database(tmp_path):
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        return f"sqlite:///{tmp_path / 'migrate.db'}", None
    base = Settings(database_url=admin_url).database_uri
    name = f"sitecoach_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False), (admin, name)


def test_upgrade_creates_every_table_and_downgrade_removes_them(tmp_path):
    uri, cleanup = _scratch_database(tmp_path)
    try:
        upgrade(uri)
        engine = sa.create_engine(uri)
        tables = set(sa.inspect(engine).get_table_names())
        assert set(models.metadata.tables) <= tables
        uniques = {tuple(u["column_names"]) for u in sa.inspect(engine).get_unique_constraints("message")}
        assert ("twilio_sid",) in uniques and ("dedupe_key",) in uniques
        downgrade(uri, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(uri)
        engine.dispose()
    finally:
        if cleanup:
            admin, name = cleanup
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
