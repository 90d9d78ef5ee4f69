"""Calibrated date ranges: the documented rules on known cases, and the shipped calibration's 80% range
checked on simulated learners it was not fitted on (replayed through the product's mastery code)."""

import math
from datetime import date, timedelta

import pytest

from bench.forecast import backtest
from sitecoach.learning.forecast import (
    STATED_COVERAGE,
    Calibration,
    ForecastCase,
    RatioBand,
    calibrate,
    calibrated_days,
    fit_calibration,
    forecast_cases,
    load_calibration,
    measured_coverage,
)
from sitecoach.learning.forgetting import EXPONENTIAL
from sitecoach.learning.trajectory import MasteryPoint, trajectory

TODAY = date(2026, 3, 2)
CAL = Calibration(0.8, (RatioBand(21, 0.5, 1.0, 2.0, 50), RatioBand(400, 0.8, 1.5, 3.0, 50)), measured=0.79)


def test_range_is_the_central_forecast_times_the_bands_ratios():
    assert calibrated_days(10, CAL) == (5, 10, 20)
    assert calibrated_days(100, CAL) == (80, 150, 300)
    assert calibrated_days(500, CAL) == (400, 750, None)  # latest past 3 years: open


def test_an_open_band_top_leaves_the_latest_day_open():
    cal = Calibration(0.8, (RatioBand(400, 0.9, 1.2, math.inf, 10),))
    assert calibrated_days(30, cal) == (27, 36, None)


def test_quantiles_of_uncensored_ratios():
    cases = [ForecastCase(10, 10 * r, 500) for r in range(1, 11)]  # ratios 1..10
    band = fit_calibration(cases).bands[0]
    assert (band.low, band.mid, band.high) == (1.0, 5.0, 9.0)
    assert band.samples == 10


def test_a_censored_forecast_pushes_the_range_out_instead_of_vanishing():
    reached = [ForecastCase(10, 10 * r, 500) for r in range(1, 9)]
    censored = [ForecastCase(10, None, 100), ForecastCase(10, None, 100)]  # not there 10x later
    band = fit_calibration(reached + censored).bands[0]
    assert band.high == math.inf  # two in ten are later than anything seen: the top is open
    assert band.mid == 5.0  # Kaplan-Meier: the censored two still count up to 10x (without them: 4.0)
    assert fit_calibration(reached).bands[0].mid == 4.0


def test_coverage_counts_a_range_that_closed_before_the_target_as_a_miss():
    cases = [
        ForecastCase(10, 10, 500),  # inside 5..20
        ForecastCase(10, 30, 500),  # after the latest day
        ForecastCase(10, None, 100),  # still not there at day 100, the range closed at 20: a miss
        ForecastCase(10, None, 15),  # not there at 15, the range still open then: not judged
    ]
    assert measured_coverage(cases, CAL) == pytest.approx(1 / 3)


def test_calibrate_moves_the_point_and_says_the_measured_odds():
    series = [MasteryPoint(TODAY - timedelta(days=14 - d), 40 + d) for d in range(15)]
    raw = trajectory(series, TODAY, target=85, active_days_14=10)
    central = (raw.predicted - TODAY).days
    t = calibrate(raw, TODAY, CAL)
    low, mid, high = calibrated_days(central, CAL)
    assert (t.predicted_low, t.predicted, t.predicted_high) == tuple(
        TODAY + timedelta(days=n) for n in (low, mid, high)
    )
    assert t.confidence_label == "8 in 10"
    unbacked = Calibration(0.8, CAL.bands, measured=0.6)
    assert calibrate(raw, TODAY, unbacked).confidence_label == "rough"
    assert calibrate(raw, TODAY, None) == raw


def test_backtest_makes_a_forecast_a_week_until_the_target_is_reached():
    series = [MasteryPoint(TODAY + timedelta(days=d), min(100.0, d * 0.5)) for d in range(200)]
    cases = forecast_cases(series, 85)
    assert cases and all(c.actual_days is not None for c in cases)
    assert [c.actual_days for c in cases] == sorted((c.actual_days for c in cases), reverse=True)
    # a steady pace is forecast exactly
    assert all(abs(c.central_days - c.actual_days) <= 1 for c in cases)


def test_the_shipped_80_percent_range_covers_75_to_85_percent_of_held_out_forecasts():
    shipped = load_calibration()
    assert shipped is not None and shipped.coverage == STATED_COVERAGE
    # learners and a seed the shipped calibration never saw (bench/forecast.py fits seed 0)
    cases = backtest(EXPONENTIAL, range(6), days=728, seed=7)
    assert len(cases) > 100
    assert 0.75 <= measured_coverage(cases, shipped) <= 0.85
