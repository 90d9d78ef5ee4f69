"""The jointers' words for the speech recogniser: pronunciations CMUdict lacks, and the language model text.

The recogniser's bundled dictionary is American English and knows neither "megger" nor "earthing"; its
bundled language model is general English, which turns "quiz me on earthing" into "we don't know". So the
coach decodes with a small language model built from what learners actually write to it (the skills'
example messages) plus lines that use each trade word, and teaches the dictionary the trade words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# ARPAbet pronunciations (the bundled acoustic model's phones), as a British jointer says the word.
JOINTER_PRONUNCIATIONS: dict[str, tuple[str, ...]] = {
    "earthing": ("ER TH IH NG",),
    "earthed": ("ER TH T",),
    "megger": ("M EH G ER",),
    "meggered": ("M EH G ER D",),
    "meggering": ("M EH G ER IH NG",),
    "lv": ("EH L V IY",),
    "hv": ("EY CH V IY", "EY T CH V IY"),
    "kv": ("K EY V IY",),
    "11kv": ("IH L EH V AH N K EY V IY",),
    "33kv": ("TH ER D IY TH R IY K EY V IY",),
    "swa": ("EH S D AH B AH L Y UW EY",),
    "cne": ("S IY EH N IY",),
    "pilc": ("P IH L K", "P IY AY EH L S IY"),
    "xlpe": ("EH K S EH L P IY IY",),
    "jointer": ("JH OY N T ER",),
    "jointers": ("JH OY N T ER Z",),
    "jointing": ("JH OY N T IH NG",),
    "ferrule": ("F EH R AH L",),
    "ferrules": ("F EH R AH L Z",),
    "gaffer": ("G AE F ER",),
    "consac": ("K AA N S AE K",),
    "waveconal": ("W EY V K AA N AH L",),
    "potend": ("P AA T EH N D",),
    "cutout": ("K AH T AW T",),
    "epa": ("IY P IY EY",),
    "ppe": ("P IY P IY IY",),
    "rcd": ("AA R S IY D IY",),
    "cpr": ("S IY P IY AA R",),
}

# Each trade word in a line of its own, so the language model has met it beside ordinary words. (Written
# apart from bench/voice.py's phrases, which would otherwise be measured on text the model was built from.)
TRADE_LINES = (
    "a quiz on earthing and bonding",
    "the earthing on this joint",
    "the megger reading was low",
    "megger the cable before you joint it",
    "we meggered it twice",
    "pot end the cable for now",
    "the pot ends are done",
    "crimp the lug with the right die",
    "the resin is still curing",
    "the trench is not deep enough",
    "an 11kv cable joint",
    "the swa cable gland",
    "the cne cable neutral",
    "the pilc cable is paper insulated",
    "xlpe insulation",
    "hv switching today",
    "lv mains cable",
    "the jointer and his mate",
    "jointing in the rain",
    "the gaffer says no",
    "a ferrule on the conductor",
    "consac cable and waveconal cable",
    "the rcd tripped",
    "do cpr now",
    "ppe on site",
    "the epa exam",
)

_WORD = re.compile(r"[a-z0-9']+")


def spoken_words(text: str) -> list[str]:
    """A message as the words one would say: lower case, punctuation and emoji dropped."""
    lowered = text.lower().replace("&", " and ").replace("-", " ")
    return _WORD.findall(lowered)


def language_model_lines(messages: Iterable[str]) -> list[str]:
    """The language model's training sentences: the messages as spoken words, and the trade lines."""
    lines = [" ".join(spoken_words(m)) for m in messages]
    lines.extend(TRADE_LINES)
    return [line for line in lines if line]
