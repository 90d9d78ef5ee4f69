"""Messages from mentors: recognised by phone number, never routed to learner skills.

"#E12 <text>" relays the text to the learner, attributed; "#E12 done" closes the escalation. Only the
learner's current mentor (or an admin) may: a mentor the learner was moved away from has no say in their
escalations, whoever the escalation was first sent to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from sitecoach.models import Consent, Escalation, EscalationStatus, Learner, Mentor
from sitecoach.prompts import PromptLibrary

_REFERENCE = re.compile(r"^\s*#?\s*E(?P<id>\d{1,9})\b[\s:,.\-]*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
CLOSE_WORDS = {"done", "close", "closed", "resolved", "sorted", "fixed", "ok done", "all done"}


@dataclass(frozen=True)
class MentorReply:
    """What to send: to the mentor, and (optionally) to a learner."""

    to_mentor: str
    to_learner: str | None = None
    learner: Learner | None = None


def _open_for(session: Session, mentor: Mentor) -> list[tuple[Escalation, Learner]]:
    query = select(Escalation, Learner).join(Learner, col(Learner.id) == col(Escalation.learner_id))
    query = query.where(Escalation.status == EscalationStatus.OPEN)
    if not mentor.is_admin:
        query = query.where(Learner.mentor_id == mentor.id)
    return list(session.exec(query.order_by(col(Escalation.id))).all())


def handle_mentor_message(
    session: Session, prompts: PromptLibrary, mentor: Mentor, text: str, now: datetime
) -> MentorReply:
    """Relay a mentor's reply to the learner it references, or close the escalation."""
    match = _REFERENCE.match(text or "")
    if not match:
        listing = ", ".join(f"{e.reference} {lrn.name or 'learner'}" for e, lrn in _open_for(session, mentor))
        return MentorReply(prompts.render("mentor_inbox/which", open_escalations=listing))
    reference = f"#E{match.group('id')}"
    escalation = session.get(Escalation, int(match.group("id")))
    learner = session.get(Learner, escalation.learner_id) if escalation is not None else None
    if (
        escalation is None
        or escalation.status != EscalationStatus.OPEN
        or not (mentor.is_admin or (learner is not None and learner.mentor_id == mentor.id))
    ):
        return MentorReply(prompts.render("mentor_inbox/unknown_ref", reference=reference))
    return reply_to_escalation(session, prompts, mentor, escalation, match.group("rest").strip(), now)


def reply_to_escalation(
    session: Session, prompts: PromptLibrary, mentor: Mentor, escalation: Escalation, text: str, now: datetime
) -> MentorReply:
    """A mentor's answer to an open escalation (from WhatsApp or the web): relay it, or close on "done"."""
    reference = escalation.reference
    learner = session.get(Learner, escalation.learner_id)
    assert learner is not None
    learner_name = learner.name or "your learner"
    rest = text.strip()
    if rest.lower().strip(".! ") in CLOSE_WORDS:
        escalation.status, escalation.closed_at = EscalationStatus.CLOSED, now
        escalation.mentor_replied_at = escalation.mentor_replied_at or now
        session.add(escalation)
        to_learner = None
        if learner.consent != Consent.OPTED_OUT:
            to_learner = prompts.render(
                "mentor_inbox/closed_learner", mentor_name=mentor.name, reference=reference
            )
        return MentorReply(
            prompts.render("mentor_inbox/closed", reference=reference, learner_name=learner_name),
            to_learner,
            learner,
        )
    if not rest:
        return MentorReply(
            prompts.render("mentor_inbox/which", open_escalations=f"{reference} {learner_name}")
        )
    if learner.consent == Consent.OPTED_OUT:
        return MentorReply(
            prompts.render("mentor_inbox/opted_out", learner_name=learner_name, reference=reference)
        )
    context = dict(escalation.context)
    context["mentor_replies"] = int(context.get("mentor_replies", 0)) + 1
    escalation.context = context
    escalation.mentor_replied_at = escalation.mentor_replied_at or now
    session.add(escalation)
    return MentorReply(
        prompts.render("mentor_inbox/relayed", learner_name=learner_name, reference=reference),
        prompts.render(
            "mentor_inbox/to_learner", mentor_name=mentor.name, reference=reference, text=rest[:1500]
        ),
        learner,
    )


def mentor_by_phone(session: Session, phone: str) -> Mentor | None:
    """The mentor with this WhatsApp number, if any."""
    return session.exec(select(Mentor).where(Mentor.phone == phone)).first()
