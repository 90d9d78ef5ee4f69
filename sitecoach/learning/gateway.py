"""Gateway readiness: which competencies are ready, and what is still missing, in plain words.

The rule for each competency (our working rule until the EPA plan's gateway requirements are loaded):

* *knowledge*: ready at mastery 85 or more.
* *skill*: ready with at least one mentor-signed piece of field evidence and mastery 60 or more.
* *behaviour*: ready with at least one mentor-signed observation (evidence) claiming it.

Gaps are listed weakest first, knowledge gaps after the practical ones (evidence takes longest to gather).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

SHORT_TEXT_CHARS = 60
KNOWLEDGE_READY = 85.0  # mastery points
SKILL_READY = 60.0  # mastery points, with signed evidence


@dataclass(frozen=True)
class CompetencyReadiness:
    """One competency's gateway status."""

    code: str
    kind: str
    text: str
    mastery: float
    signed: int
    pending: int
    ready: bool
    status: str  # plain words


@dataclass(frozen=True)
class GatewayReadiness:
    """Every competency's status and the gaps, weakest first."""

    competencies: tuple[CompetencyReadiness, ...]

    @property
    def ready_count(self) -> int:
        """How many competencies are ready."""
        return sum(1 for c in self.competencies if c.ready)

    @property
    def gaps(self) -> tuple[CompetencyReadiness, ...]:
        """The competencies not ready yet, practical ones first, then by mastery."""
        missing = [c for c in self.competencies if not c.ready]
        return tuple(sorted(missing, key=lambda c: (c.kind == "knowledge", c.mastery, c.code)))

    def gap_lines(self, limit: int | None = None) -> list[str]:
        """'CODE short text: status' for each gap."""
        gaps = self.gaps if limit is None else self.gaps[:limit]
        return [f"{g.code} {short_text(g.text)}: {g.status}" for g in gaps]


def short_text(text: str, limit: int = SHORT_TEXT_CHARS) -> str:
    """A competency statement cut to its first clause, for WhatsApp lines."""
    first = re.split(r"[:;.]\s|,\s(?:and|including)\s", text.strip(), maxsplit=1)[0].rstrip(".")
    return first if len(first) <= limit else first[: limit - 1].rsplit(" ", 1)[0] + "…"


def _status(kind: str, mastery: float, signed: int, pending: int) -> tuple[bool, str]:
    waiting = f" ({pending} waiting for your mentor)" if pending else ""
    if kind == "knowledge":
        if mastery >= KNOWLEDGE_READY:
            return True, "ready"
        return False, f"mastery {mastery:.0f}%, needs {KNOWLEDGE_READY:.0f}%"
    if kind == "skill":
        if signed and mastery >= SKILL_READY:
            return True, "ready"
        if not signed:
            return False, "no signed-off evidence yet" + waiting
        return False, f"mastery {mastery:.0f}%, needs {SKILL_READY:.0f}%"
    if signed:
        return True, "ready"
    return False, "needs a mentor observation" + waiting


def gateway_readiness(
    competencies: Mapping[str, tuple[str, str]],
    mastery: Mapping[str, float],
    signed: Mapping[str, int],
    pending: Mapping[str, int],
) -> GatewayReadiness:
    """Status of every competency (code -> (kind, text)) from mastery and evidence counts."""
    rows = []
    for code, (kind, text) in sorted(competencies.items()):
        m, s, p = mastery.get(code, 0.0), signed.get(code, 0), pending.get(code, 0)
        ready, status = _status(kind, m, s, p)
        rows.append(CompetencyReadiness(code, kind, text, m, s, p, ready, status))
    return GatewayReadiness(tuple(rows))
