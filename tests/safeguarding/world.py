"""The people every safeguarding test needs: two cohorts, the learner's (implicated) mentor, each cohort's
designated safeguarding lead, a provider user and an admin without the DSL flag, another mentor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select
from werkzeug.security import generate_password_hash

from sitecoach.models import Cohort, CohortProvider, Consent, Learner, Mentor, SafeguardingConcern

PASSWORD = "safeguarding test password"
LEARNER_PHONE = "+447700900711"
MENTOR_PHONE = "+447700900712"
DSL_PHONE = "+447700900713"
OTHER_DSL_PHONE = "+447700900714"
FALLBACK_PHONE = "+447700900719"


@dataclass(frozen=True)
class World:
    """Ids of the people and cohorts made for a test."""

    learner: int
    cohort: int
    other_cohort: int
    mentor_email: str = "mentor.sg@example.test"
    dsl_email: str = "dsl.sg@example.test"
    other_dsl_email: str = "dsl2.sg@example.test"
    provider_email: str = "provider.sg@example.test"
    admin_email: str = "admin.sg@example.test"
    other_mentor_email: str = "mentor2.sg@example.test"


def make_world(services, *, with_dsl: bool = True, learner_consent: str = Consent.OPTED_IN) -> World:
    """The learner (named, in cohort North, mentored by Sam Okafor) and the staff around them."""
    pw = generate_password_hash(PASSWORD)
    with services.db.session() as session:
        north = Cohort(name="SG North", standard_code="ST1332")
        south = Cohort(name="SG South", standard_code="ST1332")
        mentor = Mentor(name="Sam Okafor", phone=MENTOR_PHONE, email=World.mentor_email, password_hash=pw)
        other_mentor = Mentor(name="Kit Mentor", email=World.other_mentor_email, password_hash=pw)
        dsl = Mentor(
            name="Priya Shah", phone=DSL_PHONE, email=World.dsl_email, password_hash=pw,
            is_provider=True, is_dsl=True,
        )  # fmt: skip
        other_dsl = Mentor(
            name="Olu Grant", phone=OTHER_DSL_PHONE, email=World.other_dsl_email, password_hash=pw,
            is_provider=True, is_dsl=True,
        )  # fmt: skip
        provider = Mentor(name="Pat Provider", email=World.provider_email, password_hash=pw, is_provider=True)
        admin = Mentor(name="Ada Admin", email=World.admin_email, password_hash=pw, is_admin=True)
        session.add_all([north, south, mentor, other_mentor, dsl, other_dsl, provider, admin])
        session.flush()
        links = [(north, provider), (south, other_dsl)] + ([(north, dsl)] if with_dsl else [])
        for cohort, staff in links:
            session.add(CohortProvider(cohort_id=int(cohort.id or 0), staff_id=int(staff.id or 0)))
        learner = Learner(
            phone=LEARNER_PHONE, name="Jamie Reid", cohort_id=north.id, mentor_id=mentor.id,
            consent=learner_consent,
        )  # fmt: skip
        session.add(learner)
        session.flush()
        return World(int(learner.id or 0), int(north.id or 0), int(south.id or 0))


def concerns(services) -> list[SafeguardingConcern]:
    """Every concern in the log, oldest first."""
    with services.db.read_session() as session:
        return list(session.exec(select(SafeguardingConcern).order_by(SafeguardingConcern.id)).all())
