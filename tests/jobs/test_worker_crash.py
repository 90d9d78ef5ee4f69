"""A worker killed mid-send loses nothing and sends nothing twice; 63016 falls back to the template.
Real worker processes, real Redis, the real twilio SDK against the local Twilio stub."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from sitecoach.delivery import proactive
from sitecoach.infra.enqueue import enqueue_delivery
from sitecoach.jobs import runtime
from sitecoach.jobs import tasks as jobs
from sitecoach.models import Consent, Learner, Message, utcnow
from sitecoach.wiring import build_services
from tests.conftest import TEST_AUTH_TOKEN, post_signed, run_worker
from tests.stubs.twilio_stub import TwilioStub

ACCOUNT = "AC" + "c" * 32
SENDER = "+14155238886"
PHONE = "+447700900901"


@pytest.fixture
def stub():
    with TwilioStub(ACCOUNT, TEST_AUTH_TOKEN) as server:
        yield server


@pytest.fixture
def twilio(services, stub):
    settings = services.settings.with_overrides(
        coach_channel="twilio",
        twilio_account_sid=ACCOUNT,
        twilio_whatsapp_from=SENDER,
        twilio_api_base_url=stub.base_url,
        twilio_timeout_seconds=30.0,
        whatsapp_templates={"nudge_next_lesson": {"content_sid": "HXnext", "variables": ["name", "lesson"]}},
    )
    svc = build_services(settings)
    runtime.install(svc)
    yield svc
    runtime.install(services)
    svc.close()


def _claim(svc, body="Morning Jamie 👷 Today's 90-second lesson", inside_window=True) -> int:
    with svc.db.session() as session:
        learner = session.exec(select(Learner).where(Learner.phone == PHONE)).first()
        if learner is None:
            learner = Learner(phone=PHONE, name="Jamie", consent=Consent.OPTED_IN)
        learner.last_inbound_at = utcnow() - (timedelta(hours=1) if inside_window else timedelta(days=2))
        session.add(learner)
        session.flush()
        row = proactive.to_learner(
            session,
            svc.settings,
            learner,
            key=f"nudge:{learner.id}:{time.time_ns()}",
            kind="nudge_next_lesson",
            body=body,
            variables={"name": "Jamie", "lesson": "Safe isolation"},
            now=utcnow(),
        )
        return int(row.id)


def _status(svc, row_id):
    with svc.db.session() as session:
        return session.get(Message, row_id)


def _worker_env(svc, stub):
    s = svc.settings
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": s.database_uri,
            "REDIS_URL": s.redis_url,
            "INSTANCE_PATH": str(s.instance_path),
            "SECRET_KEY": s.secret_key,
            "QUEUE_NAME": s.queue_name,
            "PUBLIC_BASE_URL": s.public_base_url,
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
            "TWILIO_WHATSAPP_FROM": SENDER,
            "TWILIO_API_BASE_URL": stub.base_url,
            "TWILIO_TIMEOUT_SECONDS": "30",
            "COACH_CHANNEL": "twilio",
        }
    )
    return env


def test_worker_killed_after_twilio_accepted_is_recorded_not_resent(twilio, stub):
    row_id = _claim(twilio)
    stub.slow_next(30)  # Twilio accepts and records the message, but our worker never hears back
    enqueue_delivery(twilio.queue, row_id)
    worker = subprocess.Popen(
        [sys.executable, "-m", "sitecoach.cli", "worker"],
        env=_worker_env(twilio, stub),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not stub.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stub.messages, "the worker never reached Twilio"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # kill -9 the worker and its work-horse mid-send
        worker.wait(timeout=10)
    assert _status(twilio, row_id).status == "sending"  # claimed, fate unknown
    later = (utcnow() + timedelta(minutes=3)).isoformat()
    result = jobs.reconcile_stuck_sends(later)
    run_worker(twilio)
    assert result == {"stuck": 1, "already_sent": 1, "resent": 0}
    row = _status(twilio, row_id)
    assert row.status == "queued" and row.twilio_sid == stub.messages[0]["_sid"]
    assert len(stub.messages) == 1  # delivered exactly once


def test_a_send_that_never_reached_twilio_is_sent_again_once(twilio, stub):
    row_id = _claim(twilio)
    with twilio.db.session() as session:  # a worker claimed it and died before calling Twilio
        row = session.get(Message, row_id)
        row.status, row.sent_at = "sending", utcnow() - timedelta(minutes=5)
        session.add(row)
    assert jobs.reconcile_stuck_sends()["resent"] == 1
    run_worker(twilio)
    assert jobs.reconcile_stuck_sends()["stuck"] == 0
    assert len(stub.messages) == 1 and _status(twilio, row_id).status == "queued"


def test_outside_the_window_twilio_63016_falls_back_to_the_template(twilio, stub, client):
    row_id = _claim(twilio, inside_window=True)
    stub.fail_next(400, 63016)  # the window had closed after all
    jobs.deliver_message(row_id)
    first, second = stub.requests[-2].form, stub.messages[-1]
    assert "Body" in first and second["ContentSid"] == "HXnext"
    assert second["ContentVariables"] == '{"1": "Jamie", "2": "Safe isolation"}' and "Body" not in second
    assert _status(twilio, row_id).template == "nudge_next_lesson"


def test_a_63016_status_callback_resends_as_the_template(twilio, stub):
    from sitecoach.wiring import create_app

    row_id = _claim(twilio)
    jobs.deliver_message(row_id)
    sid = stub.messages[-1]["_sid"]
    client = create_app(services=twilio).test_client()
    form = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "63016", "AccountSid": ACCOUNT}
    assert post_signed(client, "/whatsapp/status", form).status_code == 204
    run_worker(twilio)
    assert len(stub.messages) == 2 and stub.messages[-1]["ContentSid"] == "HXnext"
    row = _status(twilio, row_id)
    assert row.template == "nudge_next_lesson" and row.twilio_sid == stub.messages[-1]["_sid"]
