"""The coach's draft of a progress review, written from what it already holds: mastery by area now against
the last review, off-the-job hours against plan, evidence signed off and returned in the period, concerns
(stalls, requests for help, a late review), how the actions agreed last time went, and proposed next actions
from the weakest areas and what is missing for the gateway. The mentor edits every section on the web."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from sitecoach.models import (
    Cohort,
    Direction,
    Escalation,
    EventKind,
    EvidenceItem,
    EvidenceStatus,
    Learner,
    LearningEvent,
    Message,
    MessageKind,
    ProgressReview,
)
from sitecoach.records.insights import LearnerInsights

SECTIONS: tuple[tuple[str, str], ...] = (
    ("progress", "Competency progress since the last review"),
    ("otj", "Off-the-job training against plan"),
    ("evidence", "Evidence signed off and returned"),
    ("concerns", "Concerns"),
    ("last_actions", "Actions agreed last time"),
    ("next_actions", "Next actions"),
)
SECTION_KEYS = tuple(key for key, _title in SECTIONS)
SECTION_MAX_CHARS = 4000
WEAKEST_AREAS = 3  # next actions name this many of the weakest areas
GATEWAY_GAPS = 3  # ... and this many gateway gaps
ACTION_TARGET = 70.0  # area mastery an action aims for
# ST1332 is typically 30 months on programme to gateway (/work/shared/st1332/reference.yaml): OTJ hours are
# expected to build up evenly over it until the OTJ plan (planned per period) replaces this estimate.
PROGRAMME_DAYS = 913


@dataclass(frozen=True)
class ReviewDraft:
    """The text of a draft (sections by key) and what it was drawn from (kept on the review)."""

    sections: dict[str, str]
    baseline: dict[str, Any]


def otj_summary(session: Session, learner: Learner, now: datetime) -> str:
    """Planned and logged off-the-job hours and whether that is on track, in words: the review draft's
    OTJ line and the provider page (the one place to point at the OTJ plan when it lands)."""
    cohort = session.get(Cohort, learner.cohort_id) if learner.cohort_id else None
    planned = float(cohort.planned_otj_hours) if cohort else 0.0
    rows = session.exec(
        select(LearningEvent.data).where(
            LearningEvent.learner_id == learner.id, LearningEvent.kind == EventKind.OTJ_HOURS
        )
    ).all()
    logged = round(sum(float(data.get("hours", 0)) for data in rows), 1)
    if planned <= 0:
        return f"{logged:g} hours logged; no plan set for the cohort."
    elapsed = max(0, (now - learner.created_at).days)
    expected = round(planned * min(1.0, elapsed / PROGRAMME_DAYS), 1)
    verdict = "on track" if logged >= expected else f"behind by {expected - logged:.1f} hours"
    return f"{logged:g} of {planned:g} planned hours logged; {expected:g} expected by now: {verdict}."


def _progress(ins: LearnerInsights, before: dict[str, float], before_overall: float) -> str:
    titles = ins.report.area_titles
    lines = [f"Overall mastery {before_overall:.0f}% -> {ins.report.overall:.0f}%."]
    for code in sorted(set(ins.report.by_area) | set(before)):
        then, now = before.get(code, 0.0), ins.report.by_area.get(code, 0.0)
        lines.append(f"- {titles.get(code, code)}: {then:.0f}% -> {now:.0f}% ({now - then:+.0f})")
    lines.append(f"Gateway: {ins.gateway.ready_count} of {len(ins.gateway.competencies)} competencies ready.")
    return "\n".join(lines)


def _evidence(session: Session, learner_id: int, start: datetime, now: datetime) -> str:
    items = session.exec(
        select(EvidenceItem)
        .where(
            EvidenceItem.learner_id == learner_id,
            col(EvidenceItem.signed_at) >= start,
            col(EvidenceItem.signed_at) <= now,
        )
        .order_by(col(EvidenceItem.signed_at))
    ).all()
    signed = [i for i in items if i.status == EvidenceStatus.SIGNED_OFF]
    returned = [i for i in items if i.status == EvidenceStatus.RETURNED]
    pending = session.exec(
        select(func.count())
        .select_from(EvidenceItem)
        .where(EvidenceItem.learner_id == learner_id, EvidenceItem.status == EvidenceStatus.PENDING)
    ).one()
    lines = [f"{len(signed)} signed off, {len(returned)} returned in the period; {int(pending)} waiting now."]
    lines += [f"- #{i.id} signed off: {', '.join(i.competencies) or 'no claims'}" for i in signed]
    lines += [f"- #{i.id} returned: {i.mentor_comment or 'no comment'}" for i in returned]
    return "\n".join(lines)


def _concerns(
    session: Session, ins: LearnerInsights, learner_id: int, previous: ProgressReview | None, start: datetime
) -> str:
    lines = []
    if ins.churn.level != "low":
        reasons = "; ".join(ins.churn.reasons)
        lines.append(f"- Risk of dropping out is {ins.churn.level}" + (f": {reasons}." if reasons else "."))
    stalls = session.exec(
        select(func.count())
        .select_from(Message)
        .where(
            Message.learner_id == learner_id,
            Message.direction == Direction.OUT,
            Message.kind == MessageKind.STALL,
            col(Message.created_at) >= start,
        )
    ).one()
    if stalls:
        lines.append(f"- Went quiet {int(stalls)} time(s): the coach sent a stall check-in.")
    asks = session.exec(
        select(Escalation.kind, Escalation.status).where(
            Escalation.learner_id == learner_id, col(Escalation.created_at) >= start
        )
    ).all()
    if asks:
        still_open = sum(1 for _kind, status in asks if status == "open")
        lines.append(f"- {len(asks)} request(s) for help in the period, {still_open} still open.")
    if previous is not None and previous.locked_at and previous.locked_at > previous.due_at:
        late = (previous.locked_at - previous.due_at).days
        lines.append(f"- The last review (#{previous.number}) was signed {late} day(s) after it was due.")
    return "\n".join(lines) or "No concerns recorded in this period."


def _last_actions(
    ins: LearnerInsights, previous: ProgressReview | None, previous_sections: dict[str, str] | None
) -> str:
    if previous is None or not previous_sections:
        return "First review: no actions agreed before."
    tracked = previous.baseline.get("actions", [])
    lines = []
    for line in (previous_sections.get("next_actions") or "").splitlines():
        text = line.strip().lstrip("-").strip()
        if not text:
            continue
        action = next((a for a in tracked if a.get("title") and a["title"] in text), None)
        if action is None:
            lines.append(f"- {text} (to check together)")
            continue
        now = ins.report.by_area.get(str(action.get("area")), 0.0)
        state = (
            "done" if now >= ACTION_TARGET else "under way" if now > float(action["from"]) else "not moved"
        )
        lines.append(f"- {text}: {float(action['from']):.0f}% then, {now:.0f}% now ({state})")
    return "\n".join(lines) or "No actions were recorded last time."


def _next_actions(ins: LearnerInsights, otj: str) -> tuple[str, list[dict[str, Any]]]:
    titles = ins.report.area_titles
    weakest = sorted(ins.report.by_area.items(), key=lambda kv: (kv[1], kv[0]))[:WEAKEST_AREAS]
    actions = [
        {"area": code, "title": titles.get(code, code), "from": round(score, 1)}
        for code, score in weakest
        if score < ACTION_TARGET
    ]
    lines = [
        f"- Practise {a['title']} until it reaches {ACTION_TARGET:.0f}% (now {a['from']:.0f}%)"
        for a in actions
    ]
    lines += [f"- Gateway: {gap}" for gap in ins.gateway.gap_lines(GATEWAY_GAPS)]
    if "behind" in otj:
        lines.append("- Log off-the-job training every week to get back on plan")
    return "\n".join(lines) or "- Keep going: nothing is missing for the gateway.", actions


def draft_text(
    session: Session,
    learner: Learner,
    ins: LearnerInsights,
    previous: ProgressReview | None,
    previous_sections: dict[str, str] | None,
    period_start: datetime,
    now: datetime,
) -> ReviewDraft:
    """The coach's draft of every section, and the baseline the next review compares against."""
    learner_id = int(learner.id or 0)
    before = previous.baseline if previous is not None else {}
    otj = otj_summary(session, learner, now)
    next_actions, actions = _next_actions(ins, otj)
    sections = {
        "progress": _progress(ins, dict(before.get("by_area", {})), float(before.get("overall", 0.0))),
        "otj": otj,
        "evidence": _evidence(session, learner_id, period_start, now),
        "concerns": _concerns(session, ins, learner_id, previous, period_start),
        "last_actions": _last_actions(ins, previous, previous_sections),
        "next_actions": next_actions,
    }
    baseline = {
        "by_area": {code: round(score, 1) for code, score in ins.report.by_area.items()},
        "overall": round(ins.report.overall, 1),
        "actions": actions,
    }
    return ReviewDraft(sections, baseline)
