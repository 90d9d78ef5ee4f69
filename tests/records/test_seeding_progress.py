"""Seeding the demo cohort reports its progress only when asked: one summary line off a terminal."""

from __future__ import annotations

import re

from sitecoach.curriculum.pack import load_pack
from sitecoach.models import utcnow
from sitecoach.records.seeding import seed_demo


def test_seeding_asked_for_progress_prints_exactly_one_summary_line_off_a_terminal(services, capsys):
    pack = load_pack(services.settings.content_pack_path)
    with services.db.session() as session:
        assert seed_demo(session, pack, utcnow(), services.memory, show_progress=True) == 5
    out, err = capsys.readouterr()
    assert out == "" and re.fullmatch(r"seeded 5 demo learners in \d+\.\d s\n", err), err


def test_seeding_is_silent_by_default_as_the_web_and_jobs_call_it(services, capsys):
    pack = load_pack(services.settings.content_pack_path)
    with services.db.session() as session:
        assert seed_demo(session, pack, utcnow(), services.memory) == 5
    assert capsys.readouterr() == ("", "")
