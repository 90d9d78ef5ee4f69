"""Refreshing the per-learner snapshot that mentor and cohort pages read."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from sitecoach.curriculum.catalogue import Catalogue
from sitecoach.learning.memory import Memory
from sitecoach.models import Learner, LearnerSnapshot
from sitecoach.records.insights import InsightsService, LearnerInsights


def write_snapshot(
    session: Session, learner: Learner, ins: LearnerInsights, now: datetime
) -> LearnerSnapshot:
    """Store the learner's headline numbers from freshly computed insights."""
    snap = session.get(LearnerSnapshot, learner.id) or LearnerSnapshot(learner_id=int(learner.id or 0))
    snap.overall = ins.report.overall
    snap.by_area = dict(ins.report.by_area)
    snap.velocity_7 = round(ins.trajectory.velocity_7, 2)
    snap.predicted = ins.trajectory.predicted.isoformat() if ins.trajectory.predicted else None
    snap.streak = ins.streak
    days = ins.signals.days_since_active
    snap.last_active_at = None if days is None else now - timedelta(days=days)
    snap.archetype = ins.archetype.name
    snap.risk_score = round(ins.churn.score, 1)
    snap.risk_level = ins.churn.level
    reasons = list(ins.churn.reasons)
    if ins.archetype.name == "stalled" and ins.archetype.rule not in reasons:
        reasons.append(ins.archetype.rule)
    snap.risk_reasons = reasons
    snap.gateway_ready = ins.gateway.ready_count
    snap.gateway_total = len(ins.gateway.competencies)
    snap.evidence_pending = int(ins.evidence.get("pending", 0))
    snap.otj_hours = ins.hours_total
    snap.updated_at = now
    session.add(snap)
    return snap


def refresh_all(
    session: Session, catalogue: Catalogue, memory: Memory, now: datetime, epa_pass_mark: float
) -> int:
    """Rebuild every learner's snapshot (after seeding; the clock refreshes them hourly)."""
    service = InsightsService(session, catalogue, memory, epa_pass_mark)
    learners = session.exec(select(Learner)).all()
    for learner in learners:
        write_snapshot(session, learner, service.insights(learner, now, award_badges=False), now)
    return len(learners)
