"""Text that fpdf2's core fonts can draw (Latin-1): common symbols mapped to ASCII, accents stripped."""

from __future__ import annotations

import unicodedata

_LATIN1_MAP = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),  # curly single quotes, prime
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),  # curly double quotes, double prime
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212", "-"),  # hyphens, dashes, minus
    **dict.fromkeys("\u2022\u2023\u2219\u25aa\u25cf", "*"),  # bullets
    **dict.fromkeys("\u2713\u2714\u2705", "v"),  # ticks
    **dict.fromkeys("\u2717\u2718\u274c", "x"),  # crosses
    **dict.fromkeys("\u00a0\u2009\u202f", " "),  # no-break and thin spaces
    "\u2026": "...",
    "\u2265": ">=",
    "\u2264": "<=",
    "\u2260": "!=",
    "\u2248": "~",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2194": "<->",
    "\u21d2": "=>",
    "\u20ac": "EUR",
    "\u2116": "No.",
    "\u2122": "(TM)",
    "\t": "    ",
}
# Invisible joiners and modifiers that only make sense next to an emoji or ligature: dropped outright.
_DROP = frozenset({"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\ufe0e", "\ufe0f"}) | frozenset(
    chr(c) for c in range(0x1F3FB, 0x1F400)
)


def _latin1_char(ch: str) -> str:
    if ch in _LATIN1_MAP:
        return _LATIN1_MAP[ch]
    if ch == "\n":
        return ch
    if ch in _DROP:
        return ""
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf"):  # control and format characters: invisible, drop
        return ""
    if category.startswith("C"):  # surrogates, private use, unassigned (e.g. emoji newer than this Python)
        return "?"
    if ord(ch) < 0x100:
        return ch
    base = "".join(
        c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 0x100 and not unicodedata.combining(c)
    )
    return base if base and base.isprintable() else "?"


def to_latin1(text: object) -> str:
    """Text that fpdf2's core fonts can draw: common symbols mapped to ASCII, accents stripped, else '?'."""
    s = str(text).replace("\r\n", "\n").replace("\r", "\n")
    if s.isascii() and s.isprintable():
        return s
    return "".join(_latin1_char(ch) for ch in s)
