"""The twilio channel: the real twilio SDK against a local stub of Twilio's Messages and Media endpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from sitecoach.conversation.inbound import process_inbound
from sitecoach.delivery.channels import ChannelError, TwilioChannel
from sitecoach.models import EvidenceItem, Message
from sitecoach.wiring import build_services, create_app
from tests.conftest import PUBLIC_BASE_URL, TEST_AUTH_TOKEN, post_signed, run_worker, twilio_form
from tests.stubs.twilio_stub import TwilioStub

ACCOUNT_SID = "AC" + "a" * 32
SENDER = "whatsapp:+14155238886"
PHONE = "+447700900321"
JPEG = b"\xff\xd8\xff\xe0" + b"jointing photo bytes" * 50 + b"\xff\xd9"


@pytest.fixture
def stub():
    with TwilioStub(ACCOUNT_SID, TEST_AUTH_TOKEN) as server:
        yield server


@pytest.fixture
def twilio_services(services, stub):
    """The same database and Redis, but the coach speaks through the twilio channel."""
    settings = services.settings.with_overrides(
        coach_channel="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_whatsapp_from=SENDER,
        twilio_api_base_url=stub.base_url,
        twilio_timeout_seconds=3.0,
    )
    svc = build_services(settings)
    from sitecoach.jobs import runtime

    runtime.install(svc)
    yield svc
    runtime.install(services)
    svc.close()


@pytest.fixture
def twilio_client(twilio_services):
    app = create_app(services=twilio_services)
    app.config.update(TESTING=True)
    return app.test_client()


def _say(client, services, body, **extra):
    assert post_signed(client, "/whatsapp/inbound", twilio_form(PHONE, body, **extra)).status_code == 200
    run_worker(services)


def test_reply_goes_out_through_twilio_with_status_callback(twilio_client, twilio_services, stub):
    _say(twilio_client, twilio_services, "hello")
    [sent] = stub.messages
    assert sent["To"] == f"whatsapp:{PHONE}" and sent["From"] == SENDER
    assert "Welcome to *Site Coach*" in stub.shown(sent)  # with YES/NO buttons (Content API)
    assert sent["StatusCallback"] == f"{PUBLIC_BASE_URL}/whatsapp/status"
    assert all(r.basic_auth_ok for r in stub.requests)
    with twilio_services.db.session() as session:
        row = session.exec(select(Message).where(Message.direction == "out")).one()
    assert row.twilio_sid == sent["_sid"] and row.status == "queued"
    # Twilio then calls back: the row follows.
    form = {"MessageSid": row.twilio_sid, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID}
    assert post_signed(twilio_client, "/whatsapp/status", form).status_code == 204
    with twilio_services.db.session() as session:
        assert session.get(Message, row.id).status == "delivered"


def test_long_reply_is_split_into_whatsapp_sized_messages(twilio_services, stub):
    channel = twilio_services.channel
    from sitecoach.delivery.outbox import deliver, queue_outbound

    with twilio_services.db.session() as session:
        rows = queue_outbound(
            session,
            phone=PHONE,
            body=("Prove dead before you touch. " * 120).strip(),
            dedupe_key="test:long",
            learner_id=None,
        )
        session.flush()
        ids = [r.id for r in rows]
    assert deliver(twilio_services.db, channel, ids, None) == len(ids) >= 3
    assert all(len(m["Body"]) <= 1600 for m in stub.messages)


def test_inbound_photo_is_downloaded_with_the_accounts_credentials(twilio_client, twilio_services, stub):
    _say(twilio_client, twilio_services, "hi")
    _say(twilio_client, twilio_services, "yes")
    _say(twilio_client, twilio_services, "Jamie")
    media_url = stub.add_media(JPEG, "image/jpeg")
    _say(
        twilio_client,
        twilio_services,
        "LV resin straight joint on waveform today",
        NumMedia="1",
        MediaUrl0=media_url,
        MediaContentType0="image/jpeg",
    )
    downloads = [r for r in stub.requests if r.method == "GET" and "/Media/" in r.path]
    assert downloads and all(r.basic_auth_ok for r in downloads)
    confirm = stub.shown(stub.messages[-1])  # with buttons to claim (Content API)
    assert "This looks like evidence for" in confirm and "JNT-S1" in confirm
    _say(twilio_client, twilio_services, "1")
    assert "Saved ✅ Evidence" in stub.shown(stub.messages[-1])
    with twilio_services.db.session() as session:
        item = session.exec(select(EvidenceItem)).one()
    assert item.status == "pending" and item.competencies == ["JNT-S1"]
    assert "resin" in item.note.lower()
    assert Path(item.media[0]["path"]).read_bytes() == JPEG


def test_media_from_other_hosts_is_never_fetched(twilio_services, tmp_path):
    channel: TwilioChannel = twilio_services.channel
    with pytest.raises(ChannelError) as err:
        channel.fetch_media("https://evil.example.com/steal.jpg", tmp_path, "x")
    assert err.value.retryable is False and "not allowed" in str(err.value)


def test_server_error_is_retried_and_sent_exactly_once(twilio_client, twilio_services, stub):
    stub.fail_next(500, times=1)
    form = twilio_form(PHONE, "hello")
    assert post_signed(twilio_client, "/whatsapp/inbound", form).status_code == 200
    with twilio_services.db.session() as session:
        message_id = session.exec(select(Message.id).where(Message.twilio_sid == form["MessageSid"])).one()
    with pytest.raises(ChannelError):
        process_inbound(twilio_services, message_id)  # the job fails; RQ retries it
    assert stub.messages == []
    process_inbound(twilio_services, message_id)  # the retry
    process_inbound(twilio_services, message_id)  # and a duplicate run changes nothing
    assert len(stub.messages) == 1


def test_refused_credentials_fail_the_message_with_the_reason(services, stub):
    settings = services.settings.with_overrides(
        coach_channel="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token="wrong-token",
        twilio_whatsapp_from=SENDER,
        twilio_api_base_url=stub.base_url,
    )
    channel = TwilioChannel(settings)
    from sitecoach.delivery.outbox import deliver, queue_outbound

    with services.db.session() as session:
        [row] = queue_outbound(session, phone=PHONE, body="hi", dedupe_key="test:auth", learner_id=None)
        session.flush()
        row_id = row.id
    assert deliver(services.db, channel, [row_id], None) == 0
    with services.db.session() as session:
        failed = session.get(Message, row_id)
    assert failed.status == "failed" and failed.error_code and "401" in failed.error_message
