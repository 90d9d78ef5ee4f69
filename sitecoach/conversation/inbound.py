"""Storing an inbound message (webhook side) and processing it (worker side).

Processing is idempotent. The skill's effects, the conversation state, the reply rows (with unique
dedupe keys) and `processed_at` are committed in one transaction; sending happens after, from the rows.
Run twice for the same message, it finds `processed_at` set and only sends what is still pending.

A try that fails is never marked done: a transient failure inside a skill (the database or Redis briefly
unreachable) is raised like any failure outside one, so the job is retried, and a message that fails every
try becomes a dead letter (`dead_letter.py`). Only a skill's bug is answered with an apology and marked
done, with the error kept on the message for the admin's Queues page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from sitecoach.conversation import dead_letter, voice_notes
from sitecoach.conversation import state as conversation_state
from sitecoach.conversation.identity import learner_for, mentor_for
from sitecoach.conversation.media_download import fetch_media_item
from sitecoach.conversation.mentor_inbox import handle_mentor_message
from sitecoach.conversation.router import SAFETY_PROMPT, Route
from sitecoach.delivery.outbox import deliver, pending_for, queue_outbound
from sitecoach.delivery.twilio_form import InboundForm
from sitecoach.delivery.typing_indicator import typing_after
from sitecoach.infra.localtime import local_now
from sitecoach.infra.privacy import mask_phone
from sitecoach.infra.transient import describe, is_transient
from sitecoach.models import (
    Consent,
    Database,
    Direction,
    Learner,
    Mentor,
    Message,
    MessageKind,
    MessageStatus,
    utcnow,
)
from sitecoach.nlu.transcribe import is_audio
from sitecoach.records import experiments
from sitecoach.records.audit import appended_kinds
from sitecoach.records.insights import MILESTONE_NEUTRAL
from sitecoach.records.repository import CoachRepository
from sitecoach.records.safeguarding import SAFEGUARDING
from sitecoach.services import Services
from sitecoach.skills.contract import Ctx, InboundText, Keep, MediaItem, OutMessage, Reply, SkillError

log = logging.getLogger(__name__)


class AlreadyStored(Exception):
    """This MessageSid was stored before (a Twilio retry)."""

    def __init__(self, message_id: int) -> None:
        super().__init__(f"message {message_id} already stored")
        self.message_id = message_id


_MESSAGE = Message.__table__  # type: ignore[attr-defined]
_INSERT_INBOUND = {
    name: insert(_MESSAGE)
    .on_conflict_do_nothing(index_elements=[_MESSAGE.c.twilio_sid])
    .returning(_MESSAGE.c.id)
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


def store_inbound(db: Database, form: InboundForm, now: datetime) -> int:
    """Insert the inbound row, committed, and return its id; raise AlreadyStored for a repeated MessageSid.

    One statement, `INSERT ... ON CONFLICT (twilio_sid) DO NOTHING RETURNING id`, so a Twilio retry racing
    the original neither fails nor stores twice, and the row is committed before the webhook acknowledges.
    """
    values = {
        "direction": Direction.IN.value,
        "phone": form.phone,
        "bsuid": form.bsuid,
        "username": form.username,
        "twilio_sid": form.message_sid,
        "status": MessageStatus.RECEIVED.value,
        "body": form.body,
        "media": form.media,
        "latitude": form.latitude,
        "longitude": form.longitude,
        "address": form.address,
        "button_payload": form.button_payload,
        "profile_name": form.profile_name,
        "raw": form.raw,
        "created_at": now,
    }
    with db.engine.begin() as conn:  # committed before we return: stored before it is acknowledged
        new_id = conn.execute(_INSERT_INBOUND[db.dialect], values).scalar()
    if new_id is not None:
        return int(new_id)
    with db.read_session() as session:
        existing = session.exec(select(Message.id).where(Message.twilio_sid == form.message_sid)).first()
    if existing is None:  # the conflicting row's transaction rolled back: let Twilio retry
        raise IntegrityError("inbound insert conflicted with a row that is gone", None, Exception())
    raise AlreadyStored(int(existing))


@dataclass(frozen=True)
class Outcome:
    """What processing did, for logs, tests and `sitecoach ask`."""

    message_id: int
    intent: str | None
    skill: str | None
    group: str
    replies: list[str]
    already_processed: bool = False
    learner_id: int | None = None
    milestones_due: bool = False  # the turn may have changed a badge, streak or snapshot figure


def _milestones_due(
    session: Session, learner: Learner, previous_inbound: datetime | None, at: datetime
) -> bool:
    """Whether this turn can have changed what the milestone check computes: it recorded learning that counts
    (an answer, evidence, hours...), or it is the learner's first message of their local day (streak, last
    active). A question answered from a card, or small talk later the same day, changes neither."""
    if appended_kinds(session) - MILESTONE_NEUTRAL:
        return True
    if previous_inbound is None:
        return True
    zone = learner.timezone
    return local_now(previous_inbound, zone).date() != local_now(at, zone).date()


def _fetch_media(services: Services, message: Message) -> list[MediaItem]:
    """Download each media item once (kept across retries); failures are kept as unreachable items."""
    items = []
    changed = False
    for i, media in enumerate(message.media):
        fetched = fetch_media_item(services, message.id, i, media)
        changed = changed or fetched is not media
        items.append(MediaItem(fetched["url"], fetched.get("content_type", ""), fetched.get("path")))
        message.media[i] = fetched
    if changed:
        message.media = list(message.media)  # reassign so the JSON column is written
    return [m for m in items if m.path]


def _run_skills(services: Services, ctx: Ctx, route: Route) -> tuple[Reply, str | None]:
    """Run the route's skills; the last one owns the conversation state."""
    combined = Reply()
    owner: str | None = None
    for name in route.skills:
        reply = services.registry.get(name).handle(ctx)
        combined.messages.extend(reply.messages)
        if not isinstance(reply.state, Keep):
            combined.state, owner = reply.state, name
        ctx.in_conversation = False
    return combined, owner


