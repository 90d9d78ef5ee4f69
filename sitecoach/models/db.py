"""Engine, sessions and the UTC datetime column type shared by every table."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always returns them aware (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC datetimes")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Let SQLAlchemy own transactions (pysqlite's own BEGIN handling breaks SAVEPOINT).
    dbapi_connection.isolation_level = None


READ_ONLY = "sitecoach_read_only"
# Session.info key holding the learning-event chain's HMAC key (sitecoach/records/audit.py). The key lives in
# the settings, never in the database, and reaches the chain only through the sessions of a `Database`.
AUDIT_KEY_INFO = "sitecoach_audit_key"


def _sqlite_begin(connection: Any) -> None:
    # Writers take the write lock up front (IMMEDIATE), so read-then-write transactions wait
    # (busy_timeout) instead of failing with "database is locked" when they try to upgrade.
    # Readers begin deferred: under WAL they neither block writers nor wait for them.
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for SQLite (WAL, busy timeout, foreign keys) or PostgreSQL (pre-ping).

    `hide_parameters`: a statement's bound values (message bodies, names, numbers) never appear in the text
    of a SQLAlchemy error, so a logged traceback cannot carry them.
    """
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 10}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True
        )
    # Pooled connections must never cross a fork (gunicorn, RQ work-horses).
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


class Database:
    """The engine plus a session factory; one per process."""

    def __init__(self, url: str, audit_key: str = "") -> None:
        self.url = url
        self.engine = make_engine(url)
        self._info = {AUDIT_KEY_INFO: audit_key} if audit_key else {}

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with Session(self.engine, expire_on_commit=False, info=self._info) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading only: never holds SQLite's write lock, so it can nest inside a writer."""
        engine = self.engine.execution_options(**{READ_ONLY: True})
        with Session(engine, expire_on_commit=False, info=self._info) as session:
            try:
                yield session
            finally:
                session.close()  # releases the connection; rows read stay usable (detached, not expired)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
