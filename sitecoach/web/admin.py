"""Admin pages: prompt editing with versions, people (CSV import, mentor assignment), queue health,
the official competency list, and cohort outcomes. Admins only: anyone else gets a 404."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from jinja2.exceptions import SecurityError
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from sitecoach.conversation.dead_letter import retry_dead_letter
from sitecoach.curriculum.pack import PackError
from sitecoach.delivery.outbox import resend_failed
from sitecoach.infra.enqueue import enqueue_delivery, enqueue_inbound
from sitecoach.models import (
    AdminAuditLog,
    Cohort,
    Consent,
    Direction,
    Escalation,
    EscalationStatus,
    Learner,
    Mentor,
    Message,
)
from sitecoach.prompts.library import PromptError
from sitecoach.records import access, prompt_store
from sitecoach.records.memory_fits import fit_report
from sitecoach.records.mock_tests import mock_calibration
from sitecoach.records.reports import (
    cancelled_sends,
    cohort_outcomes,
    failed_sends,
    queue_health,
    unanswered_messages,
)
from sitecoach.records.roster import check_roster, import_roster
from sitecoach.records.seeding import import_standard
from sitecoach.web.auth import admin_required
from sitecoach.web.context import current_services

bp = Blueprint("admin", __name__, url_prefix="/admin")
ADMIN_LINKS = [
    ("People", "admin.people"),
    ("Prompts", "admin.prompts"),
    ("Content", "content.listing"),
    ("Queues", "admin.queues"),
    ("Standard", "admin.standard"),
    ("OTJ minimum", "otj.minimum"),
    ("Employers", "employers.listing"),
    ("Outcomes", "admin.outcomes"),
]
PAGE_SIZE = 100
STANDARD_SUFFIXES = (".csv", ".yaml", ".yml")



@bp.before_request
@admin_required
def _admins_only() -> None:
    """Every admin route: log in first, and non-admins get a 404."""
    return None


@bp.app_context_processor
def _admin_links() -> dict[str, Any]:
    """The admin entries of the top navigation (shown to admins only by `_nav.html`)."""
    return {"admin_links": ADMIN_LINKS}


def _audit(action: str, target: str, **details: Any) -> AdminAuditLog:
    return AdminAuditLog(actor_id=current_user.mentor_id, action=action, target=target, details=details)


# --- prompts --------------------------------------------------------------------------------------------


def _prompt_name(skill: str, name: str) -> str:
    full = f"{skill}/{name}"
    library = current_services().prompts
    try:
        library.path_of(full)
    except PromptError:
        abort(404)
    if full not in library.names():
        abort(404)
    return full


@bp.get("/prompts")
def prompts() -> ResponseReturnValue:
    """Every prompt: declared variables, current version, who saved it last and when."""
    library = current_services().prompts
    with current_services().db.read_session() as session:
        edited = prompt_store.overview(session)
    rows = []
    for name in library.names():
        try:
            variables, problem = library.get(name).variables, None
        except PromptError as exc:
            variables, problem = (), str(exc)
        rows.append((name, variables, problem, edited.get(name)))
    return render_template("admin/prompts.html", rows=rows)


def _edit_page(name: str, text: str | None = None, status: int = 200, **extra: Any) -> ResponseReturnValue:
    services = current_services()
    with services.db.read_session() as session:
        row = prompt_store.current_row(session, name)
        learners = session.exec(select(Learner.id, Learner.name).order_by(col(Learner.name)).limit(500)).all()
    current = row.text if row else services.prompts.file_prompt(name).source
    page = render_template(
        "admin/prompt_edit.html",
        name=name,
        text=current if text is None else text,
        version=row.version if row else 0,
        file_variables=services.prompts.file_prompt(name).variables,
        learners=learners,
        **extra,
    )
    return page, status


@bp.route("/prompts/<skill>/<name>", methods=["GET", "POST"])
def prompt_edit(skill: str, name: str) -> ResponseReturnValue:
    """Edit a prompt: preview it (samples, or a learner's own values), or save it as a new version."""
    full = _prompt_name(skill, name)
    if request.method == "GET":
        return _edit_page(full)
    services = current_services()
    text = prompt_store.normalise_text(request.form.get("text") or "")
    learner_id = request.form.get("learner_id", type=int)
    if request.form.get("action") == "preview":
        try:
            prompt = services.prompts.validate(full, text)
            services.prompts.check_supplied(prompt)
            with services.db.read_session() as session:
                known = prompt_store.learner_values(session, learner_id) if learner_id else {}
            known = {k: v for k, v in known.items() if k in prompt.variables}
            preview, values = prompt_store.render_with_samples(services.prompts, prompt, known)
            prompt_store.check_rendered_length(services.prompts, prompt, values)
        except (PromptError, SecurityError) as exc:
            return _edit_page(full, text, 422, error=str(exc), learner_id=learner_id)
        return _edit_page(full, text, preview=preview, values=values, real=set(known), learner_id=learner_id)
    try:
        with services.db.session() as session:
            row = prompt_store.save_version(session, services.prompts, full, text, current_user.mentor_id)
            version = row.version
    except PromptError as exc:
        return _edit_page(full, text, 422, error=str(exc), learner_id=learner_id)
    except IntegrityError:
        return _edit_page(full, text, 409, error="Someone saved this prompt at the same moment: try again.")
    _invalidate_prompts()
    flash(f"Saved {full} as version {version}: the coach uses it from the next message.", "ok")
    return redirect(url_for("admin.prompt_edit", skill=skill, name=name))


def _invalidate_prompts() -> None:
    """This process sees its own save at once; others within `STAMP_TTL_SECONDS`."""
    store = current_services().prompts.store
    if store is not None:
        store.invalidate()


@bp.get("/prompts/<skill>/<name>/history")
def prompt_history(skill: str, name: str) -> ResponseReturnValue:
    """Every saved version of a prompt with its diff, and a rollback for each."""
    full = _prompt_name(skill, name)
    with current_services().db.read_session() as session:
        versions = prompt_store.history(session, full)
    return render_template("admin/prompt_history.html", name=full, versions=versions)


@bp.post("/prompts/<skill>/<name>/rollback")
def prompt_rollback(skill: str, name: str) -> ResponseReturnValue:
    """Make an old version (0: the file) the newest again, as a new version."""
    full = _prompt_name(skill, name)
    services = current_services()
    version = request.form.get("version", type=int)
    if version is None or version < 0:
        abort(400)
    try:
        with services.db.session() as session:
            saved_as = prompt_store.rollback_to(
                session, services.prompts, full, version, current_user.mentor_id
            ).version
    except PromptError as exc:
        flash(str(exc), "error")
    except IntegrityError:
        flash("Someone saved this prompt at the same moment: try again.", "error")
    else:
        _invalidate_prompts()
        flash(f"Rolled back {full} to the text of v{version}, saved as v{saved_as}.", "ok")
    return redirect(url_for("admin.prompt_history", skill=skill, name=name))


# --- people -------------------------------------------------------------------------------------------


@bp.get("")
@bp.get("/")
def people() -> ResponseReturnValue:
    """Learners with their mentor (reassignable), mentors, and the CSV imports."""
    page = max(0, request.args.get("page", default=0, type=int))
    with current_services().db.read_session() as session:
        rows = session.exec(
            select(Learner, Cohort.name)
            .join(Cohort, col(Cohort.id) == col(Learner.cohort_id), isouter=True)
            .order_by(col(Learner.name), col(Learner.id))
            .offset(page * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        ).all()
        mentors = session.exec(select(Mentor).order_by(col(Mentor.name))).all()
        cohort_rows = session.exec(select(Cohort).order_by(col(Cohort.name))).all()
        cohorts = [c.name for c in cohort_rows]
        linked = access.staff_cohorts(session)
        # the WhatsApp identity as staff may see it: a masked number, else @username, else a masked BSUID
        learners = [(lr.id, lr.name, lr.mentor_id, cohort, lr.whatsapp_label) for lr, cohort in rows]
    return render_template(
        "admin/people.html",
        learners=learners[:PAGE_SIZE],
        more=len(learners) > PAGE_SIZE,
        page=page,
        mentors=mentors,
        cohorts=cohorts,
        cohort_rows=cohort_rows,
        linked=linked,
    )


@bp.post("/learners/<int:learner_id>/mentor")
def assign_mentor(learner_id: int) -> ResponseReturnValue:
    """Give a learner a mentor (or none)."""
    mentor_id = request.form.get("mentor_id", type=int)
    with current_services().db.session() as session:
        learner = session.get(Learner, learner_id)
        mentor = session.get(Mentor, mentor_id) if mentor_id else None
        if learner is None or (mentor_id and mentor is None):
            abort(404)
        before, learner.mentor_id = learner.mentor_id, mentor.id if mentor else None
        session.add(learner)
        # The learner's open escalations follow them (reminders, digests); the one before has no say now.
        for escalation in session.exec(
            select(Escalation).where(
                Escalation.learner_id == learner_id, Escalation.status == EscalationStatus.OPEN
            )
        ).all():
            escalation.mentor_id = learner.mentor_id
            session.add(escalation)
        session.add(_audit("learner.mentor", f"learner {learner_id}", before=before, after=learner.mentor_id))
    flash(f"{learner.name or 'Learner'} now has {mentor.name if mentor else 'no mentor'}.", "ok")
    return redirect(url_for("admin.people", page=request.args.get("page", 0, type=int)))


def _uploaded_text(field: str, fallback: str) -> tuple[str, str | None]:
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        return request.form.get(fallback) or "", None
    try:
        return upload.read().decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return "", "The file is not UTF-8 text: save it from your spreadsheet as 'CSV UTF-8'."


@bp.post("/import/<kind>")
def import_people(kind: str) -> ResponseReturnValue:
    """A dry run (bad rows by line number, nothing written), or the real all-or-nothing import."""
    if kind not in ("learners", "mentors"):
        abort(404)
    text, problem = _uploaded_text("file", "csv")
    real = request.form.get("action") == "import"
    passwords: dict[str, str] = {}
    services = current_services()
    if problem:
        return render_template("admin/import.html", kind=kind, text="", error=problem, check=None), 400
    if real:
        try:
            with services.db.session() as session:
                check, passwords = import_roster(session, kind, text, current_user.mentor_id)
        except IntegrityError:
            error = "Another change got there first (a duplicate email or phone): run the dry run again."
            return render_template("admin/import.html", kind=kind, text=text, error=error, check=None), 409
    else:
        with services.db.read_session() as session:
            check = check_roster(session, kind, text)
    page = render_template(
        "admin/import.html", kind=kind, text=text, check=check, real=real, passwords=passwords
    )
    return page, (200 if check.ok or not real else 422), {"Cache-Control": "no-store"}


# --- queues ---------------------------------------------------------------------------------------------


@bp.get("/queues")
def queues() -> ResponseReturnValue:
    """Each queue's length, and its started and failed jobs (failed ones with their error and Retry); the
    messages the coach could not answer (dead letters with Retry) or send (failed, or cancelled by STOP)."""
    services = current_services()
    with services.db.read_session() as session:
        failed = failed_sends(session)
        cancelled = cancelled_sends(session)
        unanswered = unanswered_messages(session)
    return render_template(
        "admin/queues.html",
        queues=queue_health(services.redis, services.queue),
        failed_sends=failed,
        cancelled_sends=cancelled,
        unanswered=unanswered,
    )


@bp.post("/messages/<int:message_id>/reprocess")
def reprocess_message(message_id: int) -> ResponseReturnValue:
    """Process again an inbound message whose every try failed (once the database or Redis is well)."""
    services = current_services()
    return _queued_again(
        lambda: retry_dead_letter(services.db, message_id, lambda i: enqueue_inbound(services.queue, i)),
        _audit("message.reprocess", str(message_id)),
        done=f"Message {message_id} is queued to be answered again.",
        nothing=f"Message {message_id} is not waiting for a retry; nothing to do.",
        no_redis="Not queued: Redis is unavailable. The sweeper queues it when Redis is back.",
    )


@bp.post("/messages/<int:message_id>/resend")
def resend_message(message_id: int) -> ResponseReturnValue:
    """Send again a message whose every try failed (after fixing the cause, e.g. Twilio credit)."""
    services = current_services()
    with services.db.read_session() as session:
        row = session.get(Message, message_id)
        learner = session.get(Learner, row.learner_id) if row is not None and row.learner_id else None
    if row is None or row.direction != Direction.OUT:
        abort(404)
    if learner is not None and learner.consent == Consent.OPTED_OUT:
        flash("Not resent: the learner has opted out (STOP) since.", "error")
        return redirect(url_for("admin.queues"))
    return _queued_again(
        lambda: resend_failed(services.db, message_id, lambda i: enqueue_delivery(services.queue, i)),
        _audit("message.resend", str(message_id), kind=row.kind),
        done=f"Message {message_id} is queued to be sent again.",
        nothing=f"Message {message_id} is not failed (already resent or sent); nothing to do.",
        no_redis="Not resent: the job queue (Redis) is unavailable. Try again when it is back.",
    )


def _queued_again(
    queue_again: Callable[[], bool], audit: AdminAuditLog, *, done: str, nothing: str, no_redis: str
) -> ResponseReturnValue:
    """Run a Retry or Resend; record it if it queued anything; say what happened on the Queues page."""
    try:
        queued = queue_again()
    except (RedisError, OSError):
        flash(no_redis, "error")
        return redirect(url_for("admin.queues"))
    if not queued:
        flash(nothing, "error")
        return redirect(url_for("admin.queues"))
    with current_services().db.session() as session:
        session.add(audit)
    flash(done, "ok")
    return redirect(url_for("admin.queues"))


@bp.post("/queues/<queue_name>/retry")
def retry_job(queue_name: str) -> ResponseReturnValue:
    """Put a failed job back on its queue."""
    services = current_services()
    queue = (
        services.queue if queue_name == services.queue.name else Queue(queue_name, connection=services.redis)
    )
    job_id = request.form.get("job_id") or ""
    if job_id not in queue.failed_job_registry.get_job_ids():
        abort(404)
    queue.failed_job_registry.requeue(job_id)
    with services.db.session() as session:
        session.add(_audit("job.retry", job_id[:120], queue=queue_name))
    flash(f"Job {job_id} is queued again.", "ok")
    return redirect(url_for("admin.queues"))


# --- the official competency list ---------------------------------------------------------------------


@bp.route("/standard", methods=["GET", "POST"])
def standard() -> ResponseReturnValue:
    """Upload the official competency list (CSV or YAML) and an optional lesson mapping CSV."""
    if request.method == "GET":
        return render_template("admin/standard.html", problems=[])
    upload, mapping = request.files.get("standard"), request.files.get("mapping")
    suffix = Path(upload.filename or "").suffix.lower() if upload else ""
    if not upload or suffix not in STANDARD_SUFFIXES:
        return render_template("admin/standard.html", problems=["Choose a .csv, .yaml or .yml file."]), 400
    services = current_services()
    with tempfile.TemporaryDirectory(prefix="standard-") as folder:
        path = Path(folder) / f"standard{suffix}"
        upload.save(path)
        map_path = None
        if mapping is not None and mapping.filename:
            map_path = Path(folder) / "mapping.csv"
            mapping.save(map_path)
        names = {str(path): upload.filename, str(map_path): getattr(mapping, "filename", "")}
        try:
            with services.db.session() as session:
                report = import_standard(session, path, map_path)
                session.add(_audit("standard.import", report.standard, competencies=report.competencies))
        except PackError as exc:
            problems = [_rename(p, names) for p in exc.problems]
            return render_template("admin/standard.html", problems=problems), 422
        except (ValueError, KeyError, AttributeError, TypeError) as exc:
            problem = f"The file could not be read: {type(exc).__name__}: {_rename(str(exc), names)}"
            return render_template("admin/standard.html", problems=[problem]), 422
    services.reload_catalogue()
    flash(
        f"Loaded {report.standard}: {report.competencies} competencies"
        + (f", {report.lessons} lessons or items mapped." if map_path else "."),
        "ok",
    )
    return redirect(url_for("admin.standard"))


def _rename(text: str, names: dict[str, str | None]) -> str:
    for temp, original in names.items():
        text = text.replace(temp, original or "file")
    return text


# --- outcomes -------------------------------------------------------------------------------------------


@bp.get("/outcomes")
def outcomes() -> ResponseReturnValue:
    """Cohort outcomes: daily active, projected time to competence, mentor time, gateway, nudges, how well
    readiness predicted the mock tests, and the FSRS fit the coach schedules with."""
    with current_services().db.read_session() as session:
        data = cohort_outcomes(session)
        mocks, abandoned = mock_calibration(session)
        fit = fit_report(session)
    settings = current_services().settings
    return render_template(
        "admin/outcomes.html",
        **data,
        mocks=mocks,
        abandoned_mocks=abandoned,
        fit=fit,
        fit_min=(settings.memory_fit_min_reviews, settings.memory_fit_min_learners),
    )
