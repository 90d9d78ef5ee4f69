"""Admin: a staff member's provider role, safeguarding lead flag and cohorts (the roles of
`sitecoach.records.access`), set from the People page. Admins only: anyone else gets a 404."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlmodel import select

from sitecoach.models import AdminAuditLog, Cohort, Mentor
from sitecoach.records.access import set_staff_roles
from sitecoach.web.auth import admin_required
from sitecoach.web.context import current_services

bp = Blueprint("staff_roles", __name__, url_prefix="/admin")


@bp.before_request
@admin_required
def _admins_only() -> None:
    """Log in first; non-admins get a 404."""
    return None


@bp.post("/staff/<int:staff_id>/roles")
def roles(staff_id: int) -> ResponseReturnValue:
    """Set whether a staff member is a provider user and a DSL, and the cohorts they are linked to."""
    is_provider = request.form.get("is_provider") == "1"
    is_dsl = request.form.get("is_dsl") == "1"
    wanted = {int(c) for c in request.form.getlist("cohort") if c.isdigit()}
    with current_services().db.session() as session:
        staff = session.get(Mentor, staff_id)
        if staff is None:
            abort(404)
        known = set(session.exec(select(Cohort.id)).all())
        if not wanted <= known:
            abort(400)
        if is_dsl and not is_provider:
            flash("A safeguarding lead must be a provider user: tick Provider too.", "error")
            return redirect(url_for("admin.people"))
        set_staff_roles(session, staff, is_provider=is_provider, is_dsl=is_dsl, cohort_ids=sorted(wanted))
        session.add(
            AdminAuditLog(
                actor_id=current_user.mentor_id,
                action="staff.roles",
                target=f"mentor {staff_id}",
                details={"is_provider": is_provider, "is_dsl": is_dsl, "cohorts": sorted(wanted)},
            )
        )
        name = staff.name
    flash(f"{name}: roles saved.", "ok")
    return redirect(url_for("admin.people"))
