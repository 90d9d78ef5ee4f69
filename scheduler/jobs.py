"""RQ jobs: thin, importable, taking ids, idempotent; each delegates to domain code."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col, select

from bot import inbound
from bot.outbox import deliver
from models import ConversationState, Direction, Message, OutboundStatus, utcnow
from scheduler import runtime
from scheduler.enqueue import enqueue_inbound

log = logging.getLogger(__name__)
SWEEP_MAX_AGE = timedelta(days=2)
STUCK_SENDING_AFTER = timedelta(minutes=10)


def process_inbound(message_id: int) -> dict[str, object]:
    """Answer one stored inbound message (safe to run more than once)."""
    outcome = inbound.process_inbound(runtime.services(), message_id)
    return {
        "intent": outcome.intent,
        "skill": outcome.skill,
        "replies": len(outcome.replies),
        "already_processed": outcome.already_processed,
    }


def sweep_unprocessed() -> dict[str, int]:
    """Re-queue inbound messages that were stored but never answered (Redis was down, a job was lost)."""
    services = runtime.services()
    now = utcnow()
    cutoff = now - timedelta(seconds=services.settings.sweep_after_seconds)
    with services.db.session() as session:
        waiting = session.exec(
            select(Message.id)
            .where(
                Message.direction == Direction.IN,
                col(Message.processed_at).is_(None),
                Message.created_at <= cutoff,
                Message.created_at >= now - SWEEP_MAX_AGE,
            )
            .order_by(col(Message.id))
            .limit(1000)
        ).all()
        unsent = session.exec(
            select(Message.in_reply_to_id)
            .where(
                Message.direction == Direction.OUT,
                Message.status == OutboundStatus.PENDING,
                col(Message.in_reply_to_id).is_not(None),
                Message.created_at <= cutoff,
                Message.created_at >= now - SWEEP_MAX_AGE,
            )
            .distinct()
            .limit(1000)
        ).all()
    queued = 0
    for message_id in list(waiting) + [m for m in unsent if m is not None]:
        queued += enqueue_inbound(services.queue, int(message_id))
    if queued:
        log.warning("sweeper re-queued %d inbound message(s)", queued)
    return {"unprocessed": len(waiting), "unsent": len(unsent), "queued": queued}


def expire_conversations() -> int:
    """Delete conversation states that have expired."""
    services = runtime.services()
    with services.db.session() as session:
        result = session.execute(
            delete(ConversationState).where(col(ConversationState.expires_at) <= utcnow())
        )
        return int(result.rowcount or 0)


def send_pending(message_ids: list[int]) -> int:
    """Send outbound rows that are still pending (used for proactive messages)."""
    services = runtime.services()
    return deliver(services.db, services.channel, message_ids, None)
