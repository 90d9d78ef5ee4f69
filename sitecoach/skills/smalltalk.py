"""smalltalk: greetings, thanks and banter, answered briefly with a nudge back to learning."""

from __future__ import annotations

import re

from sitecoach.nlu.intents import Intent
from sitecoach.skills.contract import Ctx, Reply, SimpleSkill

_GREETING = re.compile(r"\b(hi|hiya|hey|hello|alright|morning|afternoon|evening|yo|howdy|sup|wotcha)\b", re.I)
_THANKS = re.compile(r"\b(thanks|thank you|cheers|ta|nice one|legend|sound|appreciate)\b", re.I)


def handle(ctx: Ctx) -> Reply:
    """A short friendly answer."""
    text = ctx.message.text
    name = ctx.learner.name or ""
    if _THANKS.search(text):
        return Reply.text(ctx.say("smalltalk/thanks", name=name))
    if _GREETING.search(text):
        return Reply.text(ctx.say("smalltalk/greeting", name=name))
    return Reply.text(ctx.say("smalltalk/other", name=name))


skill = SimpleSkill(
    name="smalltalk",
    intent=Intent("smalltalk"),
    description="Greetings, thanks and banter.",
    handler=handle,
    prompts=("smalltalk/greeting", "smalltalk/thanks", "smalltalk/other"),
)
