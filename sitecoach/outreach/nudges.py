"""The daily nudge: at each learner's own local time, never in quiet hours, never after STOP, skipped when
they already practised today, and about what matters most now (returned evidence, due reviews, a streak
at risk, the next lesson). Each kind has wording variants chosen by the bandit."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from sitecoach.delivery import proactive
from sitecoach.infra import localtime
from sitecoach.learning.mastery import streak_days
from sitecoach.models import (
    Consent,
    EventKind,
    EvidenceItem,
    EvidenceStatus,
    Learner,
    LearningEvent,
    Message,
    MessageKind,
    ReviewState,
)
from sitecoach.records import experiments
from sitecoach.records.breaks import current_break, learners_on_break
from sitecoach.services import Services
from sitecoach.settings import Settings

NUDGE_VARIANTS: dict[str, tuple[str, ...]] = {
    "evidence_returned": ("a", "b"),
    "due_reviews": ("a", "b"),
    "streak_at_risk": ("a", "b"),
    "next_lesson": ("a", "b"),
}
STREAK_WORTH_SAVING = 2  # days
EXPLICIT_EARLY_GRACE = timedelta(
    minutes=30
)  # a nudge time the learner chose inside quiet hours is kept this long


def nudge_date(learner: Learner, now: datetime, settings: Settings) -> str | None:
    """The local date a nudge is due for now, or None (not opted in, quiet hours, out of window, done)."""
    if learner.consent != Consent.OPTED_IN:
        return None
    local = localtime.local_now(now, learner.timezone)
    at = localtime.parse_hhmm(learner.nudge_time)
    start = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if not start <= local < start + timedelta(hours=settings.nudge_window_hours):
        return None
    if localtime.in_quiet_hours(local, settings):
        # Quiet hours hold, except for a time the learner chose inside them ("nudge me at 6am"), briefly.
        if not (localtime.in_quiet_hours(start, settings) and local < start + EXPLICIT_EARLY_GRACE):
            return None
    today = local.date().isoformat()
    return None if learner.nudged_on == today else today


def plan(session: Session, settings: Settings, now: datetime) -> list[tuple[int, str]]:
    """(learner id, local date) of every learner whose nudge is due now: one query per time zone."""
    zones = session.exec(select(Learner.timezone).where(Learner.consent == Consent.OPTED_IN).distinct()).all()
    due: list[tuple[int, str]] = []
    for zone in zones:
        local = localtime.local_now(now, zone)
        today = local.date().isoformat()
        latest = local.strftime("%H:%M")
        quiet = localtime.in_quiet_hours(local, settings)
        # In quiet hours only learners who chose a time there are due, and only just after it.
        window_start = local - (
            EXPLICIT_EARLY_GRACE if quiet else timedelta(hours=settings.nudge_window_hours)
        )
        earliest = window_start.strftime("%H:%M") if window_start.date() == local.date() else "00:00"
        rows = session.exec(
            select(Learner.id).where(
                Learner.timezone == zone,
                Learner.consent == Consent.OPTED_IN,
                col(Learner.nudge_time) <= latest,
                col(Learner.nudge_time) > earliest,
                or_(col(Learner.nudged_on).is_(None), Learner.nudged_on != today),
            )
        ).all()
        away = learners_on_break(session, local.date())  # a break in learning: no nudges
        due.extend((int(learner_id), today) for learner_id in rows if int(learner_id) not in away)
    return due


def practised_today(session: Session, learner: Learner, now: datetime) -> bool:
    """Whether the learner has already done something today (their local day)."""
    local = localtime.local_now(now, learner.timezone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    event = session.exec(
        select(LearningEvent.id)
        .where(LearningEvent.learner_id == learner.id, LearningEvent.at >= midnight)
        .limit(1)
    ).first()
    inbound = session.exec(
        select(Message.id)
        .where(Message.learner_id == learner.id, Message.direction == "in", Message.created_at >= midnight)
        .limit(1)
    ).first()
    return event is not None or inbound is not None


def compose(
    services: Services, session: Session, learner: Learner, now: datetime
) -> tuple[str, dict[str, Any]]:
    """The kind of nudge that matters most now, and its variables."""
    name = learner.name or "there"
    returned = session.exec(
        select(EvidenceItem)
        .where(EvidenceItem.learner_id == learner.id, EvidenceItem.status == EvidenceStatus.RETURNED)
        .order_by(col(EvidenceItem.signed_at).desc())
    ).all()
    if returned:
        comment = (returned[0].mentor_comment or "please have another go")[:160]
        return "evidence_returned", {"name": name, "count": len(returned), "comment": comment}
    catalogue = services.catalogue()
    due_items = session.exec(
        select(ReviewState.quiz_item_id).where(ReviewState.learner_id == learner.id, ReviewState.due <= now)
    ).all()
    if due_items:
        areas: Counter[str] = Counter()
        for item_id in due_items:
            item = catalogue.items_by_id.get(item_id)
            for code in item.competencies if item else ():
                comp = catalogue.competencies.get(code)
                if comp:
                    areas[comp.area_title] += 1
        topic = areas.most_common(1)[0][0].lower() if areas else "your last topics"
        return "due_reviews", {"name": name, "count": len(due_items), "topic": topic, "link": ""}
    activity = list(
        session.exec(
            select(LearningEvent.at).where(
                LearningEvent.learner_id == learner.id, LearningEvent.at >= now - timedelta(days=60)
            )
        ).all()
    )
    streak = streak_days(activity, now, learner.timezone)
    if streak >= STREAK_WORTH_SAVING:
        return "streak_at_risk", {"name": name, "streak": streak, "link": ""}
    opened = {
        str(d.get("lesson"))
        for d in session.exec(
            select(LearningEvent.data).where(
                LearningEvent.learner_id == learner.id, LearningEvent.kind == EventKind.LESSON_WATCHED
            )
        ).all()
    }
    live = catalogue.live_lessons()
    lesson = next((x for x in live if x.code not in opened), None) or (live[0] if live else None)
    if lesson is None:  # every lesson withdrawn by the safety lead: a question instead of a lesson
        return "due_reviews", {"name": name, "count": 1, "topic": "the job", "link": ""}
    link = services.links.lesson_url(int(learner.id or 0), lesson.code)
    return "next_lesson", {"name": name, "lesson": lesson.title, "link": link}


def send_nudge(services: Services, learner_id: int, local_date: str, now: datetime) -> int | None:
    """Claim and compose one learner's nudge for a local date; the outbound row id, or None if not sent."""
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        if learner is None or nudge_date(learner, now, services.settings) != local_date:
            return None
        if practised_today(session, learner, now) or current_break(session, learner, now) is not None:
            learner.nudged_on = local_date  # nothing to nudge about today, or they are on a break
            session.add(learner)
            return None
        kind, variables = compose(services, session, learner, now)
        rng = random.Random(f"{learner_id}:{local_date}")
        assignment = experiments.assign(session, kind, NUDGE_VARIANTS[kind], learner_id, now, rng)
        body = services.prompts.render(f"nudges/{kind}_{assignment.variant}", **variables)
        row = proactive.to_learner(
            session,
            services.settings,
            learner,
            key=f"nudge:{learner_id}:{local_date}",
            kind=MessageKind(f"nudge_{kind}"),
            body=body,
            variables=variables,
            now=now,
            variant=f"{kind}:{assignment.variant}",
        )
        if row is None:  # already claimed by another run, or the day's proactive cap is reached
            session.delete(assignment)
            learner.nudged_on = local_date  # either way no nudge is due today: not planned again
            session.add(learner)
            return None
        assignment.message_id = row.id
        learner.nudged_on = local_date
        session.add_all([assignment, learner])
        return int(row.id or 0)