def process_inbound(services: Services, message_id: int, now: datetime | None = None) -> Outcome:
    """Route and answer one stored inbound message, exactly once; then send its replies."""
    now = now or utcnow()
    db = services.db
    try:
        wait = services.settings.typing_indicator_after_seconds
        with typing_after(services.channel, wait, lambda: _twilio_sid(db, message_id)):
            outcome = _decide(services, message_id, now)
    except Exception as exc:
        if _last_try(db, message_id, exc):
            return Outcome(message_id, None, None, "dead_letter", [], already_processed=True)
        raise  # not done: RQ retries it (and the sweeper after RQ gives up)
    with db.session() as session:
        pending = pending_for(session, message_id)
        message = session.get(Message, message_id)
        received = message.created_at if message else None
    if pending:
        deliver(db, services.channel, pending, status_callback_url(services))
        if received is not None and not outcome.already_processed:
            services.metrics.observe("sitecoach_reply_latency_seconds", (utcnow() - received).total_seconds())
    return outcome


def _twilio_sid(db: Database, message_id: int) -> str | None:
    """The Twilio SID of a stored inbound message (what a typing indicator refers to)."""
    with db.read_session() as session:
        message = session.get(Message, message_id)
        return message.twilio_sid if message is not None else None


def _last_try(db: Database, message_id: int, exc: Exception) -> bool:
    """Count the failed try; True if the message has just become a dead letter."""
    try:
        return dead_letter.record_failed_try(db, message_id, exc)
    except Exception:  # noqa: BLE001 - the database is down too: the try is retried uncounted
        log.warning("failed try at message %s not counted (%s)", message_id, describe(exc))
        return False


def status_callback_url(services: Services) -> str | None:
    if services.settings.coach_channel != "twilio":
        return None
    return f"{services.settings.public_base_url}/whatsapp/status"


def _decide(services: Services, message_id: int, now: datetime) -> Outcome:
    try:
        return _decide_once(services, message_id, now)
    except IntegrityError:
        # Another worker processed the same message at the same moment: its replies won (dedupe keys).
        with services.db.session() as session:
            message = session.get(Message, message_id)
            return Outcome(
                message_id,
                message.intent if message else None,
                message.skill if message else None,
                "duplicate",
                [],
                already_processed=True,
            )


