"""The lesson pack on disk (`content/<pack>/`): schema, loading and validation.

Errors name the file, the item and the field, e.g.
``content/st1332/quiz/L04.yaml: item Q-L04-03: answer: must be an index into options (0..3)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sitecoach.curriculum.cards import CardSpec, load_cards
from sitecoach.curriculum.passport_spec import PASSPORT_FILE, PassportError, PassportList, parse_passport_yaml
from sitecoach.curriculum.retrieval import Passage, lesson_passages

KIND_NAMES = Literal["knowledge", "skill", "behaviour"]
MIN_ITEMS_PER_KNOWLEDGE = 2  # below this a knowledge competency can never be mastered through quizzes


class PackError(ValueError):
    """The pack is invalid; the message lists every problem with its file, item and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid content pack:\n  " + "\n  ".join(problems))
        self.problems = problems


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StandardInfo(_Strict):
    """The standard a pack is written against."""

    code: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1)
    level: int | None = None
    working_map: bool = True
    otj_minimum_hours: float | None = Field(default=None, ge=0)  # published minimum OTJ hours (from Aug 2025)
    note: str = ""


class AreaSpec(_Strict):
    """A competency area (e.g. isolation and proving dead)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
    title: str = Field(min_length=1)


class CompetencySpec(_Strict):
    """One competency of the map."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
    kind: KIND_NAMES
    area: str
    text: str = Field(min_length=1)


