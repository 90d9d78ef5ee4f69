"""The safety lead's review of the content learners see: knowledge cards and lessons.

State rules (`ReviewStatus`; the coach answers only from LIVE cards and teaches only LIVE lessons):

- A pack card arrives LIVE (the pack ships vetted content) and a re-sync refreshes it until it is edited.
- **Edit** (cards only): the new text is checked with `CardSpec` (the rules of `sitecoach validate-pack`)
  and saved as the next version with its diff. It becomes a DRAFT, not answered from, unless the editor
  ticks "reviewed": then it goes LIVE at once and the editor is recorded as its reviewer.
- **Mark reviewed**: DRAFT or LIVE -> LIVE, recording who and when. A withdrawn item needs reinstating.
- **Withdraw**: DRAFT or LIVE -> WITHDRAWN (not used; a pack re-sync keeps it withdrawn).
- **Reinstate**: WITHDRAWN -> LIVE; a review decision, so the reinstater is recorded as the reviewer.

Quiz items follow their card and their lesson: active only while both are live. Every change moves the
row's `updated_at` (the catalogue stamp, so every process reloads within a second), writes an
`AdminAuditLog` row in the same transaction, and edits append a `KnowledgeCardVersion`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml  # type: ignore[import-untyped, unused-ignore]
from pydantic import ValidationError
from sqlmodel import Session, col, func, select

from sitecoach.curriculum.cards import CardSpec
from sitecoach.models import (
    AdminAuditLog,
    KnowledgeCard,
    KnowledgeCardVersion,
    Lesson,
    Mentor,
    QuizItem,
    ReviewStatus,
    utcnow,
)

# The card fields the safety lead edits; the id, area, competencies, lesson and quiz come from the pack.
EDITABLE_FIELDS = (
    "title",
    "answer",
    "questions",
    "key_facts",
    "must_do",
    "mandatory_phrases",
    "sources",
    "verify_locally",
    "varies_by_operator",
)
LIST_FIELDS = frozenset({"questions", "key_facts", "must_do", "mandatory_phrases", "sources"})
CARD_ACTIONS = ("card.edit", "card.review", "card.withdraw", "card.reinstate")
NOTE_MAX_CHARS = 200
PAGE_SIZE = 50


class ReviewError(Exception):
    """A review action refused, with the reasons to show (field: message)."""

    def __init__(self, problems: list[str], conflict: bool = False) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.conflict = conflict  # someone else changed the card first


@dataclass(frozen=True)
class ContentListing:
    """One page of cards (filtered), every matching lesson, and the counts per state."""

    cards: list[KnowledgeCard]
    card_total: int
    card_counts: dict[str, int]
    lessons: list[Lesson]
    lesson_counts: dict[str, int]
    areas: list[str]


@dataclass(frozen=True)
class CardHistory:
    """A card's saved versions (newest first, with author names) and its review decisions."""

    versions: list[tuple[KnowledgeCardVersion, str | None]]
    decisions: list[tuple[AdminAuditLog, str | None]] = field(default_factory=list)


def _counts(session: Session, status_column: Any) -> dict[str, int]:
    rows = session.exec(select(status_column, func.count()).group_by(status_column)).all()
    counts = {state.value: 0 for state in ReviewStatus}
    counts.update({str(state): int(n) for state, n in rows})
    return counts


