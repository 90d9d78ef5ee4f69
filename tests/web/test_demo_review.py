"""The demo cohort has one learner (Ellie) whose progress review is due this week: the coach has drafted it
and the demo mentor can open and edit it; the demo provider user sees it due on their page."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from sitecoach.curriculum.pack import load_pack
from sitecoach.models import Learner, ProgressReview, utcnow
from sitecoach.records.seeding import DEMO_MENTOR_EMAIL, DEMO_MENTOR_PASSWORD, DEMO_PROVIDER_EMAIL, seed_demo
from tests.conftest import log_in


def test_the_demo_has_a_drafted_review_due_this_week_for_the_mentor_to_edit(app, services):
    now = utcnow()
    with services.db.session() as session:
        seed_demo(session, load_pack(services.settings.content_pack_path), now, services.memory)
        ellie = session.exec(select(Learner).where(Learner.name == "Ellie")).one()
        reviews = session.exec(
            select(ProgressReview)
            .where(ProgressReview.learner_id == ellie.id)
            .order_by(ProgressReview.number)  # type: ignore[arg-type]
        ).all()
        assert [(r.number, r.status) for r in reviews] == [(1, "locked"), (2, "draft")]
        due, review_id = reviews[1].due_at, reviews[1].id
    assert timedelta(0) < due - now <= timedelta(days=7)

    mentor = app.test_client()
    log_in(mentor, DEMO_MENTOR_EMAIL, DEMO_MENTOR_PASSWORD)
    page = mentor.get(f"/mentor/reviews/{review_id}").data.decode()
    assert 'name="next_actions"' in page and "Mark ready for signing" in page
    assert "Practise cable jointing theory" in page  # how last time's actions went
    assert f"due {due.strftime('%d %b')} (draft)" in mentor.get("/mentor").data.decode()

    provider = app.test_client()
    log_in(provider, DEMO_PROVIDER_EMAIL, DEMO_MENTOR_PASSWORD)
    assert "review 2: draft" in provider.get("/provider").data.decode()
