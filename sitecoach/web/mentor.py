"""The mentor summary: who is at risk, evidence to sign off, open escalations; one learner in depth.

A mentor sees only their own learners (anything else is a 404); an admin sees everyone.
"""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlmodel import Session, col, func, select

from sitecoach.conversation import voice_notes
from sitecoach.conversation.mentor_inbox import reply_to_escalation
from sitecoach.delivery import proactive
from sitecoach.export import portfolio_download_name, write_portfolio_archive
from sitecoach.infra.enqueue import enqueue_milestone_check
from sitecoach.learning.cohort import percentile
from sitecoach.models import (
    Cohort,
    Escalation,
    EscalationStatus,
    EvidenceItem,
    Learner,
    LearnerSnapshot,
    LearningEvent,
    Mentor,
    Message,
    MessageKind,
    utcnow,
)
from sitecoach.records import access, safeguarding
from sitecoach.records.evidence import EvidenceError, decide_evidence
from sitecoach.records.insights import InsightsService
from sitecoach.records.portfolio import build_portfolio
from sitecoach.records.progress_reviews import review_due, reviews_due, reviews_of
from sitecoach.web.context import current_services
from sitecoach.web.deliveries import deliver
from sitecoach.web.learner_access import learner_or_404
from sitecoach.web.otj import learner_panel, summary_column
from sitecoach.web.passport import passport_context

bp = Blueprint("mentor", __name__, url_prefix="/mentor")
PAGE_SIZE = 50
AREA_ORDER_LIMIT = 16


def _scope(session: Session, query) -> ResponseReturnValue:
    """Limit a learner query to the learners the current staff member sees (`sitecoach.records.access`)."""
    return query.where(access.visible_learners_clause(session, current_user))


def _rows(session, cohort_id: int | None, page: int | None) -> ResponseReturnValue:
    query = (
        select(Learner, LearnerSnapshot, Cohort)
        .join(LearnerSnapshot, col(LearnerSnapshot.learner_id) == col(Learner.id), isouter=True)
        .join(Cohort, col(Cohort.id) == col(Learner.cohort_id), isouter=True)
    )
    query = _scope(session, query)
    if cohort_id:
        query = query.where(Learner.cohort_id == cohort_id)
    query = query.order_by(
        col(LearnerSnapshot.risk_score).desc().nulls_last(), col(Learner.name), col(Learner.id)
    )
    if page is not None:
        query = query.offset(page * PAGE_SIZE).limit(PAGE_SIZE)
    return session.exec(query).all()


@bp.get("")
@bp.get("/")
@login_required
def summary() -> ResponseReturnValue:
    """Learners, most at risk first, with what needs doing."""
    cohort_id = request.args.get("cohort", type=int)
    page = max(0, request.args.get("page", default=0, type=int))
    with current_services().db.read_session() as session:
        rows = _rows(session, cohort_id, page)
        count = _scope(session, select(func.count()).select_from(Learner))
        total = session.exec(count.where(Learner.cohort_id == cohort_id) if cohort_id else count).one()
        cohorts = session.exec(select(Cohort).order_by(Cohort.name)).all()
        ids = [learner.id for learner, _s, _c in rows]
        pending = (
            session.exec(
                select(func.count())
                .select_from(EvidenceItem)
                .where(col(EvidenceItem.learner_id).in_(ids), EvidenceItem.status == "pending")
            ).one()
            if ids
            else 0
        )
        escalations = (
            session.exec(
                select(Escalation, Learner)
                .join(Learner, col(Learner.id) == col(Escalation.learner_id))
                .where(Escalation.status == EscalationStatus.OPEN, col(Escalation.learner_id).in_(ids))
                .order_by(col(Escalation.created_at))
            ).all()
            if ids
            else []
        )
        areas = sorted({a for _l, snap, _c in rows if snap for a in snap.by_area})[:AREA_ORDER_LIMIT]
        dues = reviews_due(session, current_services().settings, [learner for learner, _s, _c in rows])
        titles = _area_titles()
        otj = summary_column(session, [learner for learner, _s, _c in rows])
    return render_template(
        "mentor/summary.html",
        rows=rows,
        cohorts=cohorts,
        cohort_id=cohort_id,
        page=page,
        total=int(total),
        page_size=PAGE_SIZE,
        pending=int(pending),
        escalations=escalations,
        areas=areas,
        titles=titles,
        dues=dues,
        otj=otj,
        now=utcnow(),
    )


def _area_titles() -> dict[str, str]:
    return {c.area_code: c.area_title for c in current_services().catalogue().competencies.values()}


