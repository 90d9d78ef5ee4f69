"""What the admin pages report: queue health, and the cohort's outcomes against the employer's baseline.

Outcome definitions (all times UTC):

* **Daily active learners**: for each of the last `OUTCOME_DAYS` days, the share of learners enrolled by
  then (`Learner.created_at`) who did something themselves that day: a learning event of a kind in
  `ACTIVE_KINDS` or an inbound message.
* **Projected time to competence**: per learner with a snapshot prediction, weeks from their start
  (`Learner.created_at`) to the day knowledge mastery is predicted to reach 85% (`LearnerSnapshot.predicted`);
  the median is set against the 12 to 18 weeks the employer quotes today (`BASELINE_WEEKS`).
* **Mentor time on requests**: a proxy, as nothing records minutes spent: over requests closed in the last
  `OUTCOME_DAYS` days, the time from the request to the mentor's first reply (`mentor_replied_at -
  created_at`), summed, with the median per request and the total per mentor.
* **Gateway readiness**: learners by the share of their competencies ready for gateway
  (`gateway_ready / gateway_total` in the snapshot), in fifths, with 100% on its own.
* **Nudge response**: per kind and variant, settled assignments and how many earned their reward.
"""

from __future__ import annotations

import re
import statistics
from datetime import date, datetime, time, timedelta
from typing import Any

from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from sitecoach.infra.privacy import mask_phone
from sitecoach.models import (
    Consent,
    Direction,
    Escalation,
    EscalationStatus,
    EventKind,
    Learner,
    LearnerSnapshot,
    LearningEvent,
    Mentor,
    Message,
    MessageStatus,
    VariantAssignment,
    utcnow,
)
from sitecoach.records.opt_out import OPTED_OUT_CODE

OUTCOME_DAYS = 30
BASELINE_WEEKS = (12, 18)  # the employer's quoted time to competence today
WEEK_BUCKETS = (0, 6, 12, 18, 24, 36, 52)  # lower bounds of the projected-weeks histogram
ACTIVE_KINDS = (
    EventKind.QUIZ_ANSWERED,
    EventKind.LESSON_WATCHED,
    EventKind.EVIDENCE_LOGGED,
    EventKind.OTJ_HOURS,
    EventKind.MOCK_TEST,
    EventKind.PROGRESS_VIEWED,
    EventKind.ESCALATION_OPENED,
)
FAILED_JOBS_SHOWN = 50
_PHONE_LIKE = re.compile(r"\+?\d[\d \-]{7,}\d")


# --- queues ---------------------------------------------------------------------------------------------

FAILED_SENDS_SHOWN = 50
FAILED_SENDS_DAYS = 7
UNANSWERED_EXCERPT = 60  # characters of an unanswered message shown to the admin


def failed_sends(session: Session, now: datetime | None = None) -> list[dict[str, Any]]:
    """Outbound messages that failed for good in the last week, newest first, with the channel's reason;
    phone numbers masked to their last three digits."""
    return _recent_outbound(session, now, Message.status == MessageStatus.FAILED)


def cancelled_sends(session: Session, now: datetime | None = None) -> list[dict[str, Any]]:
    """Outbound messages of the last week not sent because the learner opted out first, newest first."""
    return _recent_outbound(
        session, now, Message.status == MessageStatus.CANCELED, Message.error_code == OPTED_OUT_CODE
    )


def _recent_outbound(session: Session, now: datetime | None, *where: Any) -> list[dict[str, Any]]:
    since = (now or utcnow()) - timedelta(days=FAILED_SENDS_DAYS)
    rows = session.exec(
        select(Message, Learner.name, Learner.consent)
        .join(Learner, col(Learner.id) == col(Message.learner_id), isouter=True)
        .where(Message.direction == Direction.OUT, col(Message.created_at) >= since, *where)
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
        .limit(FAILED_SENDS_SHOWN)
    ).all()
    return [
        {
            "id": row.id,
            "to": mask_phone(row.phone),
            "learner": name or "",
            "opted_out": consent == Consent.OPTED_OUT,
            "kind": row.kind,
            "attempts": row.attempts,
            "error": _PHONE_LIKE.sub("[number]", f"{row.error_code or ''} {row.error_message or ''}".strip()),
            "created_at": row.created_at,
        }
        for row, name, consent in rows
    ]


