"""Finding 7 (redaction): other people's names, National Insurance numbers and dotted phone numbers
reached the model although README said names were redacted. Realistic messages, what the model gets."""

from __future__ import annotations

import json

import pytest

from sitecoach.infra.redact import redact
from tests.infra import test_llm as llm_tests

claude = llm_tests.claude  # the coach with Claude pointed at the local Anthropic stub; Jamie Smith,
stub = llm_tests.stub  # whose mentor is Sam Okafor
KNOWN = ["Jamie", "Smith", "Sam", "Okafor"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # other people's names: from the list, in context, as possessives, with surnames
        ("my mate Dave cut his hand on the knife", "my mate [name] cut his hand on the knife"),
        ("Kev's hand is bleeding, what do I do", "[name]'s hand is bleeding, what do I do"),
        ("my gaffer steve says the joint is fine", "my gaffer [name] says the joint is fine"),
        ("asked Sarah about the earth bonding", "asked [name] about the earth bonding"),
        ("Dave Hughes and Priya Patel were on the job", "[name] and [name] were on the job"),
        ("told tom to get the resin", "told [name] to get the resin"),
        ("cheers kev, see you at 7", "cheers [name], see you at 7"),
        ("I think Will knows how", "I think [name] knows how"),
        ("my apprentice Zbigniew dropped the torch", "my apprentice [name] dropped the torch"),
        ("the foreman Kowalski said no", "the foreman [name] said no"),
        ("Mr Adeyemi wants the permit back", "Mr [name] wants the permit back"),
        ("lost Oakley's van keys at the depot", "lost [name]'s van keys at the depot"),
        ("Ask DAVE about the LV board", "Ask [name] about the LV board"),
        ("a lad called Tamsin started today", "a lad called [name] started today"),
        ("Okafor said I can do the joint", "[name] said I can do the joint"),  # the mentor, known by name
        # National Insurance numbers, with and without spaces
        ("my NI number is AB 12 34 56 C", "my NI number is [NI number]"),
        ("NI: ab123456c for the card", "NI: [NI number] for the card"),
        ("ni no JG-10-37-59-A", "ni no [NI number]"),
        # phone numbers in any separator style
        ("ring me on 07700.900.123", "ring me on [phone]"),
        ("call 07700-900-123 or 0161.496.0000", "call [phone] or [phone]"),
        ("my number +44.7700.900.123", "my number [phone]"),
        ("0044 7700 900 123 is the office", "[phone] is the office"),
        ("text +44 (0) 7700 900 123", "text [phone]"),
        ("07700 900123", "[phone]"),
        ("email me dave.hughes@example.co.uk", "email me [email]"),
    ],
)
def test_finding_7_personal_data_in_realistic_messages_is_redacted(message: str, expected: str) -> None:
    assert redact(message, KNOWN).text == expected


@pytest.mark.parametrize(
    "message",
    [
        "the Megger reads 200 Mohm on the Ohm range",
        "Will the Megger leads reach the Henley block?",
        "Mark the cores before you cut",
        "Don your gloves and glasses",
        "Kelvin clips on the Fluke",
        "the Lucy switchgear at the substation",
        "Is it Ohm's law that says V = IR?",
        "ran the IR test 500 V for 60 s on Monday",
        "3.5 hours on the 11kV joint, 185mm2 XLPE",
        "section 4.2.1 step 3, BS 7671",
        "logged 7.5 hrs off-the-job on 14.03.2026 at 07.30",
        "Jack the drum up and mark the phases L1 L2 L3",
        "the DNO's permit for the UKPN job",
        "May I use the Raychem kit?",
    ],
)
def test_finding_7_trade_words_and_numbers_survive(message: str) -> None:
    assert redact(message, KNOWN).text == message


def test_finding_7_the_model_never_sees_other_peoples_names_ni_numbers_or_dotted_numbers(claude, stub):
    claude.settings = claude.settings.with_overrides(llm_route_below=0.99)  # the model routes this one
    stub.reply_tool("RoutedIntent", {"intent": "quiz", "topic": "earthing"})
    llm_tests._ask(
        claude,
        "sort us out wi summat on earthing like, Okafor reckons my mate Dave Hughes knows it, "
        "NI AB 12 34 56 C, 07700.900.456",
    )
    [route] = [r for r in stub.requests if "RoutedIntent" in json.dumps(r)]
    sent = json.dumps(route, ensure_ascii=False)
    for personal in ("Okafor", "Dave", "Hughes", "AB 12 34 56 C", "900.456", "Jamie"):
        assert personal not in sent, personal
    assert "earthing" in sent and "[name]" in sent and "[NI number]" in sent and "[phone]" in sent
