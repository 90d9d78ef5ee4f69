"""preferences: when the daily nudge comes ("nudge me at 6am", "remind me at half 7")."""

from __future__ import annotations

import re

from sitecoach.infra.localtime import in_quiet_hours, local_now
from sitecoach.nlu.intents import Intent
from sitecoach.skills.contract import END, Ctx, Reply, SimpleSkill

_TIME = re.compile(
    r"\b(?:(?P<hhmm>\d{4})|(?P<half>half|quarter past|quarter to)\s+(?P<hw>\d{1,2})"
    r"|(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?)"
    r"\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?(?:\s*(?:in the )?(?P<when>morning|evening|night))?",
    re.IGNORECASE,
)


def parse_time(text: str) -> tuple[int, int] | None:
    """(hour, minute) from "6am", "06:30", "half 7", "0630", "7pm", "6 in the evening"; None if no time."""
    m = _TIME.search(text)
    if not m:
        return None
    if m.group("hhmm"):
        hour, minute = int(m.group("hhmm")[:2]), int(m.group("hhmm")[2:])
    elif m.group("half"):
        base = int(m.group("hw"))
        word = m.group("half").lower()
        hour, minute = (base - 1, 45) if word == "quarter to" else (base, 30 if word == "half" else 15)
    else:
        hour, minute = int(m.group("h")), int(m.group("m") or 0)
    ampm = (m.group("ampm") or "").lower().replace(".", "")
    when = (m.group("when") or "").lower()
    if (ampm == "pm" or when in ("evening", "night")) and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return hour, minute


def handle(ctx: Ctx) -> Reply:
    """Set the learner's nudge time, or say what it is."""
    parsed = parse_time(ctx.message.text)
    if parsed is None:
        return Reply.text(ctx.say("preferences/current", time=ctx.learner.nudge_time), state=END)
    hour, minute = parsed
    ctx.learner.nudge_time = f"{hour:02d}:{minute:02d}"
    ctx.repo.session.add(ctx.learner)
    early = in_quiet_hours(
        local_now(ctx.now, ctx.learner.timezone).replace(hour=hour, minute=minute), ctx.settings
    )
    return Reply.text(ctx.say("preferences/set", time=ctx.learner.nudge_time, early=early), state=END)


skill = SimpleSkill(
    name="preferences",
    intent=Intent("preferences"),
    description="Sets when the daily nudge comes.",
    handler=handle,
    prompts=("preferences/set", "preferences/current"),
)
