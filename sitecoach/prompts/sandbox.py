"""The Jinja sandbox prompts render in, with limits on how much text one render may make.

A prompt edited in the admin pages is at most a few thousand characters, but Jinja can multiply it: a loop
(``{% for i in range(9999) %}``), a repetition (``{{ "x" * 10**7 }}``) or a padding filter
(``{{ "" | center(10**8) }}``) turned one "help" into nineteen WhatsApp messages. So:

* a message prompt renders to at most `MESSAGE_MAX_CHARS` (three WhatsApp messages of 1,600 characters), an
  instruction prompt for the model (``llm/…``) to at most `LLM_MAX_CHARS`; the render is streamed and
  stopped as soon as it passes the cap, and what is sent is cut at the cap (`render_capped`);
* repetition (``*``, ``**``) and any call or filter given a number larger than `LARGEST_NUMBER_ARGUMENT`
  are refused as a `SecurityError` before they can build a huge string in one go.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Any

from jinja2 import Environment, StrictUndefined
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

WHATSAPP_MESSAGE_CHARS = 1600  # Twilio's limit for one WhatsApp message body
MESSAGE_MAX_PARTS = 3  # three full messages; split at line ends a reply of this size makes three or four
MESSAGE_MAX_CHARS = WHATSAPP_MESSAGE_CHARS * MESSAGE_MAX_PARTS
LLM_MAX_CHARS = 16_000  # system prompts carry up to eight lesson passages
LARGEST_NUMBER_ARGUMENT = 10_000  # a width or count beyond this only makes a huge string
MAX_EXPONENT = 64
_WIDTHS = re.compile(r"\{[^{}]*:[^{}\d]*(\d+)|%(?:\([^)]*\))?[-+ #0]*(\d+)|%[-+ #0]*\d*\.(\d+)")


def max_chars(name: str) -> int:
    """How long the render of prompt `name` may be."""
    return LLM_MAX_CHARS if name.startswith("llm/") else MESSAGE_MAX_CHARS


def _too_big(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > LARGEST_NUMBER_ARGUMENT


def _refuse_big_numbers(name: str, args: Iterable[Any]) -> None:
    if any(_too_big(a) for a in args):
        raise SecurityError(f"{name} with a number over {LARGEST_NUMBER_ARGUMENT} is not allowed in a prompt")


def _guarded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps jinja's pass_context/pass_environment marks
    def guarded(*args: Any, **kwargs: Any) -> Any:
        rest = list(args)
        while rest and isinstance(rest[0], Context | Environment | EvalContext):
            rest.pop(0)
        options = [*rest[1:], *kwargs.values()]  # the piped value itself may be any number
        _refuse_big_numbers(f"the {name} filter", options)
        if isinstance(rest[0] if rest else None, str) and name == "format":
            _refuse_big_widths(rest[0])
        return function(*args, **kwargs)

    return guarded


def _refuse_big_widths(template: str) -> None:
    """Refuse ``"{:>99999999}"`` or ``"%99999999s"``: a width that pads one value into a huge string."""
    widths = (int(number) for match in _WIDTHS.finditer(template) for number in match.groups() if number)
    if any(width > LARGEST_NUMBER_ARGUMENT for width in widths):
        raise SecurityError(f"a width over {LARGEST_NUMBER_ARGUMENT} is not allowed in a prompt")


class CappedSandbox(SandboxedEnvironment):
    """Jinja's sandbox, refusing repetition and calls that would build a huge string in one step."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
        self.filters = {name: _guarded_filter(name, f) for name, f in self.filters.items()}

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """``*`` and ``**`` with small numbers only."""
        if operator == "**" and isinstance(right, int | float) and right > MAX_EXPONENT:
            raise SecurityError(f"a power over {MAX_EXPONENT} is not allowed in a prompt")
        if operator == "*" and isinstance(left, str | list | tuple) != isinstance(right, str | list | tuple):
            _refuse_big_numbers("repetition", [left, right])
        if operator == "%" and isinstance(left, str):
            _refuse_big_widths(left)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Any method or function call, refused when given a huge width or count (``"x".ljust(10**8)``);
        ``str.format`` may format any number, but not pad it to a huge width."""
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)  # jinja wraps str.format
        if isinstance(owner, str) and getattr(__obj, "__name__", "") in ("format", "format_map"):
            _refuse_big_widths(owner)
        else:
            _refuse_big_numbers("a call", [*args, *kwargs.values()])
        return super().call(__context, __obj, *args, **kwargs)


def render_capped(chunks: Iterable[str], limit: int) -> tuple[str, bool]:
    """The rendered text, stripped, and whether it had to be cut at `limit` characters (at a line end if
    one is near). Stops reading `chunks` once past the limit, so a long loop is never run to its end."""
    pieces: list[str] = []
    size = 0
    for chunk in chunks:
        pieces.append(chunk)
        size += len(chunk)
        if size > limit * 2 + 1000:  # generous: leading whitespace is stripped below
            break
    text = "".join(pieces).strip()
    if len(text) <= limit:
        return text, False
    cut = text[:limit]
    line_end = cut.rfind("\n", limit * 3 // 4)
    return (cut[:line_end] if line_end > 0 else cut).rstrip(), True
