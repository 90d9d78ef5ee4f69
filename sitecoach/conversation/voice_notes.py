"""Voice notes in: heard offline, then understood like typed text.

Before the turn's transaction (`transcribe_pending`), each audio item of an inbound message is downloaded
like any media and transcribed; the transcript, its confidence and the engine are kept in the message's
media entry (so a retry never transcribes twice, and mentors see what was heard). The turn then routes the
transcript as the message's text, and `route_heard` decides what a voice note needs beyond that:

- an emergency takes the emergency path on a lower bar than typed text (a jointer in a trench with a
  bad signal must not be asked to confirm "my mate's had a shock");
- a note the recogniser is unsure of is read back for a tap or a typed correction ("Reply 1 if that's
  right, or type it") instead of being acted on; the next message "1" stands for it (`confirmed_text`);
- a note that could not be heard at all says so, and leads with the emergency line anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from sitecoach.conversation.media_download import fetch_media_item
from sitecoach.conversation.router import Route
from sitecoach.models import Direction, Message
from sitecoach.models.choices import offer
from sitecoach.nlu.classifier import Classification
from sitecoach.nlu.transcribe import (
    Transcriber,
    TranscriptionError,
    is_audio,
    make_transcriber,
    transcribe_file,
)
from sitecoach.prompts import PromptLibrary
from sitecoach.services import Services
from sitecoach.skills.contract import OutMessage, Reply

log = logging.getLogger(__name__)

# P(emergency) on a transcript from which a voice note takes the emergency path (typed text needs more:
# the classifier's own bar). A misheard word must not hide "shock", "collapsed" or "ambulance".
VOICE_EMERGENCY_BAR = 0.2
CONFIRM_REPLY = "1"
RIGHT = offer([("1", "✅ That's right")], listed=True)  # a tap instead of typing "1" with wet gloves
VOICE_PROMPTS = ("voice/heard", "voice/confirm", "voice/unheard")
EMERGENCY_SKILL = "emergency"


@dataclass(frozen=True)
class HeardNote:
    """What the coach heard in a message's voice note(s)."""

    text: str
    confidence: float

    @property
    def heard(self) -> bool:
        """Whether any words were made out."""
        return bool(self.text.strip())


def transcriber_for(services: Services) -> Transcriber:
    """This process's transcriber, built on first use (the model takes a second or two to load)."""
    if services.transcriber is None:
        messages = [m for lines in services.registry.examples().values() for m in lines]
        services.transcriber = make_transcriber(
            messages, services.settings.speech_cache_path, services.settings.faster_whisper_model_dir
        )
    return services.transcriber


def transcribe_pending(services: Services, message_id: int) -> None:
    """Download and transcribe the message's audio not yet transcribed, outside the turn's transaction
    (the recogniser takes seconds; SQLite's write lock must not wait on it). Kept across retries."""
    with services.db.read_session() as session:
        message = session.get(Message, message_id)
        if message is None or message.processed_at is not None:
            return
        entries = [dict(m) for m in message.media]
    audio = [i for i, m in enumerate(entries) if is_audio(m.get("content_type", ""))]
    pending = [i for i in audio if "transcript" not in entries[i]]
    if not pending:
        return
    for i in pending:
        entry = fetch_media_item(services, message_id, i, entries[i])
        if entry.get("path"):
            entry = {**entry, **_transcribe(services, entry["path"], message_id)}
        entries[i] = entry
    with services.db.session() as session:
        stored = session.get(Message, message_id)
        if stored is not None and stored.processed_at is None:
            stored.media = entries
            session.add(stored)


def _transcribe(services: Services, path: str, message_id: int) -> dict[str, Any]:
    try:
        heard = transcribe_file(transcriber_for(services), Path(path))
    except TranscriptionError as exc:
        log.warning("voice note of message %s not transcribed: %s", message_id, exc)
        return {"transcript": "", "confidence": 0.0, "transcribe_error": str(exc)[:200]}
    except Exception as exc:  # noqa: BLE001 - the recogniser failed: the learner still hears back, now
        log.exception("voice note of message %s: the recogniser failed", message_id)
        return {"transcript": "", "confidence": 0.0, "transcribe_error": type(exc).__name__}
    return {"transcript": heard.text, "confidence": round(heard.confidence, 3), "engine": heard.engine}


