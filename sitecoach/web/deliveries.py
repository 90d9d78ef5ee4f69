"""Queueing a message the web has just claimed (a sign-off notice, a relay, a review link)."""

from __future__ import annotations

from flask import current_app

from sitecoach.infra.enqueue import enqueue_delivery
from sitecoach.web.context import current_services


def deliver(row_id: int | None) -> None:
    """Queue the claimed outbound row for sending; if Redis is down it stays stored for the sweeper."""
    if row_id:
        try:
            enqueue_delivery(current_services().queue, row_id)
        except Exception:  # noqa: BLE001 - stored: the sweeper sends it when Redis is back
            current_app.logger.exception("delivery of %s not queued", row_id)
