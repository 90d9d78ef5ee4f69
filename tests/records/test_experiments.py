"""The bandit in the database: one variant per learner per kind, pins for everyone, old states, settling."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from sitecoach.learning.bandit import BanditState, new_bandit
from sitecoach.models import BanditRecord, Learner, VariantAssignment
from sitecoach.records import experiments

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
KIND = "due_reviews"
VARIANTS = ("a", "b", "c")


def _learners(services, count: int) -> list[int]:
    with services.db.session() as session:
        rows = [Learner(phone=f"+4477009{n:05d}", name=f"L{n}") for n in range(count)]
        session.add_all(rows)
        session.flush()
        return [int(r.id or 0) for r in rows]


def _assign(services, learner_id: int, day: int, variants=VARIANTS) -> str:
    with services.db.session() as session:
        trial = experiments.assign(
            session,
            KIND,
            variants,
            learner_id,
            NOW + timedelta(days=day),
            random.Random(f"{learner_id}:{day}"),
        )
        return trial.variant


def test_a_learner_keeps_the_variant_first_given_for_a_kind(services):
    learners = _learners(services, 30)
    first = {lid: _assign(services, lid, 0) for lid in learners}
    assert len(set(first.values())) > 1  # different learners get different variants
    for day in range(1, 6):
        assert {lid: _assign(services, lid, day) for lid in learners} == first


def test_a_learner_whose_variant_was_dropped_gets_a_new_one_and_keeps_that(services):
    learners = _learners(services, 30)
    first = {lid: _assign(services, lid, 0) for lid in learners}
    moved = [lid for lid, v in first.items() if v == "c"]
    assert moved
    after = {lid: _assign(services, lid, 1, variants=("a", "b")) for lid in learners}
    assert all(after[lid] == first[lid] for lid in learners if lid not in moved)
    assert all(after[lid] in ("a", "b") for lid in moved)
    assert {lid: _assign(services, lid, 2, variants=("a", "b")) for lid in learners} == after


def test_a_pinned_variant_overrides_for_everyone_until_unpinned(services):
    learners = _learners(services, 20)
    first = {lid: _assign(services, lid, 0) for lid in learners}
    with services.db.session() as session:
        experiments.pin_variant(session, KIND, "b", NOW)
    assert {_assign(services, lid, 1) for lid in learners} == {"b"}
    with services.db.session() as session:
        experiments.pin_variant(session, KIND, None, NOW)
    assert {lid: _assign(services, lid, 2) for lid in learners} == first


def test_settling_counts_each_finished_trial_into_the_bandit(services):
    learners = _learners(services, 4)
    for lid in learners:
        _assign(services, lid, 0)
    with services.db.session() as session:
        experiments.reward_activity(session, learners[0], NOW + timedelta(minutes=20))
        settled = experiments.settle(session, NOW + timedelta(hours=3))
    assert settled == 4
    with services.db.read_session() as session:
        row = session.exec(select(BanditRecord).where(BanditRecord.kind == KIND)).one()
        trials = session.exec(select(VariantAssignment)).all()
    state = BanditState.from_dict(row.state)
    assert sum(v.samples for v in state.variants) == 4
    assert sum(v.rewards for v in state.variants) == 1
    assert all(t.settled for t in trials)


def test_an_old_format_state_in_the_database_still_loads_and_is_used(services):
    old = {
        "kind": KIND,
        "variants": [
            {"name": "a", "samples": 0, "rewards": 0, "lifetime_samples": 12, "lifetime_rewards": 3},
            {"name": "b", "samples": 40, "rewards": 22, "lifetime_samples": 70, "lifetime_rewards": 40},
        ],
        "champion": "b",
        "baseline": 0.55,
        "previous_champion": "a",
        "previous_baseline": 0.0,
        "pinned": None,
        "history": ["promoted b over a: 0.55 vs 0.25 after 30 samples"],
    }
    with services.db.session() as session:
        session.add(BanditRecord(kind=KIND, state=old))
    [learner] = _learners(services, 1)
    assert _assign(services, learner, 0, variants=("a", "b")) in ("a", "b")
    with services.db.session() as session:
        experiments.settle(session, NOW + timedelta(hours=3))
    with services.db.read_session() as session:
        row = session.exec(select(BanditRecord).where(BanditRecord.kind == KIND)).one()
    state = BanditState.from_dict(row.state)
    assert row.state["format"] == 2
    assert state.champion == "b" and state.previous_champion == "a"
    assert sum(v.samples for v in state.variants) == 1  # evidence restarted, then one settled trial
    assert state.stats("b").lifetime_samples >= 70
    assert "converted from epsilon-greedy: evidence restarted" in state.history


def test_a_new_kind_starts_with_its_first_variant_as_champion(services):
    [learner] = _learners(services, 1)
    _assign(services, learner, 0)
    with services.db.read_session() as session:
        row = session.exec(select(BanditRecord).where(BanditRecord.kind == KIND)).one()
    assert BanditState.from_dict(row.state).champion == new_bandit(KIND, VARIANTS).champion
