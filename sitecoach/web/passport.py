"""The authorisation passport on the learner's page: the learner's mentor (or an admin) records
authorisations and practical assessments with evidence attached; provider users of the cohort read them.

Who may do what is `sitecoach.records.access`: reading is `can_see_learner` (others get a 404), recording
and revoking `can_act_as_mentor` (a provider user gets a 403).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlmodel import Session, col, select

from sitecoach.export.csv_files import passport_items_csv
from sitecoach.infra.localtime import local_now
from sitecoach.models import EvidenceItem, Learner, Mentor, PassportAuthorisation, utcnow
from sitecoach.records import access
from sitecoach.records import passport as records
from sitecoach.records.passport_evidence import UploadRefused, store_upload
from sitecoach.web.context import current_services
from sitecoach.web.learner_access import learner_or_404

bp = Blueprint("passport", __name__, url_prefix="/mentor")


def passport_context(session: Session, learner: Learner) -> dict[str, Any]:
    """What the learner page shows of the passport (and, for their mentor, the forms to record with)."""
    settings = current_services().settings
    today = local_now(utcnow(), learner.timezone).date()
    learner_id = int(learner.id or 0)
    evidence = session.exec(
        select(EvidenceItem)
        .where(EvidenceItem.learner_id == learner_id)
        .order_by(col(EvidenceItem.id).desc())
    ).all()
    return {
        "passport": records.learner_passport(
            session, learner, settings.content_pack_path, today, settings.passport_expiry_warn_days
        ),
        "passport_authorisations": records.authorisations(session, learner_id),
        "passport_assessments": records.assessments(session, learner_id),
        "passport_evidence": evidence,
        "passport_today": today,
        "passport_can_record": access.can_act_as_mentor(current_user, learner),
    }


def _date(name: str, required: bool = True) -> date | None:
    raw = (request.form.get(name) or "").strip()
    if not raw and not required:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise records.PassportRecordError(f"{name.replace('_', ' ')}: give a date (YYYY-MM-DD)") from None


def _evidence_id(session: Session, learner: Learner, mentor: Mentor, what: str) -> int | None:
    """The evidence to attach: an uploaded photo/PDF (kept as a new evidence item), else a chosen item."""
    upload = request.files.get("evidence_file")
    if upload is not None and upload.filename:
        services = current_services()
        item = store_upload(
            session,
            learner,
            mentor,
            upload.read(services.settings.media_max_bytes + 1),
            note=f"Passport: {what}",
            media_dir=services.settings.media_path,
            max_bytes=services.settings.media_max_bytes,
            now=utcnow(),
        )
        return int(item.id or 0)
    chosen = (request.form.get("evidence_id") or "").strip()
    return int(chosen) if chosen.isdigit() else None


def _record(learner_id: int, kind: str) -> ResponseReturnValue:
    services = current_services()
    settings = services.settings
    with services.db.session() as session:
        learner = learner_or_404(session, learner_id, act=True)
        mentor = session.get(Mentor, current_user.mentor_id)
        code = (request.form.get("code") or "").strip()
        notes = (request.form.get("notes") or "").strip()
        try:
            step = records.steps_for(session, learner, settings.content_pack_path).step(code)
            what = step.title if step else code
            with session.begin_nested():  # an upload is kept only with the record it belongs to
                evidence_id = _evidence_id(session, learner, mentor, what)
                if kind == records.AUTHORISATION:
                    records.grant_authorisation(
                        session,
                        learner,
                        mentor,
                        category=code,
                        granted_on=_date("granted_on") or date.min,
                        expires_on=_date("expires_on", required=False),
                        evidence_id=evidence_id,
                        notes=notes,
                        now=utcnow(),
                        pack_root=settings.content_pack_path,
                    )
                else:
                    records.record_assessment(
                        session,
                        learner,
                        mentor,
                        assessment=code,
                        assessor=request.form.get("assessor") or "",
                        assessed_on=_date("assessed_on") or date.min,
                        result=(request.form.get("result") or "").strip(),
                        expires_on=_date("expires_on", required=False),
                        evidence_id=evidence_id,
                        notes=notes,
                        now=utcnow(),
                        pack_root=settings.content_pack_path,
                    )
        except (records.PassportRecordError, UploadRefused) as exc:
            flash(str(exc), "error")
            return redirect(url_for("mentor.learner_page", learner_id=learner_id, _anchor="passport"))
    flash(f"Recorded: {what}.", "ok")
    return redirect(url_for("mentor.learner_page", learner_id=learner_id, _anchor="passport"))


@bp.post("/learners/<int:learner_id>/passport/authorisations")
@login_required
def grant(learner_id: int) -> ResponseReturnValue:
    """Record an authorisation category granted to the learner."""
    return _record(learner_id, records.AUTHORISATION)


@bp.post("/learners/<int:learner_id>/passport/assessments")
@login_required
def assess(learner_id: int) -> ResponseReturnValue:
    """Record a practical assessment of the learner (pass or refer)."""
    return _record(learner_id, records.ASSESSMENT)


@bp.post("/passport/authorisations/<int:authorisation_id>/revoke")
@login_required
def revoke(authorisation_id: int) -> ResponseReturnValue:
    """Revoke an authorisation (it stays on the record, marked revoked)."""
    services = current_services()
    with services.db.session() as session:
        row = session.get(PassportAuthorisation, authorisation_id)
        if row is None:
            abort(404)
        learner = learner_or_404(session, row.learner_id, act=True)
        mentor = session.get(Mentor, current_user.mentor_id)
        try:
            records.revoke_authorisation(session, row, mentor, utcnow())
        except records.PassportRecordError as exc:
            flash(str(exc), "error")
        else:
            flash(f"Revoked: {row.title}.", "ok")
    return redirect(url_for("mentor.learner_page", learner_id=learner.id, _anchor="passport"))


@bp.get("/learners/<int:learner_id>/passport.csv")
@login_required
def passport_csv(learner_id: int) -> ResponseReturnValue:
    """The learner's passport as CSV (anyone who may see the learner)."""
    services = current_services()
    settings = services.settings
    with services.db.read_session() as session:
        learner = learner_or_404(session, learner_id)
        today = local_now(utcnow(), learner.timezone).date()
        items, _next = records.portfolio_items(
            session, learner, settings.content_pack_path, today, settings.passport_expiry_warn_days
        )
    body = passport_items_csv(items)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=passport-{learner_id}.csv"},
    )
