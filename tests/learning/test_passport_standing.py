"""The passport's standing on a day: current, expiring, expired, referred, and the next step (golden)."""

from __future__ import annotations

from datetime import date

from sitecoach.learning.passport import (
    PassportEntry,
    Standing,
    expiry_thresholds,
    passport_status,
    threshold_crossed,
)

ORDER = ["SUP", "LV-STRAIGHT", "COMPETENT", "AP-LV"]
TODAY = date(2026, 12, 7)


def entry(record_id, code, on, expires, passed=True, kind="authorisation"):
    return PassportEntry(record_id, kind, code, code.title(), on, expires, "Pat", passed)


def test_each_record_stands_by_its_expiry_and_the_next_step_is_the_first_not_held_in_date():
    status = passport_status(
        ORDER,
        [
            entry(1, "SUP", date(2026, 1, 5), date(2027, 1, 5)),  # 29 days left: expiring
            entry(2, "LV-STRAIGHT", date(2023, 6, 1), date(2026, 6, 1), kind="assessment"),  # expired
            entry(3, "COMPETENT", date(2026, 11, 1), None),  # no expiry: current
        ],
        TODAY,
        warn_days=30,
    )
    assert [e.code for e in status.current] == ["COMPETENT"]
    assert [e.code for e in status.expiring] == ["SUP"]
    assert [e.code for e in status.expired] == ["LV-STRAIGHT"]
    assert status.next_code == "LV-STRAIGHT"  # renewing comes before AP-LV in the employer's order


def test_a_pass_after_a_referral_counts_and_a_referral_alone_is_referred():
    passed_later = [
        entry(1, "LV-STRAIGHT", date(2026, 10, 1), None, passed=False, kind="assessment"),
        entry(2, "LV-STRAIGHT", date(2026, 11, 1), date(2029, 11, 1), kind="assessment"),
    ]
    status = passport_status(ORDER, passed_later, TODAY, 30)
    assert [e.record_id for e in status.current] == [2] and not status.referred
    status = passport_status(ORDER, passed_later[:1], TODAY, 30)
    assert [e.standing(TODAY, 30) for e in status.referred] == [Standing.REFERRED]
    assert status.next_code == "SUP"


def test_everything_held_in_date_leaves_no_next_step():
    held = [entry(i, code, date(2026, 1, 1), date(2028, 1, 1)) for i, code in enumerate(ORDER)]
    assert passport_status(ORDER, held, TODAY, 30).next_code is None


def test_thresholds_are_the_warning_a_week_and_the_day():
    assert expiry_thresholds(30) == (30, 7, 0)
    assert expiry_thresholds(5) == (5, 0)
    item = entry(1, "SUP", date(2026, 1, 1), date(2027, 1, 7))
    assert threshold_crossed(item, TODAY, 30) is None  # 31 days left
    assert threshold_crossed(item, date(2026, 12, 8), 30) == 30
    assert threshold_crossed(item, date(2026, 12, 31), 30) == 7
    assert threshold_crossed(item, date(2027, 1, 7), 30) == 0
    assert threshold_crossed(item, date(2027, 3, 1), 30) is None  # long lapsed: no more reminders
