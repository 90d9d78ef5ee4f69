"""Inbound messages whose processing keeps failing: every failed try is counted on the message's row, and
after `MAX_INBOUND_ATTEMPTS` the message is set aside as a dead letter instead of being retried forever.

A try that fails is never marked done: the job raises and RQ retries it with backoff (`INBOUND_RETRY`), and
the sweeper queues it again after RQ gives up. A failure that cannot even be counted (the database is down)
is simply retried: it says nothing about the message. A dead letter is left alone by the sweeper and the
worker; the admin's Queues page lists it with its error, and Retry gives it a fresh set of tries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import update
from sqlmodel import col

from sitecoach.infra.transient import describe
from sitecoach.models import Database, Direction, Message, MessageStatus

log = logging.getLogger(__name__)
MAX_INBOUND_ATTEMPTS = 8  # the first try, RQ's four retries, then the sweeper's (one a minute)


def _unprocessed(message_id: int) -> tuple[object, ...]:
    return (
        col(Message.id) == message_id,
        col(Message.direction) == Direction.IN,
        col(Message.processed_at).is_(None),
    )


def record_failed_try(db: Database, message_id: int, exc: BaseException) -> bool:
    """Count a failed try at processing an inbound message; True if it was the last one (the message is
    now a dead letter). Raises if the count cannot be written (the caller re-raises the original error)."""
    with db.session() as session:
        session.execute(
            update(Message)
            .where(*_unprocessed(message_id))
            .values(attempts=Message.attempts + 1, error_message=describe(exc)[:500])
        )
        row = session.get(Message, message_id)
        if row is None or row.processed_at is not None:
            return False
        if row.attempts < MAX_INBOUND_ATTEMPTS:
            return False
        row.status = MessageStatus.DEAD_LETTER
        session.add(row)
    log.error("inbound message %s failed %d times (%s): dead letter", message_id, row.attempts, describe(exc))
    return True


def retry_dead_letter(db: Database, message_id: int, enqueue: Callable[[int], object]) -> bool:
    """The admin's Retry: give a dead letter a fresh set of tries and queue it with `enqueue`. False if the
    message is not a dead letter (retried already). If it cannot be queued (Redis down) it stays
    unprocessed, and the sweeper queues it when Redis is back; the error is raised."""
    with db.session() as session:
        result = session.execute(
            update(Message)
            .where(*_unprocessed(message_id), col(Message.status) == MessageStatus.DEAD_LETTER)
            .values(status=MessageStatus.RECEIVED, attempts=0, error_message=None)
        )
        if result.rowcount != 1:
            return False
    enqueue(message_id)
    log.info("dead letter %s will be processed again", message_id)
    return True
