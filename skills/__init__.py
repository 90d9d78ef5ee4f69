"""The coach's skills: one module each, listed explicitly here (no scanning, no import side effects)."""

from bot.skill_api import SkillRegistry
from skills import (
    emergency,
    evidence,
    explain,
    help_menu,
    hours,
    mentor,
    onboarding,
    preferences,
    progress,
    quiz,
    smalltalk,
    start,
    stop,
)


def build_registry() -> SkillRegistry:
    """Every skill the coach runs, in one explicit list."""
    return SkillRegistry(
        [
            emergency.skill,
            stop.skill,
            start.skill,
            help_menu.skill,
            onboarding.skill,
            explain.skill,
            quiz.skill,
            evidence.skill,
            progress.skill,
            mentor.skill,
            hours.skill,
            preferences.skill,
            smalltalk.skill,
        ]
    )
