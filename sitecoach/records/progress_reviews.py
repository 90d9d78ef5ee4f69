"""12-weekly progress reviews: when each is due, the coach's draft, the mentor's edits (versions, like prompt
versions), and the three signatures (apprentice, employer, provider) after which it is locked and recorded
in the learner's audit chain.

A review is due `progress_review_interval_days` (at most 84: twelve weeks) after the last one was signed, or
after the learner's start. `DRAFT_LEAD` before that the clock's job drafts it; it is then a draft the
mentor edits, marks ready (the learner gets a signed link on WhatsApp), and everyone signs. The text signed
is the newest version, frozen once the review is ready.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from sitecoach.curriculum.catalogue import Catalogue
from sitecoach.export import PortfolioReview
from sitecoach.learning.memory import Memory
from sitecoach.models import (
    ErasureRecord,
    EventKind,
    Learner,
    Mentor,
    ProgressReview,
    ProgressReviewStatus,
    ProgressReviewVersion,
)
from sitecoach.records.audit import append_event
from sitecoach.records.insights import InsightsService
from sitecoach.records.review_drafts import SECTION_KEYS, SECTION_MAX_CHARS, SECTIONS, draft_text
from sitecoach.settings import Settings

DRAFT_LEAD = timedelta(days=14)  # the coach drafts a review this long before it is due
DRAFTED_NOTE = "drafted by the coach"


class ReviewError(Exception):
    """The change is not allowed in the review's state (shown to staff as it is)."""


class SignerRole(StrEnum):
    """The three parties who sign a review."""

    LEARNER = "learner"
    EMPLOYER = "employer"  # the learner's mentor, as the employer's representative
    PROVIDER = "provider"  # a provider user of the learner's cohort


def review_interval(settings: Settings) -> timedelta:
    """Time from one review (or the start) to the next due."""
    return timedelta(days=settings.progress_review_interval_days)


def reviews_of(session: Session, learner_id: int) -> list[ProgressReview]:
    """A learner's reviews, newest first."""
    return list(
        session.exec(
            select(ProgressReview)
            .where(ProgressReview.learner_id == learner_id)
            .order_by(col(ProgressReview.number).desc())
        ).all()
    )


@dataclass(frozen=True)
class ReviewDue:
    """When a learner's next review is due, and the open review if there is one."""

    learner_id: int
    due_at: datetime
    review: ProgressReview | None  # the open (draft or ready) review, None before it is drafted
    last_signed_at: datetime | None

    def overdue(self, now: datetime) -> bool:
        """Past its due date and not locked."""
        return now > self.due_at

    def due_within(self, now: datetime, days: int) -> bool:
        """Due (or overdue) within `days` days of now."""
        return self.due_at - now <= timedelta(days=days)


def _due(settings: Settings, learner: Learner, reviews: list[ProgressReview]) -> ReviewDue:
    """The learner's next review from their reviews (newest first)."""
    open_review = next((r for r in reviews if r.status != ProgressReviewStatus.LOCKED), None)
    last = next((r for r in reviews if r.status == ProgressReviewStatus.LOCKED), None)
    last_at = last.locked_at if last is not None else None
    if open_review is not None:
        return ReviewDue(int(learner.id or 0), open_review.due_at, open_review, last_at)
    start = last_at or learner.created_at
    return ReviewDue(int(learner.id or 0), start + review_interval(settings), None, last_at)


def review_due(session: Session, settings: Settings, learner: Learner) -> ReviewDue:
    """One learner's next review."""
    return _due(settings, learner, reviews_of(session, int(learner.id or 0)))


def reviews_due(session: Session, settings: Settings, learners: list[Learner]) -> dict[int, ReviewDue]:
    """The next review of each of these learners (two queries however many)."""
    ids = [int(lr.id or 0) for lr in learners]
    by_learner: dict[int, list[ProgressReview]] = {i: [] for i in ids}
    if ids:
        rows = session.exec(
            select(ProgressReview)
            .where(col(ProgressReview.learner_id).in_(ids))
            .order_by(col(ProgressReview.number).desc())
        ).all()
        for row in rows:
            by_learner[row.learner_id].append(row)
    return {int(lr.id or 0): _due(settings, lr, by_learner[int(lr.id or 0)]) for lr in learners}


