"""Progress of long operator work: a bar with counts and time left on a terminal, one summary line otherwise.

Written to stderr, so a command's own output on stdout stays clean to pipe. Library functions thread a
`show_progress=False` keyword through to `show=`, so the web app and the jobs never report; the CLI and
the bench scripts ask. This module needs only click and the standard library (an import contract says so).
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterable, Iterator, Sized
from types import TracebackType
from typing import TYPE_CHECKING, TextIO, TypeVar

import click

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

__all__ = ["Progress", "is_terminal", "progress"]

T = TypeVar("T")

#: Redraw the bar at most about this many times over a known total, so tight loops stay cheap.
BAR_REDRAWS = 500


def is_terminal(stream: TextIO | None = None) -> bool:
    """Whether `stream` (stderr by default) is a terminal, where a bar is drawn instead of a summary line."""
    stream = sys.stderr if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """Steps of work that is not one loop: `with Progress("Exporting", total=6) as done: ...; done.advance()`.

    On a terminal: click's bar with the count, the percentage and the time left. Elsewhere: nothing while
    it runs, then one line: the summary with `{count}` (and `{s}`, "s" unless the count is 1) filled in,
    and the seconds taken ("seeded 30 learners in 4.2 s"); no line when the work fails (the error says
    enough). `show=False`: silent.
    """

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        summary: str | None = None,
        show: bool = True,
        stream: TextIO | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.summary = summary or f"{label}: {{count}} done"
        self.show = show
        self.stream = stream
        self.count = 0
        self._bar: ProgressBar[int] | None = None
        self._started = 0.0

    def __enter__(self) -> Progress:
        self._started = time.monotonic()
        stream = self.stream or sys.stderr
        if self.show and is_terminal(stream):
            self._bar = click.progressbar(
                # An endless iterable stands in when the total is unknown: the bar is only ever advanced.
                itertools.count() if self.total is None else None,
                length=self.total,
                label=self.label,
                file=stream,
                show_pos=True,
                show_percent=self.total is not None,
                show_eta=True,
                update_min_steps=max(1, (self.total or 0) // BAR_REDRAWS),
            )
            self._bar.__enter__()
        return self

    def advance(self, steps: int = 1) -> None:
        """Count `steps` more done."""
        self.count += steps
        if self._bar is not None:
            self._bar.update(steps)

    def advance_to(self, count: int) -> None:
        """Count up to `count` done (for work polled from outside, e.g. rows a worker has written)."""
        if count > self.count:
            self.advance(count - self.count)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)
            self._bar = None
        elif self.show and exc_type is None:
            seconds = time.monotonic() - self._started
            done = self.summary.format(count=self.count, s="" if self.count == 1 else "s")
            click.echo(f"{done} in {seconds:.1f} s", file=self.stream or sys.stderr)


def progress(
    items: Iterable[T],
    label: str,
    total: int | None = None,
    *,
    summary: str | None = None,
    show: bool = True,
    stream: TextIO | None = None,
) -> Iterator[T]:
    """Yield `items`, counting each one done when the loop comes back for the next (see `Progress`)."""
    if total is None and isinstance(items, Sized):
        total = len(items)
    with Progress(label, total, summary=summary, show=show, stream=stream) as done:
        for item in items:
            yield item
            done.advance()
