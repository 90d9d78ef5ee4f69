"""emergency: fixed, vetted instructions at once, and the mentor alerted at top priority; then, when a live
knowledge card clearly answers what the learner asked ("he's still in the cab, should he jump out?"), that
card's guidance as a second message (a report with no question gets the steps alone: short is safer)."""

from __future__ import annotations

from sitecoach.models import EscalationKind
from sitecoach.nlu.hazards import KIND_ORDER, casualty_unresponsive, hazard_kinds
from sitecoach.nlu.intents import Intent
from sitecoach.nlu.normalise import normalise
from sitecoach.skills.card_reply import card_answer, is_question
from sitecoach.skills.contract import END, Ctx, Reply, SimpleSkill
from sitecoach.skills.urgent import escalate_urgently, honour_opt_out

# The vetted steps for each kind of emergency (`hazard_kinds`); the electrical ones when none is named.
INSTRUCTIONS = {
    "electric": "emergency/instructions",
    "gas": "emergency/instructions_gas",
    "collapse": "emergency/instructions_collapse",
    "fire": "emergency/instructions_fire",
    "bleeding": "emergency/instructions_bleeding",
    "eye": "emergency/instructions_eye",
    "burn": "emergency/instructions_burn",
}
# One line for each further kind a report names ("trench collapsed and there's a gas smell").
# Electric always leads when named (`KIND_ORDER`), so it never needs a line of its own.
ALSO = {kind: f"emergency/also_{kind}" for kind in INSTRUCTIONS if kind != KIND_ORDER[0]}
HAS_CPR = {"electric", "fire"}  # the steps that already say start CPR


def steps_for(ctx: Ctx) -> str:
    """The emergency steps for this report: the leading kind's, a line for each other kind it names, CPR
    when someone is unresponsive, then that the mentor is alerted. A bare "EMERGENCY" (the reply to a
    possible-emergency prompt) is read with the message that prompted it."""
    norm = normalise(ctx.message.text)
    kinds, unresponsive = hazard_kinds(norm), casualty_unresponsive(norm)
    if not kinds:
        earlier = _prompted_by(ctx)
        kinds, unresponsive = hazard_kinds(earlier), unresponsive or casualty_unresponsive(earlier)
    lead = kinds[0] if kinds else "electric"
    parts = [ctx.say(INSTRUCTIONS[lead]).rstrip()]
    parts += [ctx.say(ALSO[kind]).rstrip() for kind in kinds[1:]]
    if unresponsive and lead not in HAS_CPR:
        parts.append(ctx.say("emergency/also_cpr").rstrip())
    parts.append(ctx.say("emergency/alerted").rstrip())
    return "\n".join(parts)


def _prompted_by(ctx: Ctx) -> str:
    """The learner's message before the coach's last turn, when that turn offered EMERGENCY, else ""."""
    turns = ctx.repo.recent_turns(ctx.learner, ctx.message.message_id, limit=2)
    if len(turns) == 2 and turns[0][0] == "learner" and turns[1][0] == "coach" and "EMERGENCY" in turns[1][1]:
        return normalise(turns[0][1])
    return ""


def handle(ctx: Ctx) -> Reply:
    """Reply with the vetted emergency steps for this kind of emergency and alert the mentor (or the
    fallback contact)."""
    text = ctx.message.text
    reply = Reply.text(steps_for(ctx), state=END)
    escalate_urgently(ctx, EscalationKind.EMERGENCY, reply, "emergency/to_mentor")
    if is_question(text):  # "should he jump out of the cab?": the vetted guidance too, after the steps
        hit = ctx.catalogue.card_for(text)
        if hit is not None:
            reply.add(card_answer(ctx, text, hit.card, reminder=False))
    confirmed = honour_opt_out(ctx)  # "... I'm gonna opt out now": the steps first, then the opt-out
    if confirmed:
        reply.add(confirmed)
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
        *ALSO.values(),
        "emergency/also_cpr",
        "emergency/alerted",
        "emergency/to_mentor",
        "stop/confirmed",
        "explain/card_answer",
        "explain/local_note",
        "explain/what_if_reminder",
    ),
)