def learners_to_draft(session: Session, settings: Settings, now: datetime) -> list[int]:
    """Learners with no open review whose next one is due within `DRAFT_LEAD` (never an erased learner)."""
    erased = select(ErasureRecord.learner_id)
    learners = list(
        session.exec(select(Learner).where(col(Learner.id).not_in(erased)).order_by(col(Learner.id))).all()
    )
    dues = reviews_due(session, settings, learners)
    return [i for i, due in dues.items() if due.review is None and due.due_at - DRAFT_LEAD <= now]


def sections_of(session: Session, review: ProgressReview, version: int | None = None) -> dict[str, str]:
    """The text of a review (its newest version unless one is named), every section present."""
    row = session.exec(
        select(ProgressReviewVersion).where(
            ProgressReviewVersion.review_id == review.id,
            ProgressReviewVersion.version == (version or review.version),
        )
    ).first()
    stored = row.sections if row is not None else {}
    return {key: str(stored.get(key, "")) for key in SECTION_KEYS}


def versions_of(session: Session, review: ProgressReview) -> list[ProgressReviewVersion]:
    """Every saved text of a review, newest first."""
    return list(
        session.exec(
            select(ProgressReviewVersion)
            .where(ProgressReviewVersion.review_id == review.id)
            .order_by(col(ProgressReviewVersion.version).desc())
        ).all()
    )


def version_changes(session: Session, review: ProgressReview, version: int) -> str:
    """What a version changed against the one before, as a unified diff per section ("" for the draft)."""
    if version <= 1:
        return ""
    before, after = sections_of(session, review, version - 1), sections_of(session, review, version)
    return "".join(
        "".join(
            difflib.unified_diff(
                before[key].splitlines(keepends=True),
                after[key].splitlines(keepends=True),
                fromfile=f"{key} v{version - 1}",
                tofile=f"{key} v{version}",
                lineterm="\n",
            )
        )
        for key in SECTION_KEYS
        if before[key] != after[key]
    )


def draft_review(
    session: Session,
    catalogue: Catalogue,
    memory: Memory,
    settings: Settings,
    learner: Learner,
    now: datetime,
) -> ProgressReview | None:
    """Draft the learner's next review from what the coach holds; None if one is open already (a retried
    or doubled job drafts nothing more: the learner and number are unique)."""
    reviews = reviews_of(session, int(learner.id or 0))
    due = _due(settings, learner, reviews)
    if due.review is not None:
        return None
    previous = next((r for r in reviews if r.status == ProgressReviewStatus.LOCKED), None)
    ins = InsightsService(session, catalogue, memory, settings.epa_pass_mark).insights(
        learner, now, award_badges=False
    )
    start = due.last_signed_at or learner.created_at
    previous_text = sections_of(session, previous) if previous is not None else None
    draft = draft_text(
        session, learner, ins, previous, previous_text, start, now, settings.content_pack_path
    )
    review = ProgressReview(
        learner_id=int(learner.id or 0),
        number=(reviews[0].number if reviews else 0) + 1,
        period_start=start,
        due_at=due.due_at,
        version=1,
        baseline=draft.baseline,
        drafted_at=now,
    )
    try:
        with session.begin_nested():
            session.add(review)
            session.flush()
            session.add(_version(review, 1, draft.sections, None, DRAFTED_NOTE, now))
    except IntegrityError:
        return None  # another worker drafted it first
    return review


def _version(
    review: ProgressReview,
    number: int,
    sections: dict[str, str],
    author_id: int | None,
    note: str,
    now: datetime,
) -> ProgressReviewVersion:
    return ProgressReviewVersion(
        review_id=int(review.id or 0),
        learner_id=review.learner_id,
        version=number,
        sections=sections,
        note=note[:200],
        author_id=author_id,
        created_at=now,
    )


