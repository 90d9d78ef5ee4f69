"""Choices a reply offers (WhatsApp quick-reply buttons or a list picker), fitted to WhatsApp's limits.

A choice's `id` is what comes back when it is tapped (Twilio's `ButtonPayload`), and it is the same
text the typed path accepts ("B" for a quiz option, "yes" for consent), so a tap and a typed answer
are one answer. Plain data: skills build it, the delivery layer sends it, the simulator draws it.
Limits: Meta's "Interactive reply buttons" / "Interactive list messages" and Twilio's Content types
`twilio/quick-reply` and `twilio/list-picker` (see TECH-NOTES section 8).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_BUTTONS = 3
BUTTON_TITLE_MAX_CHARS = 20
MAX_ROWS = 10
ROW_TITLE_MAX_CHARS = 24
ROW_DESCRIPTION_MAX_CHARS = 72
LIST_BUTTON_MAX_CHARS = 20
CHOICE_ID_MAX_CHARS = 200  # Twilio: an item id of at most 200 characters
INTERACTIVE_BODY_MAX_CHARS = 1024  # a longer body goes as text with numbered options
ELLIPSIS = "…"


class ChoiceStyle(StrEnum):
    """How the choices are shown."""

    BUTTONS = "buttons"  # up to 3 quick-reply buttons
    LIST = "list"  # a list picker of up to 10 rows
    TEXT = "text"  # too many to tap: numbered options in the text only


@dataclass(frozen=True)
class Choice:
    """One option: `id` is the answer it stands for, `title` what the button or row says."""

    id: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Choices:
    """The options of one message, already fitted to WhatsApp's limits (build with `offer`)."""

    options: tuple[Choice, ...]
    style: ChoiceStyle
    button: str = "Choose"  # the label of a list picker's button
    listed: bool = False  # the body already lists the options and what to type

    @property
    def interactive(self) -> bool:
        """Whether these can be sent as buttons or a list (else as numbered text)."""
        return self.style != ChoiceStyle.TEXT and bool(self.options)

    def to_data(self) -> dict[str, Any]:
        """JSON for the outbound message row."""
        return {
            "style": str(self.style),
            "button": self.button,
            "listed": self.listed,
            "options": [{"id": o.id, "title": o.title, "description": o.description} for o in self.options],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any] | None) -> Choices | None:
        """Read `to_data` back (None if there is nothing usable)."""
        if not data or not data.get("options"):
            return None
        options = tuple(
            Choice(str(o["id"]), str(o["title"]), str(o.get("description") or "")) for o in data["options"]
        )
        style = ChoiceStyle(str(data.get("style") or ChoiceStyle.TEXT))
        return cls(options, style, str(data.get("button") or "Choose"), bool(data.get("listed")))


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: cut at a word end where one is near, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = text[: limit - len(ELLIPSIS)]
    space = room.rfind(" ")
    if space >= limit // 2:  # a word end not too far back: keep whole words
        room = room[:space]
    return room.rstrip(" ,;:-–") + ELLIPSIS


def _unique_titles(titles: list[str], limit: int) -> list[str]:
    """WhatsApp refuses two buttons or rows with the same title: number repeats ("Yes", "Yes 2")."""
    seen: dict[str, int] = {}
    out = []
    for title in titles:
        count = seen.get(title.casefold(), 0) + 1
        seen[title.casefold()] = count
        out.append(title if count == 1 else f"{shorten(title, limit - 3)} {count}")
    return out


def offer(
    options: Iterable[Choice | tuple[str, str] | tuple[str, str, str]],
    *,
    button: str = "Choose",
    more: Choice | None = None,
    listed: bool = False,
) -> Choices:
    """Fit options to WhatsApp: up to 3 become buttons, up to 10 a list; titles and descriptions are
    shortened to their limits. More than 10 become 9 rows and the `more` row, or numbered text when
    there is no `more`. `listed`: the body already lists the options and says what to type."""
    items = [o if isinstance(o, Choice) else Choice(*o) for o in options]
    items = [
        Choice(o.id.strip()[:CHOICE_ID_MAX_CHARS], " ".join(o.title.split()) or o.id.strip(), o.description)
        for o in items
        if o.id.strip()
    ]
    if len(items) > MAX_ROWS:
        if more is None:
            return Choices(tuple(items), ChoiceStyle.TEXT, shorten(button, LIST_BUTTON_MAX_CHARS), listed)
        items = [*items[: MAX_ROWS - 1], more]
    if len(items) <= MAX_BUTTONS:
        titles = _unique_titles(
            [shorten(o.title, BUTTON_TITLE_MAX_CHARS) for o in items], BUTTON_TITLE_MAX_CHARS
        )
        fitted = tuple(Choice(o.id, t) for o, t in zip(items, titles, strict=True))
        return Choices(fitted, ChoiceStyle.BUTTONS, shorten(button, LIST_BUTTON_MAX_CHARS), listed)
    titles = _unique_titles([shorten(o.title, ROW_TITLE_MAX_CHARS) for o in items], ROW_TITLE_MAX_CHARS)
    fitted = tuple(
        Choice(o.id, t, "" if o.description in t else shorten(o.description, ROW_DESCRIPTION_MAX_CHARS))
        for o, t in zip(items, titles, strict=True)
    )  # a description the title already says in full is left out
    return Choices(fitted, ChoiceStyle.LIST, shorten(button, LIST_BUTTON_MAX_CHARS), listed)


def numbered_text(body: str, choices: Choices) -> str:
    """The body with the options as numbered lines, each saying what to type when that is not its title
    (for outside the 24-hour window, or when an interactive message cannot be sent)."""
    if choices.listed:
        return body
    lines = []
    for i, option in enumerate(choices.options, 1):
        say = option.title.rstrip(ELLIPSIS)
        typed = "" if option.id.casefold() == say.casefold() else f" (reply *{option.id.upper()}*)"
        lines.append(f"{i}. {say}{typed}")
    return f"{body.rstrip()}\n\n" + "\n".join(lines) if lines else body
