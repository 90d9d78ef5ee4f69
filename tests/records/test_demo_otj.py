"""The demo cohort shows off-the-job hours by the rules: every learner has an agreement, Callum is behind,
Ellie's earlier start is planned by the 20% rule, and the mentor has verified some entries."""

from __future__ import annotations

from sqlmodel import select

from sitecoach.curriculum.pack import load_pack
from sitecoach.learning.otj import OtjRule
from sitecoach.models import Learner, utcnow
from sitecoach.records.otj import otj_status
from sitecoach.records.seeding import seed_demo


def test_the_demo_cohort_has_agreements_and_one_learner_behind_on_otj(services):
    now = utcnow()
    root = services.settings.content_pack_path
    with services.db.session() as session:
        seed_demo(session, load_pack(root), now, services.memory)
        learners = {x.name: x for x in session.exec(select(Learner)).all()}
        assert all(x.start_date and x.planned_end_date and x.weekly_hours for x in learners.values())
        status = {name: otj_status(session, root, x, now) for name, x in learners.items()}
    assert [name for name, s in status.items() if s.behind] == ["Callum"]
    callum = status["Callum"]
    assert callum.logged_hours == 60 and callum.progress.expected_hours > 200
    assert status["Ellie"].plan.rule == OtjRule.TWENTY_PERCENT
    assert status["Priya"].plan.rule == OtjRule.PUBLISHED_MINIMUM and status["Priya"].planned_hours == 720
    assert 0 < status["Ellie"].verified_hours < status["Ellie"].logged_hours
