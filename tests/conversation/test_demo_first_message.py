"""Acceptance (issue 17, part 3): a demo learner's first message produces one reply and at most one
celebration, through the signed webhook, the worker and the background queue's milestone check."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import col, select

from sitecoach.cli import _seed
from sitecoach.curriculum.pack import load_pack
from sitecoach.models import Learner, LearnerSnapshot, Message, MessageKind, utcnow
from sitecoach.records.seeding import DEMO_LEARNERS, seed_demo
from sitecoach.records.snapshots import refresh_all
from tests.conftest import post_signed, run_worker, twilio_form


def _checked_at(services, phone: str) -> datetime:
    """When the learner's milestones were last checked (the check writes the mentor's snapshot)."""
    with services.db.session() as session:
        learner = session.exec(select(Learner).where(Learner.phone == phone)).one()
        snapshot = session.get(LearnerSnapshot, learner.id)
        assert snapshot is not None  # the demo seeding wrote one
        return snapshot.updated_at


@pytest.mark.parametrize("seeded_days_ago", [0, 1], ids=["just-seeded", "seeded-yesterday"])
def test_a_demo_learners_first_hi_gets_one_reply_and_at_most_one_celebration(
    client, services, seeded_days_ago
):
    if seeded_days_ago == 0:
        assert "demo cohort with 5 learners" in _seed(services.settings, demo=True)  # as `make demo` seeds it
    else:  # `make demo` yesterday, `sitecoach demo --no-seed` today: the histories have aged
        seeded_at = utcnow() - timedelta(days=seeded_days_ago)
        with services.db.session() as session:
            seed_demo(session, load_pack(services.settings.content_pack_path), seeded_at, services.memory)
        with services.db.session() as session:
            refresh_all(
                session, services.catalogue(), services.memory, seeded_at, services.settings.epa_pass_mark
            )
    for profile in DEMO_LEARNERS:
        checked = _checked_at(services, profile.phone)
        form = twilio_form(profile.phone, "hi")
        assert post_signed(client, "/whatsapp/inbound", form).status_code == 200
        run_worker(services)  # the reply, then the milestone check on the background queue
        assert _checked_at(services, profile.phone) > checked, profile.name  # the check did run
        with services.db.session() as session:
            inbound = session.exec(select(Message).where(Message.twilio_sid == form["MessageSid"])).one()
            sent = session.exec(
                select(Message)
                .where(Message.phone == profile.phone, Message.direction == "out")
                .order_by(col(Message.id))
            ).all()
        replies = [m for m in sent if m.in_reply_to_id == inbound.id]
        celebrations = [m for m in sent if m.kind == MessageKind.MILESTONE]
        assert len(replies) == 1, (profile.name, [m.body for m in replies])
        assert len(celebrations) <= 1, (profile.name, [m.body for m in celebrations])
        assert len(sent) == len(replies) + len(celebrations), (profile.name, [m.body for m in sent])
