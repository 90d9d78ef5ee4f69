"""Operations: JSON log lines without phone numbers, and Prometheus metrics across processes."""

from __future__ import annotations

import json
import logging

from sitecoach.infra.observability import JsonFormatter, mask_digits
from tests.conftest import add_admin, log_in, post_signed, run_worker, twilio_form


def test_log_lines_are_json_with_ids_and_never_a_full_phone_number():
    record = logging.LogRecord(
        "sitecoach.web.webhook", logging.INFO, __file__, 1, "inbound %s from %s", (42, "+447700900123"), None
    )
    record.message_id = 42
    line = json.loads(JsonFormatter().format(record))
    assert line["message_id"] == 42 and line["level"] == "info" and line["logger"] == "sitecoach.web.webhook"
    assert "+447700900123" not in line["msg"] and line["msg"].endswith("+*********123")


def test_masking_keeps_technical_numbers():
    assert mask_digits("call 07700 900123 about the 11kV joint at 0630, 185mm2") == (
        "call ********123 about the 11kV joint at 0630, 185mm2"
    )


def test_metrics_count_inbound_and_reply_latency_and_show_the_queue(client, services):
    add_admin(services, "ops@example.test", "ops passphrase")
    log_in(client, "ops@example.test", "ops passphrase")  # /metrics: an admin, or the scrape token
    post_signed(client, "/whatsapp/inbound", twilio_form("+447700900123", "hello"))
    form = twilio_form("+447700900123", "hello again")
    post_signed(client, "/whatsapp/inbound", form)
    post_signed(client, "/whatsapp/inbound", form)  # a Twilio retry
    client.post("/whatsapp/inbound", data=twilio_form())  # unsigned
    before = client.get("/metrics").data.decode()
    assert "sitecoach_queue_depth 2" in before
    run_worker(services)
    text = client.get("/metrics").data.decode()
    assert 'sitecoach_inbound_total{result="stored"} 2' in text
    assert 'sitecoach_inbound_total{result="duplicate"} 1' in text
    assert 'sitecoach_inbound_total{result="bad_signature"} 1' in text
    assert "sitecoach_reply_latency_seconds_count 2" in text and "sitecoach_queue_depth 0" in text
    assert "sitecoach_failed_jobs 0" in text and "+447700900123" not in text


def test_metrics_can_require_a_token(client, services):
    services.settings = services.settings.with_overrides(metrics_token="s3cret")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200