@bp.get("/export.csv")
@login_required
def export_csv() -> ResponseReturnValue:
    """The summary table as CSV (spreadsheet-safe)."""
    cohort_id = request.args.get("cohort", type=int)
    with current_services().db.read_session() as session:
        rows = _rows(session, cohort_id, None)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "learner",
            "cohort",
            "overall",
            "velocity_7",
            "streak",
            "last_active",
            "risk",
            "risk_score",
            "reasons",
            "gateway_ready",
            "evidence_pending",
            "otj_hours",
        ]
    )
    for learner, snap, cohort in rows:
        writer.writerow(
            [
                _cell(learner.name or ""),
                _cell(cohort.name if cohort else ""),
                snap.overall if snap else "",
                snap.velocity_7 if snap else "",
                snap.streak if snap else "",
                snap.last_active_at.isoformat() if snap and snap.last_active_at else "",
                snap.risk_level if snap else "",
                snap.risk_score if snap else "",
                _cell("; ".join(snap.risk_reasons) if snap else ""),
                f"{snap.gateway_ready}/{snap.gateway_total}" if snap else "",
                snap.evidence_pending if snap else "",
                snap.otj_hours if snap else "",
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=learners.csv"},
    )


def _cell(text: str) -> str:
    """Neutralise spreadsheet formulas in free text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/learners/<int:learner_id>")
@login_required
def learner_page(learner_id: int) -> ResponseReturnValue:
    """One learner: timeline, mastery per competency, evidence, escalations, hours."""
    services = current_services()
    with services.db.session() as session:
        learner = learner_or_404(session, learner_id)
        ins = InsightsService(
            session, services.catalogue(), services.memory, services.settings.epa_pass_mark
        ).insights(learner, utcnow(), award_badges=False)
        evidence = session.exec(
            select(EvidenceItem)
            .where(EvidenceItem.learner_id == learner_id)
            .order_by(col(EvidenceItem.created_at).desc())
        ).all()
        escalations = session.exec(
            select(Escalation)
            .where(Escalation.learner_id == learner_id)
            .order_by(col(Escalation.created_at).desc())
            .limit(20)
        ).all()
        events = session.exec(
            select(LearningEvent)
            .where(
                LearningEvent.learner_id == learner_id,
                col(LearningEvent.kind).not_in(sorted(safeguarding.PRIVATE_EVENT_KINDS)),
            )
            .order_by(col(LearningEvent.seq).desc())
            .limit(40)
        ).all()
        messages = session.exec(
            select(Message)
            .where(Message.learner_id == learner_id, safeguarding.shown_to_staff())
            .order_by(col(Message.id).desc())
            .limit(20)
        ).all()
        cohort = session.get(Cohort, learner.cohort_id) if learner.cohort_id else None
        mentor = session.get(Mentor, learner.mentor_id) if learner.mentor_id else None
        reviews = {
            "due": review_due(session, services.settings, learner),
            "history": reviews_of(session, learner_id),
        }
        otj_panel = learner_panel(session, learner)
        passport = passport_context(session, learner)
        peers = (
            session.exec(
                select(LearnerSnapshot.overall, LearnerSnapshot.velocity_7)
                .join(Learner, col(Learner.id) == col(LearnerSnapshot.learner_id))
                .where(Learner.cohort_id == learner.cohort_id)
            ).all()
            if learner.cohort_id
            else []
        )
    standing = {
        "overall": percentile(ins.report.overall, [p[0] for p in peers] or [ins.report.overall]),
        "velocity": percentile(
            ins.trajectory.velocity_7, [p[1] for p in peers] or [ins.trajectory.velocity_7]
        ),
        "peers": len(peers),
    }
    comps = {c.code: c for c in services.catalogue().competencies.values()}
    return render_template(
        "mentor/learner.html",
        learner=learner,
        ins=ins,
        evidence=evidence,
        escalations=escalations,
        events=events,
        messages=messages,
        voice_notes=voice_notes.transcripts(messages),
        cohort=cohort,
        mentor=mentor,
        comps=comps,
        standing=standing,
        reviews=reviews,
        now=utcnow(),
        can_act=access.can_act_as_mentor(current_user, learner),
        **otj_panel,
        **passport,
    )


def _notify(session: Session, learner: Learner, key: str, body: str) -> int | None:
    row = proactive.to_learner(
        session,
        current_services().settings,
        learner,
        key=key,
        kind=MessageKind.MENTOR_UPDATE,
        body=body,
        variables={"text": body},
        now=utcnow(),
        answer_to_learner=True,
    )
    return int(row.id) if row is not None else None


def _check_milestones(learner_id: int) -> None:
    try:
        enqueue_milestone_check(current_services().background_queue, learner_id)
    except Exception:  # noqa: BLE001 - the nightly snapshot refresh checks every learner anyway
        current_app.logger.exception("milestone check for learner %s not queued", learner_id)


@bp.post("/evidence/<int:evidence_id>")
@login_required
def decide(evidence_id: int) -> ResponseReturnValue:
    """Approve or return a piece of evidence; the learner hears on WhatsApp."""
    approve = request.form.get("decision") == "approve"
    comment = (request.form.get("comment") or "").strip()[:500]
    services = current_services()
    with services.db.session() as session:
        item = session.get(EvidenceItem, evidence_id)
        if item is None:
            abort(404)
        learner = learner_or_404(session, item.learner_id, act=True)
        mentor = session.get(Mentor, current_user.mentor_id)
        try:
            decide_evidence(session, item, mentor, approve, utcnow(), comment)
        except EvidenceError as exc:
            flash(str(exc), "error")
            return redirect(url_for("mentor.learner_page", learner_id=learner.id))
        body = services.prompts.render(
            "mentor_inbox/evidence_decided",
            mentor_name=mentor.name,
            reference=f"#{item.id}",
            approved=approve,
            claims=", ".join(item.competencies),
            comment=comment,
        )
        row_id = _notify(session, learner, f"evidence-decided:{item.id}", body)
    deliver(row_id)
    if approve:  # signed-off evidence counts towards badges and the gateway: celebrate it now
        _check_milestones(int(learner.id or 0))
    flash("Signed off: the learner has been told." if approve else "Returned with your comment.", "ok")
    return redirect(url_for("mentor.learner_page", learner_id=learner.id))


@bp.post("/escalations/<int:escalation_id>/reply")
@login_required
def reply(escalation_id: int) -> ResponseReturnValue:
    """Answer an escalation from the web: relayed to the learner on WhatsApp ("done" closes it)."""
    text = (request.form.get("text") or "").strip()[:1500]
    close = request.form.get("close") == "1"
    services = current_services()
    with services.db.session() as session:
        escalation = session.get(Escalation, escalation_id)
        if escalation is None or escalation.status != EscalationStatus.OPEN:
            abort(404)
        learner = learner_or_404(session, escalation.learner_id, act=True)
        mentor = session.get(Mentor, current_user.mentor_id)
        result = reply_to_escalation(
            session, services.prompts, mentor, escalation, "done" if close else text, utcnow()
        )
        row_id = None
        if result.to_learner and result.learner is not None:
            key = f"web-reply:{escalation.id}:{int(escalation.context.get('mentor_replies', 0))}:{int(close)}"
            row = proactive.claim(
                session,
                phone=learner.whatsapp_address,
                key=key,
                body=result.to_learner,
                kind=MessageKind.RELAY,
                now=utcnow(),
                learner_id=learner.id,
            )
            row_id = int(row.id) if row is not None else None
    deliver(row_id)
    flash(result.to_mentor, "ok")
    return redirect(url_for("mentor.learner_page", learner_id=learner.id))


@bp.get("/evidence/<int:evidence_id>/media/<int:index>")
@login_required
def evidence_media(evidence_id: int, index: int) -> ResponseReturnValue:
    """A photo attached to evidence (only for its learner's mentor, or an admin)."""
    services = current_services()
    with services.db.read_session() as session:
        item = session.get(EvidenceItem, evidence_id)
        if item is None or index >= len(item.media):
            abort(404)
        learner_or_404(session, item.learner_id)
    path = Path(str(item.media[index].get("path") or ""))
    media_root = services.settings.media_path.resolve()
    if not path.is_file() or media_root not in path.resolve().parents:
        abort(404)
    return send_file(path, conditional=True)


@bp.get("/learners/<int:learner_id>/portfolio.zip")
@login_required
def portfolio(learner_id: int) -> ResponseReturnValue:
    """The learner's e-portfolio ZIP for the EPA gateway."""
    services = current_services()
    with services.db.read_session() as session:
        learner = learner_or_404(session, learner_id)
        data = build_portfolio(
            session, services.catalogue(), services.memory, learner, utcnow(), services.settings
        )
    # An unnamed temporary file (O_TMPFILE): nothing is left on disk once the response closes it, nor if
    # the worker dies mid-download.
    archive = tempfile.TemporaryFile(prefix="portfolio-")
    try:
        write_portfolio_archive(data, archive)
        size = archive.tell()
        archive.seek(0)
    except BaseException:
        archive.close()
        raise
    response = send_file(
        archive,
        mimetype="application/zip",
        as_attachment=True,
        download_name=portfolio_download_name(learner.name, datetime.now(UTC).date()),
    )
    response.content_length = size
    return response
