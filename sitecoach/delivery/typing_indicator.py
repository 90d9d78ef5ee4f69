"""WhatsApp's typing indicator through Twilio, shown when an answer takes more than a moment.

Twilio's Typing Indicators resource (Public Beta, October 2025): ``POST
https://messaging.twilio.com/v2/Indicators/Typing.json`` with ``messageId`` (the SID of the learner's message
being answered) and ``channel=whatsapp``. WhatsApp marks that message read and shows "typing..." until the
answer arrives or 25 seconds pass. It is a courtesy: an account without it, or any failure, is logged and
ignored, and the answer goes out as ever. Only the twilio channel has one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from twilio.base.exceptions import TwilioException

from sitecoach.delivery.channels import TWILIO_DEFAULT_BASE, Channel

log = logging.getLogger(__name__)
MESSAGING_BASE = "https://messaging.twilio.com"  # the SDK's host for the Typing Indicators resource


def send_typing(channel: Channel, message_sid: str) -> bool:
    """Show the learner that an answer is being written to their message; False if it was not shown."""
    client = getattr(channel, "client", None)
    if channel.name != "twilio" or client is None or not message_sid:
        return False
    base = getattr(getattr(channel, "http", None), "base_url", TWILIO_DEFAULT_BASE)
    messaging = client.messaging
    if base != TWILIO_DEFAULT_BASE and messaging.base_url == MESSAGING_BASE:
        messaging.base_url = base  # a local Twilio stub speaks for every Twilio host
    try:
        client.messaging.v2.typing_indicator.create(channel="whatsapp", message_id=message_sid)
    except (TwilioException, OSError) as exc:  # not on this account, Twilio unreachable: only a courtesy
        log.info("typing indicator not shown: %s", str(exc)[:200])
        return False
    return True


@contextmanager
def typing_after(channel: Channel, seconds: float, message_sid: Callable[[], str | None]) -> Iterator[None]:
    """Show the typing indicator if the block is still running after `seconds` (0: at once; negative:
    never). `message_sid` is asked only when an indicator can be shown (the twilio channel)."""
    sid = message_sid() if channel.name == "twilio" and seconds >= 0 else None
    if not sid:
        yield
        return
    if seconds == 0:
        send_typing(channel, sid)
        yield
        return
    timer = threading.Timer(seconds, send_typing, args=(channel, sid))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()  # answered in time (or failed): no indicator after the fact
