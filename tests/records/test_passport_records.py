"""Recording the passport: each authorisation, revocation and assessment is an event in the learner's audit
chain; the step must be on the learner's employer's list; evidence must be the learner's own."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import pytest
from sqlmodel import col, select

from sitecoach.curriculum.pack import PackError, load_pack
from sitecoach.curriculum.passport_spec import PassportError, parse_passport_yaml
from sitecoach.models import Employer, EventKind, EvidenceItem, Learner, LearningEvent, Mentor
from sitecoach.records import passport as records
from sitecoach.records.audit import verify_chain
from sitecoach.settings import DEFAULT_CONTENT_PACK
from tests.passport_world import assess, grant, make_world

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_every_record_is_an_event_in_the_audit_chain_and_the_chain_verifies(services):
    world = make_world(services)
    auth = grant(services, world, "AUTH-SUPERVISED", date(2026, 12, 1), NOW)
    done = assess(services, world, "ASSESS-LV-STRAIGHT", date(2026, 12, 3), NOW, result="refer")
    with services.db.session() as session:
        row = session.get(records.PassportAuthorisation, auth)
        records.revoke_authorisation(session, row, session.get(Mentor, world.mentor), NOW)
    with services.db.session() as session:
        events = session.exec(
            select(LearningEvent)
            .where(LearningEvent.learner_id == world.learner)
            .order_by(col(LearningEvent.seq))
        ).all()
        assert [e.kind for e in events] == [
            EventKind.AUTHORISATION_GRANTED,
            EventKind.ASSESSMENT_RECORDED,
            EventKind.AUTHORISATION_REVOKED,
        ]
        assert events[0].data["category"] == "AUTH-SUPERVISED" and events[0].data["mentor"] == world.mentor
        assert events[0].data["expires_on"] == "2027-12-01"  # the step's usual 12 months
        assert events[1].data == {
            "assessment": done,
            "type": "ASSESS-LV-STRAIGHT",
            "result": "refer",
            "assessed_on": "2026-12-03",
            "expires_on": None,  # a referral does not expire: it is not held
            "evidence": None,
            "mentor": world.mentor,
        }
        assert verify_chain(session).ok


def test_a_step_not_on_the_employers_list_and_someone_elses_evidence_are_refused(services):
    world = make_world(services)
    with services.db.session() as session:
        stranger = Learner(phone="+447700900469", name="Stranger")
        session.add(stranger)
        session.flush()
        theirs = EvidenceItem(learner_id=stranger.id, note="not yours")
        session.add(theirs)
        session.flush()
        theirs_id = int(theirs.id or 0)
    with pytest.raises(records.PassportRecordError, match="not a authorisation"):
        grant(services, world, "ASSESS-LV-STRAIGHT", date(2026, 12, 1), NOW)  # an assessment, not a category
    with pytest.raises(records.PassportRecordError, match="not one of this learner's"):
        grant(services, world, "AUTH-SUPERVISED", date(2026, 12, 1), NOW, evidence_id=theirs_id)
    with pytest.raises(records.PassportRecordError, match="after the date"):
        grant(services, world, "AUTH-SUPERVISED", date(2026, 12, 1), NOW, expires_on=date(2026, 11, 1))


def test_an_employers_own_list_replaces_the_packs_default(services):
    world = make_world(services)
    own = parse_passport_yaml(
        "steps:\n"
        "  - {code: SN-TRAINEE, kind: authorisation, title: Trainee jointer, competencies: [ISO-K1]}\n"
        "  - {code: SN-LV, kind: authorisation, title: SN LV jointer, valid_months: 24}\n",
        "test",
    )
    with services.db.session() as session:
        employer = session.get(Employer, world.employer)
        employer.passport = own.to_data()
        session.add(employer)
    with pytest.raises(records.PassportRecordError):
        grant(
            services, world, "AUTH-SUPERVISED", date(2026, 12, 1), NOW
        )  # the pack's step: not this employer's
    grant(services, world, "SN-TRAINEE", date(2026, 12, 1), NOW)
    with services.db.session() as session:
        learner = session.get(Learner, world.learner)
        passport = records.learner_passport(
            session, learner, services.settings.content_pack_path, NOW.date(), 30
        )
        assert [e.title for e in passport.status.current] == ["Trainee jointer"]
        assert passport.next_step is not None and passport.next_step.code == "SN-LV"


def test_the_packs_default_list_is_validated_with_the_pack(tmp_path):
    pack = load_pack(DEFAULT_CONTENT_PACK)
    assert pack.passport is not None
    assert [s.code for s in pack.passport.steps][:2] == ["AUTH-SUPERVISED", "ASSESS-LV-STRAIGHT"]
    broken = tmp_path / "pack"
    shutil.copytree(DEFAULT_CONTENT_PACK, broken)
    text = (broken / "passport.yaml").read_text().replace("[JNT-K1, JNT-K2, CAB-K1]", "[JNT-K1, NOPE-K9]")
    (broken / "passport.yaml").write_text(text)
    with pytest.raises(
        PackError, match="step ASSESS-LV-STRAIGHT: competencies: unknown competency 'NOPE-K9'"
    ):
        load_pack(broken)
    with pytest.raises(PassportError, match="duplicate step code"):
        parse_passport_yaml(
            "steps:\n  - {code: A1, kind: assessment, title: One}\n"
            "  - {code: A1, kind: assessment, title: Two}\n",
            "test",
        )
