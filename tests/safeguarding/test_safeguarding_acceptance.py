"""Issue 19 acceptance: ten safeguarding messages of different kinds, each through the signed webhook and a
real worker, over the Twilio stub, with Claude configured (the Anthropic stub) and asked about every message
the classifier is unsure of. Each reaches the cohort's DSL (a WhatsApp message to their number and a row in
the log), none reaches the implicated mentor (no message, nothing on their pages), none reaches Claude."""

from __future__ import annotations

import json

import pytest

from sitecoach.wiring import create_app
from tests.conftest import TEST_AUTH_TOKEN, log_in, post_signed, run_worker, twilio_form
from tests.delivery.conftest import twilio_installed
from tests.safeguarding.world import (
    DSL_PHONE,
    LEARNER_PHONE,
    MENTOR_PHONE,
    OTHER_DSL_PHONE,
    PASSWORD,
    concerns,
    make_world,
)
from tests.stubs.anthropic_stub import AnthropicStub
from tests.stubs.twilio_stub import TwilioStub

ACCOUNT_SID = "AC" + "5" * 32
TEN = [
    "the lads on site keep having a go at me and i dread going in",  # bullying
    "one of the jointers keeps touching my leg in the van and i dont like it",  # sexual harassment
    "they keep calling me a paki on site and the ganger just laughs",  # racist abuse
    "my stepdad hits me when hes been drinking and im scared to go home",  # abuse at home
    "havent eaten in two days, theres no food in the house",  # neglect
    "the gaffer said hed sack me if i dont go in the pit without the gas monitor",  # coerced to work unsafely
    "some older lads are making me carry packages for them after work",  # exploitation, county lines
    "a bloke at the depot keeps sending me far right stuff and wants me at their meetings",  # radicalisation
    "someone is threatening to share pics of me unless i pay them",  # online abuse, sextortion
    "im worried about the new lad, i think hes getting battered at home",  # about another apprentice
]


@pytest.fixture
def stub():
    with TwilioStub(ACCOUNT_SID, TEST_AUTH_TOKEN) as server:
        yield server


@pytest.fixture
def claude():
    with AnthropicStub() as server:
        yield server


def _to(stub, phone: str) -> list[str]:
    return [TwilioStub.shown(m) for m in stub.messages if m.get("To") == f"whatsapp:{phone}"]


def test_ten_disclosures_reach_the_dsl_never_the_mentor_nor_claude(services, stub, claude):
    world = make_world(services)
    with twilio_installed(
        services, stub.base_url, ACCOUNT_SID,
        anthropic_api_key="test-key", anthropic_base_url=claude.base_url, llm_timeout_seconds=5.0,
        llm_route_below=1.0,  # Claude is asked to route every message the classifier is not certain of
    ) as svc:  # fmt: skip
        client = create_app(services=svc).test_client()
        for i, text in enumerate(TEN, start=1):
            assert (
                post_signed(client, "/whatsapp/inbound", twilio_form(LEARNER_PHONE, text)).status_code == 200
            )
            run_worker(svc)
            alerts = _to(stub, DSL_PHONE)
            assert len(alerts) == i, text  # one WhatsApp alert to the DSL per disclosure
            assert not any(word in alerts[-1] for word in text.split() if len(word) > 6), text
            assert len(concerns(svc)) == i and concerns(svc)[-1].text == text
            replies = _to(stub, LEARNER_PHONE)
            assert "0800 1111" in replies[-1] and "Priya Shah" in replies[-1], text
        assert _to(stub, MENTOR_PHONE) == [] and _to(stub, OTHER_DSL_PHONE) == []
        sent_to_claude = json.dumps(claude.requests)
        assert not any(text in sent_to_claude for text in TEN)
        assert not any(text[:25] in sent_to_claude for text in TEN)

        claude.reply_text("Spiking proves the cable is dead before you cut it.")  # the control: Claude is
        post_signed(client, "/whatsapp/inbound", twilio_form(LEARNER_PHONE, "why do we spike a cable"))
        run_worker(svc)  # really wired in, and the earlier turns did not travel with this question
        assert claude.requests and "spike a cable" in json.dumps(claude.requests)
        assert not any(text[:25] in json.dumps(claude.requests) for text in TEN)

        log_in(client, world.mentor_email, PASSWORD)
        pages = (
            client.get("/mentor").data.decode()
            + client.get(f"/mentor/learners/{world.learner}").data.decode()
        )
    assert "Jamie Reid" in pages
    for text in TEN:
        assert text[:30] not in pages
    assert "0800 1111" not in pages and "safeguarding" not in pages.lower()
