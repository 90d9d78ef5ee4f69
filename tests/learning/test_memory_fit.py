"""Fitting FSRS to the cohort's answers: a fit recovers forgetting that the defaults get wrong, the check
is time-ordered, and too little practice keeps the defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench.memory_fit import TRUE_PARAMETERS, synthetic_reviews
from sitecoach.learning.memory import Memory
from sitecoach.learning.memory_fit import DEFAULTS, Review, check_fit, decide, predictions, training_items

DAY0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cohort() -> list[Review]:
    """20 learners over 60 days whose memory is FSRS with parameters far from the defaults."""
    return synthetic_reviews(20, 60, seed=7)


def test_a_fit_predicts_later_answers_better_than_the_defaults_and_the_constant(cohort):
    check = check_fit(cohort)
    assert check.train_reviews == int(0.8 * len(cohort)) and check.test_reviews == len(cohort) - int(
        0.8 * len(cohort)
    )
    assert 0 < check.scored <= check.test_reviews
    constant, defaults, fitted = (check.score(m) for m in ("constant", "defaults", "fitted"))
    assert fitted.log_loss < defaults.log_loss - 0.05 < constant.log_loss
    assert fitted.rmse < defaults.rmse < constant.rmse
    assert constant.auc == 0.5 and fitted.auc > 0.8  # a constant cannot rank answers; FSRS can


def test_the_decision_adopts_a_fit_that_moves_towards_the_true_forgetting(cohort):
    decision = decide(cohort, min_reviews=1000, min_learners=20)
    assert decision.parameters is not None and len(decision.parameters) == 21
    assert decision.reason.startswith(f"Fitted on {len(cohort):,} answers from 20 learners")
    # the true first-day memory after a right answer is far weaker than the default's
    assert abs(decision.parameters[2] - TRUE_PARAMETERS[2]) < abs(DEFAULTS[2] - TRUE_PARAMETERS[2])
    memory = Memory(parameters=decision.parameters)
    assert memory.parameters == decision.parameters


def test_too_little_practice_keeps_the_defaults_and_says_why(cohort):
    few_learners = [r for r in cohort if r.learner_id <= 5]
    decision = decide(few_learners, min_reviews=1000, min_learners=20)
    assert decision.parameters is None
    assert decision.check is not None and decision.check.score("fitted") is not None  # shown, not used
    assert f"{len(few_learners):,} quiz answers from 5 learners" in decision.reason
    assert "at least 1,000 answers and at least 20 learners" in decision.reason
    assert decide(cohort[:999], 1000, 1).parameters is None


def test_only_answers_a_day_or_more_after_the_previous_one_are_scored_and_trained_on():
    answers = [
        Review(1, "Q1", DAY0, True),  # first: no prediction
        Review(1, "Q1", DAY0 + timedelta(hours=3), False),  # same day: not scored
        Review(1, "Q1", DAY0 + timedelta(days=2), True),  # scored
        Review(1, "Q2", DAY0 + timedelta(days=2, minutes=1), True),  # first of Q2
        Review(1, "Q1", DAY0 + timedelta(days=9), False),  # scored
    ]
    predicted, outcomes = predictions(answers, DEFAULTS)
    assert outcomes == [1, 0] and all(0 < p < 1 for p in predicted)
    assert predicted[1] < predicted[0]  # a week's gap forgets more than two days' (the card was right since)
    assert predictions(answers, DEFAULTS, score_from=3)[1] == [0]  # only the review at index 4
    assert [item.long_term_review_cnt() for item in training_items(answers)] == [1, 2]


def test_a_memory_with_fitted_parameters_forgets_as_fitted_and_can_switch_back():
    weak, default = Memory(parameters=TRUE_PARAMETERS), Memory()
    three_days = DAY0 + timedelta(days=3)
    weak_card, default_card = (m.review(None, True, DAY0).card for m in (weak, default))
    assert weak.retrievability(weak_card, three_days) < default.retrievability(default_card, three_days)
    weak.use_parameters(None)
    assert weak.parameters == DEFAULTS
    assert weak.retrievability(default_card, three_days) == default.retrievability(default_card, three_days)
