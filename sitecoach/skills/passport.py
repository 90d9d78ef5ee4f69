"""passport: "what am I signed off for?": the learner's authorisations and practical assessments (current,
expiring soon, expired, referred) and the next step in their employer's order with the knowledge it needs."""

from __future__ import annotations

from datetime import date

from sitecoach.infra.localtime import local_now
from sitecoach.learning.passport import PassportEntry
from sitecoach.nlu.intents import Intent
from sitecoach.records.passport import learner_passport
from sitecoach.skills.contract import Ctx, Reply, SimpleSkill

KNOWLEDGE_SHOWN = 3  # the weakest competencies of the next step named in the reply


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
    return Reply.text(
        ctx.say(
            "passport/summary",
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
