"""passport: "what am I signed off for?": the learner's authorisations and practical assessments (current,
expiring soon, expired, referred) and the next step in their employer's order with the knowledge it needs."""

from __future__ import annotations

import re
from datetime import date

from sitecoach.curriculum.passport_spec import PassportStep
from sitecoach.infra.localtime import local_now
from sitecoach.learning.passport import PassportEntry, PassportStatus
from sitecoach.nlu.intents import Intent
from sitecoach.records.passport import learner_passport
from sitecoach.skills.contract import Ctx, Reply, SimpleSkill

KNOWLEDGE_SHOWN = 3  # the weakest competencies of the next step named in the reply
# Words of a step's title that do not tell steps apart ("LV straight joint" is asked as "lv straights").
GENERIC_WORDS = frozenset({"working", "under", "person", "joint", "the", "of", "and", "a", "for"})
ASKED_SHARE = 2 / 3  # a step is the one asked about when this share of its telling words is in the message
_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> set[str]:
    text = re.sub(r"\b11\s*k(?:v)?\b", "11kv", text.lower())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in _WORD.findall(text)}


def asked_step(text: str, steps: tuple[PassportStep, ...]) -> PassportStep | None:
    """The one step the message names ("am I authorised for LV yet": authorised person LV), if any."""
    said = _words(text)
    scored = []
    for step in steps:
        telling = _words(step.title) - GENERIC_WORDS
        if telling:
            scored.append((len(telling & said) / len(telling), len(telling & said), step))
    scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
    if not scored or scored[0][0] < ASKED_SHARE or (len(scored) > 1 and scored[1][:2] == scored[0][:2]):
        return None
    return scored[0][2]


def answer_line(step: PassportStep, status: PassportStatus, today: date) -> str:
    """Yes or not yet, for the step asked about."""

    def held(group: tuple[PassportEntry, ...]) -> PassportEntry | None:
        return next((e for e in group if e.code == step.code), None)

    if entry := held(status.current) or held(status.expiring):
        until = f" until {day(entry.expires_on)}" if entry.expires_on else ""
        left = entry.days_left(today)
        soon = f" ({left} days left)" if entry in status.expiring and left is not None else ""
        return f"Yes: *{step.title}*{until}{soon}."
    if entry := held(status.expired):
        return f"Not any more: *{step.title}* expired on {day(entry.expires_on or entry.on)}."
    if entry := held(status.referred):
        return f"Not yet: *{step.title}* was referred on {day(entry.on)}."
    return f"Not yet: *{step.title}* isn't on your passport."


def day(d: date) -> str:
    """'7 Dec 2026'."""
    return f"{d.day} {d:%b %Y}"


def _line(entry: PassportEntry, today: date) -> str:
    left = entry.days_left(today)
    what = entry.title if entry.kind == "authorisation" else f"{entry.title} (assessed)"
    if not entry.passed:
        return f"{entry.title}: referred on {day(entry.on)}, re-assessment to book"
    if entry.expires_on is None:
        return f"{what}: since {day(entry.on)}"
    if left is not None and left < 0:
        return f"{what}: expired {day(entry.expires_on)}"
    if left is not None and left <= 31:
        return f"{what}: expires {day(entry.expires_on)} ({left} day{'' if left == 1 else 's'})"
    return f"{what}: until {day(entry.expires_on)}"


def handle(ctx: Ctx) -> Reply:
    """The passport as it stands today (the learner's local date) and what comes next."""
    today = local_now(ctx.now, ctx.learner.timezone).date()
    passport = learner_passport(
        ctx.repo.session,
        ctx.learner,
        ctx.settings.content_pack_path,
        today,
        ctx.settings.passport_expiry_warn_days,
    )
    status, step = passport.status, passport.next_step
    knowledge = ""
    if step and step.competencies:
        mastery = ctx.repo.mastery(ctx.learner, ctx.now).by_competency
        weakest = sorted(step.competencies, key=lambda code: (mastery.get(code, 0.0), code))[:KNOWLEDGE_SHOWN]
        comps = ctx.catalogue.competencies
        knowledge = ", ".join(
            f"{comps[code].area_title.lower()} ({code}) {mastery.get(code, 0.0):.0f}%"
            if code in comps
            else f"{code} {mastery.get(code, 0.0):.0f}%"
            for code in weakest
        )
    asked = asked_step(ctx.message.text, passport.steps.steps)
    return Reply.text(
        ctx.say(
            "passport/summary",
            answer=answer_line(asked, status, today) if asked else "",
            empty=status.empty,
            current=[_line(e, today) for e in status.current],
            expiring=[_line(e, today) for e in status.expiring],
            expired=[_line(e, today) for e in status.expired],
            referred=[_line(e, today) for e in status.referred],
            next_step=f"{step.title} ({step.kind})" if step else "",
            knowledge=knowledge,
        )
    )


skill = SimpleSkill(
    name="passport",
    intent=Intent("passport", before_onboarding=True),
    description="The authorisation passport: what the learner is authorised and assessed for; what's next.",
    handler=handle,
    prompts=("passport/summary",),
)
