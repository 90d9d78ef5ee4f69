"""The voice bench's word error count (the figure README quotes) on cases worked by hand."""

from __future__ import annotations

from bench.voice import PHRASES, word_errors
from sitecoach.nlu.speech_vocabulary import language_model_lines, spoken_words


def test_word_errors_count_substitutions_insertions_and_deletions() -> None:
    ref = "quiz me on earthing".split()
    assert word_errors(ref, ref) == 0
    assert word_errors(ref, "quiz me on earth it".split()) == 2  # one substituted, one inserted
    assert word_errors(ref, "quiz on earthing".split()) == 1  # one deleted
    assert word_errors(ref, []) == 4 and word_errors([], ["stop"]) == 1


def test_no_bench_phrase_is_a_line_the_language_model_was_built_from() -> None:
    from sitecoach.skills import build_registry

    messages = [m for lines in build_registry().examples().values() for m in lines]
    built_from = set(language_model_lines(messages))
    assert len(PHRASES) == 40
    assert [p for p, _ in PHRASES if " ".join(spoken_words(p)) in built_from] == []
