"""Tests for the nudge-variant bandit: assignment, the champion rule, pinning, variants and storage.

The long-run behaviour (false changes, finding a better variant) is simulated in test_bandit_simulation.py.
"""

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitecoach.learning.bandit import (
    CHECK_EVERY,
    CONSECUTIVE_CHECKS,
    EXPLORATION_FLOOR,
    HISTORY_LIMIT,
    MIN_SAMPLES,
    BanditState,
    VariantStats,
    allocation,
    choose,
    ensure_variants,
    new_bandit,
    pin,
    record,
    tally,
)
from sitecoach.learning.beta_posterior import prob_best


def _judged_times(state, rates, times):
    """The state after `times` judgements, each of CHECK_EVERY samples shared evenly at these rates."""
    share = CHECK_EVERY // len(rates)
    sizes = {name: share for name in rates}
    sizes[list(rates)[-1]] += CHECK_EVERY - share * len(rates)
    for _ in range(times):
        state = tally(state, {name: (n, round(rates[name] * n)) for name, n in sizes.items()})
    return state


def _evidence(a, b, champion="a", **extra):
    """A two-variant state with (samples, rewards) evidence for a and b."""
    return BanditState(
        "k",
        (VariantStats("a", *a, *a), VariantStats("b", *b, *b)),
        champion=champion,
        **extra,
    )


# --- Posterior ----------------------------------------------------------------------------------------


def test_prob_best_matches_monte_carlo_and_sums_to_one():
    rng = random.Random(3)
    counts = [(2000, 600), (60, 25), (300, 100)]
    draws = 40_000
    wins = [0, 0, 0]
    for _ in range(draws):
        rates = [rng.betavariate(1 + r, 1 + s - r) for s, r in counts]
        wins[rates.index(max(rates))] += 1
    best = prob_best(counts)
    assert sum(best) == pytest.approx(1.0)
    for p, w in zip(best, wins, strict=True):
        assert p == pytest.approx(w / draws, abs=0.01)


def test_prob_best_with_no_evidence_is_even_and_refuses_impossible_counts():
    assert prob_best([(0, 0), (0, 0), (0, 0)]) == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert prob_best([(5, 2)]) == (1.0,)
    with pytest.raises(ValueError):
        prob_best([(3, 4), (1, 0)])


# --- Assignment ---------------------------------------------------------------------------------------


def test_new_bandit_first_variant_is_champion():
    state = new_bandit("next_lesson", ["morning", "evening", "short"])
    assert state.champion == "morning"
    assert state.challengers == ("evening", "short")
    assert state.previous_champion is None and state.pinned is None
    assert all(v == VariantStats(v.name) for v in state.variants)


@pytest.mark.parametrize("names", [[], ["a", "a"], ["a", ""]])
def test_new_bandit_refuses_bad_names(names):
    with pytest.raises(ValueError):
        new_bandit("k", names)


def test_new_bandit_refuses_a_bare_string():
    with pytest.raises(TypeError):
        new_bandit("k", "ab")


def test_with_no_evidence_every_variant_is_sent_equally():
    state = new_bandit("streak_at_risk", ["a", "b", "c"])
    rng = random.Random(1)
    picks = [choose(state, rng) for _ in range(9000)]
    for name in "abc":
        assert 2800 <= picks.count(name) <= 3200


def test_a_variant_that_looks_worse_keeps_its_exploration_floor():
    state = _evidence((1000, 200), (1000, 400))  # b far ahead: P(best) of a is ~0
    chances = allocation(state)
    assert EXPLORATION_FLOOR == 0.3
    assert chances["a"] == pytest.approx(0.15, abs=1e-6)
    assert chances["b"] == pytest.approx(0.85, abs=1e-6)
    rng = random.Random(2)
    picks = [choose(state, rng) for _ in range(10_000)]
    assert 0.14 <= picks.count("a") / len(picks) <= 0.16


def test_thompson_sampling_sends_the_likely_best_more_often_in_proportion():
    state = _evidence((100, 30), (120, 45))
    best = state.prob_best()
    assert 0.85 < best["b"] < 0.9  # b probably, not certainly, better
    rng = random.Random(4)
    picks = [choose(state, rng) for _ in range(20_000)]
    expected = EXPLORATION_FLOOR / 2 + (1 - EXPLORATION_FLOOR) * best["b"]
    assert picks.count("b") / len(picks) == pytest.approx(expected, abs=0.01)


