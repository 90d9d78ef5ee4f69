"""Knowledge cards: short, vetted answers beside the lessons (`cards/*.yaml` in a pack).

Each card answers one question well in the coach's voice (2 to 5 sentences), lists the phrasings it
answers, its key facts and safety must-dos, the source documents by name, and whether the detail varies
by network operator. `sitecoach validate-pack` checks every card; see `cards/SCHEMA.md` in the pack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sitecoach.curriculum.retrieval import sentences

CARD_AREA = re.compile(r"^[A-Z]{3}$")
MAX_ANSWER_SENTENCES = 6  # "2 to 5", with room for a sentence that is only a warning


class CardQuizSpec(BaseModel):
    """A four-option question tied to its card."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=5, max_length=300)
    options: list[str] = Field(min_length=4, max_length=4)
    answer: int = Field(ge=0, le=3)
    explanation: str = Field(min_length=5)

    @field_validator("options")
    @classmethod
    def _distinct(cls, options: list[str]) -> list[str]:
        if len({o.strip().lower() for o in options}) != len(options) or any(not o.strip() for o in options):
            raise ValueError("options must be distinct and not empty")
        return options


class CardSpec(BaseModel):
    """One knowledge card as written in the pack."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^K-[A-Z]{3}-\d{3}$")
    title: str = Field(min_length=3, max_length=200)
    area: str
    competencies: list[str] = Field(min_length=1)
    lesson: str | None = None
    questions: list[str] = Field(min_length=3, max_length=16)  # the words jointers use find the card
    answer: str = Field(min_length=40, max_length=1200)
    key_facts: list[str] = Field(min_length=1, max_length=5)
    must_do: list[str] = Field(default_factory=list, max_length=4)
    mandatory_phrases: list[str] = Field(default_factory=list)
    sources: list[str] = Field(min_length=1)
    verify_locally: bool = False
    varies_by_operator: str | None = None
    quiz: list[CardQuizSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> CardSpec:
        if not CARD_AREA.match(self.area) or not self.id.startswith(f"K-{self.area}-"):
            raise ValueError(f"area: {self.area!r} must be three capitals and match the id")
        missing = [p for p in self.mandatory_phrases if p.lower() not in self.answer.lower()]
        if missing:
            raise ValueError(f"mandatory_phrases: not in the answer: {missing}")
        count = len(sentences(self.answer))
        if count > MAX_ANSWER_SENTENCES:
            raise ValueError(f"answer: {count} sentences (at most {MAX_ANSWER_SENTENCES})")
        return self


def load_cards(
    directory: Path, known_competencies: set[str], lesson_ids: set[str], problems: list[str]
) -> list[CardSpec]:
    """Every card in `directory`; problems (file, card, field) are appended, bad cards left out."""
    import yaml

    cards: list[CardSpec] = []
    if not directory.is_dir():
        return cards
    for path in sorted(directory.glob("*.yaml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            problems.append(f"{path}: (whole): not valid YAML: {exc}")
            continue
        entries = raw.get("cards") if isinstance(raw, dict) else None
        if not isinstance(entries, list):
            problems.append(f"{path}: (whole): must be a mapping with a 'cards' list")
            continue
        for index, entry in enumerate(entries):
            card_id = entry.get("id", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
            try:
                card = CardSpec.model_validate(entry)
            except ValidationError as exc:
                for error in exc.errors():
                    where = ".".join(str(p) for p in error["loc"]) or "(card)"
                    problems.append(f"{path}: item {card_id}: {where}: {error['msg']}")
                continue
            for code in card.competencies:
                if known_competencies and code not in known_competencies:
                    problems.append(f"{path}: item {card.id}: competencies: unknown competency {code!r}")
            if card.lesson is not None and card.lesson not in lesson_ids:
                problems.append(f"{path}: item {card.id}: lesson: unknown lesson {card.lesson!r}")
            cards.append(card)
    _duplicates((c.id for c in cards), directory, problems)
    return cards


def _duplicates(ids: Iterable[str], where: Path, problems: list[str]) -> None:
    seen: set[str] = set()
    for card_id in ids:
        if card_id in seen:
            problems.append(f"{where}: item {card_id}: id: duplicate card id")
        seen.add(card_id)
