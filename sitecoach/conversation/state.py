"""The conversation in progress: the stored row read as its skill's typed state, and a reply's state
change applied to it.

The row keeps a step and JSON data; only the owning skill knows their shape (`load_state`), so they are
read once, before the skill runs, and written back from the skill's `to_data()`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from sitecoach.models import ConversationState
from sitecoach.skills.contract import (
    Conversation,
    ConversationalSkill,
    ConversationData,
    End,
    Keep,
    SkillRegistry,
    StateChange,
    conversational,
)

log = logging.getLogger(__name__)


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
