"""Strip personal data (phones, emails, NI numbers, names, postcodes, addresses, vehicle regs) from text
for the model.

Pure and conservative: each kind becomes a placeholder (``[phone]``, ``[email]``, ``[NI number]``, ``[name]``,
``[postcode]``, ``[address]``, ``[reg]``), while the numbers and codes jointers use every day (11kV, 185mm2,
500 V, 3.5 hours, BS EN 60900, BS7671, XLPE, CAT4, L03, a 0630 start) and makers' names (Megger, Fluke,
Henley, Lucy switchgear) are left alone. Redacting twice changes nothing more.

Known limits, by design:
* phone numbers are found by shape and length (UK 10-11 digits from 01/02/03/05/07/08/09, ``+``/``00``
  international 8-15 digits, ``44…`` without the plus, North American ``(202) 555-0104``), with spaces,
  dashes, dots or brackets between the groups, so a run of numbers that happens to look like
  ``0161 496 0000`` is treated as a phone number;
* National Insurance numbers by HMRC's shape (``AB 12 34 56 C``, spaced, dashed or run together);
* only full postcodes (``LS6 3QW``), never an outward code alone (``LS6``);
* an address is a house number, one to three capitalised words and a street type (``221b Baker St``,
  ``Flat 3, 4 High Road``); the town after it is kept;
* vehicle registrations: current ``AB12 CDE`` (capitals or all lower case), prefix ``A123 BCD`` (capitals);
* names: those passed in (the learner's, their profile's and their mentor's: the whole name and each part,
  case-insensitive and whole-word; parts that are also everyday words, Will, Mark, Jack…, only when written
  with a capital), and anyone else's found by `people_names`: a list of ~500 first names and nicknames, a
  capitalised word after "my mate", "the foreman", "Mrs"…, a capitalised possessive inside a sentence, and
  the surname after a name. A stranger's unusual name with no such context ("Zbigniew said") is missed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sitecoach.infra.name_list import EVERYDAY_WORD_NAMES
from sitecoach.infra.people_names import find_people

KINDS = ("phone", "email", "ni_number", "name", "postcode", "address", "vehicle_reg")
PLACEHOLDERS = {
    "phone": "[phone]",
    "email": "[email]",
    "ni_number": "[NI number]",
    "name": "[name]",
    "postcode": "[postcode]",
    "address": "[address]",
    "vehicle_reg": "[reg]",
}
_PLACEHOLDER = re.compile("(" + "|".join(re.escape(p) for p in PLACEHOLDERS.values()) + ")")


@dataclass(frozen=True)
class Redacted:
    """Text with personal data replaced by placeholders, and which kinds were found."""

    text: str
    found: tuple[str, ...]  # in KINDS order, each at most once


# --- emails -------------------------------------------------------------------------------------------
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")

# --- National Insurance numbers: two letters, three pairs of digits, a suffix A-D ------------------------
# (HMRC: the first letter is never D, F, I, Q, U or V; the second never D, F, I, O, Q, U or V.)
_NI_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][ \-]?\d{2}[ \-]?\d{2}[ \-]?\d{2}[ \-]?[A-D]"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)

# --- phone numbers: chains of digit runs joined by phone-ish separators ------------------------------
_DIGITS = re.compile(r"\d+")
_SPACE = "[ \u00a0]"
_SEP = re.compile(
    rf"{_SPACE}{{1,2}}|{_SPACE}?[-\u2010-\u2013.]{_SPACE}?|{_SPACE}?\){_SPACE}?|{_SPACE}?\(|\){_SPACE}?\("
)
_MAX_RUNS = 7  # "+44 (0) 7700 900 123" is five runs of digits; never consider more than seven
_UK_SECOND_DIGIT = set("1235789")  # 04 and 06 are not used, so "0630" style times never start a number
_INTL_PREFIX = re.compile(r"(?:whatsapp:\s*)?\+\s?\(?$", re.IGNORECASE)


def _sep_ok(sep: str, nanp: bool = False) -> bool:
    """Whether a separator may sit inside a number: spaces, dashes, dots and brackets all may
    ("07700.900.123"); decimals ("3.5") never become numbers because of the digit counts."""
    return True


def _phone_kind(text: str, runs: list[re.Match[str]], i: int, j: int) -> int | None:
    """If runs i..j form one phone number, the index where it starts in ``text`` (incl. +, parens)."""
    parts = [m.group() for m in runs[i : j + 1]]
    seps = [text[runs[k].end() : runs[k + 1].start()] for k in range(i, j)]
    digits = "".join(parts)
    start = runs[i].start()
    before = text[max(0, start - 16) : start]
    plus = _INTL_PREFIX.search(before)
    # "(0)" written inside an international number is not dialled
    trunk = sum(
        1
        for k in range(i + 1, j + 1)
        if parts[k - i] == "0" and text[runs[k].start() - 1 : runs[k].start()] == "("
    )
    plain_seps = all(_sep_ok(s) for s in seps)

    if plus and plain_seps and digits[0] != "0" and 8 <= len(digits) - trunk <= 15:
        return plus.start() + max(0, start - 16)
    if digits.startswith("00") and plain_seps and len(digits) > 2 and digits[2] != "0":
        if 8 <= len(digits) - 2 - trunk <= 15:
            return start
    if digits.startswith("0") and not digits.startswith("00") and plain_seps:
        in_parens = text[start - 1 : start] == "(" and text[runs[i].end() : runs[i].end() + 1] == ")"
        first_ok = len(parts[0]) >= 3 or (parts[0] == "0" and in_parens)
        rest_ok = all(len(p) >= 2 for p in parts[1:])
        if first_ok and rest_ok and 10 <= len(digits) <= 11 and digits[1] in _UK_SECOND_DIGIT:
            return start - 1 if in_parens or text[start - 1 : start] == "(" else start
    if parts[0] == "44" or (len(parts) == 1 and digits.startswith("44")):
        if plain_seps and len(digits) == 12 and digits[2] != "0":
            return start
    if [len(p) for p in parts] == [3, 3, 4] and digits[0] in "23456789" and digits[3] in "23456789":
        parens = text[start - 1 : start] == "(" and seps[0].startswith(")")
        if any(ch in s for s in seps for ch in "-.)\u2010\u2011\u2012\u2013") and all(
            _sep_ok(s, nanp=True) for s in seps
        ):
            return start - 1 if parens else start
    return None


def _phone_chains(text: str) -> list[list[re.Match[str]]]:
    """Digit runs grouped into chains joined only by phone-ish separators."""
    chains: list[list[re.Match[str]]] = []
    for run in _DIGITS.finditer(text):
        if chains and _SEP.fullmatch(text[chains[-1][-1].end() : run.start()]):
            chains[-1].append(run)
        else:
            chains.append([run])
    return chains


def _redact_phones(text: str) -> tuple[str, int]:
    """Replace phone numbers, choosing the split of each digit chain that covers the most digits."""
    spans: list[tuple[int, int]] = []
    for chain in _phone_chains(text):
        n = len(chain)
        best: list[tuple[int, list[tuple[int, int]]]] = [(0, [])] * (n + 1)
        for i in range(n - 1, -1, -1):
            best[i] = best[i + 1]
            for j in range(i, min(n, i + _MAX_RUNS)):
                begin = _phone_kind(text, chain, i, j)
                if begin is None:
                    continue
                covered = sum(len(m.group()) for m in chain[i : j + 1]) + best[j + 1][0]
                if covered > best[i][0]:
                    end = chain[j].end()
                    if text[end : end + 1] == ")" and text[begin:end].count("(") > text[begin:end].count(")"):
                        end += 1
                    best[i] = (covered, [(begin, end), *best[j + 1][1]])
        spans.extend(best[0][1])
    for begin, end in sorted(spans, reverse=True):
        text = text[:begin] + PLACEHOLDERS["phone"] + text[end:]
    return text, len(spans)


# --- postcodes (full only, real postcode areas) -------------------------------------------------------
_AREAS = """
    AB AL BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY EC
    EH EN EX FK FY GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY LA LD LE LL LN LS LU ME
    MK ML NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM SA SE SG SK SL SM SN SO SP SR SS ST SW SY
    TA TD TF TN TQ TR TS TW UB WA WC WD WF WN WR WS WV YO ZE B E G L M N S W
