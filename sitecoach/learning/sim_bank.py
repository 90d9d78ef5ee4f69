"""The item bank as the learning simulation sees it: items in lesson order and the competencies they test.

Plain data, built by the caller from the content pack (the learning floor does not read the curriculum).
The EPA paper draws from the *knowledge* items: items that test at least one knowledge competency.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SimItem:
    """A quiz item: its code, its lesson's position, the competencies it tests and its number of options."""

    code: str
    lesson_position: int
    competencies: tuple[str, ...]
    options: int = 4


@dataclass(frozen=True)
class SimCompetency:
    """A competency of the standard (kind: knowledge, skill or behaviour) and its area."""

    code: str
    kind: str
    area: str


@dataclass(frozen=True)
class SimBank:
    """Items in lesson order and the competency map; derived indices are computed once."""

    items: tuple[SimItem, ...]
    competencies: tuple[SimCompetency, ...]
    items_of: dict[str, tuple[int, ...]] = field(init=False, compare=False)
    knowledge_items: tuple[int, ...] = field(init=False, compare=False)
    knowledge: tuple[str, ...] = field(init=False, compare=False)  # knowledge competencies with items
    by_code: dict[str, SimCompetency] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        items_of = {
            c.code: tuple(i for i, item in enumerate(self.items) if c.code in item.competencies)
            for c in self.competencies
        }
        knowledge = tuple(c.code for c in self.competencies if c.kind == "knowledge" and items_of[c.code])
        wanted = set(knowledge)
        paper = tuple(i for i, item in enumerate(self.items) if wanted.intersection(item.competencies))
        object.__setattr__(self, "items_of", items_of)
        object.__setattr__(self, "by_code", {c.code: c for c in self.competencies})
        object.__setattr__(self, "knowledge", knowledge)
        object.__setattr__(self, "knowledge_items", paper)

    def index(self) -> dict[str, int]:
        """Item code -> position in the bank."""
        return {item.code: i for i, item in enumerate(self.items)}
