"""What the coach says on its own about off-the-job hours and breaks in learning, each claimed once:

* ``break-start:<break>``: the break has begun (sent when it is recorded, or by the clock on its first day);
* ``break-end:<break>``: welcome back, when a mentor ends the break or when the expected return date comes
  (the clock ends the break then: a learner is never left "away" by a forgotten form; a mentor who knows
  the break goes on records a new one);
* ``otj-query:<learner>:<entry>``: the mentor queried logged hours;
* ``otj-behind:<learner>``: the learner has fallen behind the hours their plan expects by now, said once,
  kindly, and never while they are on a break.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from sitecoach.infra import localtime
from sitecoach.models import Consent, Learner, LearningBreak, Message, MessageKind
from sitecoach.outreach import prompted
from sitecoach.records import breaks
from sitecoach.records.otj import OtjEntry, otj_status
from sitecoach.services import Services

PLAIN_DAY = "%-d %B"  # "3 March", for learners


def _name(learner: Learner) -> str:
    return learner.name or "there"


def announce_break(services: Services, session: Session, brk: LearningBreak, now: datetime) -> Message | None:
    """Tell the learner their break has begun (once; nothing before its first day)."""
    learner = session.get(Learner, brk.learner_id)
    if learner is None or brk.ended_on is not None or breaks.learner_today(learner, now) < brk.starts_on:
        return None
    back = brk.expected_return.strftime(PLAIN_DAY) if brk.expected_return else ""
    variables = {"name": _name(learner), "expected_return": back}
    return prompted.to_learner(
        services,
        session,
        learner,
        key=f"break-start:{brk.id}",
        kind=MessageKind.BREAK_STARTED,
        prompt="otj/break_started",
        variables=variables,
        now=now,
    )


def welcome_back(services: Services, session: Session, brk: LearningBreak, now: datetime) -> Message | None:
    """Welcome the learner back after a break that has ended (once; not for a break they never heard of,
    such as one called off before it began)."""
    learner = session.get(Learner, brk.learner_id)
    if learner is None or brk.ended_on is None:
        return None
    told = session.exec(select(Message.id).where(Message.dedupe_key == f"break-start:{brk.id}")).first()
    if told is None and brk.ended_on <= brk.starts_on:
        return None
    variables = {"name": _name(learner)}
    return prompted.to_learner(
        services,
        session,
        learner,
        key=f"break-end:{brk.id}",
        kind=MessageKind.BREAK_ENDED,
        prompt="otj/welcome_back",
        variables=variables,
        now=now,
    )


def tend_breaks(services: Services, now: datetime) -> list[int]:
    """The clock's daily pass: announce breaks whose first day has come, and end (with a welcome back)
    breaks whose expected return date has come. Returns the claimed message ids."""
    claimed: list[int] = []
    with services.db.session() as session:
        for brk in breaks.breaks_due_to_end(session, now.date()):
            learner = session.get(Learner, brk.learner_id)
            if learner is None or breaks.learner_today(learner, now) < (brk.expected_return or now.date()):
                continue  # their own date has not reached it yet
            breaks.end_break(session, brk, ended_on=brk.expected_return or now.date(), staff_id=None, now=now)
            if row := welcome_back(services, session, brk, now):
                claimed.append(int(row.id or 0))
        for brk in breaks.breaks_started_by(session, now.date()):
            if row := announce_break(services, session, brk, now):
                claimed.append(int(row.id or 0))
    return claimed


def tell_query(
    services: Services, session: Session, learner: Learner, entry: OtjEntry, mentor_name: str, now: datetime
) -> Message | None:
    """Tell the learner their mentor queried an entry of hours (an answer to their own logging)."""
    variables = {
        "name": _name(learner),
        "hours": f"{entry.hours:g}",
        "activity": entry.activity or entry.type_label.lower(),
        "day": localtime.local_now(entry.at, learner.timezone).strftime(PLAIN_DAY),
        "comment": entry.comment,
        "mentor_name": mentor_name,
    }
    return prompted.to_learner(
        services,
        session,
        learner,
        key=f"otj-query:{learner.id}:{entry.seq}",
        kind=MessageKind.OTJ_QUERIED,
        prompt="otj/queried",
        variables=variables,
        now=now,
        answer_to_learner=True,
    )


def learners_to_check(session: Session) -> list[int]:
    """Opted-in learners with an apprenticeship agreement on record (the ones with a plan to be behind)."""
    rows = session.exec(
        select(Learner.id).where(Learner.consent == Consent.OPTED_IN, col(Learner.start_date).is_not(None))
    ).all()
    return [int(i) for i in rows]


def check_behind(services: Services, learner_id: int, now: datetime) -> int | None:
    """If the learner is behind on OTJ hours (and not on a break), tell them once, kindly."""
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        if learner is None or localtime.in_quiet_hours(
            localtime.local_now(now, learner.timezone), services.settings
        ):
            return None
        status = otj_status(session, services.settings.content_pack_path, learner, now)
        if not status.behind or status.progress is None:
            return None
        variables = {
            "name": _name(learner),
            "logged": f"{status.logged_hours:g}",
            "expected": f"{status.progress.expected_hours:.0f}",
            "planned": f"{status.planned_hours:g}",
        }
        row = prompted.to_learner(
            services,
            session,
            learner,
            key=f"otj-behind:{learner_id}",
            kind=MessageKind.OTJ_BEHIND,
            prompt="otj/behind",
            variables=variables,
            now=now,
        )
        return int(row.id or 0) if row is not None else None
