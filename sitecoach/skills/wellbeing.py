"""wellbeing: a learner who speaks of suicide or self-harm gets care and helplines at once, and a person
is told (the mentor, or the escalation contact when there is no mentor). Decided by a cue grammar
(`sitecoach.nlu.wellbeing`), never by a model or the LLM; it outranks everything but harm happening now
(an emergency), works for an opted-out learner and before onboarding, and is never mistaken for an
opt-out (a STOP in the same message is honoured as well, after the care).

The provider's designated safeguarding lead (DSL) of the learner's cohort is told as well, by a short
alert without the learner's words, and the concern is kept in the restricted safeguarding log
(`sitecoach.records.safeguarding`). The mentor is STILL told here, with the words, by choice: a risk to
life needs the person most likely to reach the learner today (the mentor works alongside them; a DSL may be
off shift), and the mentor's alert already carried them before issue 19. A crisis that also tells of
abuse, bullying or threats is not answered here but by the safeguarding skill (`Classification.crisis`):
there the mentor may be the cause, so the DSL and the admins' escalation contact are told instead.
"""

from __future__ import annotations

from sitecoach.models import EscalationKind
from sitecoach.nlu.intents import Intent
from sitecoach.skills.contract import END, Ctx, Reply, SimpleSkill
from sitecoach.skills.urgent import alert_safeguarding_lead, escalate_urgently, honour_opt_out


def handle(ctx: Ctx) -> Reply:
    """Reply with care and the helplines; tell the mentor (or the fallback contact) urgently."""
    reply = Reply.text(state=END)  # the alert to the mentor first, then the learner's care message
    ticket = escalate_urgently(ctx, EscalationKind.SAFETY, reply, "wellbeing/to_contact")
    alert_safeguarding_lead(
        ctx, "crisis", reply, "wellbeing/to_dsl", withhold_text=False, already_told=ticket.contact
    )
    told = ticket.mentor.name if ticket.mentor is not None else ("the team" if ticket.contact else "")
    reply.add(ctx.say("wellbeing/reply", told=told))
    confirmed = honour_opt_out(ctx)  # "stop these messages, I want to end it all": both are heard
    if confirmed:
        reply.add(confirmed)
    return reply


skill = SimpleSkill(
    name="wellbeing",
    intent=Intent(
        "wellbeing",
        global_command=True,
        rule_only=True,
        model_routable=False,
        allowed_after_stop=True,
        before_onboarding=True,
    ),
    description="A learner speaks of suicide or self-harm: care, helplines, and a person told at once.",
    handler=handle,
    prompts=("wellbeing/reply", "wellbeing/to_contact", "wellbeing/to_dsl", "stop/confirmed"),
)
