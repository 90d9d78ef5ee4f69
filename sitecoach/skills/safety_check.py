"""safety_check: the one-line emergency reminder that leads a reply when a message might be one.

Never classified: the router puts it first when the language layer is between "sure" and "sure not"
about an emergency, so the coach is never silent about safety and still answers what was asked.
Replying EMERGENCY then takes the emergency path (and alerts the mentor).
"""

from __future__ import annotations

from sitecoach.skills.contract import Ctx, Reply, SimpleSkill


def handle(ctx: Ctx) -> Reply:
    """The short emergency line."""
    return Reply.text(ctx.say("emergency/possible"))


skill = SimpleSkill(
    name="safety_check",
    description="Leads a reply with the emergency line when a message might report an emergency.",
    handler=handle,
    prompts=("emergency/possible",),
)
