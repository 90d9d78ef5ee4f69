"""Tests for badges: exact thresholds, once only, no skipped levels, Polymath, and the award time."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sitecoach.learning.badges import BADGE_LEVELS, POLYMATH_MIN_MASTER_AREAS, Badge, new_badges

NOW = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
TITLES = {"ISO": "Isolation and proving dead", "CAB": "Cable types", "JNT": "Jointing", "SAF": "Safety"}


def _keys(badges):
    return [b.key for b in badges]


def test_constants_are_as_documented():
    assert BADGE_LEVELS == (("Novice", 25.0), ("Adept", 60.0), ("Master", 85.0))
    assert POLYMATH_MIN_MASTER_AREAS == 3


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
    assert _keys(new_badges({"ISO": score}, TITLES, (), NOW)) == expected


def test_badge_fields():
    (badge,) = new_badges({"ISO": 30.0}, TITLES, (), NOW)
    assert badge == Badge("area:ISO:Novice", "Novice · Isolation and proving dead", "ISO", "Novice", NOW)


def test_area_code_stands_in_for_a_missing_title():
    (badge,) = new_badges({"XYZ": 30.0}, {}, (), NOW)
    assert badge.name == "Novice · XYZ"


def test_each_badge_is_awarded_once():
    first = new_badges({"ISO": 65.0}, TITLES, (), NOW)
    assert _keys(first) == ["area:ISO:Novice", "area:ISO:Adept"]
    assert new_badges({"ISO": 65.0}, TITLES, _keys(first), NOW) == []
    later = new_badges({"ISO": 90.0}, TITLES, _keys(first), NOW + timedelta(days=3))
    assert _keys(later) == ["area:ISO:Master"]


def test_badges_are_not_taken_back_or_re_awarded_after_decay():
    held = _keys(new_badges({"ISO": 70.0}, TITLES, (), NOW))
    assert new_badges({"ISO": 20.0}, TITLES, held, NOW) == []
    assert new_badges({"ISO": 70.0}, TITLES, held, NOW) == []


def test_jump_to_master_awards_all_three_ordered_by_area_then_level():
    badges = new_badges({"JNT": 88.0, "CAB": 61.0}, TITLES, (), NOW)
    assert _keys(badges) == [
        "area:CAB:Novice",
        "area:CAB:Adept",
        "area:JNT:Novice",
        "area:JNT:Adept",
        "area:JNT:Master",
    ]
    assert [b.name for b in badges][-1] == "Master · Jointing"


def test_polymath_at_three_master_areas():
    two = new_badges({"ISO": 90.0, "CAB": 86.0, "JNT": 84.9}, TITLES, (), NOW)
    assert "polymath" not in _keys(two)
    three = new_badges({"ISO": 90.0, "CAB": 86.0, "JNT": 85.0}, TITLES, (), NOW)
    assert _keys(three)[-1] == "polymath"
    assert three[-1] == Badge("polymath", "Polymath", None, "Polymath", NOW)
    assert new_badges({"ISO": 90.0, "CAB": 86.0, "JNT": 85.0}, TITLES, _keys(three), NOW) == []


def test_polymath_counts_master_badges_already_held():
    held = ["area:ISO:Novice", "area:ISO:Adept", "area:ISO:Master", "area:CAB:Master"]
    badges = new_badges({"ISO": 70.0, "CAB": 80.0, "JNT": 85.0}, TITLES, held, NOW)
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
    assert _keys(new_badges(scores, TITLES, (), NOW)) == _keys(new_badges(reordered, TITLES, (), NOW))


def test_awarded_at_is_now_in_utc():
    bst = timezone(timedelta(hours=1))
    local = datetime(2026, 6, 1, 18, 0, tzinfo=bst)
    badges = new_badges({"ISO": 90.0}, TITLES, (), local)
    assert all(b.awarded_at == local and b.awarded_at.tzinfo == UTC for b in badges)
    assert badges[0].awarded_at == datetime(2026, 6, 1, 17, 0, tzinfo=UTC)


def test_naive_now_refused():
    with pytest.raises(ValueError, match="naive"):
        new_badges({"ISO": 90.0}, TITLES, (), datetime(2026, 3, 2, 17, 30))
