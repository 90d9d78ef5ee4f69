"""Passport expiry: an authorisation or practical assessment nearing its expiry date is flagged to the
learner and their mentor at each threshold (`PASSPORT_EXPIRY_WARN_DAYS` before, a week before, on the day),
once per record per threshold.

Each message is claimed under its own key (``passport-expiry:<learner>:<kind>:<record>:<days>`` and
``passport-expiry-mentor:...``), so a second clock, a retried job or tomorrow's run sends nothing twice. A
learner in quiet hours (or a mentor in theirs) is told on a later run: the key is not taken until then.
A learner on a break in learning is not told (their mentor is); their key stays free for after the break.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

from sitecoach.delivery import proactive
from sitecoach.infra import localtime
from sitecoach.learning.passport import latest_by_step, threshold_crossed
from sitecoach.models import Learner, Mentor, MessageKind, PassportAuthorisation, PracticalAssessment
from sitecoach.outreach import prompted
from sitecoach.records.breaks import current_break
from sitecoach.records.passport import entries
from sitecoach.services import Services


def learners_with_expiring(services: Services, now: datetime) -> list[int]:
    """Learners holding a record that expires within the warning window (or lapsed within it)."""
    warn = services.settings.passport_expiry_warn_days
    today = now.date()
    low, high = today - timedelta(days=warn + 1), today + timedelta(days=warn + 1)
    with services.db.read_session() as session:
        auth = session.exec(
            select(PassportAuthorisation.learner_id).where(
                col(PassportAuthorisation.expires_on).between(low, high),
                col(PassportAuthorisation.revoked_at).is_(None),
            )
        ).all()
        done = session.exec(
            select(PracticalAssessment.learner_id).where(
                col(PracticalAssessment.expires_on).between(low, high)
            )
        ).all()
    return sorted({int(i) for i in [*auth, *done]})


def check_passport_expiry(services: Services, learner_id: int, now: datetime) -> list[int]:
    """Flag each of the learner's records that has reached an expiry threshold; returns claimed row ids."""
    settings = services.settings
    warn = settings.passport_expiry_warn_days
    claimed: list[int] = []
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        if learner is None:
            return []
        local = localtime.local_now(now, learner.timezone)
        on_break = current_break(session, learner, now) is not None
        learner_told = not on_break and not localtime.in_quiet_hours(local, settings)
        mentor = session.get(Mentor, learner.mentor_id) if learner.mentor_id else None
        mentor_quiet = mentor is None or localtime.in_quiet_hours(
            localtime.local_now(now, mentor.timezone), settings
        )
        for entry in latest_by_step(entries(session, learner_id)).values():
            threshold = threshold_crossed(entry, local.date(), warn)
            if threshold is None or entry.expires_on is None:
                continue
            days = entry.days_left(local.date()) or 0
            ref = f"{learner_id}:{entry.kind}:{entry.record_id}:{threshold}"
            variables = {
                "title": entry.title,
                "kind": entry.kind,
                "expires": f"{entry.expires_on:%d %b %Y}",
                "days": days,
            }
            if learner_told:
                row = prompted.to_learner(
                    services,
                    session,
                    learner,
                    key=f"passport-expiry:{ref}",
                    kind=MessageKind.PASSPORT_EXPIRY,
                    prompt="passport/expiring_learner",
                    variables=variables,
                    now=now,
                )
                if row is not None:
                    claimed.append(int(row.id or 0))
            if mentor is not None and mentor.phone and not mentor_quiet:
                body = services.prompts.render(
                    "passport/expiring_mentor", learner_name=learner.name or "Your apprentice", **variables
                )
                row = proactive.to_staff(
                    session,
                    settings,
                    phone=mentor.phone,
                    key=f"passport-expiry-mentor:{ref}",
                    kind=MessageKind.PASSPORT_EXPIRY_MENTOR,
                    body=body,
                    now=now,
                    learner_id=learner_id,
                )
                if row is not None:
                    claimed.append(int(row.id or 0))
    return claimed
