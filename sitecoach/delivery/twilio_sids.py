"""Twilio SID formats, checked on every webhook before anything is stored.

Twilio signs a webhook by concatenating the POST parameters, sorted by name, as name+value with no separator.
The signature therefore cannot tell where one value ends and the next name begins: a captured, signed request
can be replayed with its boundaries shifted (``MessageSid=SM…`` absorbing ``MessagingServiceSid…``) and still
validate, under a new MessageSid that our duplicate check has never seen. A SID has a fixed shape, two letters
and 32 hex digits (Twilio's resource pages: ``^(SM|MM)[0-9a-fA-F]{32}$`` for a message, ``^AC…`` for an
account), so a shifted value cannot keep that shape; checking it closes the replay.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MESSAGE_SID = re.compile(r"(?:SM|MM)[0-9a-fA-F]{32}")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
MESSAGE_SID_FIELDS = ("MessageSid", "SmsMessageSid", "SmsSid")


class SidError(ValueError):
    """A webhook's SIDs are missing, malformed, or disagree with each other."""


def _shown(value: str) -> str:
    """A short, printable view of a refused value for the log (never the whole of it)."""
    return repr(value[:40] + ("…" if len(value) > 40 else ""))


def check_message_sids(form: Mapping[str, str], require_account: bool = True) -> str:
    """The message's SID after checking every SID field Twilio sends; raise SidError naming the bad field.

    MessageSid, SmsMessageSid and SmsSid (whichever are present: at least one) must each be ``SM``/``MM`` and
    32 hex digits and all be the same; AccountSid must be ``AC`` and 32 hex digits (and present unless
    ``require_account`` is False, as on status callbacks, which Twilio also signs with it).
    """
    present = {name: form.get(name) for name in MESSAGE_SID_FIELDS if form.get(name) is not None}
    if not any(present.values()):
        raise SidError("MessageSid missing")
    for name, value in present.items():
        if value and not MESSAGE_SID.fullmatch(value):
            raise SidError(
                f"{name} is not a Twilio message SID (SM or MM and 32 hex digits): {_shown(value)}"
            )
    sids = {value for value in present.values() if value}
    if len(sids) > 1:
        raise SidError("MessageSid, SmsMessageSid and SmsSid disagree")
    account = form.get("AccountSid")
    if account is None or account == "":
        if require_account:
            raise SidError("AccountSid missing")
    elif not ACCOUNT_SID.fullmatch(account):
        raise SidError(f"AccountSid is not a Twilio account SID (AC and 32 hex digits): {_shown(account)}")
    return sids.pop()
