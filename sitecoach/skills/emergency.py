"""emergency: fixed, vetted instructions at once, and the mentor alerted at top priority."""

from __future__ import annotations

from sitecoach.models import EscalationKind, MessageKind
from sitecoach.nlu.intents import Intent
from sitecoach.skills.contract import END, Ctx, Reply, SimpleSkill


def handle(ctx: Ctx) -> Reply:
    """Reply with the vetted emergency steps and alert the mentor (or the fallback contact)."""
    text = ctx.message.text
    ticket = ctx.repo.escalate(
        ctx.learner,
        EscalationKind.EMERGENCY,
        text,
        ctx.now,
        message_id=ctx.message.message_id,
        fallback_phone=ctx.settings.escalation_fallback_phone,
        priority="urgent",
    )
    reply = Reply.text(ctx.say("emergency/instructions"), state=END)
    if ticket.contact:
        alert = ctx.say(
            "emergency/to_mentor",
            reference=ticket.escalation.reference,
            learner_name=ctx.learner.name or "A learner",
            learner_phone=ctx.learner.phone,
            text=text[:500],
        )
        reply.add(alert, to=ticket.contact, kind=MessageKind.ESCALATION)
    return reply


skill = SimpleSkill(
    name="emergency",
    intent=Intent(
        "emergency",
        global_command=True,
        rule_only=True,
        model_routable=False,
        allowed_after_stop=True,
        before_onboarding=True,
    ),
    description="Someone is hurt or in danger now: vetted instructions and an urgent mentor alert.",
    handler=handle,
    prompts=("emergency/instructions", "emergency/to_mentor"),
)
