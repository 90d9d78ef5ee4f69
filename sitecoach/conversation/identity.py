"""Who sent an inbound message: the mentor or learner behind a number, a BSUID, or both.

Matching order: the BSUID first (it is what a user with a WhatsApp username always has), then the number.
When a BSUID first arrives beside a number we already know, it is recorded on that person, so the day
WhatsApp stops sharing their number we still know them. A number that first arrives beside a known BSUID is
recorded the same way, unless another learner already holds it (two records are a person's call to merge,
not ours). A new sender becomes a new learner, whatever they arrived with; onboarding follows.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from sitecoach.models import Learner, Mentor, Message
from sitecoach.models.identity import mask_address

log = logging.getLogger(__name__)


def _sender(message: Message) -> tuple[str | None, str | None]:
    """The sender's number (None when WhatsApp shared none) and BSUID (None when Twilio sent none)."""
    number = None if message.phone == message.bsuid else message.phone
    return number, message.bsuid


def _remember(person: Learner | Mentor, message: Message, number: str | None) -> bool:
    """Fill in what this message adds to a known person (BSUID, number, username); whether it changed."""
    changed = False
    if message.bsuid and person.bsuid != message.bsuid:
        if person.bsuid:  # a changed number gives a new BSUID: the newest is the one to answer
            log.info("%s %s has a new BSUID", type(person).__name__.lower(), person.id)
        person.bsuid, changed = message.bsuid, True
    if number and not person.phone:
        person.phone, changed = number, True
    if message.username and person.username != message.username:
        person.username, changed = message.username, True
    return changed


def mentor_for(session: Session, message: Message) -> Mentor | None:
    """The mentor who sent this message (by BSUID, then number), with any new identity recorded."""
    number, bsuid = _sender(message)
    mentor = None
    if bsuid:
        mentor = session.exec(select(Mentor).where(Mentor.bsuid == bsuid)).first()
    if mentor is None and number:
        mentor = session.exec(select(Mentor).where(Mentor.phone == number)).first()
    if mentor is not None and _remember(mentor, message, None):
        session.add(mentor)
    return mentor


def _find_learner(session: Session, number: str | None, bsuid: str | None) -> Learner | None:
    if bsuid:
        learner = session.exec(select(Learner).where(Learner.bsuid == bsuid)).first()
        if learner is not None:
            return learner
    if number:
        return session.exec(select(Learner).where(Learner.phone == number)).first()
    return None


def learner_for(session: Session, message: Message, default_timezone: str, now: datetime) -> Learner:
    """The learner who sent this message, made if new; a BSUID or number seen for the first time is kept."""
    number, bsuid = _sender(message)
    learner = _find_learner(session, number, bsuid)
    if learner is None:
        learner = Learner(
            phone=number,
            bsuid=bsuid,
            username=message.username,
            timezone=default_timezone,
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(learner)
        except IntegrityError:  # the same person's other message got there first
            found = _find_learner(session, number, bsuid)
            assert found is not None
            learner = found
        return learner
    if number and not learner.phone:
        holder = session.exec(select(Learner.id).where(Learner.phone == number)).first()
        if holder is not None:
            log.warning(
                "learner %s wrote from %s, which learner %s holds: not merged",
                learner.id,
                mask_address(number),
                holder,
            )
            number = None
    if _remember(learner, message, number):
        with session.begin_nested():
            session.add(learner)
    return learner
