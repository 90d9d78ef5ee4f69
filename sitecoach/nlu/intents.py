"""What an intent is, as the language layer and the router need to know it.

Each intent is declared once, on its skill (`sitecoach.skills`); the classifier, the router and the
LLM routing schema read their lists from the registry, never from a list of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Intent:
    """One intent and the flags the router and the classifier need."""

    name: str
    # Works in every state, before the conversation in progress (STOP, emergency, ...).
    global_command: bool = False
    # Decided by rules only: the statistical model and the LLM never predict it.
    rule_only: bool = False
    # The LLM may route an unsure message to it.
    model_routable: bool = True
    # Still answered for a learner who has opted out.
    allowed_after_stop: bool = False
    # Answered before the learner has finished onboarding (then onboarding carries on).
    before_onboarding: bool = False


def load_examples(path: Path) -> list[str]:
    """The example lines of one intent's file (blank lines and # comments skipped); [] if absent."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
