"""One status vocabulary: ours before a send, then Twilio's, ranked so a status only moves forward."""

from __future__ import annotations

from sitecoach.models import MessageStatus
from tests.conftest import post_signed

# Every status Twilio's status callback may carry for a WhatsApp message, inbound statuses included.
TWILIO_STATUSES = (
    "queued accepted scheduled sending sent delivered read undelivered failed canceled receiving received"
).split()


def test_every_twilio_status_word_is_one_status_and_parses_in_any_case():
    assert {MessageStatus.parse(word) for word in TWILIO_STATUSES} == set(MessageStatus) - {
        MessageStatus.PENDING,  # ours alone: written, not yet claimed
        MessageStatus.DEAD_LETTER,  # ours alone: an inbound message every try at failed
    }
    assert MessageStatus.parse(" Scheduled ") is MessageStatus.SCHEDULED
    assert MessageStatus.parse("exploded") is None and MessageStatus.parse(None) is None


def test_the_happy_path_only_moves_forward():
    path = ["pending", "sending", "queued", "sent", "delivered", "read"]
    ranks = [MessageStatus(s).rank for s in path]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    assert MessageStatus.ACCEPTED.rank == MessageStatus.SCHEDULED.rank == MessageStatus.QUEUED.rank
    assert {MessageStatus.UNDELIVERED.rank, MessageStatus.FAILED.rank, MessageStatus.CANCELED.rank} == {
        max(s.rank for s in MessageStatus)
    }


def test_the_status_webhook_accepts_every_twilio_status_and_never_goes_backwards(client, coach):
    for word in TWILIO_STATUSES:  # an unknown sid is acknowledged; an unknown status is refused
        form = {"MessageSid": "SM" + "0" * 32, "MessageStatus": word.upper(), "AccountSid": "AC" + "1" * 32}
        assert post_signed(client, "/whatsapp/status", form).status_code == 204, word
    coach.send("hello", phone="+447700900559")
    [reply] = coach.outbound("+447700900559")
    assert reply.status == "delivered"  # the simulator delivers at once

    def status(word):
        form = {"MessageSid": reply.twilio_sid, "MessageStatus": word, "AccountSid": "AC" + "1" * 32}
        assert post_signed(client, "/whatsapp/status", form).status_code == 204
        return coach.outbound("+447700900559")[0].status

    assert status("scheduled") == "delivered"  # late, out of order: ignored
    assert status("read") == "read"
