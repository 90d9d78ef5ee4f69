"""A progress review in a real browser: the mentor edits the coach's draft and marks it ready, the apprentice
signs from the link in their WhatsApp, the mentor signs for the employer, the provider user logs in and
signs for the training provider; the review locks and its PDF downloads."""

from __future__ import annotations

import subprocess

from sitecoach.models import utcnow
from tests.conftest import run_worker
from tests.web.review_world import (
    EMAILS,
    PASSWORD,
    drafted_review,
    make_world,
    review_link_in_whatsapp,
    run_clock,
)

NEW_ACTION = "- Shadow Priya on two 11kV resin joints before the next review"


def _log_in(page, base: str, who: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=email]", EMAILS[who])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/mentor/")


def test_a_review_is_edited_and_signed_by_all_three_in_the_browser(
    browser, live_server, services, shoot, tmp_path
):
    world = make_world(services)
    run_clock(services, "draft-progress-reviews", utcnow())
    review = drafted_review(services, world.learner)

    mentor_context = browser.new_context(viewport={"width": 1280, "height": 900})
    mentor = mentor_context.new_page()
    _log_in(mentor, live_server, "mentor")
    assert "due" in mentor.inner_text("#learners .review-due")
    mentor.click("text=Jamie Review")
    mentor.click("text=Review 1")
    mentor.wait_for_selector("textarea[name=next_actions]")
    mentor.fill("textarea[name=next_actions]", NEW_ACTION)
    mentor.click("text=Save a new version")
    mentor.wait_for_selector("text=Saved as version 2.")
    shoot(mentor, "edited")
    mentor.click("text=Mark ready for signing")
    mentor.wait_for_selector("text=the learner has their link on WhatsApp")
    run_worker(services)

    apprentice = browser.new_context(viewport={"width": 390, "height": 844}).new_page()  # a phone
    apprentice.goto(live_server + review_link_in_whatsapp(services))
    assert "Shadow Priya" in apprentice.inner_text("body")
    apprentice.check("input[name=agree]")
    apprentice.click("text=Sign my review")
    apprentice.wait_for_selector("text=you've signed your review")
    shoot(apprentice, "apprentice-signed")

    mentor.reload()
    mentor.click("text=Sign for the employer")
    mentor.wait_for_selector("text=Signed.")
    assert "Training provider: not yet" in mentor.inner_text("#signatures")

    provider_context = browser.new_context(viewport={"width": 1280, "height": 900})
    provider = provider_context.new_page()
    _log_in(provider, live_server, "provider")
    provider.click("text=Provider")
    assert "Jamie Review" in provider.inner_text("#provider-learners")
    provider.click("text=review 1: ready")
    assert provider.locator("textarea").count() == 0  # the provider reads, the text is not theirs to edit
    provider.click("text=Sign for the training provider")
    provider.wait_for_selector("text=all three have signed, the review is locked")
    shoot(provider, "locked")

    pdf = provider.request.get(f"{live_server}/mentor/reviews/{review.id}/review.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "review.pdf"
    path.write_bytes(pdf.body())
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, timeout=60).stdout
    assert b"Shadow Priya" in text and b"Dana Provider" in text
    mentor_context.close()
    provider_context.close()
