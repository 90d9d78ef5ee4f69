"""Tests for the nudge-variant bandit: assignment, promotion, rollback, pinning, variants and storage."""

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitecoach.learning.bandit import (
    EPSILON,
    HISTORY_LIMIT,
    MIN_SAMPLES,
    BanditState,
    VariantStats,
    choose,
    ensure_variants,
    new_bandit,
    pin,
    record,
)


def _fed(state, variant, rewards, misses=0):
    """The state after `rewards` rewarded then `misses` unrewarded outcomes for one variant."""
    for rewarded in [True] * rewards + [False] * misses:
        state = record(state, variant, rewarded)
    return state


def _b_promoted():
    """b champion with baseline 20/30 over a (baseline 0, scoring 3/10 when b was promoted)."""
    state = _fed(new_bandit("due_reviews", ["a", "b"]), "a", 3, 7)
    state = _fed(state, "b", 20, 10)
    assert state.champion == "b"
    return state


# --- Assignment ---------------------------------------------------------------------------------------


def test_new_bandit_first_variant_is_champion():
    state = new_bandit("next_lesson", ["morning", "evening", "short"])
    assert state.champion == "morning"
    assert state.challengers == ("evening", "short")
    assert state.baseline == 0.0 and state.previous_champion is None and state.pinned is None
    assert all(v == VariantStats(v.name) for v in state.variants)


@pytest.mark.parametrize("names", [[], ["a", "a"], ["a", ""]])
def test_new_bandit_refuses_bad_names(names):
    with pytest.raises(ValueError):
        new_bandit("k", names)


def test_new_bandit_refuses_a_bare_string():
    with pytest.raises(TypeError):
        new_bandit("k", "ab")


def test_choose_explores_at_epsilon_spread_evenly_over_challengers():
    state = new_bandit("streak_at_risk", ["a", "b", "c"])
    rng = random.Random(1)
    picks = [choose(state, rng) for _ in range(10_000)]
    explored = sum(p != "a" for p in picks) / len(picks)
    assert EPSILON == 0.2
    assert 0.19 <= explored <= 0.21
    assert abs(picks.count("b") - picks.count("c")) < 200


def test_choose_with_other_epsilons():
    state = new_bandit("k", ["a", "b"])
    rng = random.Random(1)
    assert {choose(state, rng, epsilon=0.0) for _ in range(1000)} == {"a"}
    assert {choose(state, rng, epsilon=1.0) for _ in range(1000)} == {"b"}
    with pytest.raises(ValueError):
        choose(state, rng, epsilon=1.5)


def test_choose_never_explores_without_challengers():
    state = new_bandit("k", ["only"])
    rng = random.Random(1)
    assert {choose(state, rng, epsilon=1.0) for _ in range(1000)} == {"only"}


def test_pinned_always_wins():
    state = pin(new_bandit("k", ["a", "b", "c"]), "c")
    rng = random.Random(1)
    assert {choose(state, rng, epsilon=e) for e in (0.0, 0.2, 1.0) for _ in range(500)} == {"c"}
    assert state.history == ("pinned c",)


def test_unpin_returns_to_epsilon_greedy():
    state = pin(pin(new_bandit("k", ["a", "b"]), "b"), None)
    assert state.pinned is None
    assert state.history == ("pinned b", "unpinned b")
    assert choose(state, random.Random(1), epsilon=0.0) == "a"
    assert pin(state, None) is state


def test_pin_refuses_an_unknown_variant():
    with pytest.raises(ValueError):
        pin(new_bandit("k", ["a", "b"]), "z")


def test_pinned_outcomes_still_count_and_the_rules_still_apply():
    state = _fed(pin(new_bandit("k", ["a", "b"]), "b"), "b", 1, MIN_SAMPLES - 1)
    # The champion had no samples in the window, so it scores 0 and b (1/30) beats it.
    assert state.champion == "b"
    assert state.pinned == "b"
    assert state.history[-1] == "promoted b over a: 0.03 vs 0.00 after 30 samples"


# --- Scores and promotion -----------------------------------------------------------------------------


