"""A 12-weekly progress review from draft to lock: the clock's job drafts it two weeks before it is due, the
mentor edits it (versions) and marks it ready, the apprentice opens the link they got on WhatsApp and signs,
the mentor signs for the employer and a provider user for the training provider; it is then locked, in the
audit chain, in the portfolio export as a PDF, and the next review is due 12 weeks later."""

from __future__ import annotations

import io
import subprocess
import zipfile
from datetime import timedelta

import pytest
from sqlmodel import select

from sitecoach.models import (
    EventKind,
    LearningEvent,
    Message,
    MessageStatus,
    ProgressReview,
    ProgressReviewVersion,
    utcnow,
)
from sitecoach.records.audit import verify_chain
from sitecoach.records.progress_reviews import ReviewError, SignerRole, mark_ready, sign
from tests.conftest import form_token, log_in, run_worker
from tests.web.review_world import (
    EMAILS,
    LEARNER_PHONE,
    PASSWORD,
    STARTED_DAYS_AGO,
    drafted_review,
    make_world,
    review_link_in_whatsapp,
    run_clock,
)

EDITED_ACTION = "- Shadow Priya on two 11kV resin joints before the next review"


def _pdf_text(data: bytes, tmp_path) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "review.pdf"
    path.write_bytes(data)
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, timeout=60
    )
    return done.stdout.decode()


def test_a_review_is_drafted_edited_signed_by_all_three_locked_and_exported(app, services, tmp_path):
    world = make_world(services)
    now = utcnow()
    run_clock(services, "draft-progress-reviews", now)
    review = drafted_review(services, world.learner)
    assert review is not None and review.number == 1 and review.status == "draft"
    assert abs((review.due_at - now) - timedelta(days=84 - STARTED_DAYS_AGO)) < timedelta(minutes=5)

    mentor = app.test_client()
    log_in(mentor, EMAILS["mentor"], PASSWORD)
    learner_page = mentor.get(f"/mentor/learners/{world.learner}").data.decode()
    assert "Review 1" in learner_page and "draft" in learner_page
    page = mentor.get(f"/mentor/reviews/{review.id}").data.decode()
    assert "Competency progress since the last review" in page and "Overall mastery" in page
    assert "30 hours logged (0 verified by the mentor) of 400 planned" in page  # OTJ against the plan
    assert "First review: no actions agreed before." in page

    token = form_token(mentor, f"/mentor/reviews/{review.id}")
    saved = mentor.post(
        f"/mentor/reviews/{review.id}/edit",
        data={"csrf_token": token, "next_actions": EDITED_ACTION},
        follow_redirects=True,
    ).data.decode()
    assert "Saved as version 2." in saved and "Shadow Priya" in saved
    assert "+- Shadow Priya" in saved  # what the version changed, as a diff against the coach's draft
    original = mentor.get(f"/mentor/reviews/{review.id}?version=1").data.decode()
    assert "Shadow Priya" not in original and "Practise" in original  # the coach's draft is kept as v1

    ready = mentor.post(
        f"/mentor/reviews/{review.id}/ready", data={"csrf_token": token}, follow_redirects=True
    )
    assert "the learner has their link on WhatsApp" in ready.data.decode()
    run_worker(services)
    with services.db.read_session() as session:
        sent = session.exec(
            select(Message).where(Message.phone == LEARNER_PHONE, Message.kind == "progress_review")
        ).one()
    assert sent.status != MessageStatus.PENDING and "progress review #1" in sent.body

    apprentice = app.test_client()  # no login: the link is the key
    path = review_link_in_whatsapp(services)
    shown = apprentice.get(path).data.decode()
    assert "Shadow Priya" in shown and "Sign my review" in shown
    assert apprentice.post(f"{path}/sign", data={}).status_code == 400  # must tick "I agree"
    signed = apprentice.post(f"{path}/sign", data={"agree": "yes"}).data.decode()
    assert "you've signed your review" in signed

    mentor.post(f"/mentor/reviews/{review.id}/sign", data={"csrf_token": token, "role": "employer"})
    provider = app.test_client()
    log_in(provider, EMAILS["provider"], PASSWORD)
    provider_token = form_token(provider, f"/mentor/reviews/{review.id}")
    locked = provider.post(
        f"/mentor/reviews/{review.id}/sign",
        data={"csrf_token": provider_token, "role": "provider"},
        follow_redirects=True,
    ).data.decode()
    assert "all three have signed, the review is locked" in locked

    with services.db.read_session() as session:
        events = session.exec(
            select(LearningEvent).where(
                LearningEvent.learner_id == world.learner,
                LearningEvent.kind == EventKind.PROGRESS_REVIEW_SIGNED,
            )
        ).all()
        assert [e.data["number"] for e in events] == [1] and events[0].data["version"] == 2
        assert verify_chain(session).ok
    assert "Locked" in provider.get(f"/mentor/reviews/{review.id}").data.decode()
    # the text can no longer change
    again = mentor.post(
        f"/mentor/reviews/{review.id}/edit",
        data={"csrf_token": token, "next_actions": "changed after signing"},
        follow_redirects=True,
    ).data.decode()
    assert "no longer a draft" in again

    archive = zipfile.ZipFile(io.BytesIO(mentor.get(f"/mentor/learners/{world.learner}/portfolio.zip").data))
    assert "reviews/review-1.pdf" in archive.namelist()
    assert '<a href="reviews/review-1.pdf">Review 1</a>' in archive.read("index.html").decode()
    text = _pdf_text(archive.read("reviews/review-1.pdf"), tmp_path)
    assert "Progress review 1: Jamie Review" in text and "Shadow Priya" in text
    assert "Sam Okafor" in text and "Dana Provider" in text and "Apprentice" in text

    history = mentor.get(f"/mentor/learners/{world.learner}").data.decode()
    next_due = (utcnow() + timedelta(days=84)).strftime("%d %b %Y")
    assert f"Next review due {next_due}" in " ".join(history.split())


