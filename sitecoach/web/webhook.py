"""Twilio's webhooks: inbound WhatsApp messages and delivery status callbacks.

Inbound: check the signature and the SIDs' format (`twilio_sids`: a signed request replayed with its
name/value boundaries shifted would carry a new, malformed MessageSid), store the message, queue
`process_inbound`, answer empty TwiML. No skill or LLM code runs here. A repeated MessageSid (Twilio
retries) is acknowledged and not processed again.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from sitecoach.conversation.inbound import AlreadyStored, store_inbound
from sitecoach.delivery.outbox import OUTSIDE_WINDOW, apply_status, use_template_instead
from sitecoach.delivery.twilio_form import FormError, parse_inbound
from sitecoach.delivery.twilio_sids import SidError, check_message_sids
from sitecoach.infra.enqueue import enqueue_delivery, enqueue_new_inbound
from sitecoach.infra.privacy import mask_phone
from sitecoach.models import MessageStatus, utcnow
from sitecoach.services import Services
from sitecoach.web.context import current_services

log = logging.getLogger(__name__)
bp = Blueprint("whatsapp", __name__)
EMPTY_TWIML = str(MessagingResponse())


def _twiml(status: int = 200) -> Response:
    return Response(EMPTY_TWIML, status=status, mimetype="text/xml")


def signed_url(services: Services) -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path + the raw query (works behind proxies)."""
    query = request.query_string.decode("latin-1")
    return services.settings.public_base_url + request.path + (f"?{query}" if query else "")


def signature_ok(services: Services) -> bool:
    """Whether X-Twilio-Signature matches the form under our auth token."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    validator = RequestValidator(services.settings.signing_token)
    return bool(validator.validate(signed_url(services), request.form, signature))


@bp.post("/whatsapp/inbound")
def inbound() -> Response:
    """Store and acknowledge an inbound WhatsApp message."""
    services = current_services()
    if not signature_ok(services):
        log.warning("inbound refused: bad or missing X-Twilio-Signature")
        services.metrics.incr("sitecoach_inbound_total", {"result": "bad_signature"})
        return Response("invalid signature", status=403, mimetype="text/plain")
    try:
        check_message_sids(request.form)
        form = parse_inbound(request.form)
    except (SidError, FormError) as exc:
        log.warning("inbound refused: %s", exc)
        services.metrics.incr("sitecoach_inbound_total", {"result": "bad_request"})
        return Response(f"bad request: {exc}", status=400, mimetype="text/plain")
    try:
        message_id = store_inbound(services.db, form, utcnow())
    except AlreadyStored as repeat:
        log.info(
            "inbound %s repeated (Twilio retry): acknowledged, not processed again",
            repeat.message_id,
            extra={"message_id": repeat.message_id},
        )
        services.metrics.incr("sitecoach_inbound_total", {"result": "duplicate"})
        return _twiml()
    except (OperationalError, DBAPIError):
        log.exception("inbound not stored: database unavailable; Twilio will retry")
        services.metrics.incr("sitecoach_inbound_total", {"result": "database_unavailable"})
        return Response(
            "database unavailable", status=503, mimetype="text/plain", headers={"Retry-After": "5"}
        )
    try:  # one Redis round trip: the job and the counter
        with services.queue.connection.pipeline() as pipe:
            enqueue_new_inbound(services.queue, message_id, pipe)
            services.metrics.incr("sitecoach_inbound_total", {"result": "stored"}, pipeline=pipe)
            pipe.execute()
    except (RedisError, OSError):
        # Stored, so nothing is lost: the sweeper queues it when Redis is back.
        log.exception("inbound %s stored but not queued (Redis unavailable)", message_id)
    log.info(
        "inbound %s from %s stored and queued",
        message_id,
        mask_phone(form.phone),
        extra={"message_id": message_id},
    )
    return _twiml()


@bp.post("/whatsapp/status")
def status() -> Response:
    """Apply a delivery status callback (statuses only move forward)."""
    services = current_services()
    if not signature_ok(services):
        return Response("invalid signature", status=403, mimetype="text/plain")
    try:
        sid = check_message_sids(request.form, require_account=False)
    except SidError as exc:
        log.warning("status callback refused: %s", exc)
        return Response(f"bad request: {exc}", status=400, mimetype="text/plain")
    state = MessageStatus.parse(request.form.get("MessageStatus") or request.form.get("SmsStatus"))
    if state is None:
        return Response(
            "MessageSid and a known MessageStatus are required", status=400, mimetype="text/plain"
        )
    error_code = request.form.get("ErrorCode") or None
    try:
        with services.db.session() as session:
            row = apply_status(
                session,
                sid,
                state,
                error_code,
                request.form.get("ErrorMessage") or request.form.get("ChannelStatusMessage"),
            )
            row_id = row.id if row is not None else None
    except (OperationalError, DBAPIError):
        return Response("database unavailable", status=503, mimetype="text/plain")
    if row_id is None:
        log.info("status callback for unknown message sid %s", sid[:8])
    elif error_code == OUTSIDE_WINDOW and use_template_instead(services.db, int(row_id)):
        try:  # Twilio refused a free-form message outside the 24 h window: resend as the template
            enqueue_delivery(services.queue, int(row_id))
        except (RedisError, OSError):
            log.exception("template resend of %s not queued; the sweeper will retry", row_id)
    return Response("", status=204)
