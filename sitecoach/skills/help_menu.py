"""help: what the coach can do (also the fallback when a message is not understood)."""

from __future__ import annotations

from sitecoach.models.choices import Choice, offer
from sitecoach.nlu.intents import Intent
from sitecoach.skills.contract import Ctx, Reply, SimpleSkill

# The menu as a list to tap: each row's id is the command typed from the menu's text.
MENU_CHOICES = offer(
    [
        Choice("quiz", "Quiz me", "Quick questions on what you are learning"),
        Choice("progress", "My progress", "How you are doing, and what is due"),
        Choice("log evidence", "Log evidence", "A photo of your work for your portfolio"),
        Choice("log hours", "Log hours", "Off-the-job training time"),
        Choice("mentor", "Ask my mentor", "Get your mentor to contact you"),
    ],
    button="Menu",
    listed=True,
)


def handle(ctx: Ctx) -> Reply:
    """Send the menu (with a list to tap); say sorry first when this is the fallback."""
    fallback = ctx.intent.intent != "help"
    return Reply.text(
        ctx.say("help/menu", name=ctx.learner.name or "", fallback=fallback), choices=MENU_CHOICES
    )


skill = SimpleSkill(
    name="help",
    intent=Intent("help", global_command=True),
    description="Lists what the coach can do.",
    handler=handle,
    prompts=("help/menu",),
)
