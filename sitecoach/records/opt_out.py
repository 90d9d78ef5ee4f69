"""An opt-out (STOP) reaches the outbox: nothing more goes to a learner who has opted out, whatever was
queued for them before, except the replies the router gives even after STOP: the STOP confirmation (the one
message WhatsApp and Twilio allow after an opt-out) and the answers to an emergency or a crisis (safety
outranks consent). Those are marked as they are written (`SENDABLE_AFTER_STOP` in the row's `raw`).

Two checks, so no path slips through: STOP cancels the learner's pending sends at once
(`cancel_pending_sends`, so the admin sees what was not sent and why), and every send is checked again when
it is claimed (`withheld`), which covers a reply waiting for a Twilio retry, a pacing delay or stuck-send
recovery. A cancelled row is kept: status `canceled`, error code `opted_out`, never deleted.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from sitecoach.models import Consent, Direction, Learner, Message, MessageStatus

SENDABLE_AFTER_STOP = "sendable_after_stop"  # key in an outbound row's `raw`
OPTED_OUT_CODE = "opted_out"
OPTED_OUT_REASON = "Not sent: the learner opted out (STOP) before it went."


def sendable_after_stop(row: Message) -> bool:
    """Whether this row goes even to a learner who has opted out (the STOP confirmation, an emergency)."""
    return bool((row.raw or {}).get(SENDABLE_AFTER_STOP))


def withheld(row: Message, learner: Learner | None) -> bool:
    """Whether this outbound row must not be sent now: it is for a learner who has opted out (not to their
    mentor about them), and it is not one of the replies that go even after STOP."""
    return (
        learner is not None
        and learner.consent == Consent.OPTED_OUT
        and row.phone == learner.phone
        and not sendable_after_stop(row)
    )


def mark_cancelled(row: Message) -> None:
    """Record on the row that it was not sent because the learner opted out."""
    row.status = MessageStatus.CANCELED
    row.error_code = OPTED_OUT_CODE
    row.error_message = OPTED_OUT_REASON


def cancel_pending_sends(session: Session, learner: Learner) -> int:
    """Cancel every send still pending to this learner that may not go after STOP; returns how many.

    Rows already claimed (`sending`) are left to their worker: the check at the next claim stops them if
    they come back (a Twilio retry, a pacing delay, stuck-send recovery)."""
    rows = session.exec(
        select(Message).where(
            Message.learner_id == learner.id,
            Message.direction == Direction.OUT,
            Message.status == MessageStatus.PENDING,
        ).order_by(col(Message.id))
    ).all()
    cancelled = 0
    for row in rows:
        if withheld(row, learner):
            mark_cancelled(row)
            session.add(row)
            cancelled += 1
    return cancelled
