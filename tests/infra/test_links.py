"""Tests for signed, expiring lesson links."""

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from sitecoach.infra.links import LESSON_SALT, LessonLink, LinkExpired, LinkInvalid, LinkSigner

SECRET = "test-secret-key-0123456789"
BASE = "https://coach.example.test"
DAY = 86400


@pytest.fixture
def signer():
    return LinkSigner(SECRET, BASE, max_age_days=14)


@pytest.fixture
def clock(monkeypatch):
    """Control the timestamps itsdangerous signs and checks with."""
    now = {"t": 1_780_000_000}
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now["t"])
    return now


def test_link_round_trips_learner_and_lesson(signer):
    token = signer.token(42, "L07")
    assert signer.read(token) == LessonLink(learner_id=42, lesson_code="L07")


def test_lesson_url_is_under_the_public_base(signer):
    url = signer.lesson_url(7, "L01")
    assert url.startswith(f"{BASE}/lesson/")
    token = url.rsplit("/", 1)[1]
    assert signer.read(token) == LessonLink(7, "L01")


def test_trailing_slash_on_base_url_is_not_doubled():
    url = LinkSigner(SECRET, BASE + "/", 14).lesson_url(1, "L02")
    assert url.startswith(f"{BASE}/lesson/")
    assert "//lesson" not in url


def test_token_is_safe_in_a_url_path(signer):
    token = signer.token(123456, "L20")
    assert "/" not in token and "?" not in token and "#" not in token and " " not in token


def test_tampered_token_is_invalid(signer):
    token = signer.token(42, "L07")
    first = "B" if token[0] != "B" else "C"
    with pytest.raises(LinkInvalid):
        signer.read(first + token[1:])


def test_swapping_in_another_learners_payload_is_invalid(signer):
    mine = signer.token(42, "L07")
    theirs = signer.token(43, "L07")
    payload_of_theirs = theirs.split(".")[0]
    forged = ".".join([payload_of_theirs, *mine.split(".")[1:]])
    assert forged != theirs
    with pytest.raises(LinkInvalid):
        signer.read(forged)


@pytest.mark.parametrize("junk", ["", "not-a-token", "a.b.c", "lesson/L07"])
def test_junk_is_invalid(signer, junk):
    with pytest.raises(LinkInvalid):
        signer.read(junk)


def test_token_signed_with_another_secret_is_invalid(signer):
    other = LinkSigner("some-other-secret", BASE, max_age_days=14)
    with pytest.raises(LinkInvalid):
        signer.read(other.token(42, "L07"))


def test_token_for_another_purpose_is_invalid(signer):
    # Same secret, different salt: a token made for something else is not a lesson link.
    other_purpose = URLSafeTimedSerializer(SECRET, salt="password-reset").dumps({"l": 42, "s": "L07"})
    with pytest.raises(LinkInvalid):
        signer.read(other_purpose)


def test_genuine_token_with_the_wrong_shape_is_invalid(signer):
    wrong_shape = URLSafeTimedSerializer(SECRET, salt=LESSON_SALT).dumps(["L07", 42])
    with pytest.raises(LinkInvalid, match="malformed"):
        signer.read(wrong_shape)


def test_link_works_until_it_is_max_age_old(signer, clock):
    token = signer.token(42, "L07")
    clock["t"] += 14 * DAY
    assert signer.read(token) == LessonLink(42, "L07")


def test_expired_link_says_who_and_what_it_was_for(signer, clock):
    token = signer.token(42, "L07")
    clock["t"] += 15 * DAY
    with pytest.raises(LinkExpired) as info:
        signer.read(token)
    assert info.value.learner_id == 42
    assert info.value.lesson_code == "L07"
    assert not isinstance(info.value, LinkInvalid)


def test_old_forged_link_is_invalid_not_expired(signer, clock):
    # A forgery must never be told apart as "expired", which would offer a fresh genuine link.
    forged = LinkSigner("another-secret", BASE, 14).token(42, "L07")
    genuine = signer.token(42, "L07")
    clock["t"] += 30 * DAY
    with pytest.raises(LinkInvalid):
        signer.read(forged)
    with pytest.raises(LinkExpired):
        signer.read(genuine)


def test_zero_day_links_expire_after_a_second():
    signer = LinkSigner(SECRET, BASE, max_age_days=0)
    token = signer.token(9, "L03")
    time.sleep(1.1)
    with pytest.raises(LinkExpired) as info:
        signer.read(token)
    assert (info.value.learner_id, info.value.lesson_code) == (9, "L03")
