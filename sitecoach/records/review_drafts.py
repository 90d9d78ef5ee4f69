"""The coach's draft of a progress review, written from what it already holds: mastery by area now against
the last review, off-the-job hours against plan, evidence signed off and returned in the period, concerns
(stalls, requests for help, a late review), how the actions agreed last time went, and proposed next actions
from the weakest areas and what is missing for the gateway. The mentor edits every section on the web."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from sitecoach.models import (
    Direction,
    Escalation,
    EvidenceItem,
    EvidenceStatus,
    Learner,
    Message,
    MessageKind,
    ProgressReview,
)
from sitecoach.records.insights import LearnerInsights
from sitecoach.records.otj import otj_status

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


@dataclass(frozen=True)
class ReviewDraft:
    """The text of a draft (sections by key) and what it was drawn from (kept on the review)."""

    sections: dict[str, str]
    baseline: dict[str, Any]


def otj_summary(session: Session, pack_root: Path, learner: Learner, now: datetime) -> str:
    """Planned, logged and verified off-the-job hours and whether that is on track, in words (the OTJ
    plan of `sitecoach.records.otj`): the review draft's OTJ line and the provider page."""
    status = otj_status(session, pack_root, learner, now)
    hours = f"{status.logged_hours:g} hours logged ({status.verified_hours:g} verified by the mentor)"
    progress = status.progress
    if progress is None:
        if status.planned_hours <= 0:
            return f"{hours}; no off-the-job plan on record."
        return f"{hours} of {status.planned_hours:g} planned; no agreement on record says what is due by now."
    planned = f"{hours} of {progress.plan.hours:g} planned; {progress.expected_hours:g} expected by now"
    if progress.on_break:
        return f"{planned}: on a break in learning, so expectations are paused."
    if progress.behind:
        return f"{planned}: behind by {progress.expected_hours - progress.logged_hours:.1f} hours."
    return f"{planned}: on track for {progress.end:%d %b %Y}."


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
    pack_root: Path,
) -> ReviewDraft:
    """The coach's draft of every section, and the baseline the next review compares against."""
    learner_id = int(learner.id or 0)
    before = previous.baseline if previous is not None else {}
    otj = otj_summary(session, pack_root, learner, now)
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