def unanswered_messages(session: Session, now: datetime | None = None) -> list[dict[str, Any]]:
    """Inbound messages of the last week the coach could not answer: dead letters (every try failed; the
    admin may retry them) and those a skill's bug answered with an apology. Newest first, the sender's
    number masked, an excerpt with anything like a phone number masked."""
    since = (now or utcnow()) - timedelta(days=FAILED_SENDS_DAYS)
    dead = (col(Message.processed_at).is_(None)) & (col(Message.status) == MessageStatus.DEAD_LETTER)
    apologised = (  # a skill's bug (`_finish_with`); a try that failed before a retry succeeded is not one
        col(Message.processed_at).is_not(None)
        & col(Message.skill).endswith(":error")
        & col(Message.error_message).is_not(None)
    )
    rows = session.exec(
        select(Message, Learner.name)
        .join(Learner, col(Learner.id) == col(Message.learner_id), isouter=True)
        .where(Message.direction == Direction.IN, col(Message.created_at) >= since, dead | apologised)
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
        .limit(FAILED_SENDS_SHOWN)
    ).all()
    return [
        {
            "id": row.id,
            "from": mask_phone(row.phone),
            "learner": name or "",
            "excerpt": _PHONE_LIKE.sub("[number]", row.body[:UNANSWERED_EXCERPT]),
            "attempts": row.attempts,
            "error": row.error_message or "",
            "dead_letter": row.status == MessageStatus.DEAD_LETTER,
            "created_at": row.created_at,
        }
        for row, name in rows
    ]


def _error_summary(job: Job) -> str:
    """The last line of a failed job's traceback, with anything like a phone number masked."""
    result = job.latest_result()
    text = (getattr(result, "exc_string", None) or "").strip()
    last = text.splitlines()[-1] if text else "no error recorded"
    return _PHONE_LIKE.sub("[number]", last)[:300]


def queue_health(redis: Redis, main: Queue) -> list[dict[str, Any]]:
    """Every queue on the connection: length, started and scheduled jobs, and the latest failed ones."""
    found = {q.name: q for q in Queue.all(connection=redis)}
    found.setdefault(main.name, main)
    report = []
    for name, queue in sorted(found.items()):
        failed_ids = queue.failed_job_registry.get_job_ids(0, FAILED_JOBS_SHOWN - 1, desc=True)
        jobs = [j for j in Job.fetch_many(failed_ids, connection=redis) if j is not None]
        report.append(
            {
                "name": name,
                "length": queue.count,
                "started": queue.started_job_registry.get_job_ids(),
                "scheduled": queue.scheduled_job_registry.count,
                "failed_count": queue.failed_job_registry.count,
                "failed": [(j.id, j.func_name, _error_summary(j), j.ended_at) for j in jobs],
            }
        )
    return report


# --- outcomes -------------------------------------------------------------------------------------------


