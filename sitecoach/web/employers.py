"""Admin > Employers: each employer's own list of authorisation categories and practical assessment types
(edited as YAML, validated like the content pack's default), and which employer each cohort works for."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlmodel import col, select

from sitecoach.curriculum.passport_spec import PassportError, parse_passport_yaml, passport_yaml
from sitecoach.models import AdminAuditLog, Cohort, Employer
from sitecoach.records.passport import employer_steps
from sitecoach.web.auth import admin_required
from sitecoach.web.context import current_services

bp = Blueprint("employers", __name__, url_prefix="/admin/employers")


@bp.before_request
@admin_required
def _admins_only() -> None:
    """Every route here: admins only (others get a 404)."""
    return None


@bp.get("")
def listing() -> ResponseReturnValue:
    """Employers with their passport lists, and the cohorts' employers."""
    services = current_services()
    pack_root = services.settings.content_pack_path
    with services.db.read_session() as session:
        employers = session.exec(select(Employer).order_by(col(Employer.name))).all()
        cohorts = session.exec(select(Cohort).order_by(col(Cohort.name))).all()
        lists = {e.id: passport_yaml(employer_steps(e, pack_root)) for e in employers}
    return render_template("admin/employers.html", employers=employers, cohorts=cohorts, lists=lists)


@bp.post("")
def create() -> ResponseReturnValue:
    """Add an employer (starting from the content pack's default list)."""
    name = (request.form.get("name") or "").strip()[:120]
    if not name:
        flash("Give the employer a name.", "error")
        return redirect(url_for("employers.listing"))
    services = current_services()
    with services.db.session() as session:
        if session.exec(select(Employer).where(Employer.name == name)).first() is not None:
            flash(f"{name} is already listed.", "error")
            return redirect(url_for("employers.listing"))
        employer = Employer(name=name)
        session.add(employer)
        session.flush()
        session.add(_audit("employer_added", f"employer:{employer.id}", name=name))
    flash(f"Added {name}.", "ok")
    return redirect(url_for("employers.listing"))


@bp.post("/<int:employer_id>/passport")
def edit_passport(employer_id: int) -> ResponseReturnValue:
    """Save the employer's list (validated against the pack's competencies and lessons), or reset it."""
    services = current_services()
    catalogue = services.catalogue()
    with services.db.session() as session:
        employer = session.get(Employer, employer_id)
        if employer is None:
            return redirect(url_for("employers.listing"))
        if request.form.get("action") == "reset":
            employer.passport = {}
        else:
            try:
                steps = parse_passport_yaml(
                    request.form.get("passport") or "",
                    employer.name,
                    catalogue.competencies,
                    catalogue.lessons,
                )
            except PassportError as exc:
                flash(str(exc), "error")
                return redirect(url_for("employers.listing"))
            employer.passport = steps.to_data()
        session.add(employer)
        session.add(
            _audit(
                "employer_passport_edited",
                f"employer:{employer_id}",
                steps=len(employer.passport.get("steps", [])),
            )
        )
    flash(f"Saved {employer.name}'s passport list.", "ok")
    return redirect(url_for("employers.listing"))


@bp.post("/cohorts/<int:cohort_id>")
def assign_cohort(cohort_id: int) -> ResponseReturnValue:
    """Set (or clear) the employer a cohort works for."""
    chosen = request.form.get("employer_id", type=int)
    services = current_services()
    with services.db.session() as session:
        cohort = session.get(Cohort, cohort_id)
        if cohort is not None and (chosen is None or session.get(Employer, chosen) is not None):
            cohort.employer_id = chosen
            session.add(cohort)
            session.add(_audit("cohort_employer_set", f"cohort:{cohort_id}", employer=chosen))
            flash(f"{cohort.name}: employer saved.", "ok")
    return redirect(url_for("employers.listing"))


def _audit(action: str, target: str, **details: object) -> AdminAuditLog:
    return AdminAuditLog(actor_id=current_user.mentor_id, action=action, target=target, details=details)
