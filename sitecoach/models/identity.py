"""A person's WhatsApp identity: a phone number, a business-scoped user id (BSUID), or both.

Meta (2026) gives every WhatsApp user a BSUID, scoped to our business portfolio: a two-letter country
code, a dot and up to 128 letters and digits (`GB.1502576394655843`; a parent BSUID shared across
portfolios carries `ENT`: `US.ENT.11815799212886844830`). A user who adopts a username may reach us with
no phone number at all. Twilio (Programmable Messaging) delivers the BSUID in `ExternalUserId` and, when no
number can be shared, as `From=whatsapp:<BSUID>`; sends take `To=whatsapp:<BSUID>`. A BSUID is stored and
sent back exactly as received (case and all): it is an opaque id, never normalised.
"""

from __future__ import annotations

import re

WHATSAPP_PREFIX = "whatsapp:"
MAX_BSUID = 2 + 1 + len("ENT.") + 128  # country, dot, an optional ENT part, up to 128 alphanumerics
MAX_USERNAME = 100
_BSUID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")


def parse_bsuid(raw: str | None) -> str | None:
    """The BSUID in a form value ('GB.150...' or 'whatsapp:GB.150...'), as received; None if not one."""
    text = (raw or "").strip()
    if text.lower().startswith(WHATSAPP_PREFIX):
        text = text[len(WHATSAPP_PREFIX) :]
    return text if _BSUID.match(text) else None


def is_bsuid(text: str | None) -> bool:
    """Whether a stored address is a BSUID (rather than an E.164 number)."""
    return bool(text) and _BSUID.match(text or "") is not None


def mask_bsuid(bsuid: str) -> str:
    """'GB.1502576394655843' -> 'GB.…843': the country and the last three characters, for logs and pages."""
    country, _, rest = bsuid.partition(".")
    return f"{country}.…{rest[-3:]}"


def mask_address(address: str | None) -> str:
    """A WhatsApp address safe for logs: '+447700900123' -> '+*********123', a BSUID -> 'GB.…843'."""
    if not address:
        return "-"
    if is_bsuid(address):
        return mask_bsuid(address)
    digits = address.lstrip("+")
    return "+" + "*" * max(0, len(digits) - 3) + digits[-3:]


def whatsapp_label(phone: str | None, username: str | None, bsuid: str | None) -> str:
    """How staff see someone's WhatsApp identity: the masked number, else @username, else the masked BSUID."""
    if phone:
        return mask_address(phone)
    if username:
        return username if username.startswith("@") else f"@{username}"
    return mask_address(bsuid)
