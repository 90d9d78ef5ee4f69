"""Messages the coach starts: claimed by a unique key before they are sent, never in quiet hours, never
after STOP, and as an approved template outside WhatsApp's 24-hour customer-service window.

Every proactive message is an outbound row whose `dedupe_key` names it (learner, kind, local date or source
event: ``nudge:42:2026-11-23``, ``milestone:42:area:ISO:Adept``). Inserting that row is the claim: a second
clock, a retried job or a duplicate worker finds the key taken and sends nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from sitecoach.delivery.channels import Template
from sitecoach.delivery.outbox import split_body
from sitecoach.delivery.service_window import SERVICE_WINDOW, window_open
from sitecoach.models import Consent, Direction, Learner, Message, MessageKind, MessageStatus
from sitecoach.settings import Settings

log = logging.getLogger(__name__)


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
