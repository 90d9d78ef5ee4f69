"""Stall alerts, escalation reminders and the weekly mentor digest.

Each message is claimed under a key that makes it happen once: ``stall:<learner>:<date>`` (plus a 7-day
cooldown), ``esc-remind:<id>``, ``esc-backup:<id>``, ``digest:<mentor>:<ISO week>``. Milestones are in
`milestones.py`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from sitecoach.delivery import proactive
from sitecoach.infra import localtime
from sitecoach.models import (
    Escalation,
    EscalationKind,
    EscalationStatus,
    EventKind,
    EvidenceItem,
    Learner,
    Mentor,
    Message,
    MessageKind,
)
from sitecoach.records.audit import append_event
from sitecoach.records.breaks import current_break
from sitecoach.records.insights import InsightsService, LearnerInsights
from sitecoach.records.snapshots import write_snapshot
from sitecoach.services import Services


def insights_of(
    services: Services, session: Session, learner: Learner, now: datetime, award: bool
) -> LearnerInsights:
    """The learner's insights as of now; `award` records badges newly earned."""
    service = InsightsService(session, services.catalogue(), services.memory, services.settings.epa_pass_mark)
    return service.insights(learner, now, award_badges=award)


def mentor_of(session: Session, learner: Learner) -> Mentor | None:
    """The learner's mentor, if they have one."""
    return session.get(Mentor, learner.mentor_id) if learner.mentor_id else None


def check_stall(services: Services, learner_id: int, now: datetime) -> list[int]:
    """If the learner has stalled (and no alert in the cooldown), a kind message to them and an alert
    with the reason and numbers to their mentor, plus a stall escalation. Returns claimed row ids."""
    settings = services.settings
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        if learner is None or learner.consent != "opted_in":
            return []
        if current_break(session, learner, now) is not None:
            return []  # a break in learning is not a stall
        local = localtime.local_now(now, learner.timezone)
        if localtime.in_quiet_hours(local, settings):
            return []
        recent = session.exec(
            select(Message.id)
            .where(
                Message.learner_id == learner_id,
                Message.kind == MessageKind.STALL,
                Message.created_at >= now - timedelta(days=settings.stall_cooldown_days),
            )
            .limit(1)
        ).first()
        if recent is not None:
            return []
        ins = insights_of(services, session, learner, now, award=False)
        write_snapshot(session, learner, ins, now)
        if ins.archetype.name != "stalled":
            return []
        reasons = "; ".join(ins.churn.reasons) or ins.archetype.rule
        weakest = ins.weakest_area[0].lower() if ins.weakest_area else ""
        day = local.date().isoformat()
        claimed: list[int] = []
        body = services.prompts.render(
            "alerts/stall_learner", name=learner.name or "there", reason=_kind_reason(ins), topic=weakest
        )
        row = proactive.to_learner(
            session,
            settings,
            learner,
            key=f"stall:{learner_id}:{day}",
            kind=MessageKind.STALL,
            body=body,
            variables={"name": learner.name or "there", "topic": weakest},
            now=now,
        )
        if row is None:
            return []
        claimed.append(int(row.id or 0))
        mentor = mentor_of(session, learner)
        escalation = Escalation(
            learner_id=learner_id,
            mentor_id=learner.mentor_id,
            kind=EscalationKind.STALL,
            reason=reasons[:500],
            context={"archetype": ins.archetype.rule},
            created_at=now,
        )
        session.add(escalation)
        session.flush()
        append_event(
            session,
            learner_id,
            EventKind.ESCALATION_OPENED,
            now,
            {"escalation": escalation.id, "escalation_kind": "stall"},
        )
        contact = (mentor.phone if mentor else None) or settings.escalation_fallback_phone
        if contact:
            alert = services.prompts.render(
                "alerts/stall_mentor",
                reference=escalation.reference,
                learner_name=learner.name or "A learner",
                reasons=reasons,
                overall=f"{ins.report.overall:.0f}",
                velocity=f"{ins.trajectory.velocity_7:+.1f}",
            )
            staff = proactive.to_staff(
                session,
                settings,
                phone=contact,
                key=f"stall-mentor:{learner_id}:{day}",
                kind=MessageKind.STALL_MENTOR,
                body=alert,
                now=now,
                learner_id=learner_id,
            )
            if staff is not None:
                claimed.append(int(staff.id or 0))
        return claimed


def _kind_reason(ins: LearnerInsights) -> str:
    """The stall, in words that do not scold."""
    days = ins.signals.days_since_active
    if days is not None and days >= 4:
        return f"It's been {days} days since we last did anything together"
    if ins.signals.plateau_days >= 10:
        return f"You've been sitting at {ins.report.overall:.0f}% for a while"
    return "Your pace dropped off this week"


