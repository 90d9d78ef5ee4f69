"""Phone numbers: normalising to E.164, and masking them (or a BSUID) for logs (last 3 characters only)."""

from __future__ import annotations

import re

from sitecoach.models.identity import mask_address

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def normalise_phone(raw: str) -> str | None:
    """E.164 from 'whatsapp:+447700900123', '+44 7700 900123' or '447700900123'; None if not a number."""
    text = (raw or "").strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:") :]
    text = re.sub(r"^(\+\d{1,3})\s*\(0\)", r"\1", text)  # "+44 (0)7700 ..." is written, not dialled
    text = re.sub(r"[\s\-().]", "", text)
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+") and text.isdigit():
        text = "+" + text
    return text if _E164.match(text) else None


def mask_phone(phone: str | None) -> str:
    """'+447700900123' -> '+*********123' (safe for logs); a BSUID address -> 'GB.…843'."""
    return mask_address(phone)
