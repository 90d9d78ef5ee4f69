"""WhatsApp's 24-hour customer service window: free-form messages (text, media, buttons, lists) only go
within 24 hours of the learner's last message; outside it only approved templates do."""

from __future__ import annotations

from datetime import datetime, timedelta

from sitecoach.models import Learner

SERVICE_WINDOW = timedelta(hours=24)


def window_open(learner: Learner, now: datetime) -> bool:
    """Whether the learner messaged us in the last 24 hours (free-form messages allowed)."""
    return learner.last_inbound_at is not None and now - learner.last_inbound_at < SERVICE_WINDOW