def heard_note(message: Message) -> HeardNote | None:
    """The transcript of the message's voice note(s), or None if it has no audio."""
    notes = [m for m in message.media if is_audio(m.get("content_type", ""))]
    if not notes:
        return None
    texts = [str(m.get("transcript") or "").strip() for m in notes]
    confidence = min(float(m.get("confidence") or 0.0) for m in notes)
    return HeardNote(" ".join(t for t in texts if t), confidence)


def text_of(body: str, note: HeardNote | None) -> str:
    """The text to understand: the caption (if any) and what was heard."""
    if note is None:
        return body
    return " ".join(part for part in (body.strip(), note.text) if part)


def confirmed_text(session: Session, message: Message, learner_id: int, ttl: timedelta) -> str | None:
    """The transcript a "1" confirms: the learner's previous message was a voice note read back for
    confirmation within the conversation's time to live. Marks it confirmed."""
    if (message.button_payload or message.body).strip() != CONFIRM_REPLY or message.id is None:
        return None
    previous = session.exec(
        select(Message)
        .where(Message.learner_id == learner_id, Message.direction == Direction.IN)
        .where(col(Message.id) < message.id)
        .order_by(col(Message.id).desc())
    ).first()
    if previous is None or message.created_at - previous.created_at > ttl:
        return None
    entries = [dict(m) for m in previous.media]
    waiting = [m for m in entries if m.get("awaiting_confirmation")]
    if not waiting:
        return None
    for entry in waiting:
        entry["awaiting_confirmation"], entry["confirmed"] = False, True
    previous.media = entries
    session.add(previous)
    return " ".join(str(m.get("transcript") or "") for m in waiting).strip() or None


def heard_emergency(classification: Classification) -> bool:
    """Whether a transcript takes the emergency path: the classifier's emergency or possible emergency, or
    P(emergency) at VOICE_EMERGENCY_BAR."""
    emergency = (classification.probabilities or {}).get(EMERGENCY_SKILL, 0.0)
    return (
        classification.intent == EMERGENCY_SKILL
        or classification.possible_emergency
        or emergency >= VOICE_EMERGENCY_BAR
    )


def route_heard(route: Route, note: HeardNote, classification: Classification, confirm_below: float) -> Route:
    """The route a voice note takes: the emergency path on a lower bar, a read-back when unsure, or
    nothing but "could not hear" (led by the emergency line) when no words were made out."""
    if not note.heard:
        return Route((), "voice", classification, lead_with_safety=True)
    if route.skill != EMERGENCY_SKILL and heard_emergency(classification):
        emergency = (classification.probabilities or {}).get(EMERGENCY_SKILL, 0.0)
        upgraded = replace(classification, intent=EMERGENCY_SKILL, confidence=max(emergency, 0.9))
        return Route((EMERGENCY_SKILL,), "global", upgraded)
    if note.confidence < confirm_below and not route.urgent and route.group != "suppressed":
        return Route((), "voice", classification)
    return route


def say_what_was_heard(
    reply: Reply, note: HeardNote, route: Route, prompts: PromptLibrary, message: Message
) -> None:
    """Add the "🎙 I heard" line (first, or last after an emergency's steps), and the read-back question
    or the "could not hear" line when no skill answered."""
    if not note.heard:
        reply.messages.append(OutMessage(prompts.render("voice/unheard")))
        return
    heard = prompts.render("voice/heard", transcript=note.text)
    if not route.skills:  # unsure: read it back and wait for "1" or the typed message
        reply.messages.append(OutMessage(f"{heard}\n{prompts.render('voice/confirm')}", choices=RIGHT))
        message.media = [
            {**m, "awaiting_confirmation": True} if is_audio(m.get("content_type", "")) else m
            for m in message.media
        ]
        return
    if route.urgent:
        reply.messages.append(OutMessage(heard))
    elif reply.messages:
        first = reply.messages[0]
        reply.messages[0] = replace(first, body=f"{heard}\n\n{first.body}")
    else:
        reply.messages.append(OutMessage(heard))


def transcripts(messages: Iterable[Message]) -> list[tuple[datetime, str]]:
    """The voice notes among these messages as (when, what was heard; "" if nothing), for mentors."""
    found = []
    for message in messages:
        note = heard_note(message) if message.direction == Direction.IN else None
        if note is not None:
            found.append((message.created_at, note.text))
    return found
