"""Every table that holds something about a learner, and what a subject access pack and an erasure do
with it. One list, so export and erasure cannot drift apart; `learner_tables_in` reads the schema, and a
test fails when a table gains a learner foreign key without an entry here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, MetaData, String
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from sitecoach.models import (
    ConsentRecord,
    ConversationState,
    ErasureRecord,
    Escalation,
    EvidenceItem,
    Learner,
    LearnerSnapshot,
    LearningBreak,
    LearningEvent,
    LLMUsage,
    Message,
    PassportAuthorisation,
    PracticalAssessment,
    ProgressReview,
    ProgressReviewVersion,
    ReviewState,
    SafeguardingConcern,
    VariantAssignment,
)


class OnErase(StrEnum):
    """What erasure does to a table's rows about the learner."""

    DELETE = "delete"  # nothing worth keeping once the person is gone
    SCRUB = "scrub"  # the row stays (counts, sign-off, chains), its personal fields are blanked
    KEEP = "keep"  # already pseudonymous: ids, numbers and codes only


def pseudonym(learner_id: int) -> str:
    """What stands in for an erased learner's phone number (fits the 20-character phone columns)."""
    return f"erased:{learner_id}"


@dataclass(frozen=True)
class LearnerTable:
    """One table about learners: the column that names the learner, and what erasure does."""

    model: type[SQLModel]
    column: str
    on_erase: OnErase
    holds: str  # what the rows are, for the subject access pack's README
    scrub: Callable[[int], dict[str, Any]] | None = None  # learner id -> column values to write
    keeps: tuple[str, ...] = ()  # text and JSON columns erasure leaves as they are (codes, ids, statuses)
    exported: bool = True  # False: left out of the self-serve subject access pack (a person decides)

    @property
    def table(self) -> str:
        """The table's name."""
        return str(self.model.__tablename__)


