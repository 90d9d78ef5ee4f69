"""Edge cases found in review, pinned so they stay fixed."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from sitecoach.curriculum.pack import PackError, load_pack
from sitecoach.delivery.outbox import split_body
from sitecoach.infra.links import LinkInvalid, LinkSigner
from sitecoach.infra.privacy import normalise_phone
from sitecoach.learning.answers import parse_choice
from sitecoach.learning.memory import Candidate, Memory, pick_next_item

OPTIONS = [
    "Cut it straight away",
    "Lock it off and prove dead",
    "Ask the excavator driver",
    "Call the office",
]


def test_uk_written_trunk_prefix_is_dropped():
    assert normalise_phone("+44 (0)7700 900123") == "+447700900123"


@pytest.mark.parametrize("reply", ["Answer: B", "answer:b", "#2", "no. 2", "Number 2"])
def test_labelled_answers_are_read(reply):
    assert parse_choice(reply, OPTIONS) == 1


def test_no_options_means_no_answer():
    assert parse_choice("a", []) is None


def test_tabs_and_non_breaking_spaces_are_word_boundaries_when_splitting():
    for sep in ("\t", "\u00a0"):
        words = [f"word{i}" for i in range(400)]
        parts = split_body(sep.join(words))
        assert all(len(p) <= 1600 for p in parts)
        assert sorted(w for p in parts for w in p.split()) == sorted(words)


def test_local_times_are_accepted_and_scheduled_in_utc():
    london = datetime(2026, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    outcome = Memory().review(None, True, london)
    assert outcome.due.tzinfo is not None and outcome.due.utcoffset().total_seconds() == 0
    assert outcome.due > london


def test_a_round_never_repeats_an_item_when_the_topic_runs_out():
    now = datetime(2026, 1, 5, tzinfo=UTC)
    items = [Candidate("A", 1, ("X",), None), Candidate("B", 1, ("X",), None)]
    assert pick_next_item(items, {}, now, last_item="B", exclude=["A", "B"]) is None


def test_a_signed_link_with_a_bad_learner_id_is_invalid_not_a_crash():
    signer = LinkSigner("k", "https://x", 14)
    token = signer._serializer.dumps({"l": "not-a-number", "s": "L01"})
    with pytest.raises(LinkInvalid):
        signer.read(token)


def test_one_broken_lesson_is_reported_once(tmp_path):
    root = tmp_path / "pack"
    shutil.copytree(Path("content/st1332"), root)
    lesson_path = root / "lessons" / "L05.yaml"
    lesson = yaml.safe_load(lesson_path.read_text())
    lesson["key_facts"] = lesson["key_facts"][:1]
    lesson_path.write_text(yaml.safe_dump(lesson))
    with pytest.raises(PackError) as err:
        load_pack(root)
    assert len(err.value.problems) == 1 and "L05.yaml" in err.value.problems[0]
    assert "key_facts" in err.value.problems[0]