def test_scores_are_windowed_rates_and_zero_without_samples():
    stats = VariantStats("a", samples=4, rewards=1, lifetime_samples=10, lifetime_rewards=5)
    assert stats.score == 0.25
    assert stats.lifetime_score == 0.5
    assert VariantStats("a").score == 0.0
    assert VariantStats("a").lifetime_score == 0.0


@pytest.mark.parametrize(
    "counts",
    [(-1, 0, 0, 0), (1, 2, 2, 2), (2, 1, 1, 1), (1, 1, 2, 0), (0, 0, 1, 2)],
)
def test_variant_stats_refuse_impossible_counts(counts):
    with pytest.raises(ValueError):
        VariantStats("a", *counts)


def test_29_perfect_samples_do_not_promote_the_30th_does():
    state = _fed(new_bandit("due_reviews", ["a", "b"]), "a", 5, 5)
    state = _fed(state, "b", MIN_SAMPLES - 1)
    assert state.champion == "a"
    assert state.stats("b").score == 1.0
    state = record(state, "b", True)
    assert state.champion == "b"
    assert state.baseline == 1.0
    assert (state.previous_champion, state.previous_baseline) == ("a", 0.0)
    assert state.history == ("promoted b over a: 1.00 vs 0.50 after 30 samples",)


def test_an_equal_score_does_not_promote():
    state = _fed(new_bandit("k", ["a", "b"]), "a", 5, 5)
    state = _fed(state, "b", 15, 15)
    assert state.stats("b").score == state.stats("a").score == 0.5
    assert state.champion == "a"
    assert state.history == ()
    state = record(state, "b", True)  # 16/31 beats 0.5
    assert state.champion == "b"
    assert state.history == ("promoted b over a: 0.52 vs 0.50 after 31 samples",)


def test_a_falling_champion_lets_a_ready_challenger_through():
    state = _fed(_fed(new_bandit("k", ["a", "b"]), "a", 5, 5), "b", 15, 15)
    state = record(state, "a", False)  # a falls to 5/11
    assert state.champion == "b"
    assert state.history == ("promoted b over a: 0.50 vs 0.45 after 30 samples",)


def test_promotion_resets_windows_and_keeps_lifetime_totals():
    state = _fed(_fed(new_bandit("k", ["a", "b", "c"]), "a", 3, 7), "c", 2, 3)
    state = _fed(state, "b", 20, 10)
    assert state.champion == "b"
    assert [(v.samples, v.rewards) for v in state.variants] == [(0, 0)] * 3
    assert [(v.lifetime_samples, v.lifetime_rewards) for v in state.variants] == [(10, 3), (30, 20), (5, 2)]
    assert state.challengers == ("a", "c")


def _ready(b, c):
    """a champion at 1/10 (one sample short of a check), b and c as (samples, rewards) challengers."""
    a = VariantStats("a", 9, 1, 9, 1)
    return BanditState("k", (a, VariantStats("b", *b, *b), VariantStats("c", *c, *c)), champion="a")


def test_the_best_ready_challenger_is_promoted():
    assert record(_ready((29, 15), (29, 20)), "a", False).champion == "a"  # nobody has 30 yet
    assert record(_ready((30, 15), (30, 20)), "a", False).champion == "c"  # the higher score
    assert record(_ready((30, 15), (40, 20)), "a", False).champion == "c"  # a tie: the more samples
    assert record(_ready((30, 15), (30, 15)), "a", False).champion == "b"  # then the first listed


# --- Rollback -----------------------------------------------------------------------------------------


def test_rollback_exactly_at_a_ten_percent_drop():
    state = _b_promoted()
    assert state.history == ("promoted b over a: 0.67 vs 0.30 after 30 samples",)
    state = _fed(state, "b", 18, 12)  # 18/30 = 0.6 = 0.9 x 20/30
    assert state.champion == "a"
    assert state.baseline == 0.0  # a's old baseline
    assert state.previous_champion is None and state.previous_baseline is None
    assert state.challengers == ("b",)
    assert state.history[-1] == "rolled back b to a: 0.60 vs baseline 0.67 after 30 samples"
    assert [(v.samples, v.rewards) for v in state.variants] == [(0, 0), (0, 0)]
    assert state.stats("b").lifetime_samples == 60