LEARNER_TABLES: tuple[LearnerTable, ...] = (
    LearnerTable(
        Learner,
        "id",
        OnErase.SCRUB,
        "your profile: name, WhatsApp number, cohort, mentor, time zone, consent, nudge time, apprenticeship "
        "dates, contracted hours and prior learning",
        lambda i: {
            "name": None,
            "phone": pseudonym(i),
            "bsuid": None,
            "username": None,
            "mentor_id": None,
            "prior_learning_note": None,
        },
        keeps=("timezone", "consent", "nudge_time", "nudged_on"),
    ),
    LearnerTable(
        ConsentRecord,
        "learner_id",
        OnErase.KEEP,
        "every time you gave or withdrew consent: when, how and the wording of the question",
        keeps=("consent", "method", "wording"),
    ),
    LearnerTable(
        Message,
        "learner_id",
        OnErase.SCRUB,
        "messages you sent the coach, its replies, and alerts about you to your mentor",
        lambda i: {
            "phone": pseudonym(i),
            "body": "",
            "raw": {},
            "media": [],
            "profile_name": None,
            "bsuid": None,
            "username": None,
            "latitude": None,
            "longitude": None,
            "address": None,
            "button_payload": None,
            "error_message": None,
        },
        keeps=(
            "direction",
            "twilio_sid",
            "dedupe_key",
            "status",
            "error_code",
            "kind",
            "template",
            "variant",
            "intent",
            "skill",
        ),
    ),
    LearnerTable(ConversationState, "learner_id", OnErase.DELETE, "a conversation in progress (a quiz, say)"),
    LearnerTable(
        LearningEvent,
        "learner_id",
        OnErase.KEEP,
        "the learning record: quiz answers, lessons, evidence, hours, badges, consent (hash-chained)",
        keeps=("kind", "data", "prev_hash", "hash"),  # hashed as written: see README "Data rights"
    ),
    LearnerTable(
        ReviewState, "learner_id", OnErase.KEEP, "the review schedule of each quiz question", keeps=("card",)
    ),
    LearnerTable(
        EvidenceItem,
        "learner_id",
        OnErase.SCRUB,
        "evidence from site: notes, photos, location, competencies, your mentor's sign-off and comments",
        lambda _i: {
            "note": "",
            "media": [],
            "latitude": None,
            "longitude": None,
            "address": None,
            "mentor_comment": None,
        },
        keeps=("competencies", "status"),
    ),
    LearnerTable(
        Escalation,
        "learner_id",
        OnErase.SCRUB,
        "requests for your mentor and the notes kept with them",
        lambda _i: {"reason": "", "context": {}},
        keeps=("kind", "priority", "status"),
    ),
    LearnerTable(
        ProgressReview,
        "learner_id",
        OnErase.KEEP,
        "your progress reviews: when each was due, who signed it and when",
        keeps=("status", "baseline", "content_hash"),  # mastery by area code, and a hash: no personal text
    ),
    LearnerTable(
        ProgressReviewVersion,
        "learner_id",
        OnErase.SCRUB,
        "the text of your progress reviews, each version as your mentor edited it",
        lambda _i: {"sections": {}},
        keeps=("note",),
    ),
    LearnerTable(
        LearningBreak,
        "learner_id",
        OnErase.SCRUB,
        "breaks in your learning: when, when you were expected back, and why",
        lambda _i: {"reason": ""},
    ),
    LearnerTable(
        PassportAuthorisation,
        "learner_id",
        OnErase.SCRUB,
        "your authorisation passport: categories you were authorised for, by whom, until when, and notes",
        lambda _i: {"notes": "", "granted_by_name": ""},
        keeps=("category", "title"),
    ),
    LearnerTable(
        PracticalAssessment,
        "learner_id",
        OnErase.SCRUB,
        "your practical assessments: joint type, assessor, date, pass or refer, expiry, and notes",
        lambda _i: {"notes": "", "assessor": ""},
        keeps=("assessment", "title", "result"),
    ),
    LearnerTable(
        LearnerSnapshot, "learner_id", OnErase.DELETE, "your headline progress numbers (recomputed hourly)"
    ),
    LearnerTable(
        LLMUsage,
        "learner_id",
        OnErase.KEEP,
        "each call to the language model made for you",
        keeps=("purpose", "model", "outcome"),
    ),
    LearnerTable(
        VariantAssignment,
        "learner_id",
        OnErase.KEEP,
        "which wording of a reminder you were sent",
        keeps=("kind", "variant"),
    ),
    # Safeguarding records outlive an erasure request: a provider must keep them under its statutory
    # safeguarding duty (KCSIE; typically until the learner is 25, or longer after a referral), so erasure
    # leaves them for the DSL. They are not in the self-serve pack either: the DSL decides what a subject
    # access request discloses (UK GDPR Art. 15(4), DPA 2018 Sch. 3 Part 5: disclosure against the child's
    # interests). The pack's README says so for every learner, whether or not a concern exists.
    LearnerTable(
        SafeguardingConcern,
        "learner_id",
        OnErase.KEEP,
        "safeguarding concerns are held by your training provider's safeguarding lead: ask them",
        keeps=("kind", "text", "told", "status", "outcome"),
        exported=False,
    ),
    LearnerTable(
        ErasureRecord,
        "learner_id",
        OnErase.KEEP,
        "that your data was erased (no personal data)",
        keeps=("actor", "reason", "counts"),
    ),
)


def _holds_text(column: Any) -> bool:
    """True for text and JSON columns (SQLModel's AutoString is a decorator over String)."""
    kind = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    return isinstance(kind, String | JSON)


def unclassified_columns(entry: LearnerTable) -> set[str]:
    """Text and JSON columns of a table that erasure neither blanks nor declares safe to keep (should be none:
    a new column such as a WhatsApp username must be given a rule here)."""
    if entry.on_erase == OnErase.DELETE:
        return set()
    table = entry.model.__table__  # type: ignore[attr-defined]
    texts = {c.name for c in table.columns if _holds_text(c)}
    scrubbed = set(entry.scrub(0)) if entry.scrub else set()
    return texts - scrubbed - set(entry.keeps)


def learner_tables_in(metadata: MetaData) -> set[str]:
    """Every table in the schema with a foreign key to a learner (and the learner table itself)."""
    found = {"learner"}
    for table in metadata.tables.values():
        if any(fk.column.table.name == "learner" for fk in table.foreign_keys):
            found.add(table.name)
    return found
