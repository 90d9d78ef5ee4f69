"""What the skills that answer someone in danger share (emergency, wellbeing, safeguarding): an urgent
escalation with its alert to the mentor (or the fallback contact), a concern for the safeguarding lead, and
a request to stop messages in the same message honoured as well (`honour_opt_out`)."""

from __future__ import annotations

from sitecoach.models import Cohort, Consent, ConsentMethod, MessageKind
from sitecoach.records.repository import EscalationTicket
from sitecoach.records.safeguarding import ConcernTicket, raise_concern
from sitecoach.skills.consent_source import consent_source
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


def alert_safeguarding_lead(
    ctx: Ctx,
    kind: str,
    reply: Reply,
    alert_prompt: str,
    *,
    also_fallback: bool = False,
    withhold_text: bool = True,
    already_told: str | None = None,
) -> ConcernTicket:
    """Record a concern in the restricted safeguarding log and add a short alert, without the learner's
    words, for the cohort's safeguarding leads (else the fallback contact): never the mentor.
    `already_told`: a phone that has had an alert about this message (it gets no second one)."""
    ticket = raise_concern(
        ctx.repo.session,
        ctx.learner,
        kind,
        ctx.message.text,
        ctx.now,
        message_id=ctx.message.message_id,
        fallback_phone=ctx.settings.escalation_fallback_phone,
        also_fallback=also_fallback,
        withhold_text=withhold_text,
    )
    cohort = ctx.repo.session.get(Cohort, ctx.learner.cohort_id) if ctx.learner.cohort_id else None
    alert = ctx.say(
        alert_prompt,
        reference=ticket.concern.reference,
        learner_name=ctx.learner.name or "A learner",
        learner_phone=ctx.learner.staff_contact,
        cohort=cohort.name if cohort else "",
        link=f"{ctx.settings.public_base_url}/safeguarding/{ticket.concern.id}",
    )
    for contact in ticket.contacts:
        if contact != already_told:
            reply.add(alert, to=contact, kind=MessageKind.SAFEGUARDING)
    return ticket


def honour_opt_out(ctx: Ctx) -> str | None:
    """When the message also asks to stop messages (`Classification.opt_out`: "stop messaging me, the
    lads won't leave me alone"), opt the learner out after the urgent reply and return the confirmation to
    send (it says how to come back); otherwise None. Urgent paths still answer an opted-out learner."""
    if not ctx.intent.opt_out:
        return None
    ctx.repo.set_consent(ctx.learner, Consent.OPTED_OUT, ctx.now, ConsentMethod.STOP, **consent_source(ctx))
    return ctx.say("stop/confirmed")
