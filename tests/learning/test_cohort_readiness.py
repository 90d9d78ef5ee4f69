"""Tests for cohort percentiles and EPA readiness: golden values, ties, and monotone properties."""

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitecoach.learning.cohort import cohort_percentiles, percentile
from sitecoach.learning.readiness import EpaReadiness, epa_readiness

# --- Percentiles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "population", "expected"),
    [
        (2.0, [1.0, 2.0, 3.0], 50.0),  # 1 below, itself half: 1.5 / 3
        (3.0, [1.0, 2.0, 3.0], 83.3),
        (1.0, [1.0, 2.0, 3.0], 16.7),
        (10.0, [1.0, 2.0, 3.0], 100.0),
        (0.0, [1.0, 2.0, 3.0], 0.0),
        (5.0, [5.0, 5.0, 5.0, 1.0], 62.5),  # 1 below, 3 ties at half: 2.5 / 4
        (4.0, [4.0, 4.0], 50.0),
        (7.0, [7.0], 50.0),
        (7.0, [], 50.0),
        (99.0, [1.0], 50.0),
    ],
)
def test_percentile_golden_values(value, population, expected):
    assert percentile(value, population) == expected


def test_cohort_percentiles_golden_values_with_ties():
    assert cohort_percentiles({1: 10.0, 2: 20.0, 3: 20.0, 4: 40.0}) == {1: 12.5, 2: 50.0, 3: 50.0, 4: 87.5}
    assert cohort_percentiles({7: 55.0}) == {7: 50.0}
    assert cohort_percentiles({}) == {}


@given(st.dictionaries(st.integers(), st.floats(0, 100, allow_nan=False), max_size=30))
def test_cohort_percentiles_match_percentile_one_by_one(values):
    population = list(values.values())
    assert cohort_percentiles(values) == {m: percentile(v, population) for m, v in values.items()}


@given(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=2, max_size=30),
    st.floats(0, 100),
    st.floats(0, 100),
)
def test_percentile_is_bounded_and_monotone(population, a, b):
    low, high = sorted((a, b))
    assert 0.0 <= percentile(low, population) <= percentile(high, population) <= 100.0


# --- EPA readiness --------------------------------------------------------------------------------------

BANK = {"q1": 0.9, "q2": 0.8, "q3": 0.6, "q4": 0.4, "q5": 0.2}
COMPETENCIES = {
    "q1": ["K1.1"],
    "q2": ["K1.1", "K1.2"],
    "q3": ["K2.1"],
    "q4": ["K2.2", "K1.2"],
    "q5": ["K3.1"],
    "q6": ["K3.2"],  # never answered: recall 0
}


def _binomial_tail(p, n=20, needed=13):
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(needed, n + 1))


def test_knowing_everything_still_allows_a_slip():
    r = epa_readiness({"a": 1.0, "b": 1.0}, {"a": ["K1"], "b": ["K2"]})
    assert r.expected_score == pytest.approx(0.95)  # 1 in 20 answers slips
    assert r.pass_chance == pytest.approx(_binomial_tail(0.95), rel=1e-9)
    assert r.pass_chance > 0.999
    assert r.weakest == ("K1", "K2")


def test_no_recall_is_guessing_with_an_exact_tiny_chance():
    r = epa_readiness({"a": 0.0, "b": 0.0}, {"a": ["K1"], "b": ["K2"]})
    assert r.expected_score == 0.25
    # P(Binomial(20, 1/4) >= 13) = sum over k of C(20, k) 3^(20-k) / 4^20 = 201984748 / 4^20.
    assert sum(math.comb(20, k) * 3 ** (20 - k) for k in range(13, 21)) == 201984748
    assert r.pass_chance == float(Fraction(201984748, 4**20)) == 0.00018370405814494006


def test_middling_bank():
    r = epa_readiness(BANK, COMPETENCIES)
    # p_i = 0.95 K + 0.25 (1 - K): 0.88, 0.81, 0.67, 0.53, 0.39, 0.25 (q6 never answered); mean 3.53 / 6
    assert r.expected_score == pytest.approx(3.53 / 6)
    assert r.pass_chance == pytest.approx(_binomial_tail(3.53 / 6), rel=1e-9)
    assert (r.pass_mark, r.questions) == (0.65, 20)
    # K3.2 0.0, K3.1 0.2, K2.2 0.4 (K1.2 and K2.1 tie at 0.6 and miss the cut).
    assert r.weakest == ("K3.2", "K3.1", "K2.2")


def test_pass_mark_rounds_up_to_whole_questions():
    # 0.65 x 20 is 13 exactly (not 14 through float noise); 0.61 x 10 = 6.1 needs 7.
    r13 = epa_readiness({"a": 0.0}, {}, questions=20)
    assert r13.pass_chance == pytest.approx(201984748 / 4**20, rel=1e-12)
    r7 = epa_readiness({"a": 0.5}, {}, pass_mark=0.61, questions=10, options=2)
    assert r7.pass_chance == pytest.approx(_binomial_tail(0.725, n=10, needed=7))  # 0.5 x 0.95 + 0.5 / 2


def test_empty_bank_gives_no_chance():
    assert epa_readiness({}, {}) == EpaReadiness(0.0, 0.0, 0.65, 20, ())


@pytest.mark.parametrize("kwargs", [{"pass_mark": 0.0}, {"pass_mark": 1.5}, {"questions": 0}, {"options": 0}])
def test_bad_paper_refused(kwargs):
    with pytest.raises(ValueError):
        epa_readiness(BANK, COMPETENCIES, **kwargs)


def test_recall_outside_0_to_1_refused():
    with pytest.raises(ValueError):
        epa_readiness({"a": 1.2}, {})


recalls = st.dictionaries(st.sampled_from([f"q{i}" for i in range(8)]), st.floats(0, 1), min_size=1)


@given(recalls, st.data())
def test_raising_any_recall_never_lowers_the_pass_chance(bank, data):
    item = data.draw(st.sampled_from(sorted(bank)))
    higher = data.draw(st.floats(bank[item], 1))
    before = epa_readiness(bank, {})
    after = epa_readiness({**bank, item: higher}, {})
    assert after.pass_chance >= before.pass_chance
    assert after.expected_score >= before.expected_score
    assert 0.0 <= before.pass_chance <= 1.0


@given(recalls)
def test_weakest_lists_at_most_three_lowest_first(bank):
    competencies = {item: [f"C{item}"] for item in bank}
    weakest = epa_readiness(bank, competencies).weakest
    assert len(weakest) == min(3, len(bank))
    assert [bank[code[1:]] for code in weakest] == sorted(bank.values())[: len(weakest)]
