"""The quiz leans towards the next authorisation: items testing what the learner's next passport step needs
are picked sooner. The picker is deterministic, so the lean is measured over many seeded mastery maps
(never a flaky sample), and end to end on the learner's first question."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from sitecoach.learning.memory import Candidate, pick_next_item
from sitecoach.models import ConversationState, utcnow
from tests.passport_world import LEARNER_PHONE, assess, grant, make_world

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LV_STRAIGHT = frozenset({"JNT-K1", "JNT-K2", "CAB-K1"})  # content/st1332/passport.yaml: ASSESS-LV-STRAIGHT
TRIALS = 400


def _candidates(services) -> list[Candidate]:
    return [
        Candidate(i.code, i.lesson_position, i.competencies, None)
        for i in services.catalogue().items.values()
    ]


def _focus_share(candidates, competencies, lean: float) -> float:
    """Share of first picks that test a focus competency, over seeded random mastery maps."""
    rng = random.Random(1332)
    hits = 0
    for _ in range(TRIALS):
        mastery = {code: rng.uniform(0, 100) for code in competencies}
        picked = pick_next_item(candidates, mastery, NOW, focus=LV_STRAIGHT, focus_lean=lean)
        hits += bool(picked and LV_STRAIGHT.intersection(picked.competencies))
    return hits / TRIALS


def test_the_next_steps_items_are_picked_far_more_often_with_the_lean(services):
    candidates = _candidates(services)
    competencies = sorted({c for cand in candidates for c in cand.competencies})
    without = _focus_share(candidates, competencies, 0.0)
    with_lean = _focus_share(candidates, competencies, services.settings.passport_quiz_lean)
    # 3 of the bank's competencies: picked about as often as their share without the lean; the lean (25
    # mastery points) makes them the pick whenever they are within 25 points of the weakest.
    assert without < 0.2
    assert with_lean > 2.5 * without and with_lean - without > 0.25


def test_due_reviews_still_come_before_the_lean(services):
    candidates = _candidates(services)
    due = next(c for c in candidates if not LV_STRAIGHT.intersection(c.competencies))
    overdue = Candidate(due.item_code, due.lesson_position, due.competencies, NOW - timedelta(days=1))
    pool = [overdue if c is due else c for c in candidates]
    picked = pick_next_item(pool, {}, NOW, focus=LV_STRAIGHT, focus_lean=25.0)
    assert picked is not None and picked.item_code == due.item_code


def _asked(services, learner_id: int) -> str:
    """The item the quiz in progress is waiting on (its conversation row)."""
    with services.db.session() as session:
        state = session.exec(
            select(ConversationState).where(ConversationState.learner_id == learner_id)
        ).one()
    return str(state.data["item"])


COMPETENT = frozenset({"SDR-K1", "SDR-S1", "ISO-K1", "ISO-S1", "LIV-K1"})  # AUTH-COMPETENT's needs


def test_a_learner_working_towards_competent_person_is_asked_about_it_first(coach, services):
    world = make_world(services)
    now, today = utcnow(), utcnow().date()
    grant(services, world, "AUTH-SUPERVISED", today - timedelta(days=10), now)
    for code in ("ASSESS-LV-STRAIGHT", "ASSESS-LV-BREECH", "ASSESS-LV-POTEND"):
        assess(services, world, code, today - timedelta(days=5), now)
    items = services.catalogue().items
    coach.send("quiz me", LEARNER_PHONE)
    leaned = _asked(services, world.learner)
    assert COMPETENT & set(items[leaned].competencies)
    # without the lean, a learner who knows nothing starts elsewhere in the bank (the cable voltages)
    coach.send("done", LEARNER_PHONE)
    services.settings = services.settings.with_overrides(passport_quiz_lean=0.0)
    coach.send("quiz me", LEARNER_PHONE)
    assert not COMPETENT & set(items[_asked(services, world.learner)].competencies)