def save_sections(
    session: Session, review: ProgressReview, edited: dict[str, str], author_id: int, now: datetime
) -> int | None:
    """Save the mentor's text as a new version; None when nothing changed. Only a draft can be edited."""
    if review.status != ProgressReviewStatus.DRAFT:
        raise ReviewError("This review is no longer a draft: it can't be edited.")
    current = sections_of(session, review)
    sections = {
        key: (edited.get(key, current[key]) or "").replace("\r\n", "\n").strip()[:SECTION_MAX_CHARS]
        for key in SECTION_KEYS
    }
    if sections == current:
        return None
    review.version += 1
    session.add(review)
    session.add(_version(review, review.version, sections, author_id, "edited", now))
    return review.version


def mark_ready(session: Session, review: ProgressReview, now: datetime) -> None:
    """Freeze the text for signing."""
    if review.status != ProgressReviewStatus.DRAFT:
        raise ReviewError("This review is already ready for signing.")
    review.status, review.ready_at = ProgressReviewStatus.READY, now
    session.add(review)


def signed_by(review: ProgressReview) -> dict[SignerRole, datetime | None]:
    """When each party signed (None: not yet)."""
    return {
        SignerRole.LEARNER: review.learner_signed_at,
        SignerRole.EMPLOYER: review.employer_signed_at,
        SignerRole.PROVIDER: review.provider_signed_at,
    }


def content_hash(sections: dict[str, str]) -> str:
    """SHA-256 of the signed text (recorded in the audit chain, so the PDF can be checked against it)."""
    return hashlib.sha256(json.dumps(sections, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def sign(
    session: Session, review: ProgressReview, role: SignerRole, signer_id: int | None, now: datetime
) -> bool:
    """Record one party's signature; True when it was the last of the three and the review is now locked."""
    if review.status == ProgressReviewStatus.DRAFT:
        raise ReviewError("The mentor has not marked this review ready for signing yet.")
    if review.status == ProgressReviewStatus.LOCKED or signed_by(review)[role] is not None:
        raise ReviewError("Already signed.")
    other = {SignerRole.EMPLOYER: review.provider_signer_id, SignerRole.PROVIDER: review.employer_signer_id}
    if signer_id is not None and other.get(role) == signer_id:
        raise ReviewError("One person cannot sign for both the employer and the provider.")
    if role == SignerRole.LEARNER:
        review.learner_signed_at = now
    elif role == SignerRole.EMPLOYER:
        review.employer_signed_at, review.employer_signer_id = now, signer_id
    else:
        review.provider_signed_at, review.provider_signer_id = now, signer_id
    session.add(review)
    if any(at is None for at in signed_by(review).values()):
        return False
    review.status, review.locked_at = ProgressReviewStatus.LOCKED, now
    review.content_hash = content_hash(sections_of(session, review))
    append_event(
        session,
        review.learner_id,
        EventKind.PROGRESS_REVIEW_SIGNED,
        now,
        {
            "review": review.id,
            "number": review.number,
            "version": review.version,
            "content_hash": review.content_hash,
            "employer": review.employer_signer_id,
            "provider": review.provider_signer_id,
        },
    )
    return True


def signed_reviews(session: Session, learner: Learner) -> tuple[PortfolioReview, ...]:
    """The learner's locked reviews as the portfolio export renders them, oldest first."""
    names = {m.id: m.name for m in session.exec(select(Mentor)).all()}
    out = []
    for review in reversed(reviews_of(session, int(learner.id or 0))):
        if review.status != ProgressReviewStatus.LOCKED or review.locked_at is None:
            continue
        text = sections_of(session, review)
        signatures = (
            ("Apprentice", learner.name or "Apprentice", review.learner_signed_at),
            ("Employer", names.get(review.employer_signer_id, "-"), review.employer_signed_at),
            ("Training provider", names.get(review.provider_signer_id, "-"), review.provider_signed_at),
        )
        out.append(
            PortfolioReview(
                number=review.number,
                period_start=review.period_start,
                due_at=review.due_at,
                locked_at=review.locked_at,
                sections=tuple((title, text[key]) for key, title in SECTIONS),
                signatures=tuple((role, who, at) for role, who, at in signatures if at is not None),
                content_hash=review.content_hash or "",
            )
        )
    return tuple(out)
