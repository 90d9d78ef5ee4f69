"""Shared by the delivery tests: services that speak through the twilio channel to the local Twilio stub."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sitecoach.jobs import runtime
from sitecoach.services import Services
from sitecoach.wiring import build_services

SENDER = "whatsapp:+14155238886"


@contextmanager
def twilio_installed(
    services: Services, stub_url: str, account_sid: str, **overrides: Any
) -> Iterator[Services]:
    """The same database and Redis, but the coach speaks through the twilio channel (to the stub at
    `stub_url`); installed for jobs meanwhile, then the test's own services again."""
    svc = build_services(
        services.settings.with_overrides(
            coach_channel="twilio",
            twilio_account_sid=account_sid,
            twilio_whatsapp_from=SENDER,
            twilio_api_base_url=stub_url,
            twilio_timeout_seconds=3.0,
            **overrides,
        )
    )
    runtime.install(svc)
    try:
        yield svc
    finally:
        runtime.install(services)
        svc.close()
