"""safeguarding: a learner discloses bullying, harassment, abuse, threats, neglect, coercion to work unsafely,
exploitation, radicalisation or distress; or tells of another apprentice in such trouble.

They get an immediate, caring reply (no quiz, no menu) with the helplines (999 if in danger now, Childline
0800 1111 for under-19s, Samaritans 116 123, Shout 85258) and who will be told: the training provider's
designated safeguarding lead (DSL) of their cohort, by role and name. The DSL gets a short WhatsApp alert
without the learner's words and a link to the restricted log (`sitecoach.records.safeguarding`), where the
words are kept. The learner's mentor is never told, and the mentor's pages never show the concern: the
mentor may be the problem. With no DSL for the cohort, the alert goes to the admins' escalation contact.

Decided by a cue grammar (`sitecoach.nlu.safeguarding`) and the trained intent, never the LLM: the message
is a global command, so it is never sent to Claude for routing, and its text leaves the message row (a
placeholder stays), so no later conversation context carries it. It outranks everything but an emergency
and a crisis, works before onboarding and for an opted-out learner, and a STOP in the same message is
honoured after the care. A disclosure that also speaks of suicide or self-harm (`crisis`) is answered here
too, and its alert goes to the fallback contact as well as the DSL, since a life may be at risk now.
"""

from __future__ import annotations

from sitecoach.models import MessageKind
from sitecoach.nlu.intents import Intent
from sitecoach.skills.contract import END, Ctx, OutMessage, Reply, SimpleSkill
from sitecoach.skills.urgent import alert_safeguarding_lead, honour_opt_out


def handle(ctx: Ctx) -> Reply:
    """Reply with care and the helplines; tell the cohort's safeguarding lead (never the mentor)."""
    reply = Reply(state=END)  # the alert to the DSL first, then the learner's care message
    ticket = alert_safeguarding_lead(
        ctx, "safeguarding", reply, "safeguarding/to_dsl", also_fallback=ctx.intent.crisis
    )
    reply.messages.append(
        OutMessage(ctx.say("safeguarding/reply", told=ticket.told), kind=MessageKind.SAFEGUARDING)
    )
    confirmed = honour_opt_out(ctx)  # "stop messaging me, the lads won't leave me alone": both are heard
    if confirmed:
        reply.messages.append(OutMessage(confirmed, kind=MessageKind.SAFEGUARDING))
    return reply


skill = SimpleSkill(
    name="safeguarding",
    intent=Intent(
        "safeguarding",
        global_command=True,
        model_routable=False,
        allowed_after_stop=True,
        before_onboarding=True,
    ),
    description="A learner discloses abuse, bullying, threats or distress: care, helplines, the DSL told.",
    handler=handle,
    prompts=("safeguarding/reply", "safeguarding/to_dsl", "stop/confirmed"),
)
