"""progress: mastery per competency area, streak, reviews due and evidence, in a few lines."""

from __future__ import annotations

from bot.skill_api import Ctx, Reply, SimpleSkill
from models import Cohort
from sitecoach.learning.mastery import bar


def handle(ctx: Ctx) -> Reply:
    """Summarise where the learner stands."""
    learner = ctx.learner
    cohort = ctx.repo.session.get(Cohort, learner.cohort_id) if learner.cohort_id else None
    report = ctx.repo.mastery(learner, ctx.now, cohort.standard_code if cohort else None)
    areas = sorted(report.by_area.items(), key=lambda kv: (-kv[1], kv[0]))
    lines = [f"{bar(score)} {report.area_titles.get(code, code)} {score:.0f}%" for code, score in areas]
    counts = ctx.repo.evidence_counts(learner)
    body = ctx.say(
        "progress/summary",
        name=learner.name or "",
        overall=f"{report.overall:.0f}",
        areas=lines,
        streak=ctx.repo.streak(learner, ctx.now),
        due=ctx.repo.due_count(learner, ctx.now),
        pending=counts.get("pending", 0),
        signed=counts.get("signed_off", 0),
        returned=counts.get("returned", 0),
    )
    return Reply.text(body)


skill = SimpleSkill(
    name="progress",
    description="Shows mastery per area, streak, reviews due and evidence status.",
    handler=handle,
    prompts=("progress/summary",),
)
