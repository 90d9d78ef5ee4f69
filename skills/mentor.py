"""mentor: "talk to my mentor" opens an escalation and messages the mentor with the context."""

from __future__ import annotations

from bot.skill_api import CLEAR_STATE, Ctx, Reply, SimpleSkill
from models import Cohort, EscalationKind


def handle(ctx: Ctx) -> Reply:
    """Open an escalation, tell the mentor on WhatsApp, reassure the learner."""
    text = ctx.message.text
    escalation = ctx.repo.open_escalation(
        ctx.learner,
        EscalationKind.MENTOR,
        reason=text[:500],
        now=ctx.now,
        context={"message_id": ctx.message.message_id},
    )
    mentor = ctx.repo.mentor_of(ctx.learner)
    to = (mentor.phone if mentor else None) or ctx.settings.escalation_fallback_phone
    cohort = ctx.repo.session.get(Cohort, ctx.learner.cohort_id) if ctx.learner.cohort_id else None
    if mentor is None:
        reply = Reply.text(ctx.say("mentor/no_mentor", reference=escalation.reference), state=CLEAR_STATE)
    else:
        reply = Reply.text(
            ctx.say("mentor/to_learner", mentor_name=mentor.name, reference=escalation.reference),
            state=CLEAR_STATE,
        )
    if to:
        reply.add(
            ctx.say(
                "mentor/to_mentor",
                reference=escalation.reference,
                learner_name=ctx.learner.name or "A learner",
                learner_phone=ctx.learner.phone,
                text=text[:500],
                cohort=cohort.name if cohort else "",
            ),
            to=to,
            kind="escalation",
        )
    return reply


skill = SimpleSkill(
    name="mentor",
    description="Brings in the learner's mentor.",
    handler=handle,
    prompts=("mentor/to_mentor", "mentor/to_learner", "mentor/no_mentor"),
)
