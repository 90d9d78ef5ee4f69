"""The demo's progress reviews: one learner had their first review signed 79 days ago, so the next is due
this week, and the coach has drafted it for the mentor to edit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from sitecoach.curriculum.catalogue import Catalogue
from sitecoach.learning.memory import Memory
from sitecoach.models import Learner, Mentor, ProgressReview, ProgressReviewStatus, ProgressReviewVersion
from sitecoach.records.progress_reviews import content_hash, draft_review, review_interval
from sitecoach.settings import Settings

LAST_SIGNED_DAYS_AGO = 79  # with the 84-day interval: the next review is due in 5 days
FIRST_REVIEW = {
    "progress": "Overall mastery 0% -> 41%. Strong start on safe isolation; jointing theory still early.",
    "otj": "150 hours logged against plan: on track.",
    "evidence": "First straight joint signed off on site.",
    "concerns": "No concerns recorded in this period.",
    "last_actions": "First review: no actions agreed before.",
    "next_actions": "- Practise cable jointing theory with the coach three times a week\n"
    "- Photograph each joint stage for evidence",
}


def seed_demo_reviews(
    session: Session,
    catalogue: Catalogue,
    memory: Memory,
    settings: Settings,
    learner: Learner,
    mentor: Mentor,
    provider: Mentor,
    now: datetime,
) -> ProgressReview | None:
    """A signed first review for `learner` (if they started long enough ago) and the draft of the next."""
    signed_at = now - timedelta(days=LAST_SIGNED_DAYS_AGO)
    start = learner.created_at
    if signed_at - start < timedelta(days=7):
        return None
    first = ProgressReview(
        learner_id=int(learner.id or 0),
        number=1,
        period_start=start,
        due_at=start + review_interval(settings),
        status=ProgressReviewStatus.LOCKED,
        version=1,
        baseline={"by_area": {}, "overall": 0.0, "actions": []},
        drafted_at=signed_at - timedelta(days=10),
        ready_at=signed_at - timedelta(days=1),
        learner_signed_at=signed_at,
        employer_signed_at=signed_at,
        employer_signer_id=mentor.id,
        provider_signed_at=signed_at,
        provider_signer_id=provider.id,
        locked_at=signed_at,
        content_hash=content_hash(FIRST_REVIEW),
    )
    session.add(first)
    session.flush()
    session.add(
        ProgressReviewVersion(
            review_id=int(first.id or 0),
            learner_id=first.learner_id,
            version=1,
            sections=FIRST_REVIEW,
            note="seeded for the demo",
            created_at=first.drafted_at,
        )
    )
    session.flush()
    return draft_review(session, catalogue, memory, settings, learner, now)
