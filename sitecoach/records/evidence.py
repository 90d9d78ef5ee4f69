"""Signing off (or returning) evidence: the item's status and the audit event change together."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from sitecoach.models import EventKind, EvidenceItem, EvidenceStatus, Mentor
from sitecoach.records.audit import append_event


class EvidenceError(ValueError):
    """The sign-off is not allowed (wrong mentor, already decided)."""


def decide_evidence(
    session: Session,
    item: EvidenceItem,
    mentor: Mentor,
    approve: bool,
    now: datetime,
    comment: str | None = None,
) -> EvidenceItem:
    """Sign off or return a pending evidence item, and append the matching learning event."""
    if item.status != EvidenceStatus.PENDING:
        raise EvidenceError(f"evidence #{item.id} is already {item.status.replace('_', ' ')}")
    if not approve and not (comment or "").strip():
        raise EvidenceError("say what needs changing when you return evidence")
    item.status = EvidenceStatus.SIGNED_OFF if approve else EvidenceStatus.RETURNED
    item.signed_by_id = mentor.id
    item.signed_at = now
    item.mentor_comment = (comment or "").strip() or None
    session.add(item)
    kind = EventKind.EVIDENCE_SIGNED if approve else EventKind.EVIDENCE_RETURNED
    append_event(
        session,
        item.learner_id,
        kind,
        now,
        {"evidence": item.id, "competencies": list(item.competencies), "mentor": mentor.id},
    )
    return item
