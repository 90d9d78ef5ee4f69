"""start: opt back in after STOP."""

from __future__ import annotations

from bot.skill_api import CLEAR_STATE, Ctx, Reply, SimpleSkill
from models import Consent


def handle(ctx: Ctx) -> Reply:
    """Record the opt-in and welcome the learner back."""
    ctx.repo.set_consent(ctx.learner, Consent.OPTED_IN, ctx.now)
    return Reply.text(ctx.say("start/welcome_back", name=ctx.learner.name or ""), state=CLEAR_STATE)


skill = SimpleSkill(
    name="start",
    description="Opts the learner back in (START).",
    handler=handle,
    prompts=("start/welcome_back",),
)
