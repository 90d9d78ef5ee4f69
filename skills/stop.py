"""stop: opt out of every message; only this confirmation is sent afterwards."""

from __future__ import annotations

from bot.skill_api import CLEAR_STATE, Ctx, Reply, SimpleSkill
from models import Consent


def handle(ctx: Ctx) -> Reply:
    """Record the opt-out, end any conversation, confirm once."""
    ctx.repo.set_consent(ctx.learner, Consent.OPTED_OUT, ctx.now)
    return Reply.text(ctx.say("stop/confirmed"), state=CLEAR_STATE)


skill = SimpleSkill(
    name="stop",
    description="Opts the learner out of all messages (STOP, UNSUBSCRIBE).",
    handler=handle,
    prompts=("stop/confirmed",),
)