""".split()  # two-letter areas first, so "LS6" is not read as "L" + "S6"
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:GIR\s?0AA|(?:"
    + "|".join(_AREAS)
    + r")\d[A-Z\d]?\s?(?P<inward>\d[ABD-HJLNP-UW-Z]{2}))"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_ORDINAL = re.compile(r"\d(?:st|nd|rd|th)")  # "L1 2nd" is a phase and an ordinal, not a postcode


def _postcode(match: re.Match[str]) -> str | None:
    """A placeholder unless the inward part is really a lower-case ordinal."""
    inward = match.group("inward")
    return None if inward and _ORDINAL.fullmatch(inward) else PLACEHOLDERS["postcode"]


# --- vehicle registrations ----------------------------------------------------------------------------
_NOT_REG_ENDINGS = frozenset(
    """KVA MVA KWH SWA PVC EPR LSF RCD MCB PME CNE SNE TNS TNC AMP UTP STP MMS HRS MIN SEC VAC VDC AWG CSA
    RMS DNO RED BLU BRN GRN YEL BLK GRY THE AND FOR NOT YOU ARE WAS CAN GET PUT OFF OUT NOW ALL TOP END SET
    NEW OLD ONE TWO SIX TEN BUT HAS HAD HIM HER HIS ITS OUR WHO WHY HOW YES DAY JOB KIT""".split()
)
_REG_CURRENT = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?:[A-HJ-PR-Y]{2}\d{2}\s?(?P<upper>[A-HJ-PR-Z]{3})|[a-hj-pr-y]{2}\d{2}\s?(?P<lower>[a-hj-pr-z]{3}))"
    r"(?![A-Za-z0-9])"
)
_REG_PREFIX = re.compile(
    r"(?<![A-Za-z0-9])[A-HJ-NPR-TV-Y]\d{1,3}\s?(?P<upper>[A-HJ-PR-Y][A-Z]{2})(?![A-Za-z0-9])"
)


def _reg(match: re.Match[str]) -> str | None:
    """A placeholder unless the three letters are a unit, colour or common word (``L1 RED``, ``TX12 KVA``)."""
    letters = match.group("upper") or match.groupdict().get("lower") or ""
    return None if letters.upper() in _NOT_REG_ENDINGS else PLACEHOLDERS["vehicle_reg"]


# --- street addresses ---------------------------------------------------------------------------------
_STREET_TYPES = (
    "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Crescent|Cres|Court|Ct|Place|Pl|Gardens|Gdns"
    "|Terrace|Terr|Grove|Mews|Square|Sq"
)
_ADDRESS = re.compile(
    r"(?<![\w.,/\-])"
    r"(?:(?i:flat|apartment|apt|unit)\s+\d{1,4}[A-Za-z]?\s*,?\s+)?"
    r"\d{1,4}[A-Za-z]?(?:\s?[-\u2013]\s?\d{1,4}[A-Za-z]?)?,?\s+"
    r"(?:[A-Z][A-Za-z'\u2019\-]*\s+){1,3}?"
    rf"(?i:{_STREET_TYPES})(?![\w'\u2019\-])"
)

# --- names ----------------------------------------------------------------------------------------------
_NAME_PART = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")


def _word_pattern(word: str) -> str:
    """Case-insensitive, except that a name which is also an everyday word must start with a capital."""
    if word.lower() in EVERYDAY_WORD_NAMES:
        return f"{re.escape(word[0].upper())}(?i:{re.escape(word[1:])})"
    return f"(?i:{re.escape(word)})"


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for the given names: each whole name and each of its parts (two letters or more)."""
    phrases: set[str] = set()
    for raw in names:
        name = " ".join((raw or "").split())
        parts = _NAME_PART.findall(name)
        if len(parts) > 1:
            phrases.add(" ".join(parts))
        phrases.update(p for p in parts if len(p) >= 2)
    if not phrases:
        return None
    alternatives = [
        r"\s+".join(_word_pattern(word) for word in phrase.split(" "))
        for phrase in sorted(phrases, key=lambda p: (-len(p), p.lower()))
    ]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def _redact_people(text: str) -> tuple[str, int]:
    """Replace names of people the coach was not told about (`people_names.find_people`)."""
    spans = find_people(text)
    for begin, end in reversed(spans):
        text = text[:begin] + PLACEHOLDERS["name"] + text[end:]
    return text, len(spans)


