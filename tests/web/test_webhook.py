"""The inbound and status webhooks: signatures, storing before acknowledging, dedupe, bad input, outages."""

from __future__ import annotations

from rq.job import Job
from sqlmodel import select

from sitecoach.infra.enqueue import inbound_job_id
from sitecoach.models import Database, Message
from tests.conftest import PUBLIC_BASE_URL, post_signed, run_worker, sign, twilio_form


def _inbound(services):
    with services.db.session() as session:
        return list(session.exec(select(Message).where(Message.direction == "in")).all())


def test_unsigned_request_is_refused_and_not_stored(client, services):
    response = client.post("/whatsapp/inbound", data=twilio_form(body="quiz me"))
    assert response.status_code == 403
    assert _inbound(services) == []


def test_wrongly_signed_request_is_refused(client, services):
    form = twilio_form(body="quiz me")
    bad = sign("/whatsapp/inbound", form, token="another-accounts-token")
    response = client.post("/whatsapp/inbound", data=form, headers={"X-Twilio-Signature": bad})
    assert response.status_code == 403
    tampered = dict(form, Body="STOP")  # signed for "quiz me", delivered as STOP
    response = client.post(
        "/whatsapp/inbound", data=tampered, headers={"X-Twilio-Signature": sign("/whatsapp/inbound", form)}
    )
    assert response.status_code == 403
    assert _inbound(services) == []


def test_signature_is_checked_against_public_base_url_not_the_proxy_url(client, services):
    """Behind a TLS-terminating proxy Flask sees http://localhost; Twilio signed the public https URL."""
    form = twilio_form(body="hello")
    local_signature = sign("/whatsapp/inbound", form, base="http://localhost")
    assert (
        client.post(
            "/whatsapp/inbound", data=form, headers={"X-Twilio-Signature": local_signature}
        ).status_code
        == 403
    )
    assert post_signed(client, "/whatsapp/inbound", form, base=PUBLIC_BASE_URL).status_code == 200


def test_signed_message_is_stored_queued_and_acknowledged_with_empty_twiml(client, services):
    form = twilio_form(
        body="how do I prove dead",
        ProfileName="Jamie",
        Latitude="53.4808",
        Longitude="-2.2426",
        Address="Elm St",
    )
    response = post_signed(client, "/whatsapp/inbound", form)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert response.data.decode().replace(" ", "").endswith("<Response/>")
    [stored] = _inbound(services)
    assert stored.twilio_sid == form["MessageSid"] and stored.body == "how do I prove dead"
    assert stored.profile_name == "Jamie" and stored.latitude == 53.4808 and stored.address == "Elm St"
    assert stored.processed_at is None
    job = Job.fetch(inbound_job_id(stored.id), connection=services.redis)
    assert job.args == (stored.id,)


def test_every_whatsapp_field_is_parsed(client, services):
    form = twilio_form(
        body="",
        NumMedia="2",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        MediaContentType0="image/jpeg",
        MediaUrl1="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
        MediaContentType1="image/png",
        ButtonText="Quiz me",
        ButtonPayload="quiz",
        ReferralCtwaClid="abc",
    )
    assert post_signed(client, "/whatsapp/inbound", form).status_code == 200
    [stored] = _inbound(services)
    assert [m["content_type"] for m in stored.media] == ["image/jpeg", "image/png"]
    assert stored.button_payload == "quiz"
    assert stored.raw["ReferralCtwaClid"] == "abc"  # unknown fields kept, and covered by the signature


def test_same_message_sid_five_times_is_stored_once_and_answered_once(client, services, coach):
    form = twilio_form(phone="+447700900555", body="hello")
    for _ in range(5):
        assert post_signed(client, "/whatsapp/inbound", form).status_code == 200
    run_worker(services)
    assert len(_inbound(services)) == 1
    replies = coach.outbound("+447700900555")
    assert len(replies) == 1 and "Welcome to *Site Coach*" in replies[0].body
    # Twilio retrying after the reply went out changes nothing either.
    assert post_signed(client, "/whatsapp/inbound", form).status_code == 200
    run_worker(services)
    assert len(coach.outbound("+447700900555")) == 1


def test_malformed_forms_get_a_clear_400_and_nothing_is_stored(client, services):
    cases = [
        twilio_form(From="not-a-number"),
        twilio_form(MessageSid="", SmsMessageSid="", SmsSid=""),
        twilio_form(NumMedia="lots"),
        twilio_form(NumMedia="10000"),
        twilio_form(NumMedia="1", MediaUrl0="javascript:alert(1)"),
    ]
    for form in cases:
        response = post_signed(client, "/whatsapp/inbound", form)
        assert response.status_code == 400, form
        assert b"bad request" in response.data
    assert _inbound(services) == []


def test_database_down_answers_503_so_twilio_retries(app, client, services, tmp_path):
    services.db = Database(f"sqlite:///{tmp_path}/missing-dir/none.db")
    response = post_signed(client, "/whatsapp/inbound", twilio_form(body="hello"))
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_redis_down_still_stores_and_acknowledges_then_the_sweeper_answers(client, services, coach):
    from redis import Redis
    from rq import Queue

    from sitecoach.jobs import tasks as jobs

    real_queue = services.queue
    services.queue = Queue(
        "coach-test", connection=Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    )
    form = twilio_form(phone="+447700900556", body="hello")
    assert post_signed(client, "/whatsapp/inbound", form).status_code == 200
    [stored] = _inbound(services)
    assert stored.processed_at is None
    services.queue = real_queue
    services.settings = services.settings.with_overrides(sweep_after_seconds=0)
    assert jobs.sweep_unprocessed()["queued"] == 1
    run_worker(services)
    assert len(coach.outbound("+447700900556")) == 1
    assert jobs.sweep_unprocessed()["queued"] == 0  # answered: nothing left to sweep


def test_status_callbacks_update_delivery_and_never_go_backwards(client, services, coach):
    coach.send("hello", phone="+447700900557")
    [reply] = coach.outbound("+447700900557")
    sid = reply.twilio_sid

    def status(value, **extra):
        form = {"MessageSid": sid, "MessageStatus": value, "AccountSid": "AC" + "1" * 32, **extra}
        return post_signed(client, "/whatsapp/status", form)

    assert status("sent").status_code == 204
    assert status("read").status_code == 204
    assert status("delivered").status_code == 204  # late, out of order: ignored
    assert coach.outbound("+447700900557")[0].status == "read"
    assert (
        client.post("/whatsapp/status", data={"MessageSid": sid, "MessageStatus": "failed"}).status_code
        == 403
    )
    assert status("exploded").status_code == 400


def test_failed_status_records_the_error_code(client, services, coach):
    coach.send("hello", phone="+447700900558")
    [reply] = coach.outbound("+447700900558")
    form = {
        "MessageSid": reply.twilio_sid,
        "MessageStatus": "undelivered",
        "ErrorCode": "63016",
        "ErrorMessage": "outside the 24h window",
    }
    assert post_signed(client, "/whatsapp/status", form).status_code == 204
    row = coach.outbound("+447700900558")[0]
    assert (row.status, row.error_code) == ("undelivered", "63016")


def test_health_reports_database_and_redis(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json["database"] == "ok" and response.json["redis"] == "ok"


def test_health_says_which_part_is_down(client, services, tmp_path):
    services.db = Database(f"sqlite:///{tmp_path}/missing-dir/none.db")
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json["database"].startswith("down") and response.json["redis"] == "ok"