def test_choose_is_deterministic_under_a_seed():
    state = _evidence((100, 30), (120, 45))
    first = [choose(state, random.Random(9)) for _ in range(50)]
    again = [choose(state, random.Random(9)) for _ in range(50)]
    assert first == again


def test_choose_with_other_floors():
    state = _evidence((1000, 200), (1000, 400))
    rng = random.Random(1)
    assert {choose(state, rng, floor=0.0) for _ in range(1000)} == {"b"}
    picks = [choose(state, rng, floor=1.0) for _ in range(4000)]
    assert 1800 <= picks.count("a") <= 2200
    with pytest.raises(ValueError):
        choose(state, rng, floor=1.5)


def test_a_single_variant_is_always_chosen():
    state = new_bandit("k", ["only"])
    rng = random.Random(1)
    assert {choose(state, rng) for _ in range(100)} == {"only"}


def test_pinned_always_wins():
    state = pin(_evidence((1000, 200), (1000, 400)), "a")
    rng = random.Random(1)
    assert {choose(state, rng) for _ in range(1000)} == {"a"}
    assert state.history == ("pinned a",)


def test_unpin_returns_to_thompson_sampling():
    state = pin(pin(_evidence((1000, 200), (1000, 400)), "a"), None)
    assert state.pinned is None
    assert state.history == ("pinned a", "unpinned a")
    assert choose(state, random.Random(1), floor=0.0) == "b"
    assert pin(state, None) is state


def test_pin_refuses_an_unknown_variant():
    with pytest.raises(ValueError):
        pin(new_bandit("k", ["a", "b"]), "z")


# --- The champion rule --------------------------------------------------------------------------------


