"""Readiness predictions against mock-test results: Brier score, base rate and the reliability table."""

from __future__ import annotations

import pytest

from sitecoach.learning.calibration import MockResult, calibration


def test_known_papers_give_the_known_brier_score_and_table():
    papers = [MockResult(0.9, True), MockResult(0.8, False), MockResult(0.2, False), MockResult(0.05, True)]
    c = calibration(papers)
    assert c.count == 4
    assert c.brier == pytest.approx((0.01 + 0.64 + 0.04 + 0.9025) / 4)  # 0.398125
    assert c.base_rate == 0.5 and c.baseline_brier == 0.25
    assert c.skill == pytest.approx(1 - 0.398125 / 0.25)  # worse than the base rate
    table = {b.label: (b.count, b.mean_predicted, b.observed_rate) for b in c.bins}
    assert list(table) == [f"{10 * k}–{10 * k + 10}%" for k in range(10)]
    assert table["0–10%"] == (1, 0.05, 1.0)
    assert table["20–30%"] == (1, 0.2, 0.0)  # a chance on a boundary goes to the upper bin
    assert table["80–90%"] == (1, 0.8, 0.0) and table["90–100%"] == (1, 0.9, 1.0)
    assert table["50–60%"] == (0, None, None)


def test_perfect_predictions_score_zero_and_certainty_lands_in_the_last_bin():
    c = calibration([MockResult(1.0, True), MockResult(0.0, False), MockResult(1.0, True)])
    assert c.brier == 0.0 and c.skill == 1.0
    assert (c.bins[-1].count, c.bins[0].count) == (2, 1)


def test_no_papers_and_one_sided_results_have_no_skill():
    empty = calibration([])
    assert (empty.count, empty.brier, empty.skill) == (0, None, None) and len(empty.bins) == 10
    all_failed = calibration([MockResult(0.3, False), MockResult(0.1, False)])
    assert all_failed.baseline_brier == 0.0 and all_failed.skill is None
    assert all_failed.brier == pytest.approx((0.09 + 0.01) / 2)
    with pytest.raises(ValueError):
        calibration([MockResult(1.2, True)])
