"""Finding other people's names in a message: the mate, the gaffer, the injured colleague.

The coach knows the learner's and the mentor's names (`redact(names=…)`); everybody else is found by
* the list of first names (`name_list`): "Dave", "DAVE", and "dave" when four letters or more or after a
  word that introduces a person ("ask tom", "cheers kev");
* names that are everyday words ("Will", "Mark", "Don") only when capitalised inside a sentence, never
  as the sentence's first word ("Will it trip?" keeps its Will);
* context: a capitalised word after a relation or title ("my mate Zbigniew", "the foreman Kowalczyk",
  "Mrs Adeyemi", "a lad called Tamsin") or a capitalised possessive inside a sentence ("ring Oakley's van");
* a capitalised word right after a name found so, as the surname ("Dave Hughes" is one `[name]`).
Trade words and makers' names (Megger, Ohm, Henley, Fluke…), days and months, and short function words
are never names; a listed name followed by a product word ("Lucy switchgear") is the maker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sitecoach.infra.name_list import EVERYDAY_WORD_NAMES, FIRST_NAMES

TRADE_WORDS = frozenset(
    """megger meggers ohm ohms volt volts watt watts amp amps ampere amperes kelvin joule joules hertz tesla
    siemens faraday coulomb fluke kewtech martindale seaward metrel henley raychem prysmian pirelli nexans
    hellermann tyton wago cembre klauke scotchcast tyco elastimold euromold hawke bowthorpe sicame ellis
    schneider hager wylex crabtree eaton legrand brady draper stanley knipex wera cat genny ukpn spen ssen
    enwl npg wpd nged ena bs en iet xlpe pilc swa cne sne lv hv mv rmu""".split()
)
CALENDAR_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
    january february march july september october november december jan feb mar apr jun jul aug sep sept
    oct nov dec christmas xmas easter""".split()
)
FUNCTION_WORDS = frozenset(
    """i im it its it's that thats there theres here heres let lets he hes she shes they we you what whats
    who whos where wheres when how why this these those the a an and but or so if then my your our their
    his her me us them ok okay yes yeah no nope hi hiya hello hey cheers thanks ta sorry please just also
    not got get can cant wont do dont did is was are were be been have has had one today tomorrow
    tonight morning afternoon evening night week weekend site job work joint cable mate boss""".split()
)
RELATION_WORDS = frozenset(
    """mate mates pal buddy gaffer boss foreman supervisor mentor manager apprentice brother sister bro
    wife missus misses girlfriend boyfriend partner husband son daughter dad mum mam uncle aunt auntie
    cousin nan nana grandad granddad grandma colleague labourer driver jointer engineer fitter lad mucker
    oppo neighbour housemate flatmate friend called named mr mrs ms miss dr""".split()
)
GREETING_WORDS = frozenset(
    """cheers thanks ta hi hiya hello hey alright morning ask asked tell told with and ring rang call
    called text texted phone phoned""".split()
)
PRODUCT_WORDS = frozenset("switch switchgear rmu sabre unit units gear panel board fuse fuses".split())
NOT_NAMES = TRADE_WORDS | CALENDAR_WORDS | FUNCTION_WORDS
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['\u2019]s$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\n\u2026]|\n)[\s\"'\u2018\u201c(\[*_-]*$")


@dataclass(frozen=True)
class _Word:
    start: int
    end: int  # the end of the name itself (before any possessive 's)
    base: str

    @property
    def lower(self) -> str:
        return self.base.lower()

    @property
    def titled(self) -> bool:
        return self.base[:1].isupper() and not self.base[1:].isupper()

    @property
    def shouted(self) -> bool:
        return len(self.base) > 1 and self.base.isupper()


def _words(text: str) -> list[_Word]:
    words = []
    for match in _WORD.finditer(text):
        possessive = _POSSESSIVE.search(match.group())
        end = match.end() - (2 if possessive and len(match.group()) > 2 else 0)
        words.append(_Word(match.start(), end, text[match.start() : end]))
    return words


def _sentence_start(text: str, word: _Word) -> bool:
    return _SENTENCE_END.search(text[max(0, word.start - 8) : word.start]) is not None or word.start == 0


def _is_name(text: str, words: list[_Word], i: int) -> bool:
    word, lower = words[i], words[i].lower
    previous = words[i - 1].lower if i > 0 and _adjacent(text, words[i - 1], word) else ""
    following = words[i + 1].lower if i + 1 < len(words) else ""
    if lower in NOT_NAMES or len(lower) < 2 or following in PRODUCT_WORDS:
        return False
    possessive = text[word.end : word.end + 2].lower() in ("'s", "\u2019s")
    if lower in FIRST_NAMES:
        if word.titled or word.shouted:
            return True
        return word.base.islower() and (len(lower) >= 4 or previous in RELATION_WORDS | GREETING_WORDS)
    if not word.titled:
        return False
    if lower in EVERYDAY_WORD_NAMES:
        return not _sentence_start(text, word)
    return previous in RELATION_WORDS or (possessive and not _sentence_start(text, word))


def _adjacent(text: str, left: _Word, right: _Word) -> bool:
    """Whether only spaces (and a possessive or a full stop after a title) separate two words."""
    between = text[left.end : right.start]
    return re.fullmatch(r"(?:['\u2019]s)?\.?[ \t]+", between) is not None


def find_people(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of other people's names in `text`; a first name and its surname are one span."""
    words = _words(text)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        if not _is_name(text, words, i):
            i += 1
            continue
        start, end = words[i].start, words[i].end
        nxt = i + 1
        if (
            nxt < len(words)
            and text[end : words[nxt].start] == " "
            and words[nxt].titled
            and words[nxt].lower not in NOT_NAMES | EVERYDAY_WORD_NAMES
            and (nxt + 1 >= len(words) or words[nxt + 1].lower not in PRODUCT_WORDS)
        ):
            end = words[nxt].end
            nxt += 1
        spans.append((start, end))
        i = nxt
    return spans
