"""Tests for badges: exact thresholds, once only, no skipped levels, Polymath, and the award time."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sitecoach.learning.badges import BADGE_LEVELS, MIN_DAYS, POLYMATH_MIN_MASTER_AREAS, Badge, new_badges

NOW = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
TITLES = {"ISO": "Isolation and proving dead", "CAB": "Cable types", "JNT": "Jointing", "SAF": "Safety"}


def _keys(badges):
    return [b.key for b in badges]


def _award(by_area, titles, held, now):
    """Badges for mastery shown at the end of two study days (yesterday and today)."""
    today = now.date()
    days = [(today - timedelta(days=1), by_area), (today, by_area)]
    return new_badges(days, {d for d, _ in days}, titles, held, now)


def test_constants_are_as_documented():
    assert BADGE_LEVELS == (("Novice", 25.0), ("Adept", 60.0), ("Master", 85.0))
    assert POLYMATH_MIN_MASTER_AREAS == 3
    assert MIN_DAYS == 2


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (24.9, []),
        (25.0, ["area:ISO:Novice"]),
        (59.9, ["area:ISO:Novice"]),
        (60.0, ["area:ISO:Novice", "area:ISO:Adept"]),
        (84.9, ["area:ISO:Novice", "area:ISO:Adept"]),
        (85.0, ["area:ISO:Novice", "area:ISO:Adept", "area:ISO:Master"]),
    ],
)
def test_thresholds_are_exact(score, expected):
    assert _keys(_award({"ISO": score}, TITLES, (), NOW)) == expected


def test_badge_fields():
    (badge,) = _award({"ISO": 30.0}, TITLES, (), NOW)
    assert badge == Badge("area:ISO:Novice", "Novice · Isolation and proving dead", "ISO", "Novice", NOW)


def test_area_code_stands_in_for_a_missing_title():
    (badge,) = _award({"XYZ": 30.0}, {}, (), NOW)
    assert badge.name == "Novice · XYZ"


def test_each_badge_is_awarded_once():
    first = _award({"ISO": 65.0}, TITLES, (), NOW)
    assert _keys(first) == ["area:ISO:Novice", "area:ISO:Adept"]
    assert _award({"ISO": 65.0}, TITLES, _keys(first), NOW) == []
    later = _award({"ISO": 90.0}, TITLES, _keys(first), NOW + timedelta(days=3))
    assert _keys(later) == ["area:ISO:Master"]


def test_badges_are_not_taken_back_or_re_awarded_after_decay():
    held = _keys(_award({"ISO": 70.0}, TITLES, (), NOW))
    assert _award({"ISO": 20.0}, TITLES, held, NOW) == []
    assert _award({"ISO": 70.0}, TITLES, held, NOW) == []


def test_jump_to_master_awards_all_three_ordered_by_area_then_level():
    badges = _award({"JNT": 88.0, "CAB": 61.0}, TITLES, (), NOW)
    assert _keys(badges) == [
        "area:CAB:Novice",
        "area:CAB:Adept",
        "area:JNT:Novice",
        "area:JNT:Adept",
        "area:JNT:Master",
    ]
    assert [b.name for b in badges][-1] == "Master · Jointing"


def test_polymath_at_three_master_areas():
    two = _award({"ISO": 90.0, "CAB": 86.0, "JNT": 84.9}, TITLES, (), NOW)
    assert "polymath" not in _keys(two)
    three = _award({"ISO": 90.0, "CAB": 86.0, "JNT": 85.0}, TITLES, (), NOW)
    assert _keys(three)[-1] == "polymath"
    assert three[-1] == Badge("polymath", "Polymath", None, "Polymath", NOW)
    assert _award({"ISO": 90.0, "CAB": 86.0, "JNT": 85.0}, TITLES, _keys(three), NOW) == []


def test_polymath_counts_master_badges_already_held():
    held = ["area:ISO:Novice", "area:ISO:Adept", "area:ISO:Master", "area:CAB:Master"]
    badges = _award({"ISO": 70.0, "CAB": 80.0, "JNT": 85.0}, TITLES, held, NOW)
    # ISO's Master was held already; CAB's Master was held though CAB has since decayed to 80.
    assert _keys(badges) == [
        "area:CAB:Novice",
        "area:CAB:Adept",
        "area:JNT:Novice",
        "area:JNT:Adept",
        "area:JNT:Master",
        "polymath",
    ]


def test_order_is_deterministic_whatever_the_mapping_order():
    scores = {"SAF": 90.0, "ISO": 90.0, "JNT": 90.0, "CAB": 30.0}
    reordered = dict(reversed(list(scores.items())))
    assert _keys(_award(scores, TITLES, (), NOW)) == _keys(_award(reordered, TITLES, (), NOW))


def test_awarded_at_is_now_in_utc():
    bst = timezone(timedelta(hours=1))
    local = datetime(2026, 6, 1, 18, 0, tzinfo=bst)
    badges = _award({"ISO": 90.0}, TITLES, (), local)
    assert all(b.awarded_at == local and b.awarded_at.tzinfo == UTC for b in badges)
    assert badges[0].awarded_at == datetime(2026, 6, 1, 17, 0, tzinfo=UTC)


def test_one_sitting_earns_nothing_however_high():
    today = NOW.date()
    assert new_badges([(today, {"ISO": 95.0})], {today}, TITLES, (), NOW) == []


def test_a_level_needs_two_separate_study_days_at_or_above_it():
    d1, d2, d3 = (NOW.date() - timedelta(days=n) for n in (2, 1, 0))
    days = [(d1, {"ISO": 70.0}), (d2, {"ISO": 90.0}), (d3, {"ISO": 62.0})]
    # Adept shown on three study days, Master on one: Novice and Adept only
    assert _keys(new_badges(days, {d1, d2, d3}, TITLES, (), NOW)) == ["area:ISO:Novice", "area:ISO:Adept"]


def test_a_day_without_study_does_not_count_however_high_mastery_still_stands():
    d1, d2 = NOW.date() - timedelta(days=1), NOW.date()
    days = [(d1, {"ISO": 90.0}), (d2, {"ISO": 89.0})]  # studied yesterday only; today it still stands
    assert new_badges(days, {d1}, TITLES, (), NOW) == []
    assert _keys(new_badges(days, {d1, d2}, TITLES, (), NOW))[-1] == "area:ISO:Master"


def test_naive_now_refused():
    with pytest.raises(ValueError, match="naive"):
        _award({"ISO": 90.0}, TITLES, (), datetime(2026, 3, 2, 17, 30))
