"""Re-syncing the pack: a changed lesson reaches every process (its stamp moves), a card the pack no
longer ships is withdrawn unless the safety lead edited it, and an edit or a withdrawal made in the admin
pages survives the re-sync."""

from __future__ import annotations

import dataclasses

from sqlmodel import select

from sitecoach.curriculum.catalogue import Catalogue
from sitecoach.curriculum.pack import load_pack
from sitecoach.models import KnowledgeCard, ReviewStatus
from sitecoach.records.seeding import sync_pack


def test_a_resync_moves_the_stamp_for_a_changed_lesson_and_withdraws_dropped_cards(services, restore_content):
    pack = load_pack(services.settings.content_pack_path)
    with services.db.read_session() as session:
        before = Catalogue.stamp(session)
    with services.db.session() as session:
        sync_pack(session, pack)  # nothing changed: nothing moves
    with services.db.read_session() as session:
        assert Catalogue.stamp(session) == before
    changed = dataclasses.replace(
        pack,
        lessons=tuple(
            lesson.model_copy(update={"script": lesson.script + " Always stop and ask if unsure."})
            if lesson.id == "L03"
            else lesson
            for lesson in pack.lessons
        ),
        cards=tuple(c for c in pack.cards if c.id not in ("K-ISO-003", "K-ISO-002")),
    )
    with services.db.session() as session:
        edited = session.exec(select(KnowledgeCard).where(KnowledgeCard.code == "K-ISO-002")).one()
        edited.edited = True  # the safety lead's own text: kept whatever the pack says
        session.add(edited)
    with services.db.session() as session:
        sync_pack(session, changed)
    with services.db.read_session() as session:
        assert Catalogue.stamp(session) != before
        cards = {c.code: c for c in session.exec(select(KnowledgeCard)).all()}
    assert cards["K-ISO-003"].status == ReviewStatus.WITHDRAWN
    assert cards["K-ISO-002"].status == ReviewStatus.LIVE
    services.reload_catalogue()
    assert "K-ISO-003" not in services.catalogue().cards
    assert "Always stop and ask if unsure." in services.catalogue().lessons["L03"].script