def test_a_clear_winner_is_promoted_only_after_consecutive_judgements():
    state = new_bandit("due_reviews", ["a", "b"])
    state = tally(state, {"a": (500, 150), "b": (500, 200)})  # 0.30 vs 0.40: P(best) of b ~1
    assert state.champion == "a" and state.leader == "b" and state.leader_checks == 1
    for _ in range(CONSECUTIVE_CHECKS - 1):
        assert state.champion == "a"
        state = tally(state, {"a": (CHECK_EVERY // 2, 15), "b": (CHECK_EVERY // 2, 20)})
    assert state.champion == "b"
    assert state.previous_champion == "a"
    assert state.leader is None and state.leader_checks == 0
    each = 500 + (CONSECUTIVE_CHECKS - 1) * CHECK_EVERY // 2
    line = f"promoted b over a: P(best) 1.00, 0.40 vs 0.30 after {each} and {each} samples"
    assert state.history == (line,)
    assert state.stats("b").samples == each  # evidence is kept across the change


def test_the_rule_is_judged_only_every_check_interval():
    state = _evidence((500, 150), (500, 200), leader="b", leader_checks=CONSECUTIVE_CHECKS - 1)
    for _ in range(CHECK_EVERY - 1):
        state = record(state, "a", False)
    assert state.champion == "a" and state.since_check == CHECK_EVERY - 1
    state = record(state, "a", False)
    assert state.champion == "b"


def test_a_judgement_that_does_not_qualify_restarts_the_count():
    state = tally(new_bandit("k", ["a", "b"]), {"a": (500, 150), "b": (500, 200)})
    assert state.leader_checks == 1
    state = tally(state, {"a": (CHECK_EVERY, CHECK_EVERY)})  # a catches up for a moment
    assert state.leader is None and state.leader_checks == 0 and state.champion == "a"


def test_no_change_before_both_have_the_minimum_samples():
    state = _evidence((MIN_SAMPLES - 1, 0), (2000, 1000))  # a has no rewards at all
    state = _judged_times(state, {"b": 0.5}, CONSECUTIVE_CHECKS + 3)
    assert state.champion == "a" and state.leader is None
    state = tally(state, {"a": (1, 0), "b": (CHECK_EVERY - 1, 50)})  # a now has the minimum
    assert state.leader == "b"
    state = _judged_times(state, {"b": 0.5}, CONSECUTIVE_CHECKS - 1)
    assert state.champion == "b"


def test_no_change_without_the_minimum_lift_however_certain():
    state = _evidence((200_000, 60_000), (200_000, 62_000))  # 3.3% better, P(best) ~1
    assert state.prob_best()["b"] > 0.999
    state = _judged_times(state, {"a": 0.3, "b": 0.31}, CONSECUTIVE_CHECKS + 2)
    assert state.champion == "a" and state.leader is None


def test_no_change_while_the_challenger_is_only_probably_better():
    state = _evidence((600, 180), (600, 205))  # 0.30 vs 0.34: P(best) of b ~0.92
    assert 0.85 < state.prob_best()["b"] < 0.98
    state = _judged_times(state, {"a": 0.3, "b": 0.34}, CONSECUTIVE_CHECKS + 2)
    assert state.champion == "a"


def test_rollback_is_the_same_rule_back_to_the_previous_champion():
    state = _evidence((600, 180), (600, 240), champion="b", previous_champion="a")
    state = _judged_times(state, {"a": 0.6, "b": 0.2}, 1)
    assert state.champion == "b"  # a is ahead but not yet by the standard
    state = tally(state, {"a": (1200, 720), "b": (200, 40)})  # now a clearly is
    state = _judged_times(state, {"a": 0.6, "b": 0.2}, CONSECUTIVE_CHECKS - 1)
    assert state.champion == "a"
    assert state.previous_champion == "b"
    assert state.history[-1].startswith("rolled back b to a: P(best) 1.00, 0.5")


def test_the_best_of_several_challengers_is_promoted():
    a, b = VariantStats("a", 800, 240, 800, 240), VariantStats("b", 800, 280, 800, 280)
    c = VariantStats("c", 800, 330, 800, 330)
    state = BanditState("k", (a, b, c), champion="a")
    state = _judged_times(state, {"a": 0.3, "b": 0.35, "c": 0.4}, CONSECUTIVE_CHECKS)
    assert state.champion == "c"


def test_pinned_outcomes_still_count_and_the_rule_still_applies():
    state = pin(_evidence((500, 150), (100, 50)), "b")
    state = _judged_times(state, {"b": 0.5}, CONSECUTIVE_CHECKS)
    assert state.champion == "b" and state.pinned == "b"


def test_no_challengers_no_judgement():
    state = tally(new_bandit("k", ["only"]), {"only": (CHECK_EVERY * 3, 10)})
    assert state.champion == "only" and state.history == ()


# --- Variants -----------------------------------------------------------------------------------------


def test_ensure_variants_adds_challengers_and_drops_missing_ones():
    state = record(new_bandit("k", ["a", "b", "c"]), "b", True)
    state = ensure_variants(state, ["a", "c", "d"])
    assert state.names == ("a", "c", "d")
    assert state.champion == "a"
    assert state.stats("d") == VariantStats("d")
    assert state.history == ("added d", "dropped b")
    assert ensure_variants(state, ["d", "c", "a"]) is state


def test_ensure_variants_keeps_the_champion_until_replaced():
    state = ensure_variants(new_bandit("k", ["a", "b"]), ["b"])
    assert state.names == ("a", "b")
    state = tally(state, {"a": (500, 150), "b": (500, 200)})
    state = _judged_times(state, {"a": 0.3, "b": 0.4}, CONSECUTIVE_CHECKS - 1)
    assert state.champion == "b" and state.previous_champion == "a"
    state = ensure_variants(state, ["b"])
    assert state.names == ("b",)
    assert state.previous_champion is None
    assert state.history[-1] == "dropped a"


def test_ensure_variants_unpins_a_dropped_variant_and_restarts_the_count():
    state = ensure_variants(pin(new_bandit("k", ["a", "b", "c"]), "b"), ["a", "c"])
    assert state.pinned is None
    assert state.history == ("pinned b", "dropped b", "unpinned b")
    leading = tally(new_bandit("k", ["a", "b"]), {"a": (500, 150), "b": (500, 200)})
    assert leading.leader == "b"
    assert ensure_variants(leading, ["a", "b", "c"]).leader is None


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
    state = tally(new_bandit("k", ["a", "b"]), {"a": (500, 150), "b": (500, 200)})
    state = pin(ensure_variants(record(state, "a", True), ["a", "b", "c"]), "c")
    data = json.loads(json.dumps(state.to_dict()))
    assert BanditState.from_dict(data) == state
    assert data["format"] == 2
    assert data["variants"][0] == {
        "name": "a",
        "samples": 501,
        "rewards": 151,
        "lifetime_samples": 501,
        "lifetime_rewards": 151,
    }


def test_an_old_epsilon_greedy_state_loads_with_its_evidence_restarted():
    old = {  # as the epsilon-greedy bandit stored it, b promoted over a
        "kind": "due_reviews",
        "variants": [
            {"name": "a", "samples": 0, "rewards": 0, "lifetime_samples": 40, "lifetime_rewards": 12},
            {"name": "b", "samples": 31, "rewards": 17, "lifetime_samples": 61, "lifetime_rewards": 37},
            {"name": "c", "samples": 3, "rewards": 1, "lifetime_samples": 3, "lifetime_rewards": 1},
        ],
        "champion": "b",
        "baseline": 0.67,
        "previous_champion": "a",
        "previous_baseline": 0.0,
        "pinned": "c",
        "history": ["promoted b over a: 0.67 vs 0.30 after 30 samples", "pinned c"],
    }
    state = BanditState.from_dict(old)
    assert (state.champion, state.previous_champion, state.pinned) == ("b", "a", "c")
    assert [(v.samples, v.rewards) for v in state.variants] == [(0, 0)] * 3
    assert [(v.lifetime_samples, v.lifetime_rewards) for v in state.variants] == [(40, 12), (61, 37), (3, 1)]
    assert state.history[-1] == "converted from epsilon-greedy: evidence restarted"
    assert state.prob_best() == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
    assert BanditState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


def test_from_dict_refuses_an_inconsistent_state():
    data = new_bandit("k", ["a", "b"]).to_dict()
    with pytest.raises(ValueError):
        BanditState.from_dict({**data, "champion": "z"})
    with pytest.raises(ValueError):
        BanditState.from_dict({**data, "previous_champion": "a"})
    with pytest.raises(ValueError):
        BanditState.from_dict({**data, "leader": "b", "leader_checks": 0})


def test_record_does_not_mutate_its_input():
    before = _evidence((500, 150), (500, 200), leader="b", leader_checks=CONSECUTIVE_CHECKS - 1)
    snapshot = before.to_dict()
    after = tally(before, {"a": (CHECK_EVERY, 15)})
    assert after.champion == "b"
    assert before.to_dict() == snapshot
    assert before.champion == "a"


outcomes = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.booleans()), max_size=300)


@given(outcomes)
def test_any_records_keep_the_state_consistent(steps):
    state = new_bandit("k", ["a", "b", "c"])
    for variant, rewarded in steps:
        state = record(state, variant, rewarded)
        assert all(0 <= v.rewards <= v.samples <= v.lifetime_samples for v in state.variants)
        assert sum(v.name == state.champion for v in state.variants) == 1
        assert state.previous_champion in (None, *state.challengers)
        assert 0 <= state.since_check < CHECK_EVERY
    assert {v.name: v.lifetime_samples for v in state.variants} == {
        n: sum(s == n for s, _ in steps) for n in ("a", "b", "c")
    }


admin_or_outcome = st.one_of(
    st.tuples(st.just("tally"), st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 300), st.floats(0, 1)),
    st.tuples(st.just("pin"), st.sampled_from(["a", "b", "c", None])),
    st.tuples(st.just("sync"), st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True)),
)


@given(st.lists(admin_or_outcome, max_size=100))
def test_any_mix_of_outcomes_pins_and_syncs_keeps_the_state_consistent(steps):
    state = new_bandit("k", ["a", "b", "c"])
    for step in steps:
        if step[0] == "tally":
            state = tally(state, {step[1]: (step[2], int(step[2] * step[3]))})
        elif step[0] == "pin" and (step[1] is None or step[1] in state.names):
            state = pin(state, step[1])
        elif step[0] == "sync":
            state = ensure_variants(state, step[1])
        assert sum(v.name == state.champion for v in state.variants) == 1
        assert all(0 <= v.rewards <= v.samples for v in state.variants)
        assert state.pinned in (None, *state.names)
        assert sum(allocation(state).values()) == pytest.approx(1.0)
        assert BanditState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
