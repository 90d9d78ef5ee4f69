"""The conversation in progress: the stored row read as its skill's typed state, a reply's state change
applied to it, and its end when it expires.

The row keeps a step and JSON data; only the owning skill knows their shape (`load_state`), so they are
read once, before the skill runs, and written back from the skill's `to_data()`.

An expired conversation ends once, whoever notices first (the expiry job or the learner's next message):
the row is deleted only if it is still expired, and the skill's `on_timeout` runs in the same
transaction, so an abandoned mock paper is recorded exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from sitecoach.curriculum.catalogue import Catalogue
from sitecoach.infra.transient import is_transient
from sitecoach.models import ConversationState, Learner
from sitecoach.records.repository import CoachRepository
from sitecoach.services import Services
from sitecoach.skills.contract import (
    Conversation,
    ConversationalSkill,
    ConversationData,
    End,
    Keep,
    Reply,
    SkillRegistry,
    StateChange,
    TimeoutCtx,
    conversational,
)

log = logging.getLogger(__name__)
_TABLE = ConversationState.__table__  # type: ignore[attr-defined]


def _owner(registry: SkillRegistry, skill: str) -> ConversationalSkill | None:
    """The registered skill that keeps this conversation, or None (logged)."""
    owner = conversational(registry.get(skill)) if skill in registry else None
    if owner is None:
        log.warning("conversation of unknown skill %r ignored", skill)
    return owner


def _typed(owner: ConversationalSkill, step: str, data: Mapping[str, Any]) -> ConversationData | None:
    """The skill's typed state, or None (logged) if the row cannot be read as one."""
    try:
        return owner.load_state(step, data)
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("conversation of %s in step %r unreadable, ignored: %r", owner.name, step, exc)
        return None


def current_row(session: Session, learner_id: int) -> ConversationState | None:
    """The learner's conversation row, expired or not."""
    return session.exec(select(ConversationState).where(ConversationState.learner_id == learner_id)).first()


def load(registry: SkillRegistry, row: ConversationState) -> Conversation | None:
    """The conversation as its skill's typed state; None if its skill cannot read it (it is then left to
    be replaced by the next conversation, or to expire)."""
    owner = _owner(registry, row.skill)
    data = _typed(owner, row.state, row.data) if owner is not None else None
    return Conversation(row.skill, data, row.expires_at) if data is not None else None


def apply_change(
    session: Session,
    row: ConversationState | None,
    learner_id: int,
    skill: str,
    change: StateChange,
    now: datetime,
    default_ttl: timedelta,
) -> None:
    """Keep, set or end the learner's conversation as a reply said."""
    if isinstance(change, Keep):
        return
    if isinstance(change, End):
        if row is not None:
            session.delete(row)
        return
    expires = now + (change.ttl or default_ttl)
    step, data = str(change.state.step), change.state.to_data()
    if row is None:
        row = ConversationState(
            learner_id=learner_id, skill=skill, state=step, data=data, expires_at=expires, updated_at=now
        )
    else:
        row.skill, row.state, row.data = skill, step, data
        row.expires_at, row.updated_at = expires, now
    session.add(row)


def expire(
    services: Services,
    session: Session,
    row: ConversationState,
    learner: Learner,
    now: datetime,
    catalogue: Catalogue,
) -> Reply | None:
    """End one expired conversation: delete its row if it is still expired and call its skill's
    `on_timeout`. Returns what the skill would say (often nothing) if this call ended it; None if the
    conversation was renewed or already ended."""
    gone = session.execute(
        delete(_TABLE)
        .where(_TABLE.c.id == row.id, _TABLE.c.expires_at <= now)
        .returning(_TABLE.c.skill, _TABLE.c.state, _TABLE.c.data, _TABLE.c.updated_at)
    ).first()
    if gone is None:
        return None
    if row in session:
        session.expunge(row)  # deleted beneath the ORM: forget it, so a new row can take its place
    skill: str = gone.skill
    step: str = gone.state
    data: Mapping[str, Any] = gone.data
    last_turn_at: datetime = gone.updated_at
    owner = _owner(services.registry, skill)
    state = _typed(owner, step, data) if owner is not None else None
    if owner is None or state is None:
        return Reply()  # ended all the same: nothing can continue it
    ctx = TimeoutCtx(
        learner=learner,
        now=now,
        last_turn_at=last_turn_at,
        settings=services.settings,
        repo=CoachRepository(session, catalogue, services.memory),
        prompts=services.prompts,
        catalogue=catalogue,
    )
    try:
        with session.begin_nested():
            said = owner.on_timeout(ctx, state)
    except Exception as exc:
        if is_transient(exc):  # the database or Redis, not the hook: retry rather than lose the record
            raise
        # A failing hook must not keep a dead conversation alive: it ends without its record.
        log.exception("on_timeout of %s failed for learner %s", skill, learner.id)
        return Reply()
    return said or Reply()


def expire_due(services: Services, now: datetime) -> int:
    """End every conversation expired by `now`, each in its own transaction; returns how many ended."""
    with services.db.read_session() as session:
        due = session.exec(
            select(ConversationState.id)
            .where(col(ConversationState.expires_at) <= now)
            .order_by(col(ConversationState.id))
        ).all()
    if not due:
        return 0
    catalogue = services.catalogue()  # before any transaction: SQLite allows one writer at a time
    ended = 0
    for row_id in due:
        with services.db.session() as session:
            row = session.get(ConversationState, row_id)
            learner = session.get(Learner, row.learner_id) if row is not None else None
            if row is None or learner is None:
                continue  # ended meanwhile (the learner wrote, or another expiry run)
            said = expire(services, session, row, learner, now, catalogue)
            if said is None:
                continue
            ended += 1
            if said.messages:
                # Nobody asked: an unprompted message is outreach's job (quiet hours, consent, templates).
                log.info("conversation %s ended with %d message(s) left unsaid", row_id, len(said.messages))
    return ended
