"""Where a consent change said on WhatsApp came from: the consent question's wording and the message."""

from __future__ import annotations

from typing import Any

from sitecoach.records.consent import consent_wording
from sitecoach.skills.contract import Ctx


def consent_source(ctx: Ctx) -> dict[str, Any]:
    """The wording version and message id to record with a consent change made in this message."""
    return {"wording": consent_wording(ctx.prompts), "message_id": ctx.message.message_id}