def list_content(
    session: Session,
    *,
    status: str | None = None,
    area: str | None = None,
    query: str | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> ContentListing:
    """Cards and lessons with their review state, filtered by state, card area and title/code text."""
    cards = select(KnowledgeCard)
    lessons = select(Lesson)
    if status:
        cards = cards.where(KnowledgeCard.status == status)
        lessons = lessons.where(Lesson.review_status == status)
    if area:
        cards = cards.where(KnowledgeCard.area == area)
    if query:
        cards = cards.where(
            col(KnowledgeCard.title).icontains(query, autoescape=True)
            | col(KnowledgeCard.code).icontains(query, autoescape=True)
        )
        lessons = lessons.where(
            col(Lesson.title).icontains(query, autoescape=True)
            | col(Lesson.code).icontains(query, autoescape=True)
        )
    total = session.exec(select(func.count()).select_from(cards.subquery())).one()
    page_rows = session.exec(
        cards.order_by(col(KnowledgeCard.code)).offset(page * page_size).limit(page_size)
    ).all()
    areas = session.exec(select(KnowledgeCard.area).distinct().order_by(col(KnowledgeCard.area))).all()
    return ContentListing(
        cards=list(page_rows),
        card_total=int(total),
        card_counts=_counts(session, col(KnowledgeCard.status)),
        lessons=list(session.exec(lessons.order_by(col(Lesson.position))).all()),
        lesson_counts=_counts(session, col(Lesson.review_status)),
        areas=list(areas),
    )


def get_card(session: Session, code: str) -> KnowledgeCard | None:
    """The card with this code, or None."""
    return session.exec(select(KnowledgeCard).where(KnowledgeCard.code == code)).first()


def get_lesson(session: Session, code: str) -> Lesson | None:
    """The lesson with this code, or None."""
    return session.exec(select(Lesson).where(Lesson.code == code)).first()


def card_text(content: Mapping[str, Any]) -> str:
    """A card's content as the pack writes it (YAML, fields in schema order): what the diffs compare."""
    ordered = {name: content[name] for name in CardSpec.model_fields if name in content}
    ordered |= {name: value for name, value in content.items() if name not in ordered}
    return str(yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=10_000))


def clean_value(name: str, value: Any) -> Any:
    """A form value as the card stores it: stripped text, lists without blank lines, None for no text."""
    if name in LIST_FIELDS:
        items = value.splitlines() if isinstance(value, str) else list(value or [])
        return [str(v).strip() for v in items if str(v).strip()]
    if name == "verify_locally":
        return bool(value)
    text = str(value or "").replace("\r\n", "\n").strip()
    if name == "varies_by_operator":
        return text or None
    return text


def check_card(content: Mapping[str, Any]) -> dict[str, Any]:
    """The content as `CardSpec` accepts it, or ReviewError naming each bad field (like validate-pack)."""
    try:
        spec = CardSpec.model_validate(dict(content))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "(card)"
            problems.append(f"{where}: {error['msg']}")
        raise ReviewError(problems) from exc
    return spec.model_dump(mode="json")


def _reviewer(session: Session, actor_id: int | None) -> str:
    mentor = session.get(Mentor, actor_id) if actor_id else None
    return (mentor.name if mentor else "unknown")[:120]


def _audit(session: Session, actor_id: int | None, action: str, target: str, **details: Any) -> None:
    session.add(AdminAuditLog(actor_id=actor_id, action=action, target=target, details=details))


def edit_card(
    session: Session,
    code: str,
    changes: Mapping[str, Any],
    actor_id: int | None,
    *,
    base_version: int | None = None,
    reviewed: bool = False,
    note: str = "",
) -> KnowledgeCardVersion:
    """Check and save new card text as the next version: a DRAFT, or LIVE when the editor reviewed it."""
    card = _card_or_error(session, code)
    if base_version is not None and base_version != card.version:
        raise ReviewError(
            [f"someone saved version {card.version} of {code} since you opened it: reload and edit again"],
            conflict=True,
        )
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ReviewError([f"{name}: cannot be edited here (it comes from the pack)" for name in unknown])
    proposed = dict(card.content) | {name: clean_value(name, value) for name, value in changes.items()}
    content = check_card(proposed)
    before, after = card_text(card.content), card_text(content)
    if before == after:
        raise ReviewError([f"nothing changed: this is already the text of v{card.version}"])
    version, now = card.version + 1, utcnow()
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"{code} v{card.version}",
            tofile=f"{code} v{version}",
        )
    )
    card.content, card.title, card.version, card.edited = content, content["title"], version, True
    card.status = ReviewStatus.LIVE if reviewed else ReviewStatus.DRAFT
    if reviewed:
        card.reviewed_by, card.reviewed_at = _reviewer(session, actor_id), now
    card.updated_at = now
    session.add(card)
    row = KnowledgeCardVersion(
        card_id=card.id or 0,
        version=version,
        content=content,
        diff=diff,
        status=card.status,
        actor_id=actor_id,
        note=note[:NOTE_MAX_CHARS],
        created_at=now,
    )
    session.add(row)
    _audit(
        session,
        actor_id,
        "card.edit",
        code,
        version=version,
        previous=version - 1,
        status=str(card.status),
        note=row.note,
        diff=diff[:4000],
    )
    _quiz_follows(session, card_code=code)
    session.flush()
    return row


