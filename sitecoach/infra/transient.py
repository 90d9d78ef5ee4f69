"""Which failures pass by themselves: a database or Redis that is briefly unreachable, locked or slow.

A transient failure is retried (the work is not done yet); anything else is a bug, reported as one. The
classes are the drivers' own: SQLAlchemy's OperationalError (connection refused or dropped, "database is
locked", a serialization failure), DisconnectionError and pool TimeoutError, any driver error that
invalidated its connection (a closed SQLite connection is a ProgrammingError), Redis connection errors and
timeouts, and the standard library's connection errors and timeouts.
"""

from __future__ import annotations

from redis import exceptions as redis_exc
from sqlalchemy import exc as sa_exc

TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    redis_exc.ConnectionError,
    redis_exc.TimeoutError,
    ConnectionError,
    TimeoutError,
)
CHAIN_DEPTH = 5  # how far along __cause__ / __context__ a wrapped failure is looked for


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps or was raised while handling) is a failure worth retrying."""
    seen: BaseException | None = exc
    for _ in range(CHAIN_DEPTH):
        if seen is None:
            return False
        if isinstance(seen, TRANSIENT_TYPES):
            return True
        if isinstance(seen, sa_exc.DBAPIError) and seen.connection_invalidated:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def describe(exc: BaseException) -> str:
    """A short, safe account of a failure for the admin: its type only (a driver's message can carry the
    SQL parameters, that is, what a learner wrote)."""
    kind = type(exc).__name__
    return f"{kind} (transient)" if is_transient(exc) else kind
