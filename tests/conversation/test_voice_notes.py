"""Voice notes end to end: espeak-ng speaks, ffmpeg encodes OGG/Opus (what WhatsApp sends), the local Twilio
stub serves it as the message's MediaUrl0, the signed webhook stores it, and the worker transcribes it with
pocketsphinx and answers what was said."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from sitecoach.models import ConversationState, Learner, Message
from tests.conftest import post_signed, run_worker, twilio_form
from tests.delivery import test_twilio_channel as channel_tests

PHONE = channel_tests.PHONE
stub = channel_tests.stub  # the Twilio stand-in, and the coach's services and app speaking to it
twilio_services = channel_tests.twilio_services
twilio_client = channel_tests.twilio_client

VOICE = "en-us+klatt"  # espeak-ng's Klatt voice: the bench (bench/voice.py) has the others


def speak_ogg(text: str, tmp_path: Path, voice: str = VOICE) -> bytes:
    """What a learner's phone would upload: `text` spoken by espeak-ng, as OGG/Opus."""
    wav, ogg = tmp_path / "note.wav", tmp_path / "note.ogg"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i", str(wav), "-c:a", "libopus", str(ogg)],
        check=True,
    )
    return ogg.read_bytes()


def _say(client, services, body: str = "", **extra: str) -> None:
    assert post_signed(client, "/whatsapp/inbound", twilio_form(PHONE, body, **extra)).status_code == 200
    run_worker(services)


def _voice_note(client, services, stub, audio: bytes, content_type: str = "audio/ogg") -> list[str]:
    """Send a voice note through the webhook and the worker; return the bodies the coach sent back."""
    before = len(stub.messages)
    url = stub.add_media(audio, content_type)
    _say(client, services, "", NumMedia="1", MediaUrl0=url, MediaContentType0=content_type)
    return [stub.shown(m) for m in stub.messages[before:]]


def _onboard(client, services) -> None:
    for text in ("hi", "yes", "Jamie"):
        _say(client, services, text)


def _last_inbound(services) -> Message:
    with services.db.session() as session:
        return session.exec(
            select(Message).where(Message.direction == "in").order_by(Message.id.desc())  # type: ignore[union-attr]
        ).first()


def _quiz_item(services):
    with services.db.session() as session:
        learner = session.exec(select(Learner).where(Learner.phone == PHONE)).one()
        state = session.exec(
            select(ConversationState).where(ConversationState.learner_id == learner.id)
        ).one()
    return services.catalogue().items[state.data["item"]]


@pytest.fixture
def ogg(tmp_path):
    return lambda text: speak_ogg(text, tmp_path)


def test_voice_note_quiz_me_on_earthing_starts_an_earthing_quiz(twilio_client, twilio_services, stub, ogg):
    _onboard(twilio_client, twilio_services)
    [reply] = _voice_note(twilio_client, twilio_services, stub, ogg("quiz me on earthing"))
    heard, question = reply.split("\n\n", 1)
    assert heard == '🎙 I heard: "quiz me on earthing"'
    assert question.startswith("*Q1/5*") and "A)" in question
    assert "ERT" in " ".join(_quiz_item(twilio_services).competencies)  # on topic: earthing
    stored = _last_inbound(twilio_services)
    [note] = stored.media
    assert note["transcript"] == "quiz me on earthing" and note["engine"] == "pocketsphinx"
    assert stored.intent == "quiz" and Path(note["path"]).suffix in (".oga", ".ogg", ".opus")
    assert not [m for m in stub.messages if "evidence" in stub.shown(m).lower()]  # not taken for a photo


def test_voice_note_about_an_electric_shock_gets_the_emergency_steps(
    twilio_client, twilio_services, stub, ogg
):
    _onboard(twilio_client, twilio_services)
    replies = _voice_note(twilio_client, twilio_services, stub, ogg("help my mate has had an electric shock"))
    assert replies[0].startswith("🚨 *EMERGENCY*") and "*Call 999*" in replies[0]
    assert replies[-1].startswith("🎙 I heard:") and "electric shock" in replies[-1]
    assert _last_inbound(twilio_services).skill == "emergency"


@pytest.mark.parametrize("tapped", [False, True], ids=["typed 1", "tapped"])
def test_an_unsure_voice_note_is_read_back_and_1_or_a_tap_confirms_it(
    twilio_client, twilio_services, stub, ogg, tapped
):
    twilio_services.settings = twilio_services.settings.with_overrides(voice_confirm_below=1.01)
    _onboard(twilio_client, twilio_services)
    [read_back] = _voice_note(twilio_client, twilio_services, stub, ogg("quiz me on earthing"))
    assert (
        read_back.startswith('🎙 I heard: "quiz me on earthing"') and "Reply *1* if that's right" in read_back
    )
    assert "*Q1/5*" not in read_back  # nothing acted on yet
    tap = stub.content_of(stub.messages[-1])["types"]["twilio/quick-reply"]["actions"]
    assert [(a["id"], a["title"]) for a in tap] == [("1", "✅ That's right")]
    if tapped:
        title = "✅ That's right"
        _say(twilio_client, twilio_services, title, ButtonText=title, ButtonPayload="1")
    else:
        _say(twilio_client, twilio_services, "1")
    assert stub.shown(stub.messages[-1]).startswith("*Q1/5*")
    assert "ERT" in " ".join(_quiz_item(twilio_services).competencies)


def test_a_voice_note_with_no_words_says_so_and_gives_the_emergency_line(
    twilio_client, twilio_services, stub, tmp_path
):
    _onboard(twilio_client, twilio_services)
    hum = tmp_path / "hum.ogg"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=50:duration=1",
         "-c:a", "libopus", str(hum)],
        check=True,
    )  # fmt: skip
    replies = _voice_note(twilio_client, twilio_services, stub, hum.read_bytes())
    assert "call 999" in replies[0]
    assert "couldn't make out that voice note" in replies[-1]


def test_the_mentor_sees_what_was_heard_in_a_voice_note(client, services):
    from tests.web.test_mentor import _login, _people

    ids = _people(services)
    note = {"url": "https://api.twilio.com/x/Media/ME1", "content_type": "audio/ogg"}
    heard = [("SMv1", "how deep is the trench for eleven kv", 0.8), ("SMv2", "", 0.0)]
    with services.db.session() as session:
        for sid, transcript, confidence in heard:
            media = [{**note, "transcript": transcript, "confidence": confidence}]
            jamie = {"phone": "+447700900111", "learner_id": ids["jamie"]}
            session.add(Message(direction="in", twilio_sid=sid, media=media, **jamie))
    _login(client)
    page = client.get(f"/mentor/learners/{ids['jamie']}").data.decode()
    assert page.count('aria-label="Voice notes"') == 1 and "🎙 how deep is the trench for eleven kv" in page
    assert "Voice notes" not in page.split("<body", 1)[0]  # in the page's body, not its title or head
    assert "🎙 (not made out)" in page


def test_audio_that_cannot_be_decoded_is_answered_not_retried_forever(twilio_client, twilio_services, stub):
    _onboard(twilio_client, twilio_services)
    replies = _voice_note(twilio_client, twilio_services, stub, b"OggS but not really a voice note")
    assert "call 999" in replies[0] and "couldn't make out that voice note" in replies[-1]
    [note] = _last_inbound(twilio_services).media
    assert note["transcript"] == "" and "ffmpeg could not decode" in note["transcribe_error"]
