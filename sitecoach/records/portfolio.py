"""Building a learner's e-portfolio from the database, for the EPA gateway export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from sitecoach.curriculum.catalogue import Catalogue
from sitecoach.export import (
    Portfolio,
    PortfolioBreak,
    PortfolioCompetency,
    PortfolioEvidence,
    PortfolioHours,
)
from sitecoach.infra.localtime import local_now
from sitecoach.infra.privacy import mask_phone, normalise_phone
from sitecoach.learning.memory import Memory
from sitecoach.models import Cohort, EvidenceItem, Learner, Mentor, Standard
from sitecoach.records.breaks import breaks_of
from sitecoach.records.insights import InsightsService
from sitecoach.records.otj import entries as otj_entries
from sitecoach.records.otj import otj_status
from sitecoach.records.passport import portfolio_items
from sitecoach.records.progress_reviews import signed_reviews
from sitecoach.records.safeguarding import PRIVATE_EVENT_KINDS
from sitecoach.settings import Settings


class LearnerNotFound(LookupError):
    """No learner matches the phone number or id given."""


def find_learner(session: Session, ref: str) -> Learner:
    """A learner by E.164 phone number or numeric id."""
    phone = normalise_phone(ref) if not ref.isdigit() or ref.startswith(("+", "00")) else None
    learner = None
    if phone:
        learner = session.exec(select(Learner).where(Learner.phone == phone)).first()
    elif ref.isdigit():
        learner = session.get(Learner, int(ref))
    if learner is None:
        raise LearnerNotFound(f"no learner {mask_phone(phone) if phone else ref!r}")
    return learner


def build_portfolio(
    session: Session,
    catalogue: Catalogue,
    memory: Memory,
    learner: Learner,
    now: datetime,
    settings: Settings,
) -> Portfolio:
    """Everything the gateway export needs, read from the database (nothing is written); the settings give
    the EPA pass mark and the content pack (the standard's published minimum OTJ hours)."""
    epa_pass_mark = settings.epa_pass_mark
    pack_root = settings.content_pack_path
    ins = InsightsService(session, catalogue, memory, epa_pass_mark).insights(
        learner, now, award_badges=False
    )
    cohort = session.get(Cohort, learner.cohort_id) if learner.cohort_id else None
    mentor = session.get(Mentor, learner.mentor_id) if learner.mentor_id else None
    standard_code = cohort.standard_code if cohort else catalogue.default_standard or ""
    standard = session.exec(select(Standard).where(Standard.code == standard_code)).first()
    items = list(
        session.exec(
            select(EvidenceItem)
            .where(EvidenceItem.learner_id == learner.id)
            .order_by(col(EvidenceItem.captured_at))
        ).all()
    )
    mentors = {m.id: m.name for m in session.exec(select(Mentor)).all()}
    signed: dict[str, list[int]] = {}
    pending: dict[str, list[int]] = {}
    for item in items:
        target = signed if item.status == "signed_off" else pending if item.status == "pending" else None
        if target is not None:
            for code in item.competencies:
                target.setdefault(code, []).append(int(item.id or 0))
    comps = catalogue.competencies_of_standard(standard_code)
    gateway = {c.code: c for c in ins.gateway.competencies}
    competencies = tuple(
        PortfolioCompetency(
            code=c.code,
            kind=c.kind,
            area_title=c.area_title,
            text=c.text,
            mastery=ins.report.by_competency.get(c.code, 0.0),
            signed_evidence=tuple(signed.get(c.code, [])),
            pending_evidence=tuple(pending.get(c.code, [])),
            status=gateway[c.code].status.capitalize() if c.code in gateway else "",
        )
        for c in sorted(comps, key=lambda c: (c.area_code, c.code))
    )
    evidence = tuple(
        PortfolioEvidence(
            id=int(item.id or 0),
            captured_at=item.captured_at,
            note=item.note,
            status=item.status,
            competencies=tuple(item.competencies),
            media=tuple(Path(m["path"]) for m in item.media if m.get("path")),
            latitude=item.latitude,
            longitude=item.longitude,
            address=item.address,
            signed_by=mentors.get(item.signed_by_id) if item.signed_by_id else None,
            signed_at=item.signed_at,
            mentor_comment=item.mentor_comment,
        )
        for item in items
    )
    events = InsightsService(session, catalogue, memory, epa_pass_mark).events(int(learner.id or 0))
    hours = tuple(
        PortfolioHours(e.at, e.hours, e.activity, e.type_label, e.learned, e.status, e.comment)
        for e in otj_entries(session, int(learner.id or 0))
    )
    status = otj_status(session, pack_root, learner, now)
    away = tuple(
        PortfolioBreak(b.starts_on, b.expected_return, b.ended_on)
        for b in breaks_of(session, int(learner.id or 0))
    )
    today = local_now(now, learner.timezone).date()
    passport, next_step = portfolio_items(
        session, learner, settings.content_pack_path, today, settings.passport_expiry_warn_days
    )
    return Portfolio(
        learner_name=learner.name or "Apprentice",
        learner_ref=learner.whatsapp_label,
        cohort=cohort.name if cohort else None,
        mentor=mentor.name if mentor else None,
        standard_code=standard_code,
        standard_title=standard.title if standard else standard_code,
        working_map=standard.working_map if standard else True,
        generated_at=now,
        timezone=learner.timezone,
        overall_mastery=ins.report.overall,
        competencies=competencies,
        evidence=evidence,
        hours=hours,
        planned_hours=status.planned_hours,
        gateway_gaps=tuple(ins.gateway.gap_lines()),
        events=tuple(  # a safeguarding concern's event stays with the DSL: the chain shows a gap there
            {"seq": e.seq, "at": e.at, "kind": e.kind, "data": e.data, "hash": e.hash}
            for e in events
            if str(e.kind) not in PRIVATE_EVENT_KINDS
        ),
        reviews=signed_reviews(session, learner),
        breaks=away,
        verified_hours=status.verified_hours,
        passport=passport,
        next_step=next_step,
    )