def _card_or_error(session: Session, code: str) -> KnowledgeCard:
    card = get_card(session, code)
    if card is None:
        raise ReviewError([f"there is no card {code}"])
    return card


def _card_state(
    session: Session, code: str, actor_id: int | None, action: str, allowed: set[str], note: str
) -> KnowledgeCard:
    """Move a card to its next state (`action`'s), with the audit row and its quiz items following."""
    card = _card_or_error(session, code)
    if card.status not in allowed:
        raise ReviewError([f"{code} is {card.status}: it cannot be {action}"])
    before, now = card.status, utcnow()
    card.status = ReviewStatus.WITHDRAWN if action == "withdrawn" else ReviewStatus.LIVE
    if action != "withdrawn":
        card.reviewed_by, card.reviewed_at = _reviewer(session, actor_id), now
    card.updated_at = now
    session.add(card)
    verb = {"withdrawn": "card.withdraw", "reinstated": "card.reinstate"}.get(action, "card.review")
    _audit(
        session,
        actor_id,
        verb,
        code,
        before=str(before),
        after=str(card.status),
        version=card.version,
        note=note[:NOTE_MAX_CHARS],
    )
    _quiz_follows(session, card_code=code)
    session.flush()
    return card


def mark_card_reviewed(session: Session, code: str, actor_id: int | None, note: str = "") -> KnowledgeCard:
    """The safety lead vouches for the current text: DRAFT or LIVE -> LIVE, with who and when."""
    live_or_draft = {ReviewStatus.LIVE.value, ReviewStatus.DRAFT.value}
    return _card_state(session, code, actor_id, "marked reviewed", live_or_draft, note)


def withdraw_card(session: Session, code: str, actor_id: int | None, note: str = "") -> KnowledgeCard:
    """Take a card out of use: DRAFT or LIVE -> WITHDRAWN; its quiz items stop too."""
    live_or_draft = {ReviewStatus.LIVE.value, ReviewStatus.DRAFT.value}
    return _card_state(session, code, actor_id, "withdrawn", live_or_draft, note)


def reinstate_card(session: Session, code: str, actor_id: int | None, note: str = "") -> KnowledgeCard:
    """Bring a withdrawn card back: WITHDRAWN -> LIVE, the reinstater recorded as its reviewer."""
    return _card_state(session, code, actor_id, "reinstated", {ReviewStatus.WITHDRAWN.value}, note)


def card_history(session: Session, code: str) -> CardHistory:
    """Every saved version of a card (newest first) and its review decisions, with the actors' names."""
    card = _card_or_error(session, code)
    versions = session.exec(
        select(KnowledgeCardVersion, Mentor.name)
        .join(Mentor, col(Mentor.id) == col(KnowledgeCardVersion.actor_id), isouter=True)
        .where(KnowledgeCardVersion.card_id == card.id)
        .order_by(col(KnowledgeCardVersion.version).desc())
    ).all()
    decisions = session.exec(
        select(AdminAuditLog, Mentor.name)
        .join(Mentor, col(Mentor.id) == col(AdminAuditLog.actor_id), isouter=True)
        .where(AdminAuditLog.target == code, col(AdminAuditLog.action).in_(CARD_ACTIONS[1:]))
        .order_by(col(AdminAuditLog.created_at).desc(), col(AdminAuditLog.id).desc())
    ).all()
    return CardHistory([(v, n) for v, n in versions], [(a, n) for a, n in decisions])


