"""Tap-first: the coach offers buttons or a list where a tap beats typing, and a tap (Twilio's
ButtonPayload, or a list row's ListId) is answered exactly as the typed answer would be."""

from __future__ import annotations

from sqlmodel import select

from sitecoach.models import Consent, ConversationState, EvidenceItem, Learner, Message
from sitecoach.models.choices import Choices, ChoiceStyle
from tests.conftest import PUBLIC_BASE_URL

PHONE = "+447700900777"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _offered(coach, phone: str = PHONE) -> Choices:
    """The choices on the coach's latest message to the phone."""
    last = coach.outbound(phone)[-1]
    choices = Choices.from_data((last.raw or {}).get("choices"))
    assert choices is not None, f"no choices on {last.body!r}"
    return choices


def _tap(coach, choices: Choices, choice_id: str, phone: str = PHONE) -> list[str]:
    """Tap a button (or a list row) as WhatsApp does: Twilio posts the title as Body and the id as payload."""
    [option] = [o for o in choices.options if o.id == choice_id]
    if choices.style == ChoiceStyle.LIST:
        return coach.send(option.title, phone, ListId=option.id, ListTitle=option.title)
    return coach.send(option.title, phone, ButtonPayload=option.id, ButtonText=option.title)


def _onboard_by_tapping(coach) -> None:
    coach.send("hi", PHONE)
    assert [o.id for o in _offered(coach).options] == ["yes", "no"]
    assert "What should I call you?" in _tap(coach, _offered(coach), "yes")[0]
    coach.send("Jamie", PHONE)


def test_consent_quiz_and_help_by_tapping(coach, services):
    _onboard_by_tapping(coach)
    menu = coach.send("help", PHONE)
    assert "Here's what I can do" in menu[0]
    assert _offered(coach).style == ChoiceStyle.LIST
    question = _tap(coach, _offered(coach), "quiz")[-1]
    assert "Reply with a letter" in question
    with services.db.session() as session:
        state = session.exec(select(ConversationState)).one()
    item = services.catalogue().items[state.data["item"]]
    right = "ABCDEFGH"[item.answer_index]
    answered = _tap(coach, _offered(coach), right)
    assert answered[0].startswith("✅ Correct.")


def test_a_wrong_answer_tapped_is_marked_wrong(coach, services):
    _onboard_by_tapping(coach)
    coach.send("quiz me on earthing", PHONE)
    with services.db.session() as session:
        state = session.exec(select(ConversationState)).one()
    item = services.catalogue().items[state.data["item"]]
    wrong = "ABCDEFGH"[(item.answer_index + 1) % len(item.options)]
    assert _tap(coach, _offered(coach), wrong)[0].startswith("❌ Not quite")


def test_help_menu_rows_each_lead_where_typing_them_does(coach):
    _onboard_by_tapping(coach)
    led_to = {}
    for row in ("progress", "log evidence", "mentor"):
        coach.send("help", PHONE)
        led_to[row] = _tap(coach, _offered(coach), row)[0]
        coach.send("done", PHONE)
    assert "overall" in led_to["progress"]
    assert "Send a photo of your work" in led_to["log evidence"]
    assert "training team" in led_to["mentor"]  # no mentor linked yet: the same answer as typing MENTOR
    coach.send("help", PHONE)
    assert "How long, and what was it?" in _tap(coach, _offered(coach), "log hours")[0]
    assert _tap(coach, _offered(coach), "log half a day off-the-job training")[0].startswith("3.5h of other")
    assert _tap(coach, _offered(coach), "yes")[0].startswith("Logged 3.5h")  # counted after the tap


def test_after_an_answer_quiz_me_on_this_is_one_tap(coach):
    _onboard_by_tapping(coach)
    coach.send("why do we spike a cable?", PHONE)
    follow_up = _offered(coach)
    assert [o.title for o in follow_up.options] == ["Quiz me on this", "Ask my mentor"]
    question = _tap(coach, follow_up, follow_up.options[0].id)[-1]
    assert question.startswith("*Q1/") and "spiking" in question.split("\n")[0].lower()


def test_evidence_confirmation_by_tapping(coach, services):
    _onboard_by_tapping(coach)
    uploads = services.settings.instance_path / "simulator_media"
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "tap-joint.png").write_bytes(PNG)
    photo = f"{PUBLIC_BASE_URL}/simulator/media/tap-joint.png"
    coach.send(
        "LV resin straight joint on waveform today",
        PHONE,
        NumMedia="1",
        MediaUrl0=photo,
        MediaContentType0="image/png",
    )
    confirm = _offered(coach)
    assert confirm.options[0].id == "all"
    saved = _tap(coach, confirm, "all")
    assert saved[0].startswith("Saved ✅ Evidence")
    with services.db.session() as session:
        item = session.exec(select(EvidenceItem)).one()
        tap = session.exec(
            select(Message).where(Message.direction == "in").order_by(Message.id.desc())
        ).first()
    assert item.competencies and tap.button_payload == "all"


def test_a_tap_is_an_answer_never_a_worded_opt_out_but_a_tapped_stop_keyword_stops(coach, services):
    """Whatever the model makes of a button's id, tapping one of the coach's own options never opts the
    learner out; a payload that is the STOP keyword itself still does."""
    _onboard_by_tapping(coach)
    replies = coach.send("No more of these", PHONE, ButtonPayload="no more of these please")
    assert not any("unsubscribed" in r.lower() or "you won't get" in r.lower() for r in replies), replies
    assert _consent(services) != Consent.OPTED_OUT
    stopped = coach.send("Stop", PHONE, ButtonPayload="STOP")
    assert _consent(services) == Consent.OPTED_OUT, stopped


def _consent(services) -> Consent:  # type: ignore[no-untyped-def]
    with services.db.session() as session:
        return session.exec(select(Learner).where(Learner.phone == PHONE)).one().consent
