"""Messages the coach starts: claimed by a unique key before they are sent, never in quiet hours, never
after STOP, and as an approved template outside WhatsApp's 24-hour customer-service window.

Every proactive message is an outbound row whose `dedupe_key` names it (learner, kind, local date or source
event: ``nudge:42:2026-11-23``, ``celebration:42:2026-11-23``). Inserting that row is the claim: a second
clock, a retried job or a duplicate worker finds the key taken and sends nothing.

A learner gets at most `proactive_daily_cap` messages the coach starts on its own (nudges, stall messages,
celebrations) a local day. The cap is counted and taken under a lock on the learner's row, so two workers
never both take the last slot; emergencies, mentor relays and replies to the learner are never capped.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from sitecoach.delivery.channels import Template
from sitecoach.delivery.outbox import split_body
from sitecoach.delivery.service_window import SERVICE_WINDOW, window_open
from sitecoach.infra.localtime import local_now
from sitecoach.models import Consent, Direction, Learner, Message, MessageKind, MessageStatus
from sitecoach.settings import Settings

log = logging.getLogger(__name__)
# What the daily cap counts: the messages the coach starts of its own accord.
CAPPED_KINDS = frozenset(
    {
        MessageKind.STALL,
        MessageKind.MILESTONE,
        MessageKind.DIGEST,
        MessageKind.NUDGE_EVIDENCE_RETURNED,
        MessageKind.NUDGE_DUE_REVIEWS,
        MessageKind.NUDGE_STREAK_AT_RISK,
        MessageKind.NUDGE_NEXT_LESSON,
        MessageKind.OTJ_BEHIND,
    }
)


def template_for(settings: Settings, kind: str, variables: dict[str, Any]) -> Template:
    """The configured Content template of a kind, with its variables numbered as Twilio expects."""
    config = settings.whatsapp_templates.get(kind, {}) if settings.whatsapp_templates else {}
    names = list(config.get("variables") or sorted(variables))
    numbered = {str(i + 1): str(variables.get(name, ""))[:300] for i, name in enumerate(names)}
    return Template(kind=kind, content_sid=config.get("content_sid"), variables=numbered)


def claim(
    session: Session,
    *,
    phone: str,
    key: str,
    body: str,
    kind: MessageKind,
    now: datetime,
    learner_id: int | None,
    template: Template | None = None,
    use_template: bool = False,
    variant: str | None = None,
) -> Message | None:
    """Insert the outbound row under its unique key; None if the key is already taken (already sent)."""
    row = Message(
        direction=Direction.OUT,
        phone=phone,
        learner_id=learner_id,
        body=split_body(body)[0] if body else "",
        dedupe_key=key,
        status=MessageStatus.PENDING,
        kind=kind,
        created_at=now,
        variant=variant,
        template=template.kind if (template and use_template) else None,
        raw={"template": template.__dict__ if template else None, "use_template": use_template},
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        log.info("proactive %s already claimed", key.split(":")[0])
        return None
    return row


def to_learner(
    session: Session,
    settings: Settings,
    learner: Learner,
    *,
    key: str,
    kind: MessageKind,
    body: str,
    variables: dict[str, Any],
    now: datetime,
    variant: str | None = None,
    answer_to_learner: bool = False,
) -> Message | None:
    """Claim a proactive message to an opted-in learner, as a template when the 24 h window is closed.
    `answer_to_learner`: it answers their own request (a sign-off), so "answers only" learners get it too."""
    allowed = (Consent.OPTED_IN, Consent.DECLINED) if answer_to_learner else (Consent.OPTED_IN,)
    if learner.consent not in allowed:
        return None
    if kind in CAPPED_KINDS and not _daily_slot_free(session, settings.proactive_daily_cap, learner, now):
        log.info(
            "proactive %s to learner %s not sent: the daily cap of %d is reached",
            kind,
            learner.id,
            settings.proactive_daily_cap,
        )
        return None
    template = template_for(settings, kind, variables)
    return claim(
        session,
        phone=learner.whatsapp_address,
        key=key,
        body=body,
        kind=kind,
        now=now,
        learner_id=learner.id,
        template=template,
        use_template=not window_open(learner, now),
        variant=variant,
    )


def _daily_slot_free(session: Session, cap: int, learner: Learner, now: datetime) -> bool:
    """Whether the learner has had fewer than `cap` capped messages this local day (0: no cap). Locks the
    learner's row first (PostgreSQL; SQLite writers hold the database's write lock already), so a second
    worker counts only after this transaction has committed its claim."""
    if cap <= 0:
        return True
    session.exec(select(Learner.id).where(Learner.id == learner.id).with_for_update()).one()
    local = local_now(now, learner.timezone)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    sent = session.exec(
        select(func.count())
        .select_from(Message)
        .where(
            Message.learner_id == learner.id,
            Message.direction == Direction.OUT,
            col(Message.kind).in_(sorted(CAPPED_KINDS)),
            Message.status != MessageStatus.CANCELED,
            Message.created_at >= day_start,
            Message.created_at < day_start + timedelta(days=1),
        )
    ).one()
    return int(sent) < cap


STAFF_TEMPLATE = "staff_alert"


def to_staff(
    session: Session,
    settings: Settings,
    *,
    phone: str,
    key: str,
    kind: MessageKind,
    body: str,
    now: datetime,
    learner_id: int | None,
) -> Message | None:
    """Claim a message to a mentor or backup contact: no learner consent applies, but the 24 h window does."""
    last = session.exec(
        select(func.max(Message.created_at)).where(Message.phone == phone, Message.direction == Direction.IN)
    ).one()
    open_window = last is not None and now - last < SERVICE_WINDOW
    template = template_for(settings, STAFF_TEMPLATE, {"text": body})
    return claim(
        session,
        phone=phone,
        key=key,
        body=body,
        kind=kind,
        now=now,
        learner_id=learner_id,
        template=template,
        use_template=not open_window,
    )
