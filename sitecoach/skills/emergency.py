"""emergency: fixed, vetted instructions at once, and the mentor alerted at top priority; then, when a live
knowledge card clearly answers what the learner asked ("he's still in the cab, should he jump out?"), that
card's guidance as a second message (a report with no question gets the steps alone: short is safer)."""

from __future__ import annotations

from sitecoach.models import EscalationKind
from sitecoach.nlu.hazards import hazard_kind
from sitecoach.nlu.intents import Intent
from sitecoach.nlu.normalise import normalise
from sitecoach.skills.card_reply import card_answer, is_question
from sitecoach.skills.contract import END, Ctx, Reply, SimpleSkill
from sitecoach.skills.urgent import escalate_urgently

# The vetted steps for each kind of emergency (`hazard_kind`); electrical steps when nothing else fits.
INSTRUCTIONS = {
    "electric": "emergency/instructions",
    "collapse": "emergency/instructions_collapse",
    "gas": "emergency/instructions_gas",
    "fire": "emergency/instructions_fire",
    "eye": "emergency/instructions_eye",
    "burn": "emergency/instructions_burn",
    "bleeding": "emergency/instructions_bleeding",
}


def handle(ctx: Ctx) -> Reply:
    """Reply with the vetted emergency steps for this kind of emergency and alert the mentor (or the
    fallback contact)."""
    text = ctx.message.text
    reply = Reply.text(ctx.say(INSTRUCTIONS[hazard_kind(normalise(text))]), state=END)
    escalate_urgently(ctx, EscalationKind.EMERGENCY, reply, "emergency/to_mentor")
    if is_question(text):  # "should he jump out of the cab?": the vetted guidance too, after the steps
        hit = ctx.catalogue.card_for(text)
        if hit is not None:
            reply.add(card_answer(ctx, text, hit.card, reminder=False))
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
    prompts=(
        *INSTRUCTIONS.values(),
        "emergency/to_mentor",
        "explain/card_answer",
        "explain/local_note",
        "explain/what_if_reminder",
    ),
)
