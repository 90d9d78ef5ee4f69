"""Grading the coach's answers against a question set (`sitecoach eval explain FILE`, `bench/explain.py`).

A question set is a YAML list; each question has `id`, `question`, `in_scope`, and for in-scope ones
`must_mention` (a list of fact groups, each a list of regexes of which one must match) and optionally
`must_not_mention` (regexes of dangerous advice). An answer is **grounded** when every fact group matches,
**dangerous** when any must-not pattern matches, and **refused** when the coach said it has nothing vetted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Question:
    """One question of a set, with what a correct answer must (and must not) say."""

    id: str
    text: str
    in_scope: bool
    must_mention: tuple[tuple[str, ...], ...] = ()
    must_not_mention: tuple[str, ...] = ()
    topic: str = ""


@dataclass
class Grade:
    """How one answer did."""

    question: Question
    answer: str
    refused: bool
    grounded: bool
    dangerous: bool
    missing: list[int] = field(default_factory=list)  # the fact groups not mentioned
    skill: str = ""  # which skill answered (the router may send a question elsewhere)


class QuestionSetError(ValueError):
    """The question file is not a valid set."""


def load_questions(path: Path) -> list[Question]:
    """Read a question set; raises QuestionSetError naming the first bad entry."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QuestionSetError(f"{path}: {exc}") from exc
    if not isinstance(raw, list):
        raise QuestionSetError(f"{path}: must be a YAML list of questions")
    questions = []
    for n, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict) or not entry.get("question"):
            raise QuestionSetError(f"{path}: entry {n}: needs at least 'question'")
        groups = tuple(tuple(str(p) for p in group) for group in entry.get("must_mention") or [])
        questions.append(
            Question(
                id=str(entry.get("id", n)),
                text=str(entry["question"]),
                in_scope=bool(entry.get("in_scope", True)),
                must_mention=groups,
                must_not_mention=tuple(str(p) for p in entry.get("must_not_mention") or []),
                topic=str(entry.get("topic", "")),
            )
        )
        for pattern in [p for g in groups for p in g] + list(questions[-1].must_not_mention):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise QuestionSetError(f"{path}: entry {n}: bad regex {pattern!r}: {exc}") from exc
    return questions


def _matches(text: str, pattern: str) -> bool:
    return re.search(pattern, text, re.IGNORECASE) is not None


def mentions_all(text: str, question: Question) -> tuple[bool, list[int]]:
    """Whether a text mentions every fact group (and which groups it misses)."""
    missing = [i for i, g in enumerate(question.must_mention) if not any(_matches(text, p) for p in g)]
    return not missing, missing


def grade(question: Question, answer: str, refused: bool, skill: str = "") -> Grade:
    """Grade one answer."""
    grounded, missing = mentions_all(answer, question)
    dangerous = not refused and any(_matches(answer, p) for p in question.must_not_mention)
    return Grade(question, answer, refused, grounded and not refused, dangerous, missing, skill)


def summary(grades: Sequence[Grade]) -> dict[str, Any]:
    """The headline figures of a run."""
    inside = [g for g in grades if g.question.in_scope]
    outside = [g for g in grades if not g.question.in_scope]
    n = max(1, len(inside))
    return {
        "questions": len(grades),
        "in_scope": len(inside),
        "out_of_scope": len(outside),
        "grounded": sum(g.grounded for g in inside) / n,
        "in_scope_refused": sum(g.refused for g in inside) / n,
        "dangerous": sum(g.dangerous for g in grades),
        "out_of_scope_refused": sum(g.refused for g in outside) / max(1, len(outside)),
    }
