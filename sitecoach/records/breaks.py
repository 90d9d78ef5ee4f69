"""Breaks in learning: recorded by a mentor or admin, ended by them or (on the expected return date) by the
clock. While a learner is on a break nothing nudges them, no stall alert fires, and the OTJ and forecast
clocks stop. Each start and end is an event in the learner's audit chain (the reason stays in the
`learningbreak` row, which erasure blanks)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from sitecoach.infra import localtime
from sitecoach.learning import otj
from sitecoach.models import EventKind, Learner, LearningBreak
from sitecoach.records.audit import append_event

MAX_REASON_CHARS = 300


class BreakError(ValueError):
    """A break that cannot be recorded as asked (the message says why, for the mentor)."""


def learner_today(learner: Learner, now: datetime) -> date:
    """The learner's local date."""
    return localtime.local_now(now, learner.timezone).date()


def is_current(brk: LearningBreak, day: date) -> bool:
    """Whether the break covers `day`."""
    return brk.starts_on <= day and (brk.ended_on is None or day < brk.ended_on)


def breaks_of(session: Session, learner_id: int) -> list[LearningBreak]:
    """A learner's breaks, oldest first."""
    return list(
        session.exec(
            select(LearningBreak)
            .where(LearningBreak.learner_id == learner_id)
            .order_by(col(LearningBreak.starts_on), col(LearningBreak.id))
        ).all()
    )


def current_break(session: Session, learner: Learner, now: datetime) -> LearningBreak | None:
    """The break the learner is on now (their local date), if any."""
    day = learner_today(learner, now)
    return next((b for b in breaks_of(session, int(learner.id or 0)) if is_current(b, day)), None)


def open_break(session: Session, learner_id: int) -> LearningBreak | None:
    """The learner's break that has not ended (current or still to start), if any."""
    return session.exec(
        select(LearningBreak).where(
            LearningBreak.learner_id == learner_id, col(LearningBreak.ended_on).is_(None)
        )
    ).first()


def learners_on_break(session: Session, day: date) -> set[int]:
    """Ids of learners whose break covers `day` (a day either side of a learner's own date is close
    enough for planning; each send checks the learner's own date again)."""
    rows = session.exec(
        select(LearningBreak.learner_id).where(
            LearningBreak.starts_on <= day,
            or_(col(LearningBreak.ended_on).is_(None), col(LearningBreak.ended_on) > day),
        )
    ).all()
    return {int(i) for i in rows}


def as_periods(breaks: list[LearningBreak]) -> tuple[otj.LearningBreak, ...]:
    """The breaks as the pure OTJ maths takes them."""
    return tuple(otj.LearningBreak(b.starts_on, b.ended_on) for b in breaks)


def start_break(
    session: Session,
    learner: Learner,
    *,
    starts_on: date,
    expected_return: date | None,
    reason: str,
    staff_id: int | None,
    now: datetime,
) -> LearningBreak:
    """Record a break (one open break at a time) and append it to the audit chain."""
    learner_id = int(learner.id or 0)
    if open_break(session, learner_id) is not None:
        raise BreakError("This learner already has a break that has not ended: end it first.")
    if expected_return is not None and expected_return <= starts_on:
        raise BreakError("The expected return must be after the start of the break.")
    brk = LearningBreak(
        learner_id=learner_id,
        starts_on=starts_on,
        expected_return=expected_return,
        reason=" ".join(reason.split())[:MAX_REASON_CHARS],
        recorded_by=staff_id,
        created_at=now,
    )
    session.add(brk)
    session.flush()
    append_event(
        session,
        learner_id,
        EventKind.BREAK_STARTED,
        now,
        {
            "break": brk.id,
            "starts_on": starts_on.isoformat(),
            "expected_return": expected_return.isoformat() if expected_return else None,
            "by": staff_id,
        },
    )
    return brk


def end_break(
    session: Session, brk: LearningBreak, *, ended_on: date, staff_id: int | None, now: datetime
) -> LearningBreak:
    """End a break on `ended_on` (the day the learner is back); `staff_id` None: the clock ended it."""
    if brk.ended_on is not None:
        return brk
    brk.ended_on = max(ended_on, brk.starts_on)
    brk.ended_by = staff_id
    session.add(brk)
    append_event(
        session,
        brk.learner_id,
        EventKind.BREAK_ENDED,
        now,
        {"break": brk.id, "ended_on": brk.ended_on.isoformat(), "by": staff_id if staff_id else "clock"},
    )
    return brk


def breaks_due_to_end(session: Session, day: date) -> list[LearningBreak]:
    """Open breaks whose expected return date has come (on or before `day`)."""
    return list(
        session.exec(
            select(LearningBreak).where(
                col(LearningBreak.ended_on).is_(None),
                col(LearningBreak.expected_return).is_not(None),
                col(LearningBreak.expected_return) <= day,
            )
        ).all()
    )


def breaks_started_by(session: Session, day: date) -> list[LearningBreak]:
    """Open breaks that have started on or before `day` (their start message may still be due)."""
    return list(
        session.exec(
            select(LearningBreak).where(col(LearningBreak.ended_on).is_(None), LearningBreak.starts_on <= day)
        ).all()
    )
