"""Admin: a learner's data rights from their page: download everything held about them (a subject access
pack), or erase their personal data after typing their id to confirm. Admins only (others get a 404);
both are POSTs with the CSRF token, and both are written to the admin audit log."""

from __future__ import annotations

import tempfile

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from sitecoach.models import AdminAuditLog, Learner, utcnow
from sitecoach.records.erasure import erase_learner
from sitecoach.records.subject_access import collect_pack, write_pack
from sitecoach.web.auth import admin_required
from sitecoach.web.context import current_services

bp = Blueprint("data_rights", __name__, url_prefix="/admin/learners")


@bp.before_request
@admin_required
def _admins_only() -> None:
    """Every route here: log in first, and non-admins get a 404."""
    return None


def _log(action: str, learner_id: int) -> None:
    with current_services().db.session() as session:
        session.add(
            AdminAuditLog(actor_id=current_user.mentor_id, action=action, target=f"learner {learner_id}")
        )


@bp.post("/<int:learner_id>/export")
def export(learner_id: int) -> ResponseReturnValue:
    """The learner's subject access pack as a ZIP (built in an unnamed temporary file, never left on disk)."""
    services = current_services()
    with services.db.read_session() as session:
        if session.get(Learner, learner_id) is None:
            abort(404)
        pack = collect_pack(session, services.settings, learner_id, utcnow())
    _log("learner.export", learner_id)
    fh = tempfile.TemporaryFile()  # unlinked at once; Flask closes it after the response
    write_pack(pack, fh)
    fh.seek(0)
    return send_file(
        fh,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"learner-{learner_id}-data-{pack.made_at:%Y%m%d}.zip",
        max_age=0,
    )


@bp.route("/<int:learner_id>/erase", methods=["GET", "POST"])
def erase(learner_id: int) -> ResponseReturnValue:
    """Ask for the learner's id to be typed, then erase their personal data."""
    services = current_services()
    with services.db.read_session() as session:
        learner = session.get(Learner, learner_id)
    if learner is None:
        abort(404)
    if request.method == "GET":
        return render_template("admin/erase.html", learner=learner, error=None)
    if (request.form.get("confirm") or "").strip() != str(learner_id):
        error = f"Type {learner_id} to confirm; nothing was erased."
        return render_template("admin/erase.html", learner=learner, error=error), 400
    outcome = erase_learner(
        services.db,
        services.settings,
        learner_id,
        actor=f"admin {current_user.mentor_id}",
        reason="request",
        now=utcnow(),
    )
    if not outcome.already:
        _log("learner.erase", learner_id)
    flash(f"Learner {learner_id}'s personal data is erased; their learning record stays, pseudonymous.", "ok")
    return redirect(url_for("admin.people"))
