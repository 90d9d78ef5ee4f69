"""Off-the-job hours by the funding rules: golden values worked out by hand in the comments."""

from datetime import date

import pytest

from sitecoach.learning.otj import (
    FUNDING_FLOOR_HOURS,
    LearningBreak,
    OtjContract,
    OtjRule,
    PriorLearning,
    plan_hours,
    progress,
)

# 2 Sep 2024 to 7 Sep 2026: 735 days = 105 weeks; statutory leave 735 / 365.25 * 5.6 = 11.27 weeks;
# 93.73 working weeks.
OLD_START, OLD_END = date(2024, 9, 2), date(2026, 9, 7)
NEW_START, NEW_END = date(2025, 9, 1), date(2028, 3, 1)  # 912 days
ST1332_MINIMUM = 720.0


def test_a_start_before_august_2025_plans_twenty_percent_of_a_full_time_contract_capped_at_6_hours_a_week():
    plan = plan_hours(OtjContract(OLD_START, OLD_END, weekly_hours=37.5), published_minimum=ST1332_MINIMUM)
    assert plan.rule == OtjRule.TWENTY_PERCENT
    assert plan.hours == 562.4  # 30 h counted (37.5 is over the cap) * 20% = 6 h * 93.73 weeks


def test_over_30_hours_counts_as_30():
    over = plan_hours(OtjContract(OLD_START, OLD_END, weekly_hours=45), None)
    at_cap = plan_hours(OtjContract(OLD_START, OLD_END, weekly_hours=30), None)
    assert over.hours == at_cap.hours == 562.4


def test_a_part_time_contract_before_august_2025_plans_twenty_percent_of_its_hours():
    plan = plan_hours(OtjContract(OLD_START, OLD_END, weekly_hours=20), None)
    assert plan.hours == 374.9  # 20 h * 20% = 4 h * 93.73 weeks


def test_a_start_from_august_2025_plans_the_standards_published_minimum_whatever_the_contract():
    full = plan_hours(OtjContract(NEW_START, NEW_END, weekly_hours=37.5), ST1332_MINIMUM)
    part = plan_hours(OtjContract(NEW_START, NEW_END, weekly_hours=16), ST1332_MINIMUM)
    assert full.rule == OtjRule.PUBLISHED_MINIMUM
    assert full.hours == part.hours == 720.0
    on_the_day = plan_hours(OtjContract(date(2025, 8, 1), NEW_END, weekly_hours=37.5), ST1332_MINIMUM)
    assert on_the_day.rule == OtjRule.PUBLISHED_MINIMUM
    day_before = plan_hours(OtjContract(date(2025, 7, 31), NEW_END, weekly_hours=37.5), ST1332_MINIMUM)
    assert day_before.rule == OtjRule.TWENTY_PERCENT


def test_a_start_from_august_2025_needs_the_published_minimum():
    with pytest.raises(ValueError):
        plan_hours(OtjContract(NEW_START, NEW_END, weekly_hours=37.5), None)


def test_prior_learning_reduces_the_plan_but_never_below_the_187_hour_funding_floor():
    rpl = (PriorLearning(120, "Level 2 electrical installation"), PriorLearning(30.5, "LV jointing course"))
    plan = plan_hours(OtjContract(NEW_START, NEW_END, 37.5, rpl), ST1332_MINIMUM)
    assert (plan.base_hours, plan.reduction_hours, plan.hours) == (720.0, 150.5, 569.5)
    assert not plan.floor_applied
    big = plan_hours(
        OtjContract(NEW_START, NEW_END, 37.5, (PriorLearning(600, "ex-jointer"),)), ST1332_MINIMUM
    )
    assert big.hours == FUNDING_FLOOR_HOURS == 187.0 and big.floor_applied
    # Before August 2025 the reduction comes off the 20% figure and there is no floor.
    old = plan_hours(OtjContract(OLD_START, OLD_END, 37.5, (PriorLearning(500, "ex-jointer"),)), None)
    assert old.hours == 62.4 and not old.floor_applied


def test_a_new_start_planned_for_under_8_months_is_flagged():
    plan = plan_hours(OtjContract(NEW_START, date(2026, 3, 1), 37.5), ST1332_MINIMUM)
    assert plan.too_short
    assert not plan_hours(OtjContract(NEW_START, NEW_END, 37.5), ST1332_MINIMUM).too_short


def test_on_track_is_the_plan_pro_rata_over_the_planned_duration():
    contract = OtjContract(NEW_START, NEW_END, 37.5)
    plan = plan_hours(contract, ST1332_MINIMUM)
    day = date(2026, 3, 1)  # 181 of 912 days: 720 * 181 / 912 = 142.9 hours expected
    ahead = progress(contract, plan, (), day, logged_hours=140, verified_hours=100)
    assert ahead.expected_hours == 142.9
    assert ahead.on_track  # 2.9 hours short is within a day's training
    behind = progress(contract, plan, (), day, logged_hours=120, verified_hours=120)
    assert behind.behind
    assert behind.end == NEW_END
    after_the_end = progress(contract, plan, (), date(2029, 1, 1), logged_hours=720, verified_hours=720)
    assert after_the_end.expected_hours == 720.0 and after_the_end.on_track


def test_time_on_a_break_is_left_out_and_moves_the_planned_end():
    contract = OtjContract(NEW_START, NEW_END, 37.5)
    plan = plan_hours(contract, ST1332_MINIMUM)
    breaks = (LearningBreak(date(2025, 12, 1), date(2026, 1, 30)),)  # 60 days away
    day = date(2026, 3, 1)  # 181 days since the start, 121 in learning: 720 * 121 / 912 = 95.5
    p = progress(contract, plan, breaks, day, logged_hours=96, verified_hours=50)
    assert p.expected_hours == 95.5 and p.on_track and not p.on_break
    assert p.end == date(2028, 4, 30)  # 1 March 2028 plus 60 days
    # During an open break the expected hours stand still.
    still = (LearningBreak(date(2026, 2, 1)),)
    first = progress(contract, plan, still, date(2026, 2, 10), logged_hours=0, verified_hours=0)
    later = progress(contract, plan, still, date(2026, 4, 10), logged_hours=0, verified_hours=0)
    assert first.on_break and later.on_break
    assert first.expected_hours == later.expected_hours == 120.8  # 153 days in learning: 720 * 153 / 912