class CompetencyMap(_Strict):
    """A standard with its areas and competencies."""

    standard: StandardInfo
    areas: list[AreaSpec] = Field(min_length=1)
    competencies: list[CompetencySpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CompetencyMap:
        area_ids = [a.id for a in self.areas]
        _no_duplicates(area_ids, "area")
        _no_duplicates([c.id for c in self.competencies], "competency")
        for c in self.competencies:
            if c.area not in area_ids:
                raise ValueError(f"competency {c.id}: area: unknown area {c.area!r}")
        return self


class LessonSpec(_Strict):
    """A micro-lesson as written in `lessons/<id>.yaml`."""

    id: str = Field(pattern=r"^[A-Z]{1,3}\d{2,3}$")
    order: int = Field(ge=1)
    title: str = Field(min_length=3, max_length=200)
    competencies: list[str] = Field(min_length=1)
    script: str = Field(min_length=200)
    key_facts: list[str] = Field(min_length=3, max_length=6)
    safety_warnings: list[str] = Field(default_factory=list)
    mandatory_phrases: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    verify_locally: bool = False
    varies_by_operator: str | None = None
    sources: list[str] = Field(default_factory=list)
    video_url: str | None = None


class QuizItemSpec(_Strict):
    """A multiple-choice item with exactly one right answer."""

    id: str = Field(pattern=r"^Q-[A-Z0-9-]{3,36}$")
    competencies: list[str] = Field(min_length=1)
    question: str = Field(min_length=5, max_length=300)
    options: list[str] = Field(min_length=3, max_length=5)
    answer: int
    explanation: str = Field(min_length=5)

    @field_validator("options")
    @classmethod
    def _distinct_options(cls, options: list[str]) -> list[str]:
        if len({o.strip().lower() for o in options}) != len(options):
            raise ValueError("options must be distinct")
        if any(not o.strip() for o in options):
            raise ValueError("options must not be empty")
        return options

    @model_validator(mode="after")
    def _answer_in_range(self) -> QuizItemSpec:
        if not 0 <= self.answer < len(self.options):
            raise ValueError(f"answer: must be an index into options (0..{len(self.options) - 1})")
        return self


class QuizFile(_Strict):
    """The quiz items of one lesson."""

    lesson: str
    items: list[QuizItemSpec] = Field(min_length=1)


class PackManifest(_Strict):
    """`pack.yaml`."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    title: str
    version: str
    standard: str = "competencies.yaml"
    lessons_dir: str = "lessons"
    quiz_dir: str = "quiz"
    cards_dir: str = "cards"
    passport: str = PASSPORT_FILE  # the default authorisation passport (optional file)
    notes: str = ""


@dataclass(frozen=True)
class ContentPack:
    """A validated lesson pack."""

    root: Path
    manifest: PackManifest
    competency_map: CompetencyMap
    lessons: tuple[LessonSpec, ...]
    quiz: tuple[tuple[str, QuizItemSpec], ...]  # (lesson id, item)
    cards: tuple[CardSpec, ...] = ()
    passport: PassportList | None = None

    def lesson(self, lesson_id: str) -> LessonSpec:
        """The lesson with this id."""
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise KeyError(lesson_id)

    def card_quiz(self) -> list[tuple[str, QuizItemSpec, str]]:
        """The cards' own questions as quiz items: (lesson id, item, card id). A card with no lesson has none
        (every quiz item is taught by a lesson)."""
        return [
            (
                card.lesson,
                QuizItemSpec(
                    id=f"Q-{card.id}-{n}",
                    competencies=list(card.competencies),
                    question=q.question,
                    options=list(q.options),
                    answer=q.answer,
                    explanation=q.explanation,
                ),
                card.id,
            )
            for card in self.cards
            if card.lesson is not None
            for n, q in enumerate(card.quiz, start=1)
        ]

    def passages(self) -> list[Passage]:
        """Every searchable passage of the pack, for retrieval."""
        return [
            p
            for lesson in self.lessons
            for p in lesson_passages(
                lesson.id,
                lesson.title,
                lesson.script,
                lesson.key_facts,
                lesson.safety_warnings,
                lesson.keywords,
            )
        ]


def _no_duplicates(ids: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {what} id {i!r}")
        seen.add(i)


def _read_yaml(path: Path, problems: list[str]) -> object | None:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path}: file not found")
    except yaml.YAMLError as exc:
        problems.append(f"{path}: not valid YAML: {exc}")
    return None


def _describe(path: Path, item: str | None, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        where = f"{path}: item {item}" if item else f"{path}"
        out.append(f"{where}: {loc or '(whole)'}: {err['msg']}")
    return out


def load_pack(root: Path) -> ContentPack:
    """Load and validate a pack folder; raise PackError listing every problem."""
    problems: list[str] = []
    manifest_raw = _read_yaml(root / "pack.yaml", problems)
    if problems:
        raise PackError(problems)
    try:
        manifest = PackManifest.model_validate(manifest_raw)
    except ValidationError as exc:
        raise PackError(_describe(root / "pack.yaml", None, exc)) from exc

    comp_path = root / manifest.standard
    comp_map = load_competency_map(comp_path, problems)
    known = {c.id for c in comp_map.competencies} if comp_map else set()

    lessons: list[LessonSpec] = []
    lesson_files: set[str] = set()  # lessons that exist, valid or not (so quiz files are not blamed twice)
    for path in sorted((root / manifest.lessons_dir).glob("*.yaml")):
        lesson_files.add(path.stem)
        raw = _read_yaml(path, problems)
        if raw is None:
            continue
        item = raw.get("id") if isinstance(raw, dict) else None
        try:
            lesson = LessonSpec.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_describe(path, item, exc))
            continue
        if path.stem != lesson.id:
            problems.append(f"{path}: item {lesson.id}: id: must match the file name ({path.stem})")
        for code in lesson.competencies:
            if known and code not in known:
                problems.append(f"{path}: item {lesson.id}: competencies: unknown competency {code!r}")
        lessons.append(lesson)
    _check_unique(lessons, root / manifest.lessons_dir, problems)
    lesson_ids = {lesson.id for lesson in lessons} | lesson_files

    quiz: list[tuple[str, QuizItemSpec]] = []
    for path in sorted((root / manifest.quiz_dir).glob("*.yaml")):
        raw = _read_yaml(path, problems)
        if raw is None:
            continue
        if not isinstance(raw, dict):
            problems.append(f"{path}: (whole): must be a mapping with 'lesson' and 'items'")
            continue
        for index, item_raw in enumerate(raw.get("items") or []):
            item_id = item_raw.get("id", f"#{index + 1}") if isinstance(item_raw, dict) else f"#{index + 1}"
            try:
                item = QuizItemSpec.model_validate(item_raw)
            except ValidationError as exc:
                problems.extend(_describe(path, item_id, exc))
                continue
            for code in item.competencies:
                if known and code not in known:
                    problems.append(f"{path}: item {item.id}: competencies: unknown competency {code!r}")
            quiz.append((str(raw.get("lesson")), item))
        try:
            QuizFile.model_validate(raw)
        except ValidationError as exc:
            problems.extend(e for e in _describe(path, None, exc) if ".items." not in e and "items." not in e)
        if raw.get("lesson") not in lesson_ids:
            problems.append(f"{path}: lesson: unknown lesson {raw.get('lesson')!r}")
    cards = load_cards(root / manifest.cards_dir, known, lesson_ids, problems)
    passport = _load_passport(root / manifest.passport, known, lesson_ids, problems)
    tested: dict[str, int] = {}
    for _lesson_id, item in quiz:
        for code in item.competencies:
            tested[code] = tested.get(code, 0) + 1
    if comp_map:
        for comp in comp_map.competencies:
            if comp.kind == "knowledge" and tested.get(comp.id, 0) < MIN_ITEMS_PER_KNOWLEDGE:
                problems.append(
                    f"{comp_path}: item {comp.id}: competencies: a knowledge competency needs at least "
                    f"{MIN_ITEMS_PER_KNOWLEDGE} quiz items testing it (has {tested.get(comp.id, 0)})"
                )
    seen: set[str] = set()
    for _lesson_id, item in quiz:
        if item.id in seen:
            problems.append(f"{root / manifest.quiz_dir}: item {item.id}: id: duplicate quiz item id")
        seen.add(item.id)
    if problems:
        raise PackError(problems)
    assert comp_map is not None
    lessons.sort(key=lambda lesson: lesson.order)
    return ContentPack(root, manifest, comp_map, tuple(lessons), tuple(quiz), tuple(cards), passport)


def load_competency_map(path: Path, problems: list[str] | None = None) -> CompetencyMap | None:
    """Load a competency map (ours, or an imported official one) from YAML."""
    own = problems is None
    problems = [] if problems is None else problems
    raw = _read_yaml(path, problems)
    result = None
    if raw is not None:
        try:
            result = CompetencyMap.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_describe(path, None, exc))
    if own and problems:
        raise PackError(problems)
    return result


def _check_unique(lessons: list[LessonSpec], where: Path, problems: list[str]) -> None:
    seen: set[object] = set()
    for lesson in lessons:
        for key in ("id", "order"):
            value = (key, getattr(lesson, key))
            if value in seen:
                problems.append(f"{where}: item {lesson.id}: {key}: duplicate value {value[1]!r}")
            seen.add(value)


@cache
def published_otj_minimum(root: Path) -> dict[str, float]:
    """{standard code: its published minimum OTJ hours} from a pack's competency map (read once a process)."""
    manifest = PackManifest.model_validate(_read_yaml(root / "pack.yaml", []) or {})
    cmap = load_competency_map(root / manifest.standard)
    info = cmap.standard if cmap else None
    return {info.code: info.otj_minimum_hours} if info and info.otj_minimum_hours is not None else {}
def _load_passport(
    path: Path, competencies: set[str], lessons: set[str], problems: list[str]
) -> PassportList | None:
    """The pack's default passport list, checked against its competencies and lessons (None without one)."""
    if not path.is_file():
        return None
    try:
        return parse_passport_yaml(path.read_text(encoding="utf-8"), str(path), competencies, lessons)
    except PassportError as exc:
        problems.extend(exc.problems)
        return None