def test_a_doubled_clock_or_a_retried_job_drafts_one_review(services):
    world = make_world(services)
    now = utcnow()
    run_clock(services, "draft-progress-reviews", now)
    run_clock(services, "draft-progress-reviews", now + timedelta(minutes=1))
    run_clock(services, "draft-progress-reviews", now + timedelta(days=1))
    with services.db.read_session() as session:
        versions = session.exec(select(ProgressReviewVersion)).all()
    assert len(versions) == 1 and drafted_review(services, world.learner).number == 1


def test_nothing_is_drafted_more_than_two_weeks_before_it_is_due(services):
    world = make_world(services)
    run_clock(services, "draft-progress-reviews", utcnow() - timedelta(days=11))  # due in 15 days then
    assert drafted_review(services, world.learner) is None


def test_the_interval_can_be_set_lower_than_twelve_weeks_but_never_higher(services):
    from sitecoach.settings import Settings

    assert Settings.from_env(env={"PROGRESS_REVIEW_INTERVAL_DAYS": "56"}).progress_review_interval_days == 56
    try:
        Settings.from_env(env={"PROGRESS_REVIEW_INTERVAL_DAYS": "85"})
    except ValueError as exc:
        assert "12 weeks" in str(exc)
    else:
        raise AssertionError("an interval over 84 days was accepted")
    world = make_world(services)
    services.settings = services.settings.with_overrides(progress_review_interval_days=56)
    run_clock(services, "draft-progress-reviews", utcnow())  # 80 days in: 24 days overdue at 56
    review = drafted_review(services, world.learner)
    assert review is not None and review.due_at < utcnow() - timedelta(days=23)


def test_an_erased_learner_gets_no_new_review(services):
    from sitecoach.models import ErasureRecord

    world = make_world(services)
    with services.db.session() as session:
        session.add(ErasureRecord(learner_id=world.learner, actor="admin 1", reason="request"))
    run_clock(services, "draft-progress-reviews", utcnow())
    assert drafted_review(services, world.learner) is None


def test_one_person_cannot_sign_for_both_the_employer_and_the_provider(services):
    world = make_world(services)
    now = utcnow()
    run_clock(services, "draft-progress-reviews", now)
    with services.db.session() as session:
        review = session.get(ProgressReview, drafted_review(services, world.learner).id)
        mark_ready(session, review, now)
        sign(session, review, SignerRole.EMPLOYER, world.mentor, now)
        with pytest.raises(ReviewError, match="both the employer and the provider"):
            sign(session, review, SignerRole.PROVIDER, world.mentor, now)
        assert review.provider_signed_at is None
        assert sign(session, review, SignerRole.PROVIDER, world.provider, now) is False  # the provider may
