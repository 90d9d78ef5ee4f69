"""Personal data is removed before text goes to the model; jointers' technical vocabulary survives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitecoach.infra.redact import KINDS, Redacted, redact

NAMES = ("Jamie O'Neill", "Priya")


@pytest.mark.parametrize(
    "phone",
    [
        "+44 7700 900123",
        "+447700900123",
        "07700900123",
        "07700 900 123",
        "07700 900123",
        "07700-900-123",
        "(0)7700 900123",
        "+44 (0)7700 900123",
        "+44 (0) 7700 900 123",
        "whatsapp:+447700900123",
        "WhatsApp:+44 7700 900123",
        "447700900123",
        "0044 7700 900123",
        "0161 496 0000",
        "(0161) 496 0000",
        "020 7946 0018",
        "0113 496 0000",
        "0800 123 4567",
        "+1 202 555 0104",
        "+1-202-555-0104",
        "(202) 555-0104",
        "202-555-0104",
        "+33 1 23 45 67 89",
        "+353 85 123 4567",
    ],
)
def test_phone_numbers_are_removed(phone: str) -> None:
    result = redact(f"ring me on {phone} after 4")
    assert result.text == "ring me on [phone] after 4"
    assert result.found == ("phone",)


def test_phone_number_punctuation_and_neighbours() -> None:
    assert redact("(07700 900123)").text == "[phone]"
    assert redact("call07700900123 now").text == "call[phone] now"
    assert redact("Mobile: 07700 900123. Office: 0161 496 0000, ta").text == (
        "Mobile: [phone]. Office: [phone], ta"
    )
    assert redact("07700 900123 12 Elm Street").text == "[phone] [address]"
    assert redact("07700 900123 and 07700 900124").text == "[phone] and [phone]"


@pytest.mark.parametrize(
    "email",
    ["jamie@example.com", "jamie.oneill+site@example.co.uk", "J_O-Neill99@mail.example.org"],
)
def test_emails_are_removed(email: str) -> None:
    result = redact(f"email {email}, thanks")
    assert result.text == "email [email], thanks"
    assert result.found == ("email",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jamie here", "[name] here"),
        ("this is jamie", "this is [name]"),
        ("JAMIE said", "[name] said"),
        ("Jamie's joint failed", "[name]'s joint failed"),
        ("Jamie\u2019s joint", "[name]\u2019s joint"),
        ("ask Jamie O'Neill", "ask [name]"),
        ("ask O'Neill", "ask [name]"),
        ("Priya and Jamie", "[name] and [name]"),
        ("'Jamie' said", "'[name]' said"),
        ("Jamie-Lee", "[name]-[name]"),  # Lee is a first name too
    ],
)
def test_given_names_are_removed(text: str, expected: str) -> None:
    result = redact(text, NAMES)
    assert result.text == expected
    assert result.found == ("name",)


def test_names_are_whole_words_only() -> None:
    assert redact("Priyanka and Jamieson", NAMES).text == "Priyanka and Jamieson"
    assert redact("Priya", ["  ", "", "J", "Priya"]).text == "[name]"


def test_names_that_are_everyday_words_need_a_capital() -> None:
    names = ["Will Mark", "Jack"]
    assert redact("Will said I will mark it", names).text == "[name] said I will mark it"
    assert redact("Mark the jack with tape", names).text == "[name] the jack with tape"
    assert redact("Jack up the drum; Will Mark?", names).text == "[name] up the drum; [name]?"


def test_without_given_names_listed_first_names_still_go() -> None:
    assert redact("Jamie here").text == "[name] here"
    assert redact("how do I prep a 3 core joint?").found == ()


def test_names_equal_to_placeholder_words_are_safe() -> None:
    once = redact("name the phone on 07700 900123, Phone", ["Phone", "Name"])
    assert once.text == "[name] the [name] on [phone], [name]"
    assert redact(once.text, ["Phone", "Name"]).text == once.text


@pytest.mark.parametrize(
    "postcode", ["SW1A 1AA", "M1 1AE", "LS6 3QW", "LS63QW", "ls6 3qw", "EC1V 9HX", "B33 8TH"]
)
def test_full_postcodes_are_removed(postcode: str) -> None:
    result = redact(f"site is at {postcode} today")
    assert result.text == "site is at [postcode] today"
    assert result.found == ("postcode",)


@pytest.mark.parametrize(
    "address",
    [
        "12 Elm Street",
        "221b Baker St",
        "Flat 3, 4 High Road",
        "flat 3 4 High Road",
        "7 Kings Avenue",
        "7 Kings Ave",
        "9 Mill Lane",
        "2 Orchard Close",
        "15 Lake Drive",
        "3 Ship Way",
        "40 Royal Crescent",
        "6 Abbey Court",
        "1 Market Place",
        "8 Rose Gardens",
        "10 Spring Terrace",
        "12-14 St Johns Road",
        "5 Elm Rd",
        "12 Elm street",
    ],
)
def test_street_addresses_are_removed(address: str) -> None:
    result = redact(f"meet at {address}, Leeds")
    assert result.text == "meet at [address], Leeds"
    assert result.found == ("address",)


@pytest.mark.parametrize(
    "reg", ["AB12 CDE", "AB12CDE", "YX68 OKC", "ab12 cde", "A123 BCD", "P45 XYZ", "K7 ABC"]
)
def test_vehicle_registrations_are_removed(reg: str) -> None:
    result = redact(f"van {reg} is parked")
    assert result.text == "van [reg] is parked"
    assert result.found == ("vehicle_reg",)


def test_everything_at_once_and_found_order() -> None:
    text = (
        "Hi it's Jamie O'Neill, 07700 900123, jamie@example.com, NI AB 12 34 56 C. Van AB12 CDE is at "
        "Flat 3, 4 High Road, Leeds LS6 3QW. Doing the 11kV joint, 185mm2 XLPE, 0630 start."
    )
    result = redact(text, NAMES)
    assert result == Redacted(
        "Hi it's [name], [phone], [email], NI [NI number]. Van [reg] is at [address], Leeds [postcode]. "
        "Doing the 11kV joint, 185mm2 XLPE, 0630 start.",
        ("phone", "email", "ni_number", "name", "postcode", "address", "vehicle_reg"),
    )
    assert result.found == KINDS


# --- the jointer's vocabulary must survive -----------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "11kV",
        "11 kV",
        "33kV cable",
        "185mm2",
        "185 mm²",
        "500 V",
        "1000V",
        "0.6/1 kV",
        "3.5 hours",
        "BS EN 60900",
        "BS EN 60900:2018",
        "BS7671",
        "BS 7671:2018+A2:2022",
        "2026",
        "0630",
        "start 0630 finish 1530",
        "on 14/03/2026 at 0630",
        "2026-03-14",
        "XLPE",
        "PILC",
        "CAT4",
        "L03",
        "Q-L03-01",
        "ST1332",
        "H07RN-F",
        "SWA 4 core",
        "L1 L2 L3 and N",
        "L1 2nd joint",
        "L1 RED to L1",
        "300A at 400 V 50 Hz",
        "IR test 500 V for 60 s gave 200 MΩ",
        "0.5 1.5 2.5 3.5 4.5 5.5",
        "torque 25 Nm, 3 x 95mm2 + 50mm2",
        "3 phase 4 wire, 95 mm2 CNE",
        "logged 7.5 hrs off-the-job",
        "drum 1000 m, 2 x 500 m lengths",
        "ENA TS 09-15",
        "section 4.2.1 step 3",
        "a 2 hour drive",
        "10 minute walk up the road",
        "TX12 KVA transformer",
        "resin pack 1 of 2, 20 mins cure at 15 C",
    ],
)
def test_jointer_vocabulary_is_untouched(text: str) -> None:
    result = redact(text, NAMES)
    assert result.text == text
    assert result.found == ()


def test_empty_and_plain_text() -> None:
    assert redact("") == Redacted("", ())
    assert redact("how do I prep a 3 core joint?") == Redacted("how do I prep a 3 core joint?", ())


# --- properties --------------------------------------------------------------------------------------
_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(list("0+()- .,'@[]")),
    max_size=80,
)


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


_PHONE = st.one_of(
    st.builds(lambda d: f"07{d[:3]} {d[3:]}", _digits(9)),
    st.builds(lambda d: f"07{d}", _digits(9)),
    st.builds(lambda d: f"07{d[:3]} {d[3:6]} {d[6:]}", _digits(9)),
    st.builds(lambda d: f"+44 7{d[:3]} {d[3:]}", _digits(9)),
    st.builds(lambda d: f"+44 (0)7{d[:3]} {d[3:]}", _digits(9)),
    st.builds(lambda d: f"whatsapp:+447{d}", _digits(9)),
    st.builds(lambda d: f"01{d[:2]} {d[2:5]} {d[5:]}", _digits(8)),
    st.builds(lambda d: f"020 {d[:4]} {d[4:]}", _digits(8)),
    st.builds(lambda d: f"+1 202 555 {d}", _digits(4)),
)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, names=st.lists(st.text(max_size=12), max_size=3))
def test_redact_never_raises_and_is_idempotent(text: str, names: list[str]) -> None:
    once = redact(text, names)
    assert isinstance(once.text, str)
    assert set(once.found) <= set(KINDS)
    assert redact(once.text, names).text == once.text


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(
            list("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;!?+-()@'")
        ),
        max_size=60,
    ),
    phone=_PHONE,
    data=st.data(),
)
def test_phone_embedded_anywhere_is_removed(text: str, phone: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(min_value=0, max_value=len(text)))
    message = f"{text[:at]} {phone} {text[at:]}"
    result = redact(message, ["Jamie"])
    assert phone not in result.text
    assert "phone" in result.found
    assert redact(result.text, ["Jamie"]).text == result.text


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Nd")), max_size=80))
def test_jointer_vocabulary_survives_any_non_digit_noise(text: str) -> None:
    vocab = "11kV 185mm2 XLPE PILC BS7671 CAT4 Q-L03-01 ST1332 0630"
    assert vocab in redact(f"{text} {vocab} {text}").text
