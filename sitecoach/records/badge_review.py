"""Re-judging badges by today's rules: withdraw the ones the old mastery formula gave without evidence.

Before 2026-12 mastery was built from FSRS recall, which reads near 1 right after any answer, wrong or
right, so one sitting of wrong answers could earn Novice and Adept in every area. Migration 0010 runs
`review_badges` once: every learner's whole history is replayed by today's rules (`learning/knowledge.py`,
`learning/mastery.py`), and a badge they hold is withdrawn, with a note, unless the level was shown on two
separate study days (`learning/badges.py`). Withdrawal appends a `badge_withdrawn` event (the audit chain is
append-only: the award stays on record, the withdrawal says why); the badge can be earned again.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from sitecoach.curriculum.catalogue import Catalogue
from sitecoach.learning.badges import (
    BADGE_LEVELS,
    MASTER_LEVEL,
    POLYMATH_KEY,
    POLYMATH_MIN_MASTER_AREAS,
    shown_levels,
)
from sitecoach.learning.memory import Memory
from sitecoach.models import EventKind, Learner, LearningEvent
from sitecoach.records.audit import LEGACY_CHAIN_INFO, append_event
from sitecoach.records.insights import InsightsService, badges_held

WITHDRAWAL_NOTE = (
    "Withdrawn: awarded by the old mastery formula, which counted a wrong answer as recall; "
    "this level was not shown on two separate days. It can be earned again."
)
MAX_REPLAY_DAYS = 4 * 365  # a whole apprenticeship


def review_badges(session: Session, catalogue: Catalogue, memory: Memory, now: datetime) -> int:
    """Withdraw every held badge today's rules do not support; return how many were withdrawn."""
    thresholds = dict(BADGE_LEVELS)
    service = InsightsService(session, catalogue, memory, epa_pass_mark=0.65)
    holders = session.exec(
        select(LearningEvent.learner_id).where(LearningEvent.kind == EventKind.BADGE_AWARDED).distinct()
    ).all()
    withdrawn = 0
    for learner_id in sorted(set(holders)):
        # Only the columns revision 0010's schema has: this runs inside that migration, before later
        # revisions add theirs (0011's WhatsApp identity), so the whole row cannot be loaded there.
        row = session.exec(
            select(Learner.cohort_id, Learner.created_at, Learner.timezone).where(Learner.id == learner_id)
        ).first()
        if row is None:
            continue
        learner = Learner(id=learner_id, cohort_id=row[0], created_at=row[1], timezone=row[2])
        events = service.events(learner_id)
        held = badges_held(events)
        if not held:
            continue
        start = learner.created_at.astimezone(ZoneInfo(learner.timezone)).date()
        days = min(MAX_REPLAY_DAYS, (now.astimezone(ZoneInfo(learner.timezone)).date() - start).days + 1)
        replay = service.replay(learner, now, events, days=max(1, days))
        shown = shown_levels([(d.day, d.by_area) for d in replay.area_series], replay.shown_days)
        keep = set()
        for key in held:
            parts = key.split(":")
            if len(parts) == 3 and parts[0] == "area":
                if shown.get(parts[1], 0.0) >= thresholds.get(parts[2], 101.0):
                    keep.add(key)
        masters = sum(1 for key in keep if key.endswith(f":{MASTER_LEVEL}"))
        if POLYMATH_KEY in held and masters >= POLYMATH_MIN_MASTER_AREAS:
            keep.add(POLYMATH_KEY)
        for key in sorted(held - keep):
            append_event(
                session, learner_id, EventKind.BADGE_WITHDRAWN, now, {"badge": key, "note": WITHDRAWAL_NOTE}
            )
            withdrawn += 1
    return withdrawn


def review_badges_on(connection: object, now: datetime) -> int:
    """`review_badges` on a migration's connection, with the catalogue in that database."""
    # No audit key inside a migration: the events go in as v1 and `sitecoach migrate` keys them afterwards.
    with Session(bind=connection, info={LEGACY_CHAIN_INFO: True}) as session:  # type: ignore[call-overload]
        if session.exec(select(col(LearningEvent.id)).limit(1)).first() is None:
            return 0
        count = review_badges(session, Catalogue.load(session), Memory(), now)
        session.flush()
        return count
