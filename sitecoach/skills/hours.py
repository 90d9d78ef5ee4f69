"""hours: log off-the-job training time ("2h shadowing on 11kV terminations") against the planned total."""

from __future__ import annotations

import re

from sitecoach.models import Cohort, EventKind
from sitecoach.models.choices import offer
from sitecoach.nlu.intents import Intent
from sitecoach.skills.contract import END, Ctx, Reply, SimpleSkill

HALF_DAY_HOURS = 3.5
FULL_DAY_HOURS = 7.0
MAX_HOURS_PER_ENTRY = 12.0
NUMBER_WORDS = {
    "an": 1,
    "a": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_NUM = r"(\d+(?:\.\d+)?|" + "|".join(NUMBER_WORDS) + r")"
_HOURS = re.compile(
    _NUM + r"\s*(?:h|hr|hrs|hour|hours)(?=\b|\d)(?:\s*(\d{1,2})\s*(?:m|min|mins|minutes)?\b)?", re.I
)
_MINUTES = re.compile(r"(\d+)\s*(?:m|min|mins|minutes)\b", re.I)
_DAY = re.compile(r"\b(half (?:a )?day|full day|whole day|all day)\b", re.I)
_FILLER = re.compile(
    r"\b(?:log(?:ged)?|add(?:ed)?|record(?:ed)?|put(?: down)?|spent|just|otj|off[- ]the[- ]job|need to|"
    r"please|pls|my hours|hours)\b|[:;!]",
    re.I,
)
_LEADING = re.compile(r"^(?:(?:did|done|for|the|some|of|my|an?|on|at|in|with|doing)\s+)+", re.I)


def parse_hours(text: str) -> tuple[float | None, str]:
    """(hours, activity) from a message like "2h shadowing on 11kV terminations"; hours None if not found."""
    hours: float | None = None
    rest = text
    if m := _HOURS.search(text):
        raw = m.group(1).lower()
        hours = float(NUMBER_WORDS.get(raw, raw))
        if m.group(2):
            hours += int(m.group(2)) / 60
        rest = text[: m.start()] + " " + text[m.end() :]
    elif m := _MINUTES.search(text):
        hours = int(m.group(1)) / 60
        rest = text[: m.start()] + " " + text[m.end() :]
    elif m := _DAY.search(text):
        hours = HALF_DAY_HOURS if m.group(1).lower().startswith("half") else FULL_DAY_HOURS
        rest = text[: m.start()] + " " + text[m.end() :]
    activity = re.sub(r"\s+", " ", _FILLER.sub(" ", rest)).strip(" -,.")
    activity = _LEADING.sub("", activity)
    return (round(hours, 2) if hours is not None else None), activity


# When the learner asked to log hours without saying how long: the usual lengths to tap, each the
# message that logs it when typed.
LENGTH_CHOICES = offer(
    [
        ("log 1 hour off-the-job training", "1 hour"),
        ("log half a day off-the-job training", "Half a day"),
        ("log a full day off-the-job training", "Full day"),
    ],
    listed=True,
)


def handle(ctx: Ctx) -> Reply:
    """Record the hours as a learning event and report the running total."""
    hours, activity = parse_hours(ctx.message.text)
    if hours is None or hours <= 0:
        return Reply.text(ctx.say("hours/ask"), state=END, choices=LENGTH_CHOICES)
    if hours > MAX_HOURS_PER_ENTRY:
        return Reply.text(ctx.say("hours/too_long", hours=f"{hours:g}"), state=END)
    activity = activity or "off-the-job training"
    total = ctx.repo.otj_hours(ctx.learner) + hours
    ctx.repo.add_event(ctx.learner, EventKind.OTJ_HOURS, ctx.now, hours=hours, activity=activity[:200])
    cohort = ctx.repo.session.get(Cohort, ctx.learner.cohort_id) if ctx.learner.cohort_id else None
    planned = cohort.planned_otj_hours if cohort else 0.0
    return Reply.text(
        ctx.say(
            "hours/logged",
            hours=f"{hours:g}",
            activity=activity,
            total=f"{total:g}",
            planned=f"{planned:g}" if planned else "",
            percent=f"{100 * total / planned:.0f}" if planned else "",
        ),
        state=END,
    )


skill = SimpleSkill(
    name="hours",
    intent=Intent("hours"),
    description="Logs off-the-job training hours and keeps the running total against the plan.",
    handler=handle,
    prompts=("hours/logged", "hours/ask", "hours/too_long"),
)