# --- lessons (no text editing: the pack holds their scripts) ---------------------------------------


def set_lesson_state(
    session: Session, code: str, action: str, actor_id: int | None, note: str = ""
) -> Lesson:
    """`review` (-> LIVE, recording who and when), `withdraw` (-> WITHDRAWN) or `reinstate` (-> LIVE)."""
    lesson = get_lesson(session, code)
    if lesson is None:
        raise ReviewError([f"there is no lesson {code}"])
    allowed = {
        "review": {ReviewStatus.LIVE.value, ReviewStatus.DRAFT.value},
        "withdraw": {ReviewStatus.LIVE.value, ReviewStatus.DRAFT.value},
        "reinstate": {ReviewStatus.WITHDRAWN.value},
    }
    if action not in allowed:
        raise ReviewError([f"unknown action {action!r}"])
    if lesson.review_status not in allowed[action]:
        raise ReviewError([f"{code} is {lesson.review_status}: it cannot be {action}ed here"])
    before, now = lesson.review_status, utcnow()
    lesson.review_status = ReviewStatus.WITHDRAWN if action == "withdraw" else ReviewStatus.LIVE
    if action != "withdraw":
        lesson.reviewed_by, lesson.reviewed_at = _reviewer(session, actor_id), now
    lesson.updated_at = now
    session.add(lesson)
    _audit(
        session,
        actor_id,
        f"lesson.{action}",
        code,
        before=str(before),
        after=str(lesson.review_status),
        note=note[:NOTE_MAX_CHARS],
    )
    _quiz_follows(session, lesson_id=lesson.id)
    session.flush()
    return lesson


# --- quiz items follow their card and lesson ---------------------------------------------------------


def quiz_item_active(lesson_status: str, card_status: str | None) -> bool:
    """Whether a quiz item is asked: its lesson is live, and its card (if it has one) is live."""
    return lesson_status == ReviewStatus.LIVE and (card_status is None or card_status == ReviewStatus.LIVE)


def _quiz_follows(session: Session, *, card_code: str | None = None, lesson_id: int | None = None) -> None:
    """Set `active` on the quiz items of one card or one lesson from the states of their card and lesson."""
    session.flush()
    rows = select(QuizItem, Lesson.review_status).join(Lesson, col(Lesson.id) == col(QuizItem.lesson_id))
    if card_code is not None:
        rows = rows.where(QuizItem.card_code == card_code)
    if lesson_id is not None:
        rows = rows.where(QuizItem.lesson_id == lesson_id)
    found = session.exec(rows).all()
    codes = {item.card_code for item, _status in found if item.card_code}
    card_status = {
        c: s
        for c, s in session.exec(
            select(KnowledgeCard.code, KnowledgeCard.status).where(col(KnowledgeCard.code).in_(codes))
        ).all()
    }
    for item, lesson_status in found:
        active = quiz_item_active(lesson_status, card_status.get(item.card_code) if item.card_code else None)
        if item.active != active:
            item.active = active
            session.add(item)


def reviewed_label(reviewed_by: str | None, reviewed_at: datetime | None) -> str:
    """'Ada, 06 Dec 2026 16:05 UTC', or 'shipped in the pack' when no one has reviewed it here."""
    if reviewed_at is None:
        return "shipped in the pack"
    return f"{reviewed_by or 'unknown'}, {reviewed_at.strftime('%d %b %Y %H:%M')} UTC"
