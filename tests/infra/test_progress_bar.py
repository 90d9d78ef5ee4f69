"""Progress of long work: one summary line off a terminal, click's bar on one, silence when not asked."""

from __future__ import annotations

import io
import re

import pytest

from sitecoach.infra.progress import Progress, is_terminal, progress

SUMMARY = re.compile(r"^seeded 30 learners in \d+\.\d s\n$")


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal, as stderr does in an operator's shell."""

    def isatty(self) -> bool:
        return True


def test_not_on_a_terminal_a_loop_prints_exactly_one_summary_line():
    stream = io.StringIO()
    seen = list(progress(range(30), "Seeding learners", summary="seeded {count} learners", stream=stream))
    assert seen == list(range(30))
    assert SUMMARY.match(stream.getvalue()), stream.getvalue()


def test_not_on_a_terminal_the_summary_goes_to_stderr(capsys):
    for _ in progress(range(30), "Seeding learners", summary="seeded {count} learners"):
        pass
    out, err = capsys.readouterr()
    assert out == "" and SUMMARY.match(err), err


def test_on_a_terminal_click_draws_a_bar_with_counts_and_no_summary_line():
    stream = FakeTerminal()
    assert is_terminal(stream) and not is_terminal(io.StringIO())
    for _ in progress(range(30), "Seeding learners", summary="seeded {count} learners", stream=stream):
        pass
    drawn = stream.getvalue()
    assert "Seeding learners" in drawn and "30/30" in drawn and "100%" in drawn and "\r" in drawn
    assert "seeded" not in drawn and drawn.endswith("\n")


def test_on_a_terminal_a_bar_of_unknown_length_still_counts():
    stream = FakeTerminal()
    for _ in progress((n for n in range(7)), "Reading", stream=stream):
        pass
    assert "Reading" in stream.getvalue() and "7" in stream.getvalue()


def test_not_asked_it_is_silent_everywhere():
    for stream in (io.StringIO(), FakeTerminal()):
        assert list(progress(range(3), "Seeding", show=False, stream=stream)) == [0, 1, 2]
        assert stream.getvalue() == ""


def test_the_callback_form_counts_steps_and_polled_totals():
    stream = io.StringIO()
    with Progress("Exporting", total=5, summary="exported {count} parts", stream=stream) as done:
        done.advance()
        done.advance(2)
        done.advance_to(5)
        done.advance_to(4)  # never counts back
    assert done.count == 5
    assert re.fullmatch(r"exported 5 parts in \d+\.\d s\n", stream.getvalue())


def test_the_summary_says_one_without_a_plural():
    stream = io.StringIO()
    list(progress(["L03"], "Rendering", summary="checked {count} lesson video{s}", stream=stream))
    assert re.fullmatch(r"checked 1 lesson video in \d+\.\d s\n", stream.getvalue())


def test_the_default_summary_names_the_label():
    stream = io.StringIO()
    list(progress(["a", "b"], "Rendering", stream=stream))
    assert re.fullmatch(r"Rendering: 2 done in \d+\.\d s\n", stream.getvalue())


def test_failed_work_prints_no_summary_and_a_bar_ends_its_line():
    for stream in (io.StringIO(), FakeTerminal()):
        with pytest.raises(RuntimeError):
            for n in progress(range(10), "Seeding", summary="seeded {count}", stream=stream):
                if n == 3:
                    raise RuntimeError("disk full")
        assert "seeded" not in stream.getvalue()
        assert stream.getvalue() == "" or stream.getvalue().endswith("\n")
