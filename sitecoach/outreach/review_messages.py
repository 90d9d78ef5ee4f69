"""Progress review messages on WhatsApp: the learner's signed link once the mentor marks a review ready (and a
fresh one for an expired link), and reminders before and after it is due to the learner and the mentor.

Each is claimed once under its key (`delivery/proactive.py`): ``review-link:<review>``,
``review-fresh:<review>:<local date>``, ``review-remind:<review>:<learner|mentor>:<soon|overdue>``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from sitecoach.delivery import proactive
from sitecoach.infra.localtime import local_now
from sitecoach.models import Learner, Mentor, Message, MessageKind, ProgressReview, ProgressReviewStatus
from sitecoach.outreach import prompted
from sitecoach.records.breaks import current_break
from sitecoach.services import Services

log = logging.getLogger(__name__)
REMIND_BEFORE = timedelta(
    days=7
)  # reminders go out when a review is due within this (and again once overdue)


def _ids(*rows: object) -> list[int]:
    return [int(getattr(row, "id", 0) or 0) for row in rows if row is not None]


def _mentor_name(session: Session, learner: Learner) -> str:
    mentor = session.get(Mentor, learner.mentor_id) if learner.mentor_id else None
    return mentor.name if mentor else "your mentor"


def _to_learner(
    services: Services,
    session: Session,
    learner: Learner,
    key: str,
    kind: MessageKind,
    prompt: str,
    variables: dict[str, object],
    now: datetime,
    *,
    answer_to_learner: bool = True,
) -> Message | None:
    """One review message to the learner. A signing link concerns their own record, so "answers only"
    learners get it too; a reminder is proactive (`answer_to_learner=False`)."""
    return prompted.to_learner(
        services,
        session,
        learner,
        key=key,
        kind=kind,
        prompt=prompt,
        variables=variables,
        now=now,
        answer_to_learner=answer_to_learner,
    )


def _link_variables(services: Services, learner: Learner, review: ProgressReview) -> dict[str, object]:
    return {
        "name": learner.name or "there",
        "number": review.number,
        "link": services.links.review_url(int(learner.id or 0), int(review.id or 0)),
        "days": services.settings.link_max_age_days,
    }


def send_signing_link(
    services: Services, session: Session, learner: Learner, review: ProgressReview, now: datetime
) -> int | None:
    """Claim the message with the learner's link to read and sign a review (once per review)."""
    variables = _link_variables(services, learner, review) | {"mentor_name": _mentor_name(session, learner)}
    row = _to_learner(
        services,
        session,
        learner,
        f"review-link:{review.id}",
        MessageKind.PROGRESS_REVIEW,
        "reviews/sign_link",
        variables,
        now,
    )
    return _ids(row)[0] if row is not None else None


def send_fresh_link(
    services: Services, session: Session, learner: Learner, review: ProgressReview, now: datetime
) -> int | None:
    """Claim a fresh link for an expired one (at most once a local day per review)."""
    day = local_now(now, learner.timezone).date().isoformat()
    row = _to_learner(
        services,
        session,
        learner,
        f"review-fresh:{review.id}:{day}",
        MessageKind.FRESH_LINK,
        "reviews/fresh_link",
        _link_variables(services, learner, review),
        now,
    )
    return _ids(row)[0] if row is not None else None


def remind_reviews(services: Services, now: datetime) -> list[int]:
    """Remind learners and mentors of open reviews due within `REMIND_BEFORE`, and again once overdue;
    each reminder once. Returns the claimed message ids."""
    claimed: list[int] = []
    with services.db.session() as session:
        rows = session.exec(
            select(ProgressReview, Learner)
            .join(Learner, col(Learner.id) == col(ProgressReview.learner_id))
            .where(
                ProgressReview.status != ProgressReviewStatus.LOCKED,
                col(ProgressReview.due_at) <= now + REMIND_BEFORE,
            )
            .order_by(col(ProgressReview.id))
        ).all()
        for review, learner in rows:
            claimed += _remind(services, session, review, learner, now)
    return claimed


def _remind(
    services: Services, session: Session, review: ProgressReview, learner: Learner, now: datetime
) -> list[int]:
    overdue = now > review.due_at
    stage = "overdue" if overdue else "soon"
    due = local_now(review.due_at, learner.timezone).strftime("%a %d %b")
    ready = review.status == ProgressReviewStatus.READY
    link = ""
    if ready and review.learner_signed_at is None:
        link = services.links.review_url(int(learner.id or 0), int(review.id or 0))
    to_learner = None
    # On a break in learning the learner is not reminded (its key stays free: it goes once they are back,
    # if the review is still open); the mentor still is.
    if review.learner_signed_at is None and current_break(session, learner, now) is None:
        variables: dict[str, object] = {
            "name": learner.name or "there",
            "number": review.number,
            "due": due,
            "link": link,
            "overdue": overdue,
        }
        to_learner = _to_learner(
            services,
            session,
            learner,
            f"review-remind:{review.id}:learner:{stage}",
            MessageKind.PROGRESS_REVIEW,
            "reviews/remind_learner",
            variables,
            now,
            answer_to_learner=False,
        )
    mentor = session.get(Mentor, learner.mentor_id) if learner.mentor_id else None
    to_mentor = None
    if mentor is not None and mentor.phone:
        status = "waiting for signatures" if ready else "the coach's draft is waiting for your edits"
        body = services.prompts.render(
            "reviews/remind_mentor",
            learner_name=learner.name or learner.whatsapp_label,
            number=review.number,
            due=due,
            status=status,
            overdue=overdue,
        )
        to_mentor = proactive.to_staff(
            session,
            services.settings,
            phone=mentor.phone,
            key=f"review-remind:{review.id}:mentor:{stage}",
            kind=MessageKind.PROGRESS_REVIEW_MENTOR,
            body=body,
            now=now,
            learner_id=learner.id,
        )
    if to_learner is not None or to_mentor is not None:
        log.info("progress review %s: %s reminder claimed", review.id, stage)
    return _ids(to_learner, to_mentor)
