"""The quiz's conversation state: a practice round, or a timed mock paper.

Stored on the conversation row as its step and JSON data, with the keys the quiz has always written, so
rows written before this module (or after a rollback) read the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

MOCK_MODE = "mock"


class QuizStep(StrEnum):
    """What the quiz waits for."""

    AWAITING_ANSWER = "awaiting_answer"  # a practice round's answer, marked with feedback
    MOCK_ANSWER = "mock_answer"  # a mock paper's answer, marked silently


@dataclass(frozen=True)
class QuizRound:
    """A practice round: the question waiting for its answer, those asked (it included), and the score."""

    item: str
    asked: tuple[str, ...]
    correct: int = 0
    lessons: tuple[str, ...] | None = None  # None: the whole bank
    topic: str = ""

    @property
    def step(self) -> QuizStep:
        """A round always waits for an answer."""
        return QuizStep.AWAITING_ANSWER

    def to_data(self) -> dict[str, Any]:
        """The row's JSON."""
        return {
            "item": self.item,
            "asked": list(self.asked),
            "correct": self.correct,
            "lessons": list(self.lessons) if self.lessons is not None else None,
            "topic": self.topic,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> QuizRound:
        """Read the row's JSON back."""
        lessons = data.get("lessons")
        return cls(
            item=str(data.get("item") or ""),
            asked=tuple(str(code) for code in data.get("asked") or ()),
            correct=int(data.get("correct") or 0),
            lessons=tuple(str(code) for code in lessons) if lessons else None,
            topic=str(data.get("topic") or ""),
        )


@dataclass(frozen=True)
class MockScore:
    """How a mock paper went, as far as it got."""

    percent: float
    minutes: int
    passed: bool


@dataclass(frozen=True)
class MockPaper:
    """A timed mock paper: the questions drawn, how many are answered, the score and the prediction."""

    paper: tuple[str, ...]
    index: int  # questions answered so far; the next one is paper[index]
    correct: int
    started: datetime
    predicted: float  # the pass chance predicted before the paper started

    def __post_init__(self) -> None:
        if self.started.tzinfo is None:
            raise ValueError("naive datetime refused")

    @property
    def step(self) -> QuizStep:
        """A paper always waits for an answer, marked silently."""
        return QuizStep.MOCK_ANSWER

    @property
    def item(self) -> str:
        """The question waiting for its answer ("" once every question is answered)."""
        return self.paper[self.index] if self.index < len(self.paper) else ""

    @property
    def finished(self) -> bool:
        """Every question is answered."""
        return self.index >= len(self.paper)

    def score(self, at: datetime, pass_mark: float) -> MockScore:
        """The score at a time, unanswered questions counting as wrong."""
        questions = len(self.paper)
        percent = 100 * self.correct / questions if questions else 0.0
        minutes = max(1, round((at - self.started).total_seconds() / 60))
        return MockScore(percent, minutes, percent >= 100 * pass_mark - 1e-9)

    def to_data(self) -> dict[str, Any]:
        """The row's JSON (`item` and `mode` too, as the quiz has always written them)."""
        return {
            "mode": MOCK_MODE,
            "paper": list(self.paper),
            "index": self.index,
            "correct": self.correct,
            "started": self.started.isoformat(),
            "predicted": self.predicted,
            "item": self.item,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> MockPaper:
        """Read the row's JSON back."""
        return cls(
            paper=tuple(str(code) for code in data["paper"]),
            index=int(data.get("index") or 0),
            correct=int(data.get("correct") or 0),
            started=datetime.fromisoformat(str(data["started"])),
            predicted=float(data.get("predicted") or 0.0),
        )


def load_state(step: str, data: Mapping[str, Any]) -> QuizRound | MockPaper:
    """The quiz's typed state from a stored row."""
    if QuizStep(step) is QuizStep.MOCK_ANSWER:
        return MockPaper.from_data(data)
    return QuizRound.from_data(data)