def _decide_once(services: Services, message_id: int, now: datetime) -> Outcome:
    catalogue = services.catalogue()  # before the transaction: SQLite allows one writer at a time
    voice_notes.transcribe_pending(services, message_id)  # likewise: the recogniser takes seconds
    with services.db.session() as session:
        message = session.get(Message, message_id)
        if message is None or message.direction != Direction.IN:
            log.error("process_inbound: no inbound message %s", message_id)
            return Outcome(message_id, None, None, "missing", [], already_processed=True)
        if message.processed_at is not None:
            return Outcome(message_id, message.intent, message.skill, "done", [], already_processed=True)
        if message.status == MessageStatus.DEAD_LETTER:  # only the admin's Retry brings it back
            return Outcome(message_id, None, None, "dead_letter", [], already_processed=True)
        mentor = mentor_for(session, message)
        if mentor is not None:  # mentors are never routed to learner skills
            return _mentor_message(services, session, message, mentor, now)
        learner = learner_for(session, message, services.settings.default_timezone, now)
        message.learner_id = learner.id
        media = _fetch_media(services, message)
        note = voice_notes.heard_note(message)
        if note is not None:  # a voice note is words to understand, not a photo of evidence
            media = [m for m in media if not is_audio(m.content_type)]
        ttl = timedelta(minutes=services.settings.conversation_ttl_minutes)
        confirmed = voice_notes.confirmed_text(session, message, int(learner.id or 0), ttl)
        row = conversation_state.current_row(session, int(learner.id or 0))
        said_on_timeout: list[OutMessage] = []
        if row is not None and row.expires_at <= now:
            ended = conversation_state.expire(services, session, row, learner, now, catalogue)
            said_on_timeout = ended.messages if ended is not None else []
            row = None

        ctx = Ctx(
            learner=learner,
            message=InboundText(
                body=confirmed or voice_notes.text_of(message.body, note),
                media=tuple(media),
                latitude=message.latitude,
                longitude=message.longitude,
                address=message.address,
                button_payload=None if confirmed else message.button_payload,
                profile_name=message.profile_name,
                message_id=message.id,
            ),
            now=now,
            settings=services.settings,
            repo=CoachRepository(session, catalogue, services.memory),
            prompts=services.prompts,
            catalogue=catalogue,
            links=services.links,
            intent=services.router.classify(""),
            state=conversation_state.load(services.registry, row) if row is not None else None,
            llm=services.llm,
        )
        route = services.router.route(ctx)
        if note is not None:
            route = voice_notes.route_heard(route, note, ctx.intent, services.settings.voice_confirm_below)
            ctx.intent = route.intent
        try:
            reply, owner = _run_skills(services, ctx, route)
            if note is not None:
                voice_notes.say_what_was_heard(reply, note, route, services.prompts, message)
            if route.skill == SAFEGUARDING:  # every row of it is for the learner and the DSL alone
                reply.messages = [replace(m, kind=MessageKind.SAFEGUARDING) for m in reply.messages]
            if owner:
                conversation_state.apply_change(
                    session,
                    row,
                    int(learner.id or 0),
                    owner,
                    reply.state,
                    now,
                    ttl,
                )
            if route.skills:  # the expired conversation's last word comes first (none when suppressed)
                reply.messages[:0] = said_on_timeout
            if route.lead_with_safety:  # ... after the emergency line, if this might be an emergency
                reply.messages.insert(0, OutMessage(services.prompts.render(SAFETY_PROMPT)))
        except SkillError as exc:
            session.rollback()
            return _finish_with(
                services,
                message_id,
                now,
                route,
                services.prompts.render("core/skill_error", message=str(exc)),
            )
        except Exception as exc:
            if is_transient(exc):  # not the skill's fault, and not done: the job is retried
                log.warning("skill %s on message %s: %s, retrying", route.skill, message_id, describe(exc))
                raise
            log.exception(
                "skill %s failed on message %s from %s", route.skill, message_id, mask_phone(message.phone)
            )
            session.rollback()  # after reading the message: a reload would take SQLite's write lock again
            return _finish_with(
                services,
                message_id,
                now,
                route,
                services.prompts.render("core/apology"),
                error=f"{describe(exc)} in skill {route.skill}",
            )
        bodies = _write_replies(session, message, learner, reply, now, _sendable_after_stop(route, learner))
        message.processed_at = now
        message.intent, message.skill = route.intent.intent, route.skill or route.group
        due = _milestones_due(session, learner, learner.last_inbound_at, message.created_at)
        learner.last_inbound_at = message.created_at
        session.add_all([message, learner])
        log.info(
            "message %s from %s: intent=%s skill=%s group=%s replies=%d",
            message_id,
            mask_phone(message.phone),
            route.intent.intent,
            route.skill,
            route.group,
            len(bodies),
        )
        experiments.reward_activity(session, int(learner.id or 0), message.created_at)
        return Outcome(
            message_id,
            route.intent.intent,
            route.skill,
            route.group,
            bodies,
            learner_id=learner.id,
            milestones_due=due,
        )


