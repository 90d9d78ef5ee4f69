"""The restricted safeguarding log (`/safeguarding`): only the designated safeguarding leads of a concern's
cohort read it, add notes (append-only) and record the outcome. An admin without the DSL flag sees how many
concerns are open, nothing more; anyone else is refused. The rules live in `sitecoach.records.safeguarding`.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlmodel import Session

from sitecoach.models import Cohort, ConcernOutcome, Learner, Mentor, SafeguardingConcern, utcnow
from sitecoach.records import safeguarding
from sitecoach.web.auth import login_manager
from sitecoach.web.context import current_services

bp = Blueprint("safeguarding", __name__, url_prefix="/safeguarding")
NOTE_MAX_CHARS = 4000


@bp.before_request
def _staff_only() -> ResponseReturnValue | None:
    """Every page here needs a logged-in staff member (then each view asks the access rules)."""
    if not current_user.is_authenticated:
        denied: ResponseReturnValue = login_manager.unauthorized()
        return denied
    return None


@bp.get("")
@bp.get("/")
def log_page() -> ResponseReturnValue:
    """The concerns this DSL may read, open first; a count alone for an admin without the DSL flag."""
    if not current_user.is_dsl and not current_user.is_admin:
        abort(403)
    with current_services().db.read_session() as session:
        concerns = safeguarding.readable_concerns(session, current_user) if current_user.is_dsl else []
        learners = {c.learner_id: session.get(Learner, c.learner_id) for c in concerns}
        open_count = safeguarding.open_count(session)
    return render_template(
        "safeguarding/log.html", concerns=concerns, learners=learners, open_count=open_count
    )


def _concern_or_404(session: Session, concern_id: int) -> SafeguardingConcern:
    """The concern, if the current staff member may read it (else 404: not even its existence shows)."""
    concern = session.get(SafeguardingConcern, concern_id)
    if concern is None or not safeguarding.can_read(session, current_user, concern):
        abort(404)
    return concern


@bp.get("/<int:concern_id>")
def concern_page(concern_id: int) -> ResponseReturnValue:
    """One concern: the learner's words, who was told, the notes, the outcome."""
    with current_services().db.read_session() as session:
        concern = _concern_or_404(session, concern_id)
        learner = session.get(Learner, concern.learner_id)
        cohort = session.get(Cohort, concern.cohort_id) if concern.cohort_id else None
        notes = safeguarding.notes_of(session, concern_id)
        authors = {n.author_id: session.get(Mentor, n.author_id) for n in notes}
    return render_template(
        "safeguarding/concern.html",
        concern=concern,
        learner=learner,
        cohort=cohort,
        notes=notes,
        authors=authors,
        outcomes=[o.value for o in ConcernOutcome],
    )


@bp.post("/<int:concern_id>")
def update(concern_id: int) -> ResponseReturnValue:
    """Append a note and/or record the outcome and status."""
    note = (request.form.get("note") or "").strip()[:NOTE_MAX_CHARS]
    outcome = request.form.get("outcome") or None
    if outcome is not None and outcome not in {o.value for o in ConcernOutcome}:
        abort(400)
    with current_services().db.session() as session:
        concern = _concern_or_404(session, concern_id)
        now = utcnow()
        if note:
            safeguarding.add_note(session, concern, current_user, note, now)
        safeguarding.decide(session, concern, outcome, request.form.get("status") == "closed", now)
    flash("Saved.")
    return redirect(url_for("safeguarding.concern_page", concern_id=concern_id))
