"""The WhatsApp simulator: a phone-like page that posts signed, Twilio-shaped requests to the real webhook.

It can speak as any learner or mentor, so it is mounted only when SIMULATOR_ENABLED is set, answers only
a browser on this machine (unless SIMULATOR_ALLOW_REMOTE), only a logged-in admin, and its POSTs carry
the CSRF token like every other form."""

from __future__ import annotations

import mimetypes
import uuid
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, request, send_from_directory
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlmodel import col, select
from twilio.request_validator import RequestValidator

from sitecoach.infra.privacy import normalise_phone
from sitecoach.models import Cohort, Learner, Mentor, Message
from sitecoach.models.choices import ChoiceStyle
from sitecoach.web.auth import login_manager
from sitecoach.web.client_address import is_direct_local_request
from sitecoach.web.context import current_services

bp = Blueprint("simulator", __name__, url_prefix="/simulator")
SIMULATOR_NUMBER = "whatsapp:+14155238886"
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
MAX_PHOTO_BYTES = 5 * 1024 * 1024  # WhatsApp's image limit
REMOTE_REFUSED = (
    "The simulator answers only a browser on the machine it runs on "
    "(set SIMULATOR_ALLOW_REMOTE=1 to let other machines in)."
)


@bp.before_request
def only_local_admins() -> ResponseReturnValue | None:
    """Every simulator page and API call: a local client (unless allowed), then an admin login."""
    if not current_services().settings.simulator_allow_remote and not is_direct_local_request():
        return jsonify(error=REMOTE_REFUSED), 403
    if not current_user.is_authenticated:
        if request.endpoint == "simulator.page":
            return login_manager.unauthorized()  # the page: off to the login form and back
        return jsonify(error="log in as an admin first"), 401
    if not getattr(current_user, "is_admin", False):
        abort(404)  # as for admin pages: not even confirmed to exist
    return None


def _media_dir() -> Path:
    path = current_services().settings.instance_path / "simulator_media"
    path.mkdir(parents=True, exist_ok=True)
    return path


def twilio_form(
    phone: str,
    body: str,
    profile_name: str,
    media: list[tuple[str, str]],
    tap: tuple[str, str] | None = None,
) -> dict[str, str]:
    """The form Twilio would post for this WhatsApp message; `tap` (style, id) for a tapped button
    (ButtonPayload/ButtonText) or list row (ListId/ListTitle), the body being what it said."""
    sid = "SM" + uuid.uuid4().hex
    form = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": f"whatsapp:{phone}",
        "To": SIMULATOR_NUMBER,
        "Body": body,
        "NumMedia": str(len(media)),
        "NumSegments": "1",
        "WaId": phone.lstrip("+"),
        "ProfileName": profile_name,
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
        "MessageType": "image" if media else "text",
    }
    for i, (url, content_type) in enumerate(media):
        form[f"MediaUrl{i}"] = url
        form[f"MediaContentType{i}"] = content_type
    if tap is not None:
        style, choice_id = tap
        if style == ChoiceStyle.LIST:
            form.update(ListId=choice_id, ListTitle=body, MessageType="interactive")
        else:
            form.update(ButtonPayload=choice_id, ButtonText=body, MessageType="button")
    return form


def post_signed(form: dict[str, str]) -> int:
    """Sign the form like Twilio does and post it through the real webhook; return the status code."""
    settings = current_services().settings
    url = settings.public_base_url + "/whatsapp/inbound"
    signature = RequestValidator(settings.signing_token).compute_signature(url, form)
    client = current_app.test_client()  # in-process WSGI call: the same code path as a real request
    response = client.post("/whatsapp/inbound", data=form, headers={"X-Twilio-Signature": signature})
    return response.status_code


@bp.get("")
@bp.get("/")
def page() -> ResponseReturnValue:
    """The simulator page."""
    return render_template("simulator.html")


@bp.get("/api/people")
def people() -> ResponseReturnValue:
    """Demo learners and mentors to pick from."""
    with current_services().db.read_session() as session:
        learners = session.exec(select(Learner).order_by(col(Learner.id)).limit(200)).all()
        mentors = session.exec(
            select(Mentor).where(col(Mentor.phone).is_not(None)).order_by(col(Mentor.id))
        ).all()
        cohorts = {c.id: c.name for c in session.exec(select(Cohort)).all()}
        return jsonify(
            learners=[
                {
                    "phone": learner.phone,
                    "name": learner.name,
                    "cohort": cohorts.get(learner.cohort_id),
                    "mentor_id": learner.mentor_id,
                }
                for learner in learners
            ],
            mentors=[{"id": m.id, "phone": m.phone, "name": m.name} for m in mentors],
        )


@bp.post("/api/send")
def send() -> ResponseReturnValue:
    """Send a message as a phone: text and/or one photo."""
    data = request.form if request.form else (request.get_json(silent=True) or {})
    phone = normalise_phone(str(data.get("phone", "")))
    if phone is None:
        return jsonify(error="phone must be a number like +447700900123"), 400
    body = str(data.get("body", ""))[:1600]
    media: list[tuple[str, str]] = []
    photo = request.files.get("photo")
    if photo and photo.filename:
        content_type = photo.mimetype or mimetypes.guess_type(photo.filename)[0] or ""
        if content_type not in PHOTO_TYPES:
            return jsonify(error="photos must be JPEG, PNG or WebP"), 400
        blob = photo.read(MAX_PHOTO_BYTES + 1)
        if len(blob) > MAX_PHOTO_BYTES:
            return jsonify(error="photos must be 5 MB or smaller"), 400
        name = f"{uuid.uuid4().hex}{mimetypes.guess_extension(content_type) or '.jpg'}"
        (_media_dir() / name).write_bytes(blob)
        media.append((f"{current_services().settings.public_base_url}/simulator/media/{name}", content_type))
    if not body.strip() and not media:
        return jsonify(error="type a message or attach a photo"), 400
    tap_id = str(data.get("tap_id", "")).strip()[:200]
    tap = (str(data.get("tap_style", "")), tap_id) if tap_id else None
    status = post_signed(twilio_form(phone, body, str(data.get("profile_name", ""))[:100], media, tap))
    return jsonify(status=status), (200 if status == 200 else 502)


@bp.get("/api/conversation")
def conversation() -> ResponseReturnValue:
    """The messages to and from one phone, oldest first: [{direction, body, media, at, status, choices}]."""
    phone = normalise_phone(request.args.get("phone", ""))
    if phone is None:
        return jsonify(error="phone must be a number like +447700900123"), 400
    after = request.args.get("after", type=int) or 0
    with current_services().db.read_session() as session:
        rows = session.exec(
            select(Message)
            .where(Message.phone == phone, col(Message.id) > after)
            .order_by(col(Message.id))
            .limit(500)
        ).all()
        return jsonify(
            [
                {
                    "id": m.id,
                    "direction": m.direction,
                    "body": m.body,
                    "media": [x.get("url") for x in m.media],
                    "at": m.created_at.isoformat(),
                    "status": m.status,
                    "template": (
                        {
                            "kind": m.template,
                            "variables": ((m.raw or {}).get("template") or {}).get("variables", {}),
                        }
                        if m.template
                        else None
                    ),
                    "choices": (m.raw or {}).get("choices") if m.direction == "out" else None,
                }
                for m in rows
            ]
        )


@bp.get("/media/<name>")
def media(name: str) -> ResponseReturnValue:
    """A photo the simulator uploaded."""
    if "/" in name or name.startswith("."):
        abort(404)
    return send_from_directory(_media_dir(), name)