def test_rollback_at_exactly_ten_percent_despite_float_rounding():
    state = _fed(_fed(new_bandit("k", ["a", "b"]), "a", 3, 7), "b", 22, 8)  # baseline 22/30
    state = _fed(state, "b", 33, 16)
    assert state.champion == "b"
    state = record(state, "b", False)  # 33/50 = 0.66 = 0.9 x 22/30, though 0.66 > 0.9 * (22 / 30) in floats
    assert state.champion == "a"
    assert state.history[-1] == "rolled back b to a: 0.66 vs baseline 0.73 after 50 samples"


def test_promotion_is_checked_before_rollback():
    champion = VariantStats("b", 29, 17, 59, 37)  # one sample short of a rollback check
    challenger = VariantStats("c", 31, 18, 31, 18)  # 0.58: behind b's 0.59 for now
    state = BanditState(
        "k",
        (VariantStats("a", 0, 0, 10, 3), champion, challenger),
        champion="b",
        baseline=2 / 3,
        previous_champion="a",
        previous_baseline=0.0,
    )
    state = record(state, "b", False)  # b at 0.57: both rules apply
    assert (state.champion, state.previous_champion, state.previous_baseline) == ("c", "b", 2 / 3)
    assert state.history == ("promoted c over b: 0.58 vs 0.57 after 31 samples",)


def test_no_rollback_just_above_a_ten_percent_drop():
    state = _fed(_b_promoted(), "b", 19, 11)  # 19/30 = 0.633, a 5% drop
    assert state.champion == "b"


def test_no_rollback_below_30_samples():
    state = _fed(_b_promoted(), "b", 0, MIN_SAMPLES - 1)
    assert state.champion == "b"
    assert state.stats("b").score == 0.0
    state = record(state, "b", False)
    assert state.champion == "a"
    assert state.history[-1] == "rolled back b to a: 0.00 vs baseline 0.67 after 30 samples"


def test_rollback_restores_the_previous_baseline():
    state = ensure_variants(_b_promoted(), ["a", "b", "c"])  # b champion, baseline 20/30
    state = _fed(state, "c", MIN_SAMPLES)  # c perfect while b has no samples yet
    assert (state.champion, state.baseline) == ("c", 1.0)
    assert (state.previous_champion, state.previous_baseline) == ("b", 2 / 3)
    state = _fed(state, "c", 20, 10)  # 0.67 after 30 samples: down a third
    assert (state.champion, state.baseline) == ("b", 2 / 3)
    assert state.previous_champion is None
    assert state.history[-2:] == (
        "promoted c over b: 1.00 vs 0.00 after 30 samples",
        "rolled back c to b: 0.67 vs baseline 1.00 after 30 samples",
    )


def test_no_rollback_without_a_previous_champion():
    state = _fed(new_bandit("k", ["a", "b"]), "a", 0, 100)
    assert state.champion == "a"
    assert state.history == ()


# --- Variants -----------------------------------------------------------------------------------------


def test_ensure_variants_adds_challengers_and_drops_missing_ones():
    state = _fed(new_bandit("k", ["a", "b", "c"]), "b", 1, 1)
    state = ensure_variants(state, ["a", "c", "d"])
    assert state.names == ("a", "c", "d")
    assert state.champion == "a"
    assert state.stats("d") == VariantStats("d")
    assert state.history == ("added d", "dropped b")
    assert ensure_variants(state, ["d", "c", "a"]) is state


def test_ensure_variants_keeps_the_champion_until_replaced():
    state = ensure_variants(new_bandit("k", ["a", "b"]), ["b"])
    assert state.names == ("a", "b")
    assert state.champion == "a"
    state = _fed(state, "b", MIN_SAMPLES)
    assert state.champion == "b" and state.previous_champion == "a"
    state = ensure_variants(state, ["b"])
    assert state.names == ("b",)
    assert state.previous_champion is None and state.previous_baseline is None
    assert state.history[-1] == "dropped a"


def test_ensure_variants_unpins_a_dropped_variant():
    state = ensure_variants(pin(new_bandit("k", ["a", "b"]), "b"), ["a"])
    assert state.pinned is None
    assert state.history == ("pinned b", "dropped b", "unpinned b")


