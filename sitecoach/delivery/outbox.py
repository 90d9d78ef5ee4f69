"""The outbox: outbound messages are rows first (with a unique dedupe key), then claimed, sent and marked.

Writing the rows in the same transaction as the skill's effects means a crash never loses a reply, and
the unique key means a retry never writes it twice. Sending claims a row (pending -> sending) before
calling the channel, so two workers never send the same row. The learner's consent is checked as the row
is claimed, and again after a pacing wait: a row for a learner who has opted out since it was written is
cancelled, not sent (`records/opt_out.py`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from sitecoach.delivery import pacing
from sitecoach.delivery.channels import Channel, ChannelError, SendResult, Template
from sitecoach.delivery.service_window import window_open
from sitecoach.infra.privacy import mask_phone
from sitecoach.models import Database, Direction, Learner, Message, MessageKind, MessageStatus, utcnow
from sitecoach.models.choices import Choices, ChoiceStyle
from sitecoach.records import opt_out
from sitecoach.settings import WHATSAPP_BODY_LIMIT

log = logging.getLogger(__name__)
MAX_SEND_ATTEMPTS = 5


def split_body(body: str, limit: int = WHATSAPP_BODY_LIMIT) -> list[str]:
    """Split a long message into parts of at most `limit` characters, at paragraph, line or sentence ends."""
    body = body.strip()
    if len(body) <= limit:
        return [body] if body else []
    parts: list[str] = []
    rest = body
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for pattern in (r"\n\s*\n", r"\n", r"[.!?]\s", r"\s"):  # paragraph, line, sentence, word
            ends = [m.end() for m in re.finditer(pattern, window)]
            if ends and ends[-1] >= limit // 2:
                cut = ends[-1]
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    if rest:
        parts.append(rest)
    return parts


def queue_outbound(
    session: Session,
    *,
    phone: str,
    body: str,
    dedupe_key: str,
    learner_id: int | None,
    in_reply_to_id: int | None = None,
    kind: MessageKind = MessageKind.REPLY,
    media_urls: list[str] | None = None,
    now: datetime | None = None,
    sendable_after_stop: bool = False,
    choices: Choices | None = None,
) -> list[Message]:
    """Add outbound rows (one per 1,600-character part) to the session; nothing is sent yet.
    `sendable_after_stop`: the row goes even if the learner has opted out by the time it is sent.
    `choices` (buttons or a list) go with the last part."""
    parts = split_body(body) or [""]
    raw = {opt_out.SENDABLE_AFTER_STOP: True} if sendable_after_stop else {}
    rows = []
    for i, part in enumerate(parts):
        row = Message(
            direction=Direction.OUT,
            phone=phone,
            learner_id=learner_id,
            body=part,
            media=[{"url": u} for u in (media_urls or [])] if i == 0 else [],
            dedupe_key=dedupe_key if len(parts) == 1 else f"{dedupe_key}/{i + 1}",
            status=MessageStatus.PENDING,
            in_reply_to_id=in_reply_to_id,
            kind=kind,
            raw={**raw, CHOICES_KEY: choices.to_data()} if choices and i == len(parts) - 1 else dict(raw),
            created_at=now or utcnow(),
        )
        session.add(row)
        rows.append(row)
    return rows


CHOICES_KEY = "choices"  # on an outbound row's raw: the buttons or list it offers


def choices_of(row: Message) -> Choices | None:
    """The buttons or list an outbound row offers, if any."""
    return Choices.from_data((row.raw or {}).get(CHOICES_KEY))


def _tappable(db: Database, row: Message, choices: Choices | None) -> Choices | None:
    """The choices to send as buttons or a list: only inside the learner's 24-hour window (outside it
    only approved templates may go, so the channel sends them as numbered text). A reply answers a
    message the learner has just sent, so its window is open."""
    if choices is None or row.learner_id is None or row.in_reply_to_id is not None:
        return choices
    with db.session() as session:
        learner = session.get(Learner, row.learner_id)
        if learner is not None and window_open(learner, utcnow()):
            return choices
    return replace(choices, style=ChoiceStyle.TEXT)


def _claim(db: Database, message_id: int) -> Message | None:
    """Claim a pending row (pending -> sending), or None: taken by another worker, already sent, or
    withheld because its learner has opted out (then cancelled, in the same transaction)."""
    with db.session() as session:
        result = session.execute(
            update(Message)
            .where(col(Message.id) == message_id, col(Message.status) == MessageStatus.PENDING)
            .values(status=MessageStatus.SENDING, attempts=Message.attempts + 1, sent_at=utcnow())
        )
        if result.rowcount != 1:
            return None
        row = session.get(Message, message_id)
        if row is not None and _cancel_if_withheld(session, row):
            return None
        return row


def _cancel_if_withheld(session: Session, row: Message) -> bool:
    """Cancel the row (claimed by this worker) if its learner has opted out since it was written."""
    learner = session.get(Learner, row.learner_id) if row.learner_id else None
    if not opt_out.withheld(row, learner):
        return False
    opt_out.mark_cancelled(row)
    row.attempts, row.sent_at = max(0, row.attempts - 1), None  # never tried: not an attempt
    session.add(row)
    log.info("message %s to %s not sent: the learner opted out", row.id, mask_phone(row.phone))
    return True


def _withheld_after_wait(db: Database, message_id: int) -> bool:
    """After a pacing wait, check consent again (a STOP may have come meanwhile); cancels if withheld."""
    with db.session() as session:
        row = session.get(Message, message_id)
        return row is not None and row.status == MessageStatus.SENDING and _cancel_if_withheld(session, row)


def _unclaim(db: Database, message_id: int) -> None:
    """Pacing: return a claimed row to pending without counting the attempt."""
    with db.session() as session:
        session.execute(
            update(Message)
            .where(col(Message.id) == message_id, col(Message.status) == MessageStatus.SENDING)
            .values(status=MessageStatus.PENDING, attempts=Message.attempts - 1, sent_at=None)
        )


class SendOutcomeUnknown(ChannelError):
    """The channel never answered a send, and its message log could not say whether it took it."""


def _send(
    channel: Channel,
    row: Message,
    media: list[str],
    status_callback: str | None,
    template: Template | None,
    choices: Choices | None = None,
) -> SendResult:
    """channel.send; when no answer came back (a timeout, a dropped connection) the channel may still have
    taken the message, so ask its log (as reconcile_stuck_sends does) before calling the send failed."""
    try:
        return channel.send(row.phone, row.body, media, status_callback, template=template, choices=choices)
    except ChannelError as exc:
        if not exc.retryable or exc.code is not None:
            raise  # the channel answered: it refused the message
        since = (row.sent_at or utcnow()) - timedelta(minutes=1)
        try:
            found = channel.find_sent(row.phone, row.body, since)
        except ChannelError as lookup:
            raise SendOutcomeUnknown(f"{exc}; message log unavailable: {lookup}", None, True) from exc
        if found is None:
            raise
        log.warning("message %s: no answer from the channel, but it took the message", row.id)
        return found


def deliver(db: Database, channel: Channel, message_ids: list[int], status_callback: str | None) -> int:
    """Send the given pending rows in order; return how many were sent. Raises ChannelError to retry."""
    sent = 0
    pacer = pacing.pacer_for(channel)  # pacing: None unless the channel is Twilio
    for message_id in message_ids:
        row = _claim(db, message_id)
        if row is None:
            continue  # already sent, or another worker has it
        media = [m["url"] for m in row.media if m.get("url")]
        template = template_of(row)
        choices = _tappable(db, row, choices_of(row)) if template is None else None
        # --- pacing (bot/pacing.py): the sender's rate and the learner's spacing; a long wait queues ---
        try:
            waited = pacing.pace(pacer, channel, row.phone, part_of_reply=row.in_reply_to_id is not None)
        except pacing.PacingDelay:
            _unclaim(db, message_id)  # back to pending, the attempt not counted; RQ retries the job
            raise
        if waited > 0 and _withheld_after_wait(db, message_id):
            pacing.unpace(pacer, channel, row.phone)  # nothing went: give the learner's slot back
            continue
        # --- end pacing ---
        try:
            result = _send(channel, row, media, status_callback, template, choices)
        except SendOutcomeUnknown as exc:
            # Maybe sent: never guess. The row stays claimed (sending) and reconcile_stuck_sends records it
            # if the channel has it, or releases it to be sent again.
            with db.session() as session:
                session.execute(
                    update(Message)
                    .where(col(Message.id) == message_id)
                    .values(error_code=exc.code, error_message=str(exc)[:500])
                )
            log.warning("send to %s of message %s unconfirmed: %s", mask_phone(row.phone), message_id, exc)
            raise
        except ChannelError as exc:
            if exc.code is not None:  # pacing: Twilio refused it, so nothing reached the learner
                pacing.unpace(pacer, channel, row.phone)
            if exc.code == OUTSIDE_WINDOW and template is None and use_template_instead(db, message_id):
                return sent + deliver(
                    db,
                    channel,
                    [message_id, *message_ids[message_ids.index(message_id) + 1 :]],
                    status_callback,
                )
            final = not exc.retryable or row.attempts >= MAX_SEND_ATTEMPTS
            with db.session() as session:
                session.execute(
                    update(Message)
                    .where(col(Message.id) == message_id)
                    .values(
                        status=MessageStatus.FAILED if final else MessageStatus.PENDING,
                        error_code=exc.code,
                        error_message=str(exc)[:500],
                    )
                )
            log.warning("send failed for message %s to %s: %s", message_id, mask_phone(row.phone), exc)
            if final:
                continue
            raise
        pacing.paced(pacer, channel, row.phone)  # pacing: the learner's spacing runs from acceptance
        with db.session() as session:
            session.execute(
                update(Message)
                .where(col(Message.id) == message_id)
                .values(
                    twilio_sid=result.sid,
                    status=result.status,
                    sent_at=utcnow(),
                    error_code=None,
                    error_message=None,
                )
            )
        sent += 1
    return sent


OUTSIDE_WINDOW = "63016"  # Twilio: free-form message outside the 24 h window


def template_of(row: Message) -> Template | None:
    """The template to send this row as, if it must go as one."""
    info = (row.raw or {}).get("template")
    if not info or not (row.raw or {}).get("use_template"):
        return None
    return Template(
        kind=info["kind"], content_sid=info.get("content_sid"), variables=dict(info.get("variables") or {})
    )


def use_template_instead(db: Database, message_id: int) -> bool:
    """Switch a row that has a template to sending as one (after 63016); False if it has none."""
    with db.session() as session:
        row = session.get(Message, message_id)
        if row is None or not (row.raw or {}).get("template") or (row.raw or {}).get("use_template"):
            return False
        row.raw = {**row.raw, "use_template": True}
        row.template = row.raw["template"]["kind"]
        row.status = MessageStatus.PENDING
        row.twilio_sid = None
        session.add(row)
    log.info("message %s falls back to its WhatsApp template (outside the 24 h window)", message_id)
    return True


def resend_failed(db: Database, message_id: int, enqueue: Callable[[int], object]) -> bool:
    """Give a send that failed for good a fresh set of tries (the admin's Resend) and queue it with
    `enqueue`. False if the row is not a failed outbound message (already resent, say). If it cannot be
    queued (Redis down) the row goes back to failed, saying so, and the error is raised."""
    failed = (
        col(Message.id) == message_id,
        col(Message.direction) == Direction.OUT,
        col(Message.status) == MessageStatus.FAILED,
    )
    with db.session() as session:
        result = session.execute(
            update(Message).where(*failed).values(status=MessageStatus.PENDING, attempts=0)
        )
        if result.rowcount != 1:
            return False
    try:
        enqueue(message_id)
    except Exception as exc:
        with db.session() as session:
            session.execute(
                update(Message)
                .where(col(Message.id) == message_id, col(Message.status) == MessageStatus.PENDING)
                .values(
                    status=MessageStatus.FAILED,
                    attempts=MAX_SEND_ATTEMPTS,
                    error_message=f"resend not queued: {type(exc).__name__}",
                )
            )
        raise
    log.info("failed message %s will be sent again", message_id)
    return True


def pending_for(session: Session, inbound_id: int) -> list[int]:
    """Ids of the unsent replies to one inbound message, in order."""
    rows = session.exec(
        select(Message.id)
        .where(
            Message.in_reply_to_id == inbound_id,
            Message.direction == Direction.OUT,
            Message.status == MessageStatus.PENDING,
        )
        .order_by(col(Message.id))
    ).all()
    return [int(r) for r in rows]


def apply_status(
    session: Session, sid: str, status: MessageStatus, error_code: str | None, error_message: str | None
) -> Message | None:
    """Apply a delivery callback; never move a message backwards. Returns the row, if one matched."""
    row = session.exec(select(Message).where(Message.twilio_sid == sid)).first()
    if row is None:
        return None
    current = MessageStatus.parse(row.status)
    if status.rank >= (current.rank if current else 0):
        row.status = status
        if error_code:
            row.error_code = error_code
            row.error_message = (error_message or "")[:500] or None
        session.add(row)
    return row
