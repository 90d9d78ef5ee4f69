"""The apprentice's side of a progress review: a signed, expiring link (sent on WhatsApp when the mentor marks
the review ready) to read it and sign it, with no login; an expired link offers a fresh one on WhatsApp.

The token in the URL is the credential (as for lesson links), so the forms need no session CSRF token; the
blueprint is exempted where it is registered.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from sitecoach.infra.links import LinkExpired, LinkInvalid, ReviewLink
from sitecoach.models import Consent, Learner, Mentor, ProgressReview, ProgressReviewStatus, utcnow
from sitecoach.outreach.review_messages import send_fresh_link
from sitecoach.records.progress_reviews import ReviewError, SignerRole, sections_of, sign
from sitecoach.records.review_drafts import SECTIONS
from sitecoach.web.context import current_services
from sitecoach.web.deliveries import deliver

bp = Blueprint("review_links", __name__)


@bp.after_request
def _private(response: Response) -> Response:
    """The URL carries a credential: keep it out of shared caches, referrers and search engines."""
    response.cache_control.private = True
    response.cache_control.no_store = True
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _read(token: str) -> ReviewLink | None:
    """The link behind a token (None if expired); 403 if tampered with."""
    try:
        return current_services().links.read_review(token)
    except LinkExpired:
        return None
    except LinkInvalid:
        abort(403)


def _page(token: str, link: ReviewLink, signed_now: bool = False, error: str | None = None) -> str:
    with current_services().db.read_session() as session:
        review = session.get(ProgressReview, link.review_id)
        learner = session.get(Learner, link.learner_id)
        if review is None or learner is None or review.learner_id != learner.id:
            abort(404)
        if review.status == ProgressReviewStatus.DRAFT:
            abort(404)  # not ready for them yet (a link is only sent once it is)
        mentor = session.get(Mentor, learner.mentor_id) if learner.mentor_id else None
        sections = sections_of(session, review)
    return render_template(
        "review_sign.html",
        token=token,
        review=review,
        learner=learner,
        mentor=mentor,
        sections=[(title, sections[key]) for key, title in SECTIONS],
        signed_now=signed_now,
        error=error,
    )


@bp.get("/review/<token>")
def review(token: str) -> ResponseReturnValue:
    """The review as the learner reads it, with a button to sign."""
    link = _read(token)
    if link is None:
        return render_template("review_link_expired.html", token=token), 410
    return _page(token, link)


@bp.post("/review/<token>/sign")
def sign_review(token: str) -> ResponseReturnValue:
    """The learner signs (once; the third signature locks the review)."""
    link = _read(token)
    if link is None:
        return render_template("review_link_expired.html", token=token), 410
    if request.form.get("agree") != "yes":
        return _page(token, link, error="Tick the box to say you have read it and agree it."), 400
    with current_services().db.session() as session:
        review = session.get(ProgressReview, link.review_id)
        if review is None or review.learner_id != link.learner_id:
            abort(404)
        try:
            sign(session, review, SignerRole.LEARNER, None, utcnow())
        except ReviewError as exc:
            return _page(token, link, error=str(exc)), 409
    return _page(token, link, signed_now=True)


@bp.post("/review/refresh")
def refresh() -> ResponseReturnValue:
    """Send a fresh link on WhatsApp for a genuine but expired one (at most once a day per review)."""
    services = current_services()
    token = request.form.get("token", "")
    try:
        services.links.read_review(token)
    except LinkExpired as exc:
        learner_id, review_id = exc.learner_id, exc.review_id
    except LinkInvalid:
        abort(403)
    else:
        return redirect(url_for(".review", token=token), code=303)  # still valid: just open it
    if learner_id is None or review_id is None:
        abort(403)
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        row = session.get(ProgressReview, review_id)
        if learner is None or row is None or row.learner_id != learner.id:
            abort(403)
        if learner.consent not in (Consent.OPTED_IN, Consent.DECLINED):
            return render_template("lesson_fresh_link.html", status="not_opted_in", what="review")
        message_id = send_fresh_link(services, session, learner, row, utcnow())
    deliver(message_id)
    return render_template("lesson_fresh_link.html", status="sent", what="progress review")
