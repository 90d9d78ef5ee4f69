"""The authorisation passport's steps as data: the pack's default list (`content/<pack>/passport.yaml`) and
each employer's edited copy are validated by the same schema.

A step is an authorisation category under the employer's safety rules ("Authorised person LV") or a
practical assessment type ("LV straight joint"), in the order a jointer usually reaches them, with the
competencies and lessons it needs (the quiz leans towards the next step's items).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PASSPORT_FILE = "passport.yaml"
StepKind = Literal["authorisation", "assessment"]


class PassportError(ValueError):
    """The passport list is invalid; the message lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid passport list:\n  " + "\n  ".join(problems))
        self.problems = problems


class PassportStep(BaseModel):
    """One authorisation category or practical assessment type."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
    kind: StepKind
    title: str = Field(min_length=3, max_length=120)
    competencies: tuple[str, ...] = ()
    lessons: tuple[str, ...] = ()
    valid_months: int | None = Field(default=None, ge=1, le=120)


class PassportList(BaseModel):
    """An ordered list of steps (the pack's default, or one employer's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: tuple[PassportStep, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PassportList:
        seen: set[str] = set()
        for step in self.steps:
            if step.code in seen:
                raise ValueError(f"duplicate step code {step.code!r}")
            seen.add(step.code)
        return self

    def step(self, code: str) -> PassportStep | None:
        """The step with this code, if listed."""
        return next((s for s in self.steps if s.code == code), None)

    def of_kind(self, kind: StepKind) -> list[PassportStep]:
        """The steps of one kind, in order."""
        return [s for s in self.steps if s.kind == kind]

    def to_data(self) -> dict[str, Any]:
        """Plain JSON (what an employer row stores)."""
        return self.model_dump(mode="json")


def parse_passport(
    raw: object, where: str, competencies: Iterable[str] = (), lessons: Iterable[str] = ()
) -> PassportList:
    """Validate a passport list; with `competencies`/`lessons`, every code it names must exist."""
    try:
        passport = PassportList.model_validate(raw)
    except ValidationError as exc:
        raise PassportError(
            [f"{where}: {'.'.join(str(p) for p in e['loc']) or '(whole)'}: {e['msg']}" for e in exc.errors()]
        ) from exc
    known_c, known_l = set(competencies), set(lessons)
    problems = [
        f"{where}: step {step.code}: {field}: unknown {what} {code!r}"
        for step in passport.steps
        for field, what, codes, known in (
            ("competencies", "competency", step.competencies, known_c),
            ("lessons", "lesson", step.lessons, known_l),
        )
        if known
        for code in codes
        if code not in known
    ]
    if problems:
        raise PassportError(problems)
    return passport


def parse_passport_yaml(
    text: str, where: str, competencies: Iterable[str] = (), lessons: Iterable[str] = ()
) -> PassportList:
    """A passport list from YAML text (an admin's edit, or the pack's file)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PassportError([f"{where}: not valid YAML: {exc}"]) from exc
    return parse_passport(raw, where, competencies, lessons)


def passport_yaml(passport: PassportList) -> str:
    """The list as YAML, for an admin to edit."""
    return yaml.safe_dump(passport.to_data(), sort_keys=False, allow_unicode=True, width=110)


@functools.lru_cache(maxsize=8)
def default_passport(pack_root: Path) -> PassportList:
    """The pack's default passport list (read once per process; validated with the pack by validate-pack)."""
    path = pack_root / PASSPORT_FILE
    return parse_passport_yaml(path.read_text(encoding="utf-8"), str(path))
