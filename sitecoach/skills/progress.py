"""progress: where the learner stands, in at most six short lines; "what's left for my EPA?" answers
from gateway readiness."""

from __future__ import annotations

import re
from datetime import date

from sitecoach.learning.mastery import missing_for
from sitecoach.learning.trajectory import DEFAULT_TARGET
from sitecoach.models import EventKind
from sitecoach.nlu.intents import Intent
from sitecoach.records.breaks import current_break
from sitecoach.records.insights import LearnerInsights
from sitecoach.records.otj import otj_status
from sitecoach.skills.contract import Ctx, Reply, SimpleSkill

GATEWAY_QUESTION = re.compile(
    r"\b(epa|gateway|end ?point|what'?s left|what is left|left to do|ready for)\b", re.I
)
GAPS_SHOWN = 5


def _day(d: date) -> str:
    return f"{d.day} {d:%b}"


def trend_line(ins: LearnerInsights, on_break: bool = False) -> str:
    """Knowledge mastery's pace and the predicted date it reaches 85% (with its range), or why there is
    none; when quizzes alone cannot take overall mastery to 85%, what else it needs. On a break in learning
    the forecast waits."""
    t = ins.trajectory
    gap = missing_for(ins.report, DEFAULT_TARGET)
    tail = f"\n🧰 {gap}" if gap else ""
    if on_break:
        return "⏸ On a break in learning: no forecast until you're back" + tail
    if t.reached:
        return "🎯 Knowledge at 85%+: keep it topped up with a few questions a week" + tail
    speed = f"knowledge {t.velocity_7:+.1f} pts/day this week"
    if t.predicted is None:
        return f"📉 {speed}: not rising yet, so no date. A few questions a day gets it moving" + tail
    rng = ""
    if t.predicted_low and t.predicted_high and t.predicted_low != t.predicted_high:
        rng = f" ({_day(t.predicted_low)}–{_day(t.predicted_high)}, {_odds(t.confidence_label)})"
    elif t.predicted_low and not t.predicted_high:
        rng = f" (from {_day(t.predicted_low)}, {_odds(t.confidence_label)})"
    return f"📈 {speed} → 85% around {_day(t.predicted)}{rng}" + tail


def _odds(label: str) -> str:
    """"8 in 10 likely" for a calibrated range; the old words ("low confidence") otherwise."""
    return f"{label} likely" if " in " in label else f"{label} confidence"


def next_step(ctx: Ctx, ins: LearnerInsights) -> str:
    """The one most useful thing to do now."""
    due = ctx.repo.due_count(ctx.learner, ctx.now)
    if ins.evidence.get("returned"):
        return "Your mentor returned some evidence with comments: send a better photo or note"
    if due:
        return f"{due} review{'s' if due != 1 else ''} due: reply *QUIZ*"
    weakest = ins.weakest_area
    if weakest:
        return f'Next: "quiz me on {weakest[0].lower()}"'
    return "Reply *QUIZ* for a few questions"


def hours_figures(ctx: Ctx) -> dict[str, object]:
    """Off-the-job hours against the plan for the summary, when the learner's agreement is on record."""
    s = otj_status(ctx.repo.session, ctx.settings.content_pack_path, ctx.learner, ctx.now)
    return {
        "hours_planned": f"{s.planned_hours:g}" if s.progress else "",
        "hours_logged": f"{s.logged_hours:g}",
        "hours_verified": f"{s.verified_hours:g}",
        "hours_behind": s.behind,
        "hours_paused": bool(s.progress and s.progress.on_break),
    }


def summary(ctx: Ctx, ins: LearnerInsights) -> str:
    """The six-line progress message (seven with off-the-job hours)."""
    weakest = ins.weakest_area
    on_break = current_break(ctx.repo.session, ctx.learner, ctx.now) is not None
    return ctx.say(
        "progress/summary",
        name=ctx.learner.name or "",
        overall=f"{ins.report.overall:.0f}",
        weakest=f"{weakest[0]} {weakest[1]:.0f}%" if weakest else "",
        trend=trend_line(ins, on_break),
        **hours_figures(ctx),
        streak=ins.streak,
        badges=", ".join(ins.badges_since_last_view[:2]),
        next_step=next_step(ctx, ins),
    )


def gateway(ctx: Ctx, ins: LearnerInsights) -> str:
    """What is still missing for gateway, and the EPA knowledge-test prediction."""
    gaps = ins.gateway.gap_lines()
    return ctx.say(
        "progress/gateway",
        ready=ins.gateway.ready_count,
        total=len(ins.gateway.competencies),
        gaps=gaps[:GAPS_SHOWN],
        more=max(0, len(gaps) - GAPS_SHOWN),
        pass_chance=f"{100 * ins.readiness.pass_chance:.0f}",
        pass_mark=f"{100 * ins.readiness.pass_mark:.0f}",
        expected=f"{100 * ins.readiness.expected_score:.0f}",
    )


def handle(ctx: Ctx) -> Reply:
    """Progress in six lines, or gateway readiness when asked about the EPA."""
    ins = ctx.repo.insights(ctx.learner, ctx.now, ctx.settings.epa_pass_mark)
    body = gateway(ctx, ins) if GATEWAY_QUESTION.search(ctx.message.text) else summary(ctx, ins)
    ctx.repo.add_event(ctx.learner, EventKind.PROGRESS_VIEWED, ctx.now)
    return Reply.text(body)


skill = SimpleSkill(
    name="progress",
    intent=Intent("progress", before_onboarding=True),
    description="Mastery, trajectory, streak, badges and the next step; gateway readiness for the EPA.",
    handler=handle,
    prompts=("progress/summary", "progress/gateway"),
)
