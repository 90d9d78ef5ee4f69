"""hours: log off-the-job training time ("2h shadowing on 11kV terminations"), confirmed by a tap, with its
kind of training and what was learned; and answer "how are my hours?" with planned vs logged vs verified."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sitecoach.learning.otj import ACTIVITY_LABELS, ActivityType, activity_type_of
from sitecoach.models import EventKind
from sitecoach.models.choices import offer
from sitecoach.nlu.intents import Intent
from sitecoach.records.otj import otj_status
from sitecoach.skills.contract import END, Ctx, Reply, SetState, SimpleSkill

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
_TOPIC = re.compile(r"\b(?:on|about|covering|re)\s+(.+)$", re.I)  # "classroom on cable types": cable types
_STATUS_QUESTION = re.compile(
    r"\b(?:how (?:are|r|many|much|am i doing)|where am i|on track|behind|total|so far|planned|verified)\b",
    re.I,
)
YES = frozenset({"yes", "y", "yep", "yeah", "aye", "ok", "okay", "correct", "log it", "yes log it"})
NO = frozenset({"no", "n", "nope", "cancel", "don't", "dont", "wrong"})


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
CONFIRM_CHOICES = offer([("yes", "Yes, log it"), ("no", "No")])


class HoursStep(StrEnum):
    """What the hours conversation waits for."""

    CONFIRMING = "confirming"  # a tap: yes, log these hours, or no


@dataclass(frozen=True)
class HoursDraft:
    """Hours read from the learner's message, waiting for their tap before they count."""

    hours: float
    activity: str
    kind: ActivityType
    learned: str
    step: HoursStep = HoursStep.CONFIRMING

    def to_data(self) -> dict[str, Any]:
        """The row's JSON."""
        return {
            "hours": self.hours,
            "activity": self.activity,
            "kind": str(self.kind),
            "learned": self.learned,
        }


def load_state(step: str, data: Mapping[str, Any]) -> HoursDraft:
    """The hours skill's typed state from a stored row."""
    return HoursDraft(
        float(data["hours"]),
        str(data.get("activity") or ""),
        ActivityType(str(data.get("kind") or ActivityType.OTHER)),
        str(data.get("learned") or ""),
        HoursStep(step),
    )


def learned_from(activity: str) -> str:
    """What was learned, from "classroom on cable types" (cable types), else the whole activity."""
    m = _TOPIC.search(activity)
    return (m.group(1) if m else activity).strip(" .,-")[:200]


def _answer(text: str) -> str:
    return re.sub(r"[^a-z' ]", "", text.casefold()).strip()


def status(ctx: Ctx) -> Reply:
    """Planned vs logged vs verified hours, and whether they are on track for their planned end."""
    s = otj_status(ctx.repo.session, ctx.settings.content_pack_path, ctx.learner, ctx.now)
    p = s.progress
    return Reply.text(
        ctx.say(
            "hours/status",
            logged=f"{s.logged_hours:g}",
            verified=f"{s.verified_hours:g}",
            planned=f"{s.planned_hours:g}" if s.planned_hours else "",
            queried=f"{s.queried_hours:g}" if s.queried_hours else "",
            expected=f"{p.expected_hours:.0f}" if p else "",
            behind=s.behind,
            on_break=bool(p and p.on_break),
            end=p.end.strftime("%-d %B %Y") if p else "",
        ),
        state=END,
    )


def _log(ctx: Ctx, draft: HoursDraft) -> Reply:
    """Count the confirmed hours: an `otj_hours` event in the learner's chain, then the running total."""
    ctx.repo.add_event(
        ctx.learner,
        EventKind.OTJ_HOURS,
        ctx.now,
        hours=draft.hours,
        activity=draft.activity[:200],
        type=str(draft.kind),
        learned=draft.learned[:200],
    )
    s = otj_status(ctx.repo.session, ctx.settings.content_pack_path, ctx.learner, ctx.now)
    planned, total = s.planned_hours, s.logged_hours
    return Reply.text(
        ctx.say(
            "hours/logged",
            hours=f"{draft.hours:g}",
            activity=draft.activity,
            kind=ACTIVITY_LABELS[draft.kind],
            total=f"{total:g}",
            verified=f"{s.verified_hours:g}",
            planned=f"{planned:g}" if planned else "",
            percent=f"{100 * total / planned:.0f}" if planned else "",
        ),
        state=END,
    )


def handle(ctx: Ctx) -> Reply:
    """Read the hours and ask for a tap to log them; log them on "yes"; answer questions about the total."""
    draft = ctx.state_as(HoursDraft)
    if draft is not None and (answer := _answer(ctx.message.text)) in YES | NO:
        return _log(ctx, draft) if answer in YES else Reply.text(ctx.say("hours/not_logged"), state=END)
    hours, activity = parse_hours(ctx.message.text)
    if hours is None and _STATUS_QUESTION.search(ctx.message.text):
        return status(ctx)
    if hours is None or hours <= 0:
        return Reply.text(ctx.say("hours/ask"), state=END, choices=LENGTH_CHOICES)
    if hours > MAX_HOURS_PER_ENTRY:
        return Reply.text(ctx.say("hours/too_long", hours=f"{hours:g}"), state=END)
    activity = activity or "off-the-job training"
    draft = HoursDraft(hours, activity, activity_type_of(activity), learned_from(activity))
    return Reply.text(
        ctx.say("hours/confirm", hours=f"{hours:g}", kind=ACTIVITY_LABELS[draft.kind], learned=draft.learned),
        state=SetState(draft, timedelta(minutes=ctx.settings.conversation_ttl_minutes)),
        choices=CONFIRM_CHOICES,
    )


def accepts(ctx: Ctx) -> bool:
    """A yes or no (typed or tapped) answers the confirmation; new hours replace the draft."""
    if ctx.state_as(HoursDraft) is None:
        return False
    return _answer(ctx.message.text) in YES | NO or parse_hours(ctx.message.text)[0] is not None


skill = SimpleSkill(
    name="hours",
    intent=Intent("hours"),
    description="Logs off-the-job hours (confirmed by a tap); says how they stand against the plan.",
    handler=handle,
    accepts_fn=accepts,
    state_loader=load_state,
    prompts=(
        "hours/logged",
        "hours/ask",
        "hours/too_long",
        "hours/confirm",
        "hours/not_logged",
        "hours/status",
    ),
)
