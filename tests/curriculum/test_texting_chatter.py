"""Texting and dialect spellings of little words ("wud u", "n", "hoo dae ye", "whens") carry no topic, so a
question typed that way is matched on its job words alone; a job word the texting table also reads
("ganger", the supervisor) stays a job word."""

from __future__ import annotations

from sitecoach.curriculum.retrieval import analyze


def words(text: str) -> list[str]:
    return [term for group in analyze(text) for term in group]


def test_texting_spellings_of_little_words_are_not_content() -> None:
    assert words("what is a limitation of access n when wud u get one") == words("limitation of access one")
    assert words("hoo dae ye prove deid on lv") == words("prove dead on lv")
    assert words("after a joint whens it ok to backfill") == words("joint ok backfill")


def test_a_job_word_stays_a_content_word() -> None:
    assert words("can the ganger issue the permit") == words("supervisor issue permit")
    assert words("its the gaffer n the ganger") == words("supervisor")


def test_a_voice_note_label_is_not_part_of_the_question() -> None:
    assert words("voice note: water keeps filling the hole") == words("water keeps filling the hole")


def test_belted_cable_is_a_construction_not_a_shock() -> None:
    assert "shock" not in words("whats the difference between belted and screened pilc")
    assert "shock" in words("he got belted off the pot end")
