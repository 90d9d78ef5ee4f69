"""The authorisation passport in the database: an employer's list of steps, a learner's authorisations and
practical assessments, each recorded (and revoked) with its event in the audit chain.

Who may record is the web layer's question (`sitecoach.records.access.can_act_as_mentor`); this module
checks the facts: the step is on the learner's employer's list, the evidence is the learner's own, the
dates make sense.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from sitecoach.curriculum.passport_spec import PassportList, PassportStep, default_passport, parse_passport
from sitecoach.export.model import PortfolioPassportItem
from sitecoach.learning.passport import (
    PassportEntry,
    PassportStatus,
    Standing,
    latest_by_step,
    passport_status,
)
from sitecoach.models import (
    AssessmentResult,
    Cohort,
    Employer,
    EventKind,
    EvidenceItem,
    Learner,
    Mentor,
    PassportAuthorisation,
    PracticalAssessment,
)
from sitecoach.records.audit import append_event

AUTHORISATION = "authorisation"
ASSESSMENT = "assessment"
STANDING_WORDS = {
    Standing.CURRENT: "Current",
    Standing.EXPIRING: "Expiring soon",
    Standing.EXPIRED: "Expired",
    Standing.REFERRED: "Referred",
}


class PassportRecordError(ValueError):
    """The record cannot be made as asked (unknown step, someone else's evidence, dates backwards)."""


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def employer_of(session: Session, learner: Learner) -> Employer | None:
    """The employer of the learner's cohort, if it has one."""
    cohort = session.get(Cohort, learner.cohort_id) if learner.cohort_id else None
    return session.get(Employer, cohort.employer_id) if cohort and cohort.employer_id else None


def employer_steps(employer: Employer | None, pack_root: Path) -> PassportList:
    """The employer's own list of steps, or the content pack's default."""
    if employer is not None and employer.passport:
        return parse_passport(employer.passport, f"employer {employer.name}")
    return default_passport(pack_root)


def steps_for(session: Session, learner: Learner, pack_root: Path) -> PassportList:
    """The steps that apply to this learner (their employer's list, else the pack's default)."""
    return employer_steps(employer_of(session, learner), pack_root)


def _step(steps: PassportList, code: str, kind: str) -> PassportStep:
    step = steps.step(code)
    if step is None or step.kind != kind:
        raise PassportRecordError(f"{code or 'that'} is not a {kind} on this employer's list")
    return step


def _evidence(session: Session, learner: Learner, evidence_id: int | None) -> EvidenceItem | None:
    if evidence_id is None:
        return None
    item = session.get(EvidenceItem, evidence_id)
    if item is None or item.learner_id != learner.id:
        raise PassportRecordError(f"evidence #{evidence_id} is not one of this learner's")
    return item


def _expiry(step: PassportStep, on: date, expires_on: date | None) -> date | None:
    if expires_on is None and step.valid_months:
        expires_on = add_months(on, step.valid_months)
    if expires_on is not None and expires_on <= on:
        raise PassportRecordError("the expiry date must come after the date it was granted or assessed")
    return expires_on


def grant_authorisation(
    session: Session,
    learner: Learner,
    mentor: Mentor,
    *,
    category: str,
    granted_on: date,
    expires_on: date | None,
    evidence_id: int | None,
    notes: str,
    now: datetime,
    pack_root: Path,
) -> PassportAuthorisation:
    """Record an authorisation (expiry defaults to the step's usual validity) and its audit event."""
    step = _step(steps_for(session, learner, pack_root), category, AUTHORISATION)
    evidence = _evidence(session, learner, evidence_id)
    row = PassportAuthorisation(
        learner_id=int(learner.id or 0),
        category=step.code,
        title=step.title,
        granted_by_id=mentor.id,
        granted_by_name=mentor.name,
        granted_on=granted_on,
        expires_on=_expiry(step, granted_on, expires_on),
        evidence_id=evidence.id if evidence else None,
        notes=notes.strip()[:1000],
        created_at=now,
    )
    session.add(row)
    session.flush()
    append_event(
        session,
        row.learner_id,
        EventKind.AUTHORISATION_GRANTED,
        now,
        {
            "authorisation": row.id,
            "category": row.category,
            "granted_on": row.granted_on.isoformat(),
            "expires_on": row.expires_on.isoformat() if row.expires_on else None,
            "evidence": row.evidence_id,
            "mentor": mentor.id,
        },
    )
    return row


def revoke_authorisation(
    session: Session, row: PassportAuthorisation, mentor: Mentor, now: datetime
) -> PassportAuthorisation:
    """Revoke an authorisation (kept, marked revoked) and record it in the audit chain."""
    if row.revoked_at is not None:
        raise PassportRecordError("that authorisation is already revoked")
    row.revoked_at = now
    row.revoked_by_id = mentor.id
    session.add(row)
    append_event(
        session,
        row.learner_id,
        EventKind.AUTHORISATION_REVOKED,
        now,
        {"authorisation": row.id, "category": row.category, "mentor": mentor.id},
    )
    return row


def record_assessment(
    session: Session,
    learner: Learner,
    mentor: Mentor,
    *,
    assessment: str,
    assessor: str,
    assessed_on: date,
    result: str,
    expires_on: date | None,
    evidence_id: int | None,
    notes: str,
    now: datetime,
    pack_root: Path,
) -> PracticalAssessment:
    """Record a practical assessment (a pass expires after the step's usual validity) and its audit event."""
    step = _step(steps_for(session, learner, pack_root), assessment, ASSESSMENT)
    if result not in set(AssessmentResult):
        raise PassportRecordError("the result is pass or refer")
    if not assessor.strip():
        raise PassportRecordError("say who assessed it")
    evidence = _evidence(session, learner, evidence_id)
    passed = result == AssessmentResult.PASS
    row = PracticalAssessment(
        learner_id=int(learner.id or 0),
        assessment=step.code,
        title=step.title,
        assessor=assessor.strip()[:120],
        assessed_on=assessed_on,
        result=result,
        expires_on=_expiry(step, assessed_on, expires_on) if passed else None,
        evidence_id=evidence.id if evidence else None,
        notes=notes.strip()[:1000],
        recorded_by_id=mentor.id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    append_event(
        session,
        row.learner_id,
        EventKind.ASSESSMENT_RECORDED,
        now,
        {
            "assessment": row.id,
            "type": row.assessment,
            "result": row.result,
            "assessed_on": row.assessed_on.isoformat(),
            "expires_on": row.expires_on.isoformat() if row.expires_on else None,
            "evidence": row.evidence_id,
            "mentor": mentor.id,
        },
    )
    return row


def authorisations(session: Session, learner_id: int) -> list[PassportAuthorisation]:
    """Every authorisation of the learner, revoked ones too, oldest first."""
    query = select(PassportAuthorisation).where(PassportAuthorisation.learner_id == learner_id)
    return list(
        session.exec(query.order_by(col(PassportAuthorisation.granted_on), col(PassportAuthorisation.id)))
    )


def assessments(session: Session, learner_id: int) -> list[PracticalAssessment]:
    """Every practical assessment of the learner, oldest first."""
    query = select(PracticalAssessment).where(PracticalAssessment.learner_id == learner_id)
    return list(
        session.exec(query.order_by(col(PracticalAssessment.assessed_on), col(PracticalAssessment.id)))
    )


def entries(session: Session, learner_id: int) -> list[PassportEntry]:
    """The learner's live records as plain entries (revoked authorisations left out)."""
    auth = [
        PassportEntry(
            int(a.id or 0), AUTHORISATION, a.category, a.title, a.granted_on, a.expires_on, a.granted_by_name
        )
        for a in authorisations(session, learner_id)
        if a.revoked_at is None
    ]
    done = [
        PassportEntry(
            int(a.id or 0),
            ASSESSMENT,
            a.assessment,
            a.title,
            a.assessed_on,
            a.expires_on,
            a.assessor,
            a.result == AssessmentResult.PASS,
        )
        for a in assessments(session, learner_id)
    ]
    return auth + done


@dataclass(frozen=True)
class LearnerPassport:
    """A learner's passport on one day: the employer's steps, the standing of each record, what is next."""

    steps: PassportList
    status: PassportStatus

    @property
    def next_step(self) -> PassportStep | None:
        """The next step in the employer's order not held in date."""
        return self.steps.step(self.status.next_code) if self.status.next_code else None


def learner_passport(
    session: Session, learner: Learner, pack_root: Path, today: date, warn_days: int
) -> LearnerPassport:
    """The learner's passport as it stands on `today` (their local date)."""
    steps = steps_for(session, learner, pack_root)
    order = [s.code for s in steps.steps]
    return LearnerPassport(
        steps, passport_status(order, entries(session, int(learner.id or 0)), today, warn_days)
    )


def focus_competencies(session: Session, learner: Learner, pack_root: Path, today: date) -> frozenset[str]:
    """The competencies the learner's next step needs (what the quiz leans towards); none when all held."""
    step = learner_passport(session, learner, pack_root, today, warn_days=0).next_step
    return frozenset(step.competencies) if step else frozenset()


def describe_next(step: PassportStep | None) -> str | None:
    """The next step in plain words, for the export."""
    if step is None:
        return None
    return f"{step.title} ({step.kind}); needs {', '.join(step.competencies) or 'the employer to decide'}"


def portfolio_items(
    session: Session, learner: Learner, pack_root: Path, today: date, warn_days: int
) -> tuple[tuple[PortfolioPassportItem, ...], str | None]:
    """Every passport record as export lines (in the employer's order, then by date), and the next step."""
    learner_id = int(learner.id or 0)
    passport = learner_passport(session, learner, pack_root, today, warn_days)
    deciding = {(e.kind, e.record_id) for e in latest_by_step(entries(session, learner_id)).values()}
    rank = {s.code: i for i, s in enumerate(passport.steps.steps)}

    def standing(kind: str, entry: PassportEntry, revoked: bool) -> str:
        if revoked:
            return "Revoked"
        if (kind, entry.record_id) not in deciding:
            return "Superseded"
        return STANDING_WORDS[entry.standing(today, warn_days)]

    lines: list[tuple[int, date, PortfolioPassportItem]] = []
    for a in authorisations(session, learner_id):
        entry = PassportEntry(
            int(a.id or 0), AUTHORISATION, a.category, a.title, a.granted_on, a.expires_on, ""
        )
        item = PortfolioPassportItem(
            "Authorisation",
            a.title,
            a.granted_on,
            a.expires_on,
            a.granted_by_name,
            "Granted",
            standing(AUTHORISATION, entry, a.revoked_at is not None),
            a.evidence_id,
        )
        lines.append((rank.get(a.category, len(rank)), a.granted_on, item))
    for x in assessments(session, learner_id):
        passed = x.result == AssessmentResult.PASS
        entry = PassportEntry(
            int(x.id or 0), ASSESSMENT, x.assessment, x.title, x.assessed_on, x.expires_on, "", passed
        )
        item = PortfolioPassportItem(
            "Assessment",
            x.title,
            x.assessed_on,
            x.expires_on,
            x.assessor,
            "Pass" if passed else "Refer",
            standing(ASSESSMENT, entry, False),
            x.evidence_id,
        )
        lines.append((rank.get(x.assessment, len(rank)), x.assessed_on, item))
    lines.sort(key=lambda line: (line[0], line[1]))
    return tuple(item for _r, _d, item in lines), describe_next(passport.next_step)
