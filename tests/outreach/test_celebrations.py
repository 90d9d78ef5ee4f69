"""Milestones gathered into one celebration, at most one a day, and the daily cap on proactive messages."""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta

from sitecoach.delivery import proactive
from sitecoach.jobs import tasks as jobs
from sitecoach.models import Learner, MessageKind
from tests.outreach.test_alerts import NOW, _answer_iso_right, _out, _setup


def _nudge(services, learner_id: int, key: str, at=NOW, kind=MessageKind.NUDGE_DUE_REVIEWS):
    """Claim a proactive message to the learner as a nudge job would; the row, or None if refused."""
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        return proactive.to_learner(
            session,
            services.settings,
            learner,
            key=key,
            kind=kind,
            body="Time for a quick review?",
            variables={},
            now=at,
        )


def test_badges_and_a_streak_record_are_one_message(services):
    learner_id, _ = _setup(services, active_days_ago=(0, 1, 2, 3))
    _answer_iso_right(services, learner_id, (NOW - timedelta(days=1), NOW - timedelta(minutes=30)))
    jobs.check_milestones(learner_id, NOW.isoformat())
    [celebration] = _out(services, kind="milestone")
    assert "🏅" in celebration.body and "Novice · Isolation and proving dead" in celebration.body
    assert "New personal best" in celebration.body and "4 days in a row" in celebration.body


def test_one_celebration_a_day_what_comes_later_that_day_is_dropped_with_a_log_line(services, caplog):
    learner_id, _ = _setup(services, active_days_ago=(0, 1, 2, 3))
    _answer_iso_right(services, learner_id, (NOW - timedelta(days=1), NOW - timedelta(minutes=30)))
    jobs.check_milestones(learner_id, NOW.isoformat())
    # the same afternoon the learner earns badges in another area: no second celebration that day
    _answer_iso_right(services, learner_id, (NOW - timedelta(days=1), NOW + timedelta(hours=4)), area="ERT")
    with caplog.at_level(logging.INFO, logger="sitecoach.outreach.milestones"):
        jobs.check_milestones(learner_id, (NOW + timedelta(hours=5)).isoformat())
    assert len(_out(services, kind="milestone")) == 1
    dropped = [r.getMessage() for r in caplog.records if "not sent" in r.getMessage()]
    assert len(dropped) == 1 and re.search(r"\b[1-9]\d* badge\(s\)", dropped[0])
    # the next day, a longer streak is a new record: celebrated
    _answer_iso_right(services, learner_id, (NOW + timedelta(days=1),), area="ERT")
    jobs.check_milestones(learner_id, (NOW + timedelta(days=1, hours=1)).isoformat())
    first, second = _out(services, kind="milestone")
    assert "5 days in a row" in second.body


def test_the_daily_cap_holds_back_a_third_proactive_message_but_not_the_next_days(services):
    assert services.settings.proactive_daily_cap == 2
    learner_id, _ = _setup(services, active_days_ago=(0, 1, 2, 3))
    assert _nudge(services, learner_id, "yesterday", at=NOW - timedelta(hours=11)) is not None  # 23:00
    assert _nudge(services, learner_id, "morning") is not None
    assert _nudge(services, learner_id, "stall", kind=MessageKind.STALL) is not None
    _answer_iso_right(services, learner_id, (NOW - timedelta(days=1), NOW - timedelta(minutes=30)))
    jobs.check_milestones(learner_id, NOW.isoformat())
    assert _out(services, kind="milestone") == []  # the cap: two proactive messages today already
    with services.db.session() as session:  # a mentor's sign-off answers the learner: never capped
        update = proactive.to_learner(
            session,
            services.settings,
            session.get(Learner, learner_id),
            key="signed",
            body="Signed off",
            kind=MessageKind.MENTOR_UPDATE,
            variables={},
            now=NOW,
            answer_to_learner=True,
        )
    assert update is not None
    assert _nudge(services, learner_id, "tomorrow", at=NOW + timedelta(days=1)) is not None


def test_two_workers_never_both_take_the_last_slot(services):
    learner_id, _ = _setup(services)
    assert _nudge(services, learner_id, "first") is not None  # one slot of two left
    barrier = threading.Barrier(2)
    claimed: list[object] = []

    def worker(k: int) -> None:
        barrier.wait()  # both begin their transactions together
        claimed.append(_nudge(services, learner_id, f"racer-{k}", kind=MessageKind.STALL))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(row is not None for row in claimed) == 1
    assert len(_out(services)) == 2