def _day(session: Session, column: Any) -> Any:
    """The UTC calendar day of a timestamp column, in this database's SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def daily_active(session: Session, now: datetime, days: int = OUTCOME_DAYS) -> list[dict[str, Any]]:
    """Per day, oldest first: learners active, learners enrolled, and the share active (percent)."""
    first = now.date() - timedelta(days=days - 1)
    since = datetime.combine(first, time(), tzinfo=now.tzinfo)
    pairs = set(
        session.exec(
            select(LearningEvent.learner_id, _day(session, LearningEvent.at))
            .where(col(LearningEvent.at) >= since, col(LearningEvent.kind).in_(ACTIVE_KINDS))
            .distinct()
        ).all()
    )
    pairs |= set(
        session.exec(
            select(Message.learner_id, _day(session, Message.created_at))
            .where(col(Message.created_at) >= since, Message.direction == "in")
            .where(col(Message.learner_id).is_not(None))
            .distinct()
        ).all()
    )
    active: dict[str, int] = {}
    for _learner, day in pairs:
        active[str(day)[:10]] = active.get(str(day)[:10], 0) + 1
    starts = sorted(s.date() for s in session.exec(select(Learner.created_at)).all())
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        enrolled = sum(1 for s in starts if s <= day)
        count = active.get(day.isoformat(), 0)
        out.append(
            {
                "day": day,
                "active": count,
                "enrolled": enrolled,
                "pct": 100 * count / enrolled if enrolled else 0,
            }
        )
    return out


def time_to_competence(session: Session) -> dict[str, Any]:
    """Projected weeks from start to 85% mastery: per-learner values, median, histogram and baseline."""
    rows = session.exec(
        select(Learner.created_at, LearnerSnapshot.predicted).join(
            LearnerSnapshot, col(LearnerSnapshot.learner_id) == col(Learner.id)
        )
    ).all()
    weeks = sorted(
        max(0.0, (date.fromisoformat(predicted) - start.date()).days / 7)
        for start, predicted in rows
        if predicted
    )
    bounds = list(WEEK_BUCKETS) + [None]
    histogram = [
        {
            "label": f"{low}–{high}" if high else f"{low}+",
            "count": sum(1 for w in weeks if w >= low and (high is None or w < high)),
            "baseline": high is not None and low >= BASELINE_WEEKS[0] and high <= BASELINE_WEEKS[1],
        }
        for low, high in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    median = statistics.median(weeks) if weeks else None
    return {"weeks": weeks, "median": median, "histogram": histogram, "baseline": BASELINE_WEEKS}


def mentor_time(session: Session, now: datetime, days: int = OUTCOME_DAYS) -> dict[str, Any]:
    """The proxy for mentor time on requests: first reply minus request time, over closed requests."""
    rows = session.exec(
        select(Escalation.created_at, Escalation.mentor_replied_at, Mentor.name)
        .join(Mentor, col(Mentor.id) == col(Escalation.mentor_id), isouter=True)
        .where(Escalation.status == EscalationStatus.CLOSED, col(Escalation.mentor_replied_at).is_not(None))
        .where(col(Escalation.closed_at) >= now - timedelta(days=days))
    ).all()
    minutes = [max(0.0, (replied - created).total_seconds() / 60) for created, replied, _m in rows]
    per_mentor: dict[str, float] = {}
    for (_c, _r, mentor), spent in zip(rows, minutes, strict=True):
        per_mentor[mentor or "no mentor"] = per_mentor.get(mentor or "no mentor", 0.0) + spent
    return {
        "count": len(minutes),
        "total_hours": sum(minutes) / 60,
        "median_minutes": statistics.median(minutes) if minutes else None,
        "per_mentor": sorted(per_mentor.items(), key=lambda kv: -kv[1]),
    }


def gateway_readiness(session: Session) -> list[dict[str, Any]]:
    """Learners by the share of competencies ready for gateway: 0–19%, ..., 80–99%, and 100%."""
    rows = session.exec(
        select(LearnerSnapshot.gateway_ready, LearnerSnapshot.gateway_total).where(
            LearnerSnapshot.gateway_total > 0
        )
    ).all()
    shares = [ready / total for ready, total in rows]
    buckets = [
        {"label": f"{k * 20}–{k * 20 + 19}%", "count": sum(1 for s in shares if k / 5 <= s < (k + 1) / 5)}
        for k in range(5)
    ]
    return buckets + [{"label": "100%", "count": sum(1 for s in shares if s >= 1)}]


def nudge_response(session: Session) -> list[dict[str, Any]]:
    """Per nudge kind and variant: settled assignments, rewarded ones, and the response rate."""
    settled = case((col(VariantAssignment.settled), 1), else_=0)
    rewarded = case(
        (col(VariantAssignment.settled) & col(VariantAssignment.rewarded_at).is_not(None), 1), else_=0
    )
    rows = session.exec(
        select(VariantAssignment.kind, VariantAssignment.variant, func.sum(settled), func.sum(rewarded))
        .group_by(col(VariantAssignment.kind), col(VariantAssignment.variant))
        .order_by(col(VariantAssignment.kind), col(VariantAssignment.variant))
    ).all()
    return [
        {
            "kind": kind,
            "variant": variant,
            "settled": int(n or 0),
            "rewarded": int(r or 0),
            "rate": 100 * int(r or 0) / int(n) if n else None,
        }
        for kind, variant, n, r in rows
    ]


def cohort_outcomes(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """Everything the outcomes page shows."""
    now = now or utcnow()
    return {
        "days": OUTCOME_DAYS,
        "daily": daily_active(session, now),
        "competence": time_to_competence(session),
        "mentor": mentor_time(session, now),
        "gateway": gateway_readiness(session),
        "nudges": nudge_response(session),
        "learners": len(session.exec(select(Learner.id)).all()),
    }
