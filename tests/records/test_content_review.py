"""The safety lead's review rules: edits become versions (draft, or live when reviewed), withdraw and
reinstate move the card in and out of the coach's answers, and quiz items follow their card and lesson."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from sitecoach.cli import _ask_as
from sitecoach.models import AdminAuditLog, KnowledgeCard, KnowledgeCardVersion, Mentor, QuizItem
from sitecoach.records import content_review as review
from sitecoach.services import CATALOGUE_STAMP_TTL_SECONDS

CARD = "K-ISO-003"
QUESTION = "can I use my multimeter to prove dead?"
ANSWER_START = "No. Prove dead with an approved two-pole voltage indicator"


def _lead(services) -> int:
    with services.db.session() as session:
        mentor = Mentor(name="Sue Safety", email="sue@example.test", is_admin=True)
        session.add(mentor)
        session.flush()
        return int(mentor.id or 0)


def _items_active(services, code: str = CARD) -> list[bool]:
    with services.db.read_session() as session:
        return [q.active for q in session.exec(select(QuizItem).where(QuizItem.card_code == code)).all()]


def _card(services, code: str = CARD) -> KnowledgeCard:
    with services.db.read_session() as session:
        card = review.get_card(session, code)
        assert card is not None
        return card


def test_edit_without_review_is_a_draft_the_coach_does_not_use(services, restore_content):
    lead = _lead(services)
    before = _card(services)
    answer = before.content["answer"].replace("false zero", "false zero reading")
    with services.db.session() as session:
        row = review.edit_card(session, CARD, {"answer": answer}, lead, base_version=before.version)
    assert row.version == before.version + 1 and row.status == "draft"
    assert "-" in row.diff and "+" in row.diff and "false zero reading" in row.diff
    card = _card(services)
    assert (card.status, card.version, card.edited) == ("draft", before.version + 1, True)
    assert card.updated_at > before.updated_at
    assert CARD not in services.catalogue().cards
    assert _items_active(services) == [False, False]
    with services.db.session() as session:
        review.mark_card_reviewed(session, CARD, lead)
    services.reload_catalogue()  # as the saving process does; the others follow the stamp
    card = _card(services)
    assert (card.status, card.reviewed_by) == ("live", "Sue Safety") and card.reviewed_at is not None
    assert services.catalogue().cards[CARD].answer == answer  # the stamp moved: reloaded
    assert _items_active(services) == [True, True]


def test_edit_with_the_reviewed_tick_goes_live_at_once(services, restore_content):
    lead = _lead(services)
    with services.db.session() as session:
        row = review.edit_card(
            session, CARD, {"must_do": "Use only your approved voltage indicator.\n\n"}, lead, reviewed=True
        )
    services.reload_catalogue()
    assert row.status == "live"
    assert services.catalogue().cards[CARD].must_do == ("Use only your approved voltage indicator.",)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"answer": "Too short."}, "answer"),
        ({"questions": "only one"}, "questions"),
        ({"mandatory_phrases": "never in the answer"}, "mandatory_phrases"),
        ({"id": "K-ISO-999"}, "cannot be edited here"),
    ],
)
def test_invalid_edits_name_the_field_and_save_nothing(services, restore_content, changes, problem):
    lead = _lead(services)
    before = _card(services)
    with pytest.raises(review.ReviewError) as caught:
        with services.db.session() as session:
            review.edit_card(session, CARD, changes, lead)
    assert any(problem in p for p in caught.value.problems)
    after = _card(services)
    assert (after.version, after.content, after.status) == (before.version, before.content, "live")
    with services.db.read_session() as session:
        assert session.exec(select(KnowledgeCardVersion)).all() == []
        assert session.exec(select(AdminAuditLog)).all() == []


def test_a_stale_form_is_refused_as_a_conflict(services, restore_content):
    lead = _lead(services)
    version = _card(services).version
    with pytest.raises(review.ReviewError) as caught:
        with services.db.session() as session:
            review.edit_card(session, CARD, {"title": "Another title"}, lead, base_version=version - 1)
    assert caught.value.conflict


def test_withdraw_and_reinstate_move_the_card_out_of_and_back_into_the_answers(services, restore_content):
    lead = _lead(services)
    assert _ask_as(services, "+447700900501", QUESTION).replies[0].startswith(ANSWER_START)
    with services.db.session() as session:
        review.withdraw_card(session, CARD, lead, "checking the approved kit list")
    time.sleep(CATALOGUE_STAMP_TTL_SECONDS + 0.1)  # no reload: the stamp alone tells every process
    assert CARD not in services.catalogue().cards
    assert _items_active(services) == [False, False]
    replies = _ask_as(services, "+447700900502", QUESTION).replies
    assert ANSWER_START not in "\n".join(replies)
    with pytest.raises(review.ReviewError):  # already withdrawn
        with services.db.session() as session:
            review.withdraw_card(session, CARD, lead)
    with services.db.session() as session:
        review.reinstate_card(session, CARD, lead)
    services.reload_catalogue()
    assert CARD in services.catalogue().cards and _items_active(services) == [True, True]
    history = _history(services)
    assert [a.action for a, _who in history.decisions] == ["card.reinstate", "card.withdraw"]
    assert history.decisions[1][0].details["note"] == "checking the approved kit list"


def _history(services) -> review.CardHistory:
    with services.db.read_session() as session:
        return review.card_history(session, CARD)


def test_a_withdrawn_lesson_takes_its_quiz_items_out_and_reinstating_brings_back_only_live_cards(
    services, restore_content
):
    lead = _lead(services)
    with services.db.session() as session:
        review.withdraw_card(session, CARD, lead)
        review.set_lesson_state(session, "L03", "withdraw", lead)
    services.reload_catalogue()
    with services.db.read_session() as session:
        lesson_id = review.get_lesson(session, "L03").id
        items = session.exec(select(QuizItem).where(QuizItem.lesson_id == lesson_id)).all()
    assert items and not any(q.active for q in items)
    assert not services.catalogue().lesson_is_live("L03")
    with services.db.session() as session:
        review.set_lesson_state(session, "L03", "reinstate", lead)
    with services.db.read_session() as session:
        items = session.exec(select(QuizItem).where(QuizItem.lesson_id == lesson_id)).all()
    assert {q.card_code for q in items if not q.active} == {CARD}  # still withdrawn with its card
    assert all(q.active for q in items if q.card_code != CARD)


def test_listing_filters_by_state_area_and_text(services, restore_content):
    lead = _lead(services)
    with services.db.session() as session:
        review.withdraw_card(session, CARD, lead)
        found = review.list_content(session, status="withdrawn")
        assert [c.code for c in found.cards] == [CARD] and found.card_counts["withdrawn"] == 1
        assert found.lessons == []
        iso = review.list_content(session, area="ISO")
        assert iso.card_total > 1 and all(c.area == "ISO" for c in iso.cards)
        text = review.list_content(session, query="volt sticks")
        assert CARD in [c.code for c in text.cards]
        assert review.list_content(session, query="100%_").card_total == 0  # wildcards are literal
        every = review.list_content(session, page=1, page_size=10)
        assert len(every.cards) == 10 and every.card_total == sum(every.card_counts.values())
