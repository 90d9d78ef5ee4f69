"""Self-improving messages in the database: choose a variant per kind with the bandit, mark rewards,
and settle finished trials into the bandit's counts (which judges its champion rule when due).

Randomisation is per learner, not per send: a learner keeps the variant of their earliest assignment of
a kind whose variant is still in the bandit, so one keen learner cannot tilt the counts of two variants
at once; only a learner with no such assignment is given a fresh choice. A pinned variant overrides this
for everyone while it is pinned (and the learners first given it then keep it afterwards)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from sitecoach.learning.bandit import BanditState, choose, ensure_variants, new_bandit, pin, record
from sitecoach.models import BanditRecord, LearningEvent, Message, VariantAssignment

NUDGE_REWARD_WINDOW = timedelta(hours=2)  # a reply or practice within this counts as the nudge working
ONBOARDING_TRIAL = timedelta(days=7)
ONBOARDING_ACTIVE_DAYS = 3  # active days in the first week that count as a good start
ONBOARDING_KIND = "onboarding"


def load_state(session: Session, kind: str, variants: Sequence[str]) -> tuple[BanditRecord, BanditState]:
    """The bandit of a kind (created with these variants, the first as champion, if new)."""
    row = session.exec(select(BanditRecord).where(BanditRecord.kind == kind)).first()
    if row is None:
        state = new_bandit(kind, variants)
        row = BanditRecord(kind=kind, state=state.to_dict())
        session.add(row)
        session.flush()
        return row, state
    state = ensure_variants(BanditState.from_dict(row.state), variants)
    return row, state


def _save(session: Session, row: BanditRecord, state: BanditState, now: datetime) -> None:
    row.state = state.to_dict()
    row.updated_at = now
    session.add(row)


def assign(
    session: Session,
    kind: str,
    variants: Sequence[str],
    learner_id: int,
    now: datetime,
    rng: random.Random,
) -> VariantAssignment:
    """The learner's variant for this kind (pinned, else their earlier one, else chosen), as a new trial."""
    _row, state = load_state(session, kind, variants)
    variant = state.pinned or _earlier_variant(session, kind, learner_id, state.names) or choose(state, rng)
    trial = NUDGE_REWARD_WINDOW if kind != ONBOARDING_KIND else ONBOARDING_TRIAL
    assignment = VariantAssignment(
        learner_id=learner_id, kind=kind, variant=variant, assigned_at=now, settle_after=now + trial
    )
    session.add(assignment)
    session.flush()
    return assignment


def _earlier_variant(session: Session, kind: str, learner_id: int, names: Sequence[str]) -> str | None:
    """The variant of the learner's earliest assignment of this kind that is still in the bandit."""
    given = session.exec(
        select(VariantAssignment.variant)
        .where(
            VariantAssignment.learner_id == learner_id,
            VariantAssignment.kind == kind,
            col(VariantAssignment.variant).in_(list(names)),
        )
        .order_by(col(VariantAssignment.assigned_at), col(VariantAssignment.id))
        .limit(1)
    ).first()
    return given


def reward_activity(session: Session, learner_id: int, at: datetime) -> int:
    """The learner replied or practised: reward their open nudge trials from the last two hours."""
    rows = session.exec(
        select(VariantAssignment).where(
            VariantAssignment.learner_id == learner_id,
            col(VariantAssignment.settled).is_(False),
            col(VariantAssignment.rewarded_at).is_(None),
            VariantAssignment.kind != ONBOARDING_KIND,
            VariantAssignment.assigned_at >= at - NUDGE_REWARD_WINDOW,
            VariantAssignment.assigned_at <= at,
        )
    ).all()
    for row in rows:
        row.rewarded_at = at
        session.add(row)
    return len(rows)


def _onboarding_rewarded(session: Session, assignment: VariantAssignment) -> bool:
    end = assignment.assigned_at + ONBOARDING_TRIAL
    times = list(
        session.exec(
            select(LearningEvent.at).where(
                LearningEvent.learner_id == assignment.learner_id,
                LearningEvent.at >= assignment.assigned_at,
                LearningEvent.at < end,
            )
        ).all()
    ) + list(
        session.exec(
            select(Message.created_at).where(
                Message.learner_id == assignment.learner_id,
                Message.direction == "in",
                Message.created_at >= assignment.assigned_at,
                Message.created_at < end,
            )
        ).all()
    )
    return len({t.date() for t in times}) >= ONBOARDING_ACTIVE_DAYS


def settle(session: Session, now: datetime) -> int:
    """Count every trial whose window has closed into its bandit; return how many were settled."""
    due = session.exec(
        select(VariantAssignment)
        .where(col(VariantAssignment.settled).is_(False), VariantAssignment.settle_after <= now)
        .order_by(col(VariantAssignment.id))
        .limit(5000)
    ).all()
    states: dict[str, tuple[BanditRecord, BanditState]] = {}
    for assignment in due:
        if assignment.kind not in states:
            row = session.exec(select(BanditRecord).where(BanditRecord.kind == assignment.kind)).first()
            if row is None:
                assignment.settled = True
                continue
            states[assignment.kind] = (row, BanditState.from_dict(row.state))
        row, state = states[assignment.kind]
        if assignment.kind == ONBOARDING_KIND:
            rewarded = _onboarding_rewarded(session, assignment)
        else:
            rewarded = assignment.rewarded_at is not None
        if assignment.variant in {v.name for v in state.variants}:
            states[assignment.kind] = (row, record(state, assignment.variant, rewarded))
        assignment.settled = True
        session.add(assignment)
    for row, state in states.values():
        _save(session, row, state, now)
    return len(due)


def pin_variant(session: Session, kind: str, variant: str | None, now: datetime) -> BanditState:
    """An admin pins a variant (or unpins with None)."""
    row = session.exec(select(BanditRecord).where(BanditRecord.kind == kind)).first()
    if row is None:
        raise KeyError(kind)
    state = pin(BanditState.from_dict(row.state), variant)
    _save(session, row, state, now)
    return state