def test_an_outcome_for_a_dropped_variant_is_ignored():
    state = new_bandit("k", ["a", "b"])
    assert record(state, "gone", True) is state


def test_history_keeps_the_newest_lines():
    state = new_bandit("k", ["a", "b"])
    for _ in range(HISTORY_LIMIT):
        state = pin(pin(state, "b"), None)
    assert len(state.history) == HISTORY_LIMIT
    assert state.history[-1] == "unpinned b"


# --- Storage and purity -------------------------------------------------------------------------------


def test_to_dict_from_dict_round_trip_through_json():
    state = pin(ensure_variants(_fed(_b_promoted(), "a", 2, 1), ["a", "b", "c"]), "c")
    data = json.loads(json.dumps(state.to_dict()))
    assert BanditState.from_dict(data) == state
    assert data["previous_champion"] == "a"
    assert data["variants"][0] == {
        "name": "a",
        "samples": 3,
        "rewards": 2,
        "lifetime_samples": 13,
        "lifetime_rewards": 5,
    }


def test_from_dict_refuses_an_inconsistent_state():
    data = new_bandit("k", ["a", "b"]).to_dict()
    with pytest.raises(ValueError):
        BanditState.from_dict({**data, "champion": "z"})
    with pytest.raises(ValueError):
        BanditState.from_dict({**data, "previous_champion": "b"})


def test_record_does_not_mutate_its_input():
    before = _fed(_fed(new_bandit("k", ["a", "b"]), "a", 5, 5), "b", 15, 14)
    snapshot = before.to_dict()
    after = record(before, "b", True)
    assert after.champion == "b"
    assert before.to_dict() == snapshot
    assert before.champion == "a"


# --- Behaviour over time ------------------------------------------------------------------------------


def test_simulation_finds_the_better_variant():
    rng = random.Random(7)
    true_rate = {"a": 0.2, "b": 0.5}
    state = new_bandit("due_reviews", ["a", "b"])
    rounds_b_led = 0
    for _ in range(2000):
        variant = choose(state, rng)
        state = record(state, variant, rng.random() < true_rate[variant])
        rounds_b_led += state.champion == "b"
    assert state.champion == "b"
    assert rounds_b_led > 1500
    assert state.stats("b").lifetime_samples > 2 * state.stats("a").lifetime_samples


outcomes = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.booleans()), max_size=300)


@given(outcomes)
def test_any_records_keep_the_state_consistent(steps):
    state = new_bandit("k", ["a", "b", "c"])
    for variant, rewarded in steps:
        state = record(state, variant, rewarded)
        assert all(0 <= v.rewards <= v.samples <= v.lifetime_samples for v in state.variants)
        assert all(0 <= v.lifetime_rewards <= v.lifetime_samples for v in state.variants)
        assert sum(v.name == state.champion for v in state.variants) == 1
        assert state.previous_champion in (None, *state.challengers)
    assert {v.name: v.lifetime_samples for v in state.variants} == {
        n: sum(s == n for s, _ in steps) for n in ("a", "b", "c")
    }


admin_or_outcome = st.one_of(
    st.tuples(st.just("record"), st.sampled_from(["a", "b", "c", "d"]), st.booleans()),
    st.tuples(st.just("pin"), st.sampled_from(["a", "b", "c", None])),
    st.tuples(st.just("sync"), st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True)),
)


@given(st.lists(admin_or_outcome, max_size=300))
def test_any_mix_of_outcomes_pins_and_syncs_keeps_the_state_consistent(steps):
    state = new_bandit("k", ["a", "b", "c"])
    for step in steps:
        if step[0] == "record":
            state = record(state, step[1], step[2])
        elif step[0] == "pin" and (step[1] is None or step[1] in state.names):
            state = pin(state, step[1])
        elif step[0] == "sync":
            state = ensure_variants(state, step[1])
        assert sum(v.name == state.champion for v in state.variants) == 1
        assert all(0 <= v.rewards <= v.samples for v in state.variants)
        assert state.pinned in (None, *state.names)
        assert BanditState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
