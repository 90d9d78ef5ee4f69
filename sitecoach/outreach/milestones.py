"""Milestones: badges, a streak record and gateway readiness, celebrated together in one message.

A check claims at most one celebration, under ``celebration:<learner>:<local date>``, so a learner hears at
most one a day, and it counts towards the daily cap on proactive messages (`delivery/proactive.py`).
Mentors hear of the big ones under their own keys: ``milestone-mentor:<learner>:<badge>``,
``gateway-mentor:<learner>``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from sitecoach.delivery import proactive
from sitecoach.infra import localtime
from sitecoach.models import Learner, LearningEvent, Message, MessageKind
from sitecoach.outreach.alerts import insights_of, mentor_of
from sitecoach.records.audit import append_event
from sitecoach.records.snapshots import write_snapshot
from sitecoach.services import Services

log = logging.getLogger(__name__)
BIG_BADGE_LEVELS = ("Master",)  # mentors are copied on these (and on Polymath and gateway)
STREAK_RECORD_MIN = 3  # days: shorter "records" are not worth a message
GATEWAY_CELEBRATED = "gateway_celebrated"  # event: the learner has been told they are ready for gateway


def check_milestones(services: Services, learner_id: int, now: datetime) -> list[int]:
    """Celebrate what the learner newly achieved (badges, a streak record, gateway readiness) in one message,
    at most one a local day and within the daily cap; mentors hear of the big ones. Returns claimed ids."""
    settings = services.settings
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        if learner is None:
            return []
        ins = insights_of(services, session, learner, now, award=True)
        write_snapshot(session, learner, ins, now)  # the mentor summary reads this
        mentor = mentor_of(session, learner)
        claimed: list[int] = []

        def mentor_msg(key: str, prompt: str, **variables: object) -> None:
            if mentor is None or not mentor.phone:
                return
            body = services.prompts.render(prompt, **variables)
            row = proactive.to_staff(
                session,
                settings,
                phone=mentor.phone,
                key=key,
                kind=MessageKind.MILESTONE_MENTOR,
                body=body,
                now=now,
                learner_id=learner_id,
            )
            if row is not None:
                claimed.append(int(row.id or 0))

        for badge in ins.badges_new:
            if badge.level in BIG_BADGE_LEVELS or badge.area is None:
                mentor_msg(
                    f"milestone-mentor:{learner_id}:{badge.key}",
                    "alerts/badge_mentor",
                    learner_name=learner.name or "A learner",
                    badge=badge.name,
                )
        streak = 0
        if ins.streak >= STREAK_RECORD_MIN and ins.streak > _best_streak(session, learner_id):
            append_event(session, learner_id, "streak_record", now, {"days": ins.streak})
            streak = ins.streak
        ready = bool(ins.gateway.competencies) and ins.gateway.ready_count == len(ins.gateway.competencies)
        if ready:
            mentor_msg(
                f"gateway-mentor:{learner_id}",
                "alerts/gateway_ready_mentor",
                learner_name=learner.name or "A learner",
            )
        celebration = Celebration(
            badges=tuple(b.name for b in ins.badges_new),
            streak=streak,
            gateway=ready and not _gateway_celebrated(session, learner_id),
        )
        row = _celebrate(services, session, learner, celebration, now)
        if row is not None:
            claimed.append(int(row.id or 0))
            if celebration.gateway:
                append_event(session, learner_id, GATEWAY_CELEBRATED, now, {})
        return claimed


@dataclass(frozen=True)
class Celebration:
    """What one milestone check found to celebrate."""

    badges: tuple[str, ...] = ()
    streak: int = 0  # a new personal best, in days (0: none)
    gateway: bool = False

    def __bool__(self) -> bool:
        return bool(self.badges or self.streak or self.gateway)


def _celebrate(
    services: Services, session: Session, learner: Learner, celebration: Celebration, now: datetime
) -> Message | None:
    """One message for everything a check found, claimed once a local day (and within the daily cap).
    What cannot be said today is dropped, not saved for tomorrow: the badges stay on the learner's progress
    ("new since you last looked"), and a streak record or gateway readiness is found again by the next
    check (a longer streak is a new record; gateway stays uncelebrated until a celebration carries it)."""
    if not celebration:
        return None
    variables = {
        "name": learner.name or "there",
        "badges": _joined(list(celebration.badges)) if celebration.badges else "",
        "badge_count": len(celebration.badges),
        "streak": celebration.streak,
        "gateway": celebration.gateway,
    }
    day = localtime.local_now(now, learner.timezone).date().isoformat()
    row = proactive.to_learner(
        session,
        services.settings,
        learner,
        key=f"celebration:{learner.id}:{day}",
        kind=MessageKind.MILESTONE,
        body=services.prompts.render("alerts/celebration", **variables).strip(),
        variables={k: str(v) for k, v in variables.items()},
        now=now,
    )
    if row is None:
        log.info(
            "celebration for learner %s not sent (one today already, or the daily cap): "
            "%d badge(s)%s%s dropped",
            learner.id,
            len(celebration.badges),
            ", a streak record" if celebration.streak else "",
            ", gateway readiness (kept for the next check)" if celebration.gateway else "",
        )
    return row


def _gateway_celebrated(session: Session, learner_id: int) -> bool:
    """Whether the learner has been told they are ready for gateway (once ever; before celebrations were
    gathered, that message had its own key)."""
    told = session.exec(
        select(LearningEvent.id)
        .where(LearningEvent.learner_id == learner_id, LearningEvent.kind == GATEWAY_CELEBRATED)
        .limit(1)
    ).first()
    if told is not None:
        return True
    return (
        session.exec(select(Message.id).where(Message.dedupe_key == f"gateway:{learner_id}")).first()
        is not None
    )


def _joined(names: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _best_streak(session: Session, learner_id: int) -> int:
    rows = session.exec(
        select(LearningEvent.data).where(
            LearningEvent.learner_id == learner_id, LearningEvent.kind == "streak_record"
        )
    ).all()
    return max((int(r.get("days", 0)) for r in rows), default=0)
