"""help: what the coach can do (also the fallback when a message is not understood)."""

from __future__ import annotations

from sitecoach.nlu.intents import Intent
from sitecoach.skills.contract import Ctx, Reply, SimpleSkill


def handle(ctx: Ctx) -> Reply:
    """Send the menu; say sorry first when this is the fallback."""
    fallback = ctx.intent.intent != "help"
    return Reply.text(ctx.say("help/menu", name=ctx.learner.name or "", fallback=fallback))


skill = SimpleSkill(
    name="help",
    intent=Intent("help", global_command=True),
    description="Lists what the coach can do.",
    handler=handle,
    prompts=("help/menu",),
)
