"""A learner's off-the-job hours from the database: the entries they logged (each `otj_hours` event) with
the mentor's verdict on each (`otj_reviewed` events: verified, or queried with a comment), the plan by the
funding rules (`sitecoach.learning.otj`) and where they stand against it today.

The standard's minimum OTJ hours: the admin's value (`OtjMinimum`) when set, else the figure published in
the content pack's competency map; a learner without start date and contract keeps the cohort's planned
figure and no on-track maths."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from sitecoach.curriculum.pack import published_otj_minimum
from sitecoach.learning import otj
from sitecoach.models import Cohort, EventKind, Learner, LearningEvent, OtjMinimum
from sitecoach.records.audit import append_event
from sitecoach.records.breaks import as_periods, breaks_of, learner_today


class EntryStatus:
    """What the mentor made of an entry."""

    LOGGED = "logged"  # confirmed by the learner, not yet looked at
    VERIFIED = "verified"
    QUERIED = "queried"


@dataclass(frozen=True)
class OtjEntry:
    """One confirmed entry of off-the-job hours and the mentor's latest verdict on it."""

    seq: int  # the event's place in the learner's chain: how verdicts name the entry
    at: datetime
    hours: float
    activity_type: otj.ActivityType
    activity: str
    learned: str
    status: str
    comment: str = ""

    @property
    def type_label(self) -> str:
        """The kind of training, in words."""
        return otj.ACTIVITY_LABELS[self.activity_type]


@dataclass(frozen=True)
class OtjStatus:
    """Planned vs logged vs verified hours, and (with a contract on record) the progress against the plan."""

    planned_hours: float
    logged_hours: float  # confirmed and not queried (verified ones included)
    verified_hours: float
    queried_hours: float
    plan: otj.OtjPlan | None
    progress: otj.OtjProgress | None

    @property
    def behind(self) -> bool:
        """Behind the hours expected by now (never on a break, never without a contract)."""
        return bool(self.progress and self.progress.behind and not self.progress.on_break)


def entries(session: Session, learner_id: int) -> list[OtjEntry]:
    """The learner's OTJ entries, oldest first, each with the latest verdict."""
    events = session.exec(
        select(LearningEvent)
        .where(
            LearningEvent.learner_id == learner_id,
            col(LearningEvent.kind).in_([EventKind.OTJ_HOURS, EventKind.OTJ_REVIEWED]),
        )
        .order_by(col(LearningEvent.seq))
    ).all()
    verdicts = {int(e.data.get("entry", 0)): e.data for e in events if e.kind == EventKind.OTJ_REVIEWED}
    out = []
    for e in events:
        if e.kind != EventKind.OTJ_HOURS:
            continue
        verdict = verdicts.get(e.seq, {})
        kind = str(e.data.get("type") or "")
        known = kind in set(otj.ActivityType)
        out.append(
            OtjEntry(
                seq=e.seq,
                at=e.at,
                hours=float(e.data.get("hours", 0)),
                activity_type=otj.ActivityType(kind) if known else otj.ActivityType.OTHER,
                activity=str(e.data.get("activity") or ""),
                learned=str(e.data.get("learned") or ""),
                status=str(verdict.get("outcome") or EntryStatus.LOGGED),
                comment=str(verdict.get("comment") or ""),
            )
        )
    return out


def standard_minimum(session: Session, pack_root: Path, standard_code: str | None) -> float | None:
    """A standard's minimum OTJ hours: the admin's value, else the pack's published figure."""
    if not standard_code:
        return None
    row = session.get(OtjMinimum, standard_code)
    if row is not None:
        return row.hours
    return published_otj_minimum(pack_root).get(standard_code)


def set_standard_minimum(
    session: Session, standard_code: str, hours: float | None, staff_id: int | None, now: datetime
) -> None:
    """Set the admin's value of a standard's minimum OTJ hours (None: back to the published figure)."""
    row = session.get(OtjMinimum, standard_code)
    if hours is None:
        if row is not None:
            session.delete(row)
        return
    row = row or OtjMinimum(standard_code=standard_code, hours=hours)
    row.hours, row.set_by, row.set_at = hours, staff_id, now
    session.add(row)


def contract_of(learner: Learner) -> otj.OtjContract | None:
    """The learner's apprenticeship agreement as the OTJ maths takes it (None until it is on record)."""
    if learner.start_date is None or learner.planned_end_date is None or learner.weekly_hours is None:
        return None
    prior = (
        (otj.PriorLearning(learner.prior_learning_hours, learner.prior_learning_note or ""),)
        if learner.prior_learning_hours
        else ()
    )
    return otj.OtjContract(learner.start_date, learner.planned_end_date, learner.weekly_hours, prior)


def otj_status(session: Session, pack_root: Path, learner: Learner, now: datetime) -> OtjStatus:
    """Where the learner stands on off-the-job hours today (their local date)."""
    learner_id = int(learner.id or 0)
    rows = entries(session, learner_id)
    logged = sum(e.hours for e in rows if e.status != EntryStatus.QUERIED)
    verified = sum(e.hours for e in rows if e.status == EntryStatus.VERIFIED)
    queried = sum(e.hours for e in rows if e.status == EntryStatus.QUERIED)
    cohort = session.get(Cohort, learner.cohort_id) if learner.cohort_id else None
    contract = contract_of(learner)
    plan = progress = None
    planned = cohort.planned_otj_hours if cohort else 0.0
    if contract is not None:
        minimum = standard_minimum(session, pack_root, cohort.standard_code if cohort else None)
        if contract.start < otj.RULES_CHANGE or minimum is not None:
            plan = otj.plan_hours(contract, minimum)
            planned = plan.hours
            progress = otj.progress(
                contract,
                plan,
                as_periods(breaks_of(session, learner_id)),
                learner_today(learner, now),
                logged_hours=logged,
                verified_hours=verified,
            )
    return OtjStatus(
        planned_hours=round(planned, 1),
        logged_hours=round(logged, 2),
        verified_hours=round(verified, 2),
        queried_hours=round(queried, 2),
        plan=plan,
        progress=progress,
    )


def review_entry(
    session: Session,
    learner_id: int,
    seq: int,
    *,
    outcome: str,
    comment: str,
    staff_id: int,
    now: datetime,
) -> OtjEntry:
    """Record a mentor's verdict (verified, or queried with a comment) on one entry, in the audit chain."""
    if outcome not in (EntryStatus.VERIFIED, EntryStatus.QUERIED):
        raise ValueError(f"unknown verdict {outcome!r}")
    entry = next((e for e in entries(session, learner_id) if e.seq == seq), None)
    if entry is None:
        raise LookupError(f"no OTJ entry {seq} for learner {learner_id}")
    comment = " ".join(comment.split())[:300]
    if outcome == EntryStatus.QUERIED and not comment:
        raise ValueError("a query needs a comment that says what to check")
    data = {"entry": seq, "outcome": outcome, "by": staff_id}
    if comment:
        data["comment"] = comment
    append_event(session, learner_id, EventKind.OTJ_REVIEWED, now, data)
    return next(e for e in entries(session, learner_id) if e.seq == seq)
