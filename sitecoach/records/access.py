"""Who on the staff sees which learners, and who may act for them.

- an admin sees everyone and may do everything;
- a mentor sees their own learners and acts for them (signs off evidence, answers escalations);
- a provider user (`Mentor.is_provider`) sees the learners of the cohorts linked to them by
  `CohortProvider` (their records, reviews and OTJ hours) but does not act as their mentor;
- a designated safeguarding lead (`Mentor.is_dsl`) is a provider user who also reads the safeguarding log.

A staff member may hold several of these at once: what they see is the union. Web views ask here rather
than compare ids themselves, so the rules live in one place and are tested route by route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import false, or_
from sqlmodel import Session, col, select

from sitecoach.models import CohortProvider, Learner, Mentor


class StaffLike(Protocol):
    """What the access rules read of a logged-in staff member (`StaffUser` or a `Staff`)."""

    mentor_id: int
    is_admin: bool
    is_provider: bool
    is_dsl: bool


@dataclass(frozen=True)
class Staff:
    """A staff member's roles, detached from any session."""

    mentor_id: int
    is_admin: bool = False
    is_provider: bool = False
    is_dsl: bool = False

    @classmethod
    def of(cls, mentor: Mentor) -> Staff:
        """The roles of a `Mentor` row."""
        return cls(int(mentor.id or 0), mentor.is_admin, mentor.is_provider, mentor.is_dsl)


def provider_cohort_ids(session: Session, staff: StaffLike) -> list[int]:
    """The cohorts a provider user is linked to (none for anyone else)."""
    if not staff.is_provider:
        return []
    rows = session.exec(select(CohortProvider.cohort_id).where(CohortProvider.staff_id == staff.mentor_id))
    return sorted(int(cohort_id) for cohort_id in rows.all())


def visible_learners_clause(session: Session, staff: StaffLike) -> Any:
    """A WHERE clause over `Learner` for the learners this staff member may see."""
    if staff.is_admin:
        return col(Learner.id).is_not(None)
    clauses: list[Any] = [col(Learner.mentor_id) == staff.mentor_id]
    cohorts = provider_cohort_ids(session, staff)
    if cohorts:
        clauses.append(col(Learner.cohort_id).in_(cohorts))
    return or_(*clauses) if clauses else false()


def can_see_learner(session: Session, staff: StaffLike, learner: Learner) -> bool:
    """Whether this staff member may read this learner's records."""
    if staff.is_admin or learner.mentor_id == staff.mentor_id:
        return True
    return learner.cohort_id is not None and learner.cohort_id in provider_cohort_ids(session, staff)


def can_act_as_mentor(staff: StaffLike, learner: Learner) -> bool:
    """Whether this staff member may act as the learner's mentor (sign off evidence, answer escalations)."""
    return staff.is_admin or learner.mentor_id == staff.mentor_id


def can_sign_as_employer(staff: StaffLike, learner: Learner) -> bool:
    """Whether this staff member signs the learner's progress reviews for the employer: their own mentor
    only (an admin sees the review but is not the employer's representative)."""
    return learner.mentor_id is not None and learner.mentor_id == staff.mentor_id


def can_sign_as_provider(session: Session, staff: StaffLike, learner: Learner) -> bool:
    """Whether this staff member signs the learner's progress reviews for the training provider: a provider
    user linked to the learner's cohort."""
    return (
        staff.is_provider
        and learner.cohort_id is not None
        and learner.cohort_id in provider_cohort_ids(session, staff)
    )


def cohort_providers(session: Session, cohort_id: int | None) -> list[Mentor]:
    """The provider users linked to a cohort."""
    if cohort_id is None:
        return []
    query = (
        select(Mentor)
        .join(CohortProvider, col(CohortProvider.staff_id) == col(Mentor.id))
        .where(CohortProvider.cohort_id == cohort_id, col(Mentor.is_provider).is_(True))
        .order_by(col(Mentor.id))
    )
    return list(session.exec(query).all())


def cohort_dsls(session: Session, cohort_id: int | None) -> list[Mentor]:
    """The designated safeguarding leads of a cohort: its provider users with the DSL flag."""
    return [staff for staff in cohort_providers(session, cohort_id) if staff.is_dsl]


def staff_cohorts(session: Session) -> dict[int, list[int]]:
    """Every provider user's cohort ids, by staff id (for the admin People page)."""
    linked: dict[int, list[int]] = {}
    for link in session.exec(select(CohortProvider).order_by(col(CohortProvider.cohort_id))).all():
        linked.setdefault(link.staff_id, []).append(link.cohort_id)
    return linked


def set_staff_roles(
    session: Session, staff: Mentor, *, is_provider: bool, is_dsl: bool, cohort_ids: list[int]
) -> None:
    """Make a staff member a provider user (or not), a DSL (a provider user only), linked to these cohorts
    (none unless a provider user)."""
    if is_dsl and not is_provider:
        raise ValueError("a safeguarding lead must be a provider user")
    staff.is_provider, staff.is_dsl = is_provider, is_dsl
    session.add(staff)
    wanted = set(cohort_ids) if is_provider else set()
    links = session.exec(select(CohortProvider).where(CohortProvider.staff_id == staff.id)).all()
    for link in links:
        if link.cohort_id not in wanted:
            session.delete(link)
    have = {link.cohort_id for link in links}
    session.add_all(
        CohortProvider(cohort_id=cohort_id, staff_id=int(staff.id or 0))
        for cohort_id in sorted(wanted - have)
    )
