"""Progress reviews on the web for staff: read one (anyone who sees the learner), edit the draft and mark it
ready (the learner's mentor, or an admin), sign it for the employer (the learner's mentor) or the training
provider (a provider user of the learner's cohort); and the provider's page of their cohorts' learners.

Who may do what is asked of `sitecoach.records.access`; a learner the staff member may not see is a 404,
an action they may not take on one they see is a 403.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlmodel import Session, col, select

from sitecoach.export import render_review_pdf
from sitecoach.export.context import export_context
from sitecoach.models import Cohort, Learner, LearnerSnapshot, Mentor, ProgressReview, utcnow
from sitecoach.outreach.review_messages import send_signing_link
from sitecoach.records import access
from sitecoach.records.portfolio import build_portfolio
from sitecoach.records.progress_reviews import (
    ReviewError,
    SignerRole,
    mark_ready,
    reviews_due,
    save_sections,
    sections_of,
    sign,
    version_changes,
    versions_of,
)
from sitecoach.records.review_drafts import SECTION_KEYS, SECTIONS, otj_summary
from sitecoach.web.context import current_services
from sitecoach.web.deliveries import deliver

bp = Blueprint("reviews", __name__)
SOON_DAYS = 14  # the provider page and summary flag reviews due within this many days


def _review_or_404(session: Session, review_id: int) -> tuple[ProgressReview, Learner]:
    """The review and its learner, if the current staff member may see the learner."""
    review = session.get(ProgressReview, review_id)
    learner = session.get(Learner, review.learner_id) if review is not None else None
    if review is None or learner is None or not access.can_see_learner(session, current_user, learner):
        abort(404)
    return review, learner


def _back(review_id: int) -> ResponseReturnValue:
    return redirect(url_for("reviews.review_page", review_id=review_id))


@bp.get("/mentor/reviews/<int:review_id>")
@login_required
def review_page(review_id: int) -> ResponseReturnValue:
    """One review: its text (editable while a draft, for the mentor), versions and signatures."""
    with current_services().db.read_session() as session:
        review, learner = _review_or_404(session, review_id)
        version = request.args.get("version", type=int)
        sections = sections_of(session, review, version)
        versions = versions_of(session, review)
        changes = version_changes(session, review, version or review.version)
        names = {m.id: m.name for m in session.exec(select(Mentor)).all()}
        can = {
            "edit": access.can_act_as_mentor(current_user, learner),
            "employer": access.can_sign_as_employer(current_user, learner),
            "provider": access.can_sign_as_provider(session, current_user, learner),
        }
    return render_template(
        "mentor/review.html",
        review=review,
        learner=learner,
        sections=sections,
        titles=dict(SECTIONS),
        keys=SECTION_KEYS,
        versions=versions,
        shown_version=version or review.version,
        changes=changes,
        names=names,
        can=can,
        now=utcnow(),
    )


@bp.post("/mentor/reviews/<int:review_id>/edit")
@login_required
def edit(review_id: int) -> ResponseReturnValue:
    """Save the mentor's text as a new version (a draft only)."""
    edited = {key: request.form.get(key, "") for key in SECTION_KEYS if key in request.form}
    with current_services().db.session() as session:
        review, learner = _review_or_404(session, review_id)
        if not access.can_act_as_mentor(current_user, learner):
            abort(403)
        try:
            saved = save_sections(session, review, edited, current_user.mentor_id, utcnow())
        except ReviewError as exc:
            flash(str(exc), "error")
            return _back(review_id)
    flash(f"Saved as version {saved}." if saved else "Nothing changed.", "ok")
    return _back(review_id)


@bp.post("/mentor/reviews/<int:review_id>/ready")
@login_required
def ready(review_id: int) -> ResponseReturnValue:
    """Freeze the text for signing and send the learner their link on WhatsApp."""
    services = current_services()
    now = utcnow()
    with services.db.session() as session:
        review, learner = _review_or_404(session, review_id)
        if not access.can_act_as_mentor(current_user, learner):
            abort(403)
        try:
            mark_ready(session, review, now)
        except ReviewError as exc:
            flash(str(exc), "error")
            return _back(review_id)
        row_id = send_signing_link(services, session, learner, review, now)
    deliver(row_id)
    sent = "the learner has their link on WhatsApp" if row_id else "the learner can't be messaged: show them"
    flash(f"Ready for signing: {sent}.", "ok")
    return _back(review_id)


@bp.post("/mentor/reviews/<int:review_id>/sign")
@login_required
def sign_review(review_id: int) -> ResponseReturnValue:
    """Sign for the employer (the learner's mentor) or the training provider (a provider of the cohort)."""
    try:
        role = SignerRole(request.form.get("role", ""))
    except ValueError:
        abort(400)
    with current_services().db.session() as session:
        review, learner = _review_or_404(session, review_id)
        allowed = (
            access.can_sign_as_employer(current_user, learner)
            if role == SignerRole.EMPLOYER
            else role == SignerRole.PROVIDER and access.can_sign_as_provider(session, current_user, learner)
        )
        if not allowed:
            abort(403)
        try:
            locked = sign(session, review, role, current_user.mentor_id, utcnow())
        except ReviewError as exc:
            flash(str(exc), "error")
            return _back(review_id)
    flash("Signed: all three have signed, the review is locked." if locked else "Signed.", "ok")
    return _back(review_id)


@bp.get("/mentor/reviews/<int:review_id>/review.pdf")
@login_required
def pdf(review_id: int) -> ResponseReturnValue:
    """The signed review as a PDF (as in the portfolio export); 404 until it is locked."""
    services = current_services()
    with services.db.read_session() as session:
        review, learner = _review_or_404(session, review_id)
        portfolio = build_portfolio(
            session, services.catalogue(), services.memory, learner, utcnow(), services.settings
        )
    signed = next((r for r in portfolio.reviews if r.number == review.number), None)
    if signed is None:
        abort(404)
    body = render_review_pdf(signed, portfolio.learner_name, export_context(portfolio))
    return body, 200, {"Content-Type": "application/pdf", "Cache-Control": "private, no-store"}


@bp.get("/provider")
@login_required
def provider() -> ResponseReturnValue:
    """A provider user's learners (their cohorts'): reviews due or overdue and off-the-job hours."""
    if not (current_user.is_provider or current_user.is_admin):
        abort(404)
    services = current_services()
    now = utcnow()
    with services.db.read_session() as session:
        cohort_ids = access.provider_cohort_ids(session, current_user)
        query = select(Learner).order_by(col(Learner.name), col(Learner.id))
        if not current_user.is_admin:
            query = query.where(col(Learner.cohort_id).in_(cohort_ids))
        learners = list(session.exec(query).all())
        dues = reviews_due(session, services.settings, learners)
        snaps = {s.learner_id: s for s in session.exec(select(LearnerSnapshot)).all()}
        cohorts = {c.id: c for c in session.exec(select(Cohort)).all()}
        rows = sorted(
            (
                (lr, dues[int(lr.id or 0)], snaps.get(int(lr.id or 0)), cohorts.get(lr.cohort_id))
                + (otj_summary(session, services.settings.content_pack_path, lr, now),)
                for lr in learners
            ),
            key=lambda row: (row[1].due_at, row[0].name or ""),
        )
    return render_template("provider.html", rows=rows, now=now, soon_days=SOON_DAYS)
