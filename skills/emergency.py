"""emergency: fixed, vetted instructions at once, and the mentor alerted at top priority."""

from __future__ import annotations

from bot.skill_api import CLEAR_STATE, Ctx, Reply, SimpleSkill
from models import EscalationKind

REQUIRED_PHRASES = ("999", "Do not touch a casualty until the supply is isolated")


def handle(ctx: Ctx) -> Reply:
    """Reply with the vetted emergency steps and alert the mentor (or the fallback contact)."""
    text = ctx.message.text
    escalation = ctx.repo.open_escalation(
        ctx.learner,
        EscalationKind.EMERGENCY,
        reason=text[:500],
        now=ctx.now,
        priority="urgent",
        context={"message_id": ctx.message.message_id},
    )
    reply = Reply.text(ctx.say("emergency/instructions"), state=CLEAR_STATE)
    mentor = ctx.repo.mentor_of(ctx.learner)
    to = (mentor.phone if mentor else None) or ctx.settings.escalation_fallback_phone
    if to:
        reply.add(
            ctx.say(
                "emergency/to_mentor",
                reference=escalation.reference,
                learner_name=ctx.learner.name or "A learner",
                learner_phone=ctx.learner.phone,
                text=text[:500],
            ),
            to=to,
            kind="escalation",
        )
    return reply


skill = SimpleSkill(
    name="emergency",
    description="Someone is hurt or in danger now: vetted instructions and an urgent mentor alert.",
    handler=handle,
    prompts=("emergency/instructions", "emergency/to_mentor"),
)
