"""start: opt back in after STOP."""

from __future__ import annotations

from sitecoach.models import Consent, ConsentMethod
from sitecoach.nlu.intents import Intent
from sitecoach.skills.consent_source import consent_source
from sitecoach.skills.contract import END, Ctx, Reply, SimpleSkill


def handle(ctx: Ctx) -> Reply:
    """Record the opt-in and welcome the learner back."""
    ctx.repo.set_consent(
        ctx.learner, Consent.OPTED_IN, ctx.now, ConsentMethod.START, **consent_source(ctx)
    )
    return Reply.text(ctx.say("start/welcome_back", name=ctx.learner.name or ""), state=END)


skill = SimpleSkill(
    name="start",
    intent=Intent(
        "start", global_command=True, rule_only=True, model_routable=False, allowed_after_stop=True
    ),
    description="Opts the learner back in (START).",
    handler=handle,
    prompts=("start/welcome_back",),
)
