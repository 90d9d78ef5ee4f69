"""An urgent escalation, shared by the skills that answer someone in danger (emergency, wellbeing): the
escalation opened at top priority and its alert to the mentor (or the fallback contact) added to the reply."""

from __future__ import annotations

from sitecoach.models import MessageKind
from sitecoach.records.repository import EscalationTicket
from sitecoach.skills.contract import Ctx, Reply


def escalate_urgently(ctx: Ctx, kind: str, reply: Reply, alert_prompt: str) -> EscalationTicket:
    """Open an urgent escalation for this message and add `alert_prompt` for whoever should hear of it."""
    text = ctx.message.text
    ticket = ctx.repo.escalate(
        ctx.learner,
        kind,
        text,
        ctx.now,
        message_id=ctx.message.message_id,
        fallback_phone=ctx.settings.escalation_fallback_phone,
        priority="urgent",
    )
    if ticket.contact:
        alert = ctx.say(
            alert_prompt,
            reference=ticket.escalation.reference,
            learner_name=ctx.learner.name or "A learner",
            learner_phone=ctx.learner.staff_contact,
            text=text[:500],
        )
        reply.add(alert, to=ticket.contact, kind=MessageKind.ESCALATION)
    return ticket