def remind_escalations(services: Services, now: datetime) -> list[int]:
    """Unanswered escalations: remind the mentor (after 2 h; emergencies after 10 min), then the backup."""
    settings = services.settings
    claimed: list[int] = []
    with services.db.session() as session:
        rows = session.exec(
            select(Escalation).where(
                Escalation.status == EscalationStatus.OPEN, col(Escalation.mentor_replied_at).is_(None)
            )
        ).all()
        for esc in rows:
            urgent = esc.kind == EscalationKind.EMERGENCY
            wait = timedelta(
                minutes=settings.emergency_remind_minutes if urgent else settings.escalation_remind_minutes
            )
            age = now - esc.created_at
            learner = session.get(Learner, esc.learner_id)
            mentor = session.get(Mentor, esc.mentor_id) if esc.mentor_id else None
            if learner is None:
                continue
            minutes = int(age.total_seconds() // 60)
            common = {
                "reference": esc.reference,
                "learner_name": learner.name or "A learner",
                "minutes": minutes,
                "reason": esc.reason[:200],
                "urgent": urgent,
            }
            if age >= wait and esc.reminded_at is None and mentor is not None and mentor.phone:
                body = services.prompts.render("escalation/reminder", **common)
                row = proactive.to_staff(
                    session,
                    settings,
                    phone=mentor.phone,
                    key=f"esc-remind:{esc.id}",
                    kind=MessageKind.ESCALATION_REMINDER,
                    body=body,
                    now=now,
                    learner_id=learner.id,
                )
                esc.reminded_at = now
                session.add(esc)
                if row is not None:
                    claimed.append(int(row.id or 0))
            elif age >= 2 * wait and esc.backup_notified_at is None:
                backup = (mentor.backup_phone if mentor else None) or settings.escalation_fallback_phone
                if not backup:
                    continue
                body = services.prompts.render(
                    "escalation/backup",
                    **common,
                    learner_phone=learner.staff_contact,
                    mentor_name=mentor.name if mentor else "their mentor",
                )
                row = proactive.to_staff(
                    session,
                    settings,
                    phone=backup,
                    key=f"esc-backup:{esc.id}",
                    kind=MessageKind.ESCALATION_BACKUP,
                    body=body,
                    now=now,
                    learner_id=learner.id,
                )
                esc.backup_notified_at = now
                session.add(esc)
                if row is not None:
                    claimed.append(int(row.id or 0))
    return claimed


def digest_due(mentor: Mentor, now: datetime) -> str | None:
    """The ISO week a Monday-morning digest is due for (Monday 07:00-12:00 in the mentor's zone), or None."""
    local = localtime.local_now(now, mentor.timezone)
    if local.isoweekday() != 1 or not 7 <= local.hour < 12:
        return None
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def send_digest(services: Services, mentor_id: int, now: datetime) -> int | None:
    """One weekly message: who moved, who stalled, evidence waiting, open escalations, the summary link."""
    with services.db.session() as session:
        mentor = session.get(Mentor, mentor_id)
        if mentor is None or not mentor.phone:
            return None
        week = digest_due(mentor, now)
        if week is None:
            return None
        learners = session.exec(select(Learner).where(Learner.mentor_id == mentor_id)).all()
        moved, stalled = [], []
        for learner in learners:
            ins = insights_of(services, session, learner, now, award=False)
            if ins.archetype.name == "stalled":
                stalled.append(
                    f"{learner.name or 'learner'} ({ins.churn.reasons[0] if ins.churn.reasons else 'flat'})"
                )
            elif ins.trajectory.velocity_7 >= 0.5:
                moved.append(
                    (
                        ins.trajectory.velocity_7,
                        f"{learner.name or 'learner'} +{ins.trajectory.velocity_7:.1f}/day",
                    )
                )
        ids = [int(x.id or 0) for x in learners]
        waiting = (
            session.exec(
                select(func.count())
                .select_from(EvidenceItem)
                .where(col(EvidenceItem.learner_id).in_(ids), EvidenceItem.status == "pending")
            ).one()
            if ids
            else 0
        )
        open_esc = session.exec(
            select(func.count())
            .select_from(Escalation)
            .where(Escalation.mentor_id == mentor_id, Escalation.status == EscalationStatus.OPEN)
        ).one()
        body = services.prompts.render(
            "digest/weekly",
            mentor_name=mentor.name,
            moved=", ".join(t for _v, t in sorted(moved, reverse=True)[:5]),
            stalled=", ".join(stalled[:5]),
            evidence_waiting=int(waiting),
            open_escalations=int(open_esc),
            link=f"{services.settings.public_base_url}/mentor",
        )
        row = proactive.to_staff(
            session,
            services.settings,
            phone=mentor.phone,
            key=f"digest:{mentor_id}:{week}",
            kind=MessageKind.DIGEST,
            body=body,
            now=now,
            learner_id=None,
        )
        return int(row.id or 0) if row is not None else None
