"""stop: opt out of every message; only this confirmation is sent afterwards."""

from __future__ import annotations

from sitecoach.models import Consent, ConsentMethod
from sitecoach.nlu.intents import Intent
from sitecoach.skills.consent_source import consent_source
from sitecoach.skills.contract import END, Ctx, Reply, SimpleSkill


def handle(ctx: Ctx) -> Reply:
    """Record the opt-out, end any conversation, confirm once."""
    ctx.repo.set_consent(
        ctx.learner, Consent.OPTED_OUT, ctx.now, ConsentMethod.STOP, **consent_source(ctx)
    )
    return Reply.text(ctx.say("stop/confirmed"), state=END)


skill = SimpleSkill(
    name="stop",
    intent=Intent("stop", global_command=True, rule_only=True, model_routable=False),
    description="Opts the learner out of all messages (STOP, UNSUBSCRIBE).",
    handler=handle,
    prompts=("stop/confirmed",),
)
