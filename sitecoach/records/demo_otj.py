"""The demo cohort's apprenticeship agreements and the mentor's verdicts on their off-the-job hours: every
demo learner has a start date and a contract; Callum (stalled) started his apprenticeship well before he
met the coach and is behind on OTJ; Ellie started before 1 August 2025, so the 20% rule plans her hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from sitecoach.models import Learner, Mentor
from sitecoach.records.otj import EntryStatus, entries, review_entry

PLANNED_DAYS = 912  # 30 months to gateway (ST1332's typical duration)
# The demo's OTJ entries, in turn: what was done (the kind is read from the words, as the chat does).
DEMO_ACTIVITIES = (
    "college on cable types",
    "shadowing an 11kV straight joint",
    "e-learning on earthing",
    "practical in the training bay on LV joints",
    "writing up evidence for the portfolio",
)


@dataclass(frozen=True)
class DemoAgreement:
    """A demo learner's contract: when the apprenticeship started, hours a week, and how much the mentor
    has verified so far."""

    started_days_ago: int
    weekly_hours: float
    verified_share: float  # of their entries, oldest first


DEMO_AGREEMENTS = {
    "Jamie": DemoAgreement(21, 37.5, 0.0),
    "Priya": DemoAgreement(60, 30.0, 0.5),  # part-time: the same published minimum
    "Callum": DemoAgreement(300, 40.0, 0.5),  # behind on OTJ: about 237 h expected, 60 h logged
    "Ellie": DemoAgreement(520, 40.0, 0.75),  # a start before 1 August 2025: 20% of 30 h a week
    "Dev": DemoAgreement(3, 37.5, 0.0),
}


def demo_activity(n: int) -> str:
    """The n-th demo entry's activity."""
    return DEMO_ACTIVITIES[n % len(DEMO_ACTIVITIES)]


def seed_agreement(session: Session, learner: Learner, mentor: Mentor, now: datetime) -> None:
    """Give a demo learner their agreement and have the mentor verify their oldest entries."""
    deal = DEMO_AGREEMENTS.get(learner.name or "")
    if deal is None:
        return
    start = (now - timedelta(days=deal.started_days_ago)).date()
    learner.start_date, learner.planned_end_date = start, start + timedelta(days=PLANNED_DAYS)
    learner.weekly_hours = deal.weekly_hours
    session.add(learner)
    logged = sorted(entries(session, int(learner.id or 0)), key=lambda e: e.at)
    for entry in logged[: int(len(logged) * deal.verified_share)]:
        review_entry(
            session,
            int(learner.id or 0),
            entry.seq,
            outcome=EntryStatus.VERIFIED,
            comment="",
            staff_id=int(mentor.id or 0),
            now=entry.at + timedelta(days=2),
        )