def _mentor_message(
    services: Services, session: Session, message: Message, mentor: Mentor, now: datetime
) -> Outcome:
    result = handle_mentor_message(
        session, services.prompts, mentor, message.button_payload or message.body, now
    )
    queue_outbound(
        session,
        phone=mentor.whatsapp_address,
        body=result.to_mentor,
        dedupe_key=f"reply:{message.id}:0",
        learner_id=None,
        in_reply_to_id=message.id,
        kind=MessageKind.MENTOR,
        now=now,
    )
    if result.to_learner and result.learner is not None:
        queue_outbound(
            session,
            phone=result.learner.whatsapp_address,
            body=result.to_learner,
            dedupe_key=f"reply:{message.id}:1",
            learner_id=result.learner.id,
            in_reply_to_id=message.id,
            kind=MessageKind.RELAY,
            now=now,
        )
    message.processed_at = now
    message.intent, message.skill = "mentor_reply", "mentor_inbox"
    session.add(message)
    return Outcome(message.id or 0, "mentor_reply", "mentor_inbox", "mentor", [result.to_mentor])


def _sendable_after_stop(route: Route, learner: Learner) -> bool:
    """Whether this reply goes even if the learner has opted out by the time it is sent: the router
    answered an opted-out learner (the STOP confirmation, an emergency or a crisis after STOP), or someone
    may be in danger."""
    return learner.consent == Consent.OPTED_OUT or route.urgent


def _write_replies(
    session: Session,
    message: Message,
    learner: Learner,
    reply: Reply,
    now: datetime,
    sendable_after_stop: bool = False,
) -> list[str]:
    bodies = []
    for i, out in enumerate(reply.messages):
        queue_outbound(
            session,
            phone=out.to or learner.whatsapp_address,
            body=out.body,
            dedupe_key=f"reply:{message.id}:{i}",
            learner_id=learner.id,
            in_reply_to_id=message.id,
            kind=out.kind,
            media_urls=list(out.media_urls),
            now=now,
            sendable_after_stop=sendable_after_stop,
            choices=out.choices,
        )
        if out.to is None:
            bodies.append(out.body)
    return bodies


def _finish_with(
    services: Services, message_id: int, now: datetime, route: Route, body: str, error: str | None = None
) -> Outcome:
    """Mark the message processed with a single apology or error reply (after a failed skill); `error`,
    a skill's bug, is kept on the message for the admin's Queues page."""
    with services.db.session() as session:
        message = session.get(Message, message_id)
        assert message is not None
        learner = learner_for(session, message, services.settings.default_timezone, now)
        _write_replies(
            session, message, learner, Reply.text(body), now, _sendable_after_stop(route, learner)
        )
        message.processed_at = now
        message.intent, message.skill = route.intent.intent, f"{route.skill}:error"
        message.error_message = error
        session.add(message)
    return Outcome(message_id, route.intent.intent, route.skill, route.group, [body])
