"""Off-the-job hours and breaks in learning on the web: a mentor (or admin) records a learner's
apprenticeship agreement, verifies or queries each entry of hours, and starts and ends breaks; an admin
sets a standard's minimum OTJ hours. The learner hears about queries and breaks on WhatsApp."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlmodel import Session, select

from sitecoach.curriculum.pack import published_otj_minimum
from sitecoach.infra.enqueue import enqueue_delivery
from sitecoach.models import Learner, LearningBreak, Mentor, Message, Standard, utcnow
from sitecoach.outreach import off_the_job
from sitecoach.records import access, breaks
from sitecoach.records.otj import (
    EntryStatus,
    entries,
    otj_status,
    review_entry,
    set_standard_minimum,
    standard_minimum,
)
from sitecoach.web.auth import admin_required
from sitecoach.web.context import current_services

bp = Blueprint("otj", __name__)
MAX_WEEKLY_HOURS = 60.0
MAX_PRIOR_LEARNING_HOURS = 2000.0


def _learner_to_act_on(session: Session, learner_id: int) -> Learner:
    """The learner, if the current staff member may act as their mentor (else 404 / 403)."""
    learner = session.get(Learner, learner_id)
    if learner is None or not access.can_see_learner(session, current_user, learner):
        abort(404)
    if not access.can_act_as_mentor(current_user, learner):
        abort(403)
    return learner


def _back(learner_id: int) -> ResponseReturnValue:
    return redirect(url_for("mentor.learner_page", learner_id=learner_id) + "#otj")


def _send(rows: list[Message | None]) -> None:
    for row in rows:
        if row is not None and row.id:
            try:
                enqueue_delivery(current_services().queue, int(row.id))
            except Exception:  # noqa: BLE001 - stored: the sweeper sends it when Redis is back
                current_app.logger.exception("delivery of %s not queued", row.id)


def _date(field: str) -> date | None:
    raw = (request.form.get(field) or "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _number(field: str, limit: float) -> float | None:
    raw = (request.form.get(field) or "").strip()
    try:
        value = float(raw) if raw else None
    except ValueError:
        return None
    return value if value is not None and 0 <= value <= limit else None


def learner_panel(session: Session, learner: Learner) -> dict[str, object]:
    """What the learner page shows about OTJ hours and breaks."""
    now = utcnow()
    return {
        "otj": otj_status(session, current_services().settings.content_pack_path, learner, now),
        "otj_entries": list(reversed(entries(session, int(learner.id or 0)))),
        "breaks": breaks.breaks_of(session, int(learner.id or 0)),
        "on_break": breaks.current_break(session, learner, now),
    }


def summary_column(session: Session, learners: list[Learner]) -> dict[int, str]:
    """Each learner's off-the-job standing for the summary: behind on OTJ, on track or on a break (learners
    without an agreement on record are left out)."""
    now = utcnow()
    root = current_services().settings.content_pack_path
    column: dict[int, str] = {}
    for learner in learners:
        if breaks.current_break(session, learner, now) is not None:
            column[int(learner.id or 0)] = "on a break"
        elif learner.start_date is not None:
            status = otj_status(session, root, learner, now)
            if status.progress is not None:
                column[int(learner.id or 0)] = "behind on OTJ" if status.behind else "on track"
    return column


@bp.post("/mentor/learners/<int:learner_id>/agreement")
@login_required
def agreement(learner_id: int) -> ResponseReturnValue:
    """Record the apprenticeship agreement: start, planned end, contracted hours, prior learning."""
    with current_services().db.session() as session:
        learner = _learner_to_act_on(session, learner_id)
        start, end = _date("start_date"), _date("planned_end_date")
        weekly = _number("weekly_hours", MAX_WEEKLY_HOURS)
        prior = _number("prior_learning_hours", MAX_PRIOR_LEARNING_HOURS)
        if start is None or end is None or end <= start or weekly is None or weekly <= 0:
            flash("Give a start date, a later planned end date and the contracted hours a week.", "error")
            return _back(learner_id)
        learner.start_date, learner.planned_end_date, learner.weekly_hours = start, end, weekly
        learner.prior_learning_hours = prior or None
        note = " ".join((request.form.get("prior_learning_note") or "").split())[:500]
        learner.prior_learning_note = note or None
        session.add(learner)
    flash("Apprenticeship agreement saved: the off-the-job plan follows it.", "ok")
    return _back(learner_id)


@bp.post("/mentor/learners/<int:learner_id>/otj/<int:seq>")
@login_required
def review(learner_id: int, seq: int) -> ResponseReturnValue:
    """Verify an entry of hours, or query it with a comment (the learner hears about a query)."""
    outcome = request.form.get("outcome") or ""
    comment = request.form.get("comment") or ""
    services = current_services()
    with services.db.session() as session:
        learner = _learner_to_act_on(session, learner_id)
        mentor = session.get(Mentor, current_user.mentor_id)
        try:
            entry = review_entry(
                session, learner_id, seq, outcome=outcome, comment=comment, staff_id=mentor.id, now=utcnow()
            )
        except LookupError:
            abort(404)
        except ValueError as exc:
            flash(str(exc).capitalize() + ".", "error")
            return _back(learner_id)
        row = None
        if entry.status == EntryStatus.QUERIED:
            row = off_the_job.tell_query(services, session, learner, entry, mentor.name, utcnow())
    _send([row])
    if outcome == EntryStatus.VERIFIED:
        flash("Verified.", "ok")
    elif row is not None:
        flash("Queried: the learner has been told.", "ok")
    else:  # opted out, or this entry was queried (and the learner told) before
        flash("Queried. No message sent: the learner has opted out, or was told of this entry.", "ok")
    return _back(learner_id)


@bp.post("/mentor/learners/<int:learner_id>/breaks")
@login_required
def start_break(learner_id: int) -> ResponseReturnValue:
    """Record a break in learning; the learner hears when it starts."""
    services = current_services()
    now = utcnow()
    with services.db.session() as session:
        learner = _learner_to_act_on(session, learner_id)
        starts_on = _date("starts_on") or breaks.learner_today(learner, now)
        try:
            brk = breaks.start_break(
                session,
                learner,
                starts_on=starts_on,
                expected_return=_date("expected_return"),
                reason=request.form.get("reason") or "",
                staff_id=current_user.mentor_id,
                now=now,
            )
        except breaks.BreakError as exc:
            flash(str(exc), "error")
            return _back(learner_id)
        row = off_the_job.announce_break(services, session, brk, now)
    _send([row])
    flash("Break recorded: no nudges or alerts until they are back.", "ok")
    return _back(learner_id)


@bp.post("/mentor/breaks/<int:break_id>/end")
@login_required
def end_break(break_id: int) -> ResponseReturnValue:
    """End a break today (or on the date given); the learner is welcomed back."""
    services = current_services()
    now = utcnow()
    with services.db.session() as session:
        brk = session.get(LearningBreak, break_id)
        if brk is None:
            abort(404)
        learner = _learner_to_act_on(session, brk.learner_id)
        ended_on = _date("ended_on") or breaks.learner_today(learner, now)
        breaks.end_break(session, brk, ended_on=ended_on, staff_id=current_user.mentor_id, now=now)
        row = off_the_job.welcome_back(services, session, brk, now)
    _send([row])
    flash("Break ended: the learner has been welcomed back.", "ok")
    return _back(brk.learner_id)


@bp.route("/admin/otj-minimum", methods=["GET", "POST"])
@admin_required
def minimum() -> ResponseReturnValue:
    """Each standard's minimum OTJ hours: the pack's published figure, and the admin's value that wins."""
    services = current_services()
    root = services.settings.content_pack_path
    with services.db.session() as session:
        if request.method == "POST":
            code = request.form.get("standard_code") or ""
            if session.exec(select(Standard).where(Standard.code == code)).first() is None:
                abort(404)
            raw = (request.form.get("hours") or "").strip()
            hours = _number("hours", MAX_PRIOR_LEARNING_HOURS)
            if raw and hours is None:
                flash("Give the hours as a number, or leave it empty to use the published figure.", "error")
            else:
                set_standard_minimum(session, code, hours, current_user.mentor_id, utcnow())
                flash(f"{code}'s minimum OTJ hours saved.", "ok")
            return redirect(url_for("otj.minimum"))
        rows = [
            (s, published_otj_minimum(root).get(s.code), standard_minimum(session, root, s.code))
            for s in session.exec(select(Standard).order_by(Standard.code)).all()
        ]
    return render_template("admin/otj_minimum.html", rows=rows)
