"""mentor: "talk to my mentor" opens an escalation and messages the mentor with the context."""

from __future__ import annotations

from sitecoach.models import Cohort, EscalationKind, MessageKind
from sitecoach.nlu.intents import Intent
from sitecoach.skills.contract import END, Ctx, Reply, SimpleSkill


def handle(ctx: Ctx) -> Reply:
    """Open an escalation, tell the mentor on WhatsApp, reassure the learner."""
    text = ctx.message.text
    ticket = ctx.repo.escalate(
        ctx.learner,
        EscalationKind.MENTOR,
        text,
        ctx.now,
        message_id=ctx.message.message_id,
        fallback_phone=ctx.settings.escalation_fallback_phone,
    )
    reference = ticket.escalation.reference
    if ticket.mentor is None:
        reply = Reply.text(ctx.say("mentor/no_mentor", reference=reference), state=END)
    else:
        reply = Reply.text(
            ctx.say("mentor/to_learner", mentor_name=ticket.mentor.name, reference=reference),
            state=END,
        )
    if ticket.contact:
        cohort = ctx.repo.session.get(Cohort, ctx.learner.cohort_id) if ctx.learner.cohort_id else None
        alert = ctx.say(
            "mentor/to_mentor",
            reference=reference,
            learner_name=ctx.learner.name or "A learner",
            learner_phone=ctx.learner.staff_contact,
            text=text[:500],
            cohort=cohort.name if cohort else "",
        )
        reply.add(alert, to=ticket.contact, kind=MessageKind.ESCALATION)
    return reply


skill = SimpleSkill(
    name="mentor",
    intent=Intent("mentor", before_onboarding=True),
    description="Brings in the learner's mentor.",
    handler=handle,
    prompts=("mentor/to_mentor", "mentor/to_learner", "mentor/no_mentor"),
)
