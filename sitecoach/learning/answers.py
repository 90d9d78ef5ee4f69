"""Reading a learner's answer to a multiple-choice question, the way people really type it."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence

LETTERS = "abcdefgh"
_FILLER = re.compile(
    r"^(?:(?:i think|i reckon|i guess|think|prob(?:ably)?|maybe|answer(?: is)?|option|no\.?|number|#|"
    r"its|it's|it is|is it|the answer is|go with|going with|id say|i'd say|ill go|i'll go)\s+)+"
)
_WORD = re.compile(r"[a-z0-9]+")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().strip()
    text = re.sub(r"[\u2018\u2019]", "'", text)
    return text


def parse_choice(text: str, options: Sequence[str]) -> int | None:
    """The 0-based option a reply picks ("b", "B)", "2", "(c)", "it's d", the option's words), or None."""
    raw = _normalise(text)
    if not raw or len(raw) > 300 or not options:
        return None
    raw = re.sub(r"^(answer|option|no\.?|number|#)\s*[:#.]?\s*", r"\1 ", raw).strip()
    n = len(options)
    stripped = _FILLER.sub("", raw).strip(" .!?)(:-*_")
    stripped = re.sub(r"\s+(?:i think|maybe|probably|mate|pal|please|pls)$", "", stripped).strip(" .!?)(")
    # A lone letter or number, possibly wrapped: "b", "b)", "(b)", "2", "2.", "option 2"
    m = re.fullmatch(r"\(?([a-h]|[1-8])\)?[.):]?", stripped)
    if m:
        return _index(m.group(1), n)
    # Letter followed by the option text: "b) lock it off" / "b - lock it off"
    m = re.match(r"^\(?([a-h]|[1-8])\)?[.):\-]\s*(.+)$", stripped)
    if m:
        idx = _index(m.group(1), n)
        if idx is not None:
            return idx
    return _match_words(stripped, options)


def _index(token: str, n: int) -> int | None:
    idx = int(token) - 1 if token.isdigit() else LETTERS.index(token)
    return idx if 0 <= idx < n else None


_STOP = {"a", "an", "the", "it", "is", "to", "of", "and", "or", "in", "on", "at", "for", "be", "by", "i"}


def _score(words: set[str], text: str, option: str) -> float:
    opt = _normalise(option)
    if text == opt:
        return 2.0
    opt_words = set(_WORD.findall(opt))
    if not opt_words:
        return 0.0
    coverage = len(words & opt_words) / len(opt_words)
    content = words - _STOP
    precision = len(content & opt_words) / len(content) if len(content) >= 2 else 0.0
    ratio = difflib.SequenceMatcher(None, text, opt).ratio()
    return max(coverage, ratio, 0.9 * precision)


def _match_words(text: str, options: Sequence[str]) -> int | None:
    """Match a typed answer against the options' words: exact, covered, or close enough; ties refused."""
    words = set(_WORD.findall(text))
    if not words:
        return None
    scores = [_score(words, text, option) for option in options]
    ranked = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
    best = ranked[0]
    if scores[best] < 0.6:
        return None
    if len(ranked) > 1 and scores[best] - scores[ranked[1]] < 0.05:
        return None
    return best