# --- driver ---------------------------------------------------------------------------------------------
def _outside_placeholders(text: str, step: Callable[[str], tuple[str, int]]) -> tuple[str, int]:
    """Apply ``step`` to the text between existing placeholders, so placeholders are never re-redacted."""
    pieces = _PLACEHOLDER.split(text)
    total = 0
    for index in range(0, len(pieces), 2):  # odd indexes are the placeholders themselves
        pieces[index], count = step(pieces[index])
        total += count
    return "".join(pieces), total


def _regex_step(
    pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str | None]
) -> Callable[[str], tuple[str, int]]:
    """A step replacing each match of ``pattern`` with ``replace(match)`` (None keeps the match)."""

    def step(text: str) -> tuple[str, int]:
        count = 0

        def sub(match: re.Match[str]) -> str:
            nonlocal count
            replacement = replace(match)
            if replacement is None:
                return match.group()
            count += 1
            return replacement

        return pattern.sub(sub, text), count

    return step


def _constant(kind: str) -> Callable[[re.Match[str]], str]:
    """A replacer that always answers ``kind``'s placeholder."""
    return lambda _match: PLACEHOLDERS[kind]


def redact(text: str, names: Iterable[str] = ()) -> Redacted:
    """Replace personal data in ``text`` with placeholders; ``names`` are the people's names to remove."""
    name_pattern = _name_pattern(names)
    steps: list[tuple[str, Callable[[str], tuple[str, int]]]] = [
        ("email", _regex_step(_EMAIL, _constant("email"))),
        ("ni_number", _regex_step(_NI_NUMBER, _constant("ni_number"))),
        ("phone", _redact_phones),
        ("postcode", _regex_step(_POSTCODE, _postcode)),
        ("vehicle_reg", _regex_step(_REG_CURRENT, _reg)),
        ("vehicle_reg", _regex_step(_REG_PREFIX, _reg)),
        ("address", _regex_step(_ADDRESS, _constant("address"))),
    ]
    if name_pattern is not None:
        steps.append(("name", _regex_step(name_pattern, _constant("name"))))
    steps.append(("name", _redact_people))
    found: set[str] = set()
    for kind, step in steps:
        text, count = _outside_placeholders(text, step)
        if count:
            found.add(kind)
    return Redacted(text=text, found=tuple(kind for kind in KINDS if kind in found))
