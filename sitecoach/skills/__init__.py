"""The coach's skills: one module each, listed explicitly here (no scanning, no import side effects)."""

from sitecoach.nlu.classifier import IntentClassifier
from sitecoach.skills import (
    emergency,
    evidence,
    explain,
    help_menu,
    hours,
    mentor,
    onboarding,
    passport,
    preferences,
    progress,
    quiz,
    safeguarding,
    smalltalk,
    start,
    stop,
    wellbeing,
)
from sitecoach.skills.contract import SkillRegistry


def build_registry() -> SkillRegistry:
    """Every skill the coach runs, in one explicit list."""
    return SkillRegistry(
        [
            emergency.skill,
            wellbeing.skill,
            safeguarding.skill,
            stop.skill,
            start.skill,
            help_menu.skill,
            onboarding.skill,
            explain.skill,
            quiz.skill,
            evidence.skill,
            progress.skill,
            passport.skill,
            mentor.skill,
            hours.skill,
            preferences.skill,
            smalltalk.skill,
        ]
    )


def build_classifier(registry: SkillRegistry | None = None) -> IntentClassifier:
    """The intent classifier: the versioned model, trained on the registry's intents and examples."""
    registry = registry or build_registry()
    return IntentClassifier.for_examples(registry.examples(), registry.intents())
