"""Reading the form Twilio posts for an inbound WhatsApp message.

The sender is a number (`From=whatsapp:+447700900123`), a BSUID when WhatsApp shares no number
(`From=whatsapp:GB.1502576394655843`), or both: Twilio sends the BSUID in `ExternalUserId` beside the
number (and `ParentExternalUserId` for a parent BSUID, which we do not use). A username, when the user has
one, comes as `ProfileUsername` (or `Username`). See `sitecoach.models.identity`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sitecoach.infra.privacy import normalise_phone
from sitecoach.models.identity import MAX_USERNAME, parse_bsuid

MAX_MEDIA = 10  # WhatsApp delivers at most 10 media per message; more is not a real Twilio request
MAX_BODY = 4096
# The column sizes of `message` (PostgreSQL refuses longer values, and NUL in any text, with a DataError).
MAX_ADDRESS = 500
MAX_BUTTON_PAYLOAD = 256
MAX_PROFILE_NAME = 200


class FormError(ValueError):
    """The form is not a usable Twilio inbound message."""


@dataclass(frozen=True)
class InboundForm:
    """Every field we use from Twilio's inbound webhook, checked."""

    message_sid: str
    phone: str  # the sender's WhatsApp address: their number, or their BSUID when no number is shared
    to: str
    body: str
    media: list[dict[str, str]] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    button_payload: str | None = None
    button_text: str | None = None
    profile_name: str | None = None
    bsuid: str | None = None
    username: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def number(self) -> str | None:
        """The sender's phone number, if WhatsApp shared it."""
        return None if self.phone == self.bsuid else self.phone


def _float(value: str | None) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if -180.0 <= number <= 180.0 else None


def _text(value: str | None, limit: int) -> str:
    """A form value fit for a text column: no NUL characters (PostgreSQL cannot store them), capped."""
    return (value or "").replace("\x00", "")[:limit]


def parse_inbound(form: Mapping[str, str]) -> InboundForm:
    """Parse and check the fields; raise FormError with a reason Twilio's debugger will show."""
    sid = (form.get("MessageSid") or form.get("SmsMessageSid") or form.get("SmsSid") or "").strip()
    if not sid or len(sid) > 64 or not sid.isalnum():
        raise FormError("MessageSid missing or malformed")
    bsuid = parse_bsuid(form.get("ExternalUserId") or form.get("ExternalUserIdentifier"))
    from_bsuid = parse_bsuid(form.get("From"))
    phone = normalise_phone(form.get("From", "")) or from_bsuid
    if phone is None:
        raise FormError("From is neither a phone number nor a WhatsApp user id")
    bsuid = from_bsuid or bsuid  # a BSUID in From is the one we answer to
    try:
        num_media = int(form.get("NumMedia") or 0)
    except ValueError as exc:
        raise FormError("NumMedia is not a number") from exc
    if num_media < 0 or num_media > MAX_MEDIA:
        raise FormError(f"NumMedia must be between 0 and {MAX_MEDIA}")
    media = []
    for i in range(num_media):
        url = (form.get(f"MediaUrl{i}") or "").strip()
        if not url:
            continue  # NumMedia larger than the URLs sent: keep what is there
        if not url.startswith(("https://", "http://")):
            raise FormError(f"MediaUrl{i} is not a URL")
        media.append({"url": url[:1000], "content_type": (form.get(f"MediaContentType{i}") or "")[:100]})
    lat, lon = _float(form.get("Latitude")), _float(form.get("Longitude"))
    raw = {k: (v[:2000] if isinstance(v, str) else v) for k, v in list(form.items())[:200]}
    return InboundForm(
        message_sid=sid,
        phone=phone,
        to=(form.get("To") or "")[:40],
        body=_text(form.get("Body"), MAX_BODY),
        media=media,
        latitude=lat,
        longitude=lon if lat is not None else None,
        address=_text(form.get("Address") or form.get("Label"), MAX_ADDRESS) or None,
        # A tapped quick reply comes as ButtonPayload/ButtonText; a list row as ListId/ListTitle.
        button_payload=_text(form.get("ButtonPayload") or form.get("ListId"), MAX_BUTTON_PAYLOAD) or None,
        button_text=(form.get("ButtonText") or form.get("ListTitle") or None),
        profile_name=(form.get("ProfileName") or "").replace("\x00", "").strip()[:MAX_PROFILE_NAME] or None,
        bsuid=bsuid,
        username=_text(form.get("ProfileUsername") or form.get("Username"), MAX_USERNAME).strip() or None,
        raw=raw,
    )
