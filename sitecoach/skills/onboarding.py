"""onboarding: a new learner's first conversation: welcome, consent to messages, and their name."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sitecoach.models import Consent, ConsentMethod, EventKind
from sitecoach.models.choices import offer
from sitecoach.records import experiments
from sitecoach.skills.consent_source import consent_source
from sitecoach.skills.contract import END, Ctx, Reply, SetState, SimpleSkill

ONBOARDING_SEQUENCES = ("quiz_first", "lesson_first")
FIRST_LESSON = "L03"  # safe isolation and proving dead


class OnboardingStep(StrEnum):
    """What onboarding asks next."""

    ASK_CONSENT = "ask_consent"
    ASK_NAME = "ask_name"


@dataclass(frozen=True)
class OnboardingState:
    """Where a new learner's first conversation stands, and their WhatsApp profile name."""

    step: OnboardingStep
    profile: str = ""

    def to_data(self) -> dict[str, Any]:
        """The row's JSON."""
        return {"profile": self.profile}

    @classmethod
    def from_data(cls, step: str, data: Mapping[str, Any]) -> OnboardingState:
        """Read the row's JSON back."""
        return cls(OnboardingStep(step), str(data.get("profile") or ""))


YES = {
    "yes",
    "y",
    "yep",
    "yeah",
    "yes please",
    "aye",
    "ok",
    "okay",
    "sure",
    "go on",
    "sound",
    "yes pls",
    "ya",
}
NO = {"no", "n", "nope", "no thanks", "nah", "no ta", "not now"}
_INTRO = r"(?:i'?m|im|it'?s|its|my name'?s|my names|my name is|call me|name'?s)"
# only these say for sure that a name follows ("I'm on site" and "it's raining" are not names)
_NAMING = re.compile(r"^(?:call me|my name'?s|my names|my name is|name'?s)\s")
_NAME = re.compile(
    rf"^(?:{_INTRO}\s+)?"
    r"(?P<name>[^\W\d_][\w'\-]*(?:\s+[^\W\d_][\w'\-]*){0,2})[.!]?$",
    re.UNICODE,
)


# The consent question's buttons: a tap answers "yes" or "no", exactly as typing it does.
CONSENT_CHOICES = offer([("yes", "Yes, send them"), ("no", "No thanks")], listed=True)


def _ttl() -> timedelta:
    return timedelta(days=2)


def _ask(step: OnboardingStep, profile: str) -> SetState:
    return SetState(OnboardingState(step, profile), _ttl())


def _clean(text: str) -> str:
    return text.strip().lower().strip(".!👍")


def _name_from(text: str, profile_name: str | None) -> str | None:
    if _clean(text) in YES and profile_name:
        return profile_name.strip()[:60]
    m = _NAME.match(text.strip())
    if not m:
        return None
    return " ".join(w[:1].upper() + w[1:] for w in m.group("name").split())[:60]


def handle(ctx: Ctx) -> Reply:
    """Walk a new learner through consent and their name."""
    profile = ctx.message.profile_name or ""
    state = ctx.state_as(OnboardingState) if ctx.in_conversation else None
    if state is None:
        return Reply.text(
            ctx.say("onboarding/welcome"),
            state=_ask(OnboardingStep.ASK_CONSENT, profile),
            choices=CONSENT_CHOICES,
        )
    profile = state.profile or profile
    if state.step == OnboardingStep.ASK_CONSENT:
        answer = _clean(ctx.message.text)
        if answer in YES:
            ctx.repo.set_consent(
                ctx.learner, Consent.OPTED_IN, ctx.now, ConsentMethod.WHATSAPP_YES, **consent_source(ctx)
            )
            return Reply.text(
                ctx.say("onboarding/ask_name", profile_name=profile),
                state=_ask(OnboardingStep.ASK_NAME, profile),
            )
        if answer in NO:
            ctx.repo.set_consent(
                ctx.learner, Consent.DECLINED, ctx.now, ConsentMethod.WHATSAPP_NO, **consent_source(ctx)
            )
            return Reply.text(
                ctx.say("onboarding/declined", profile_name=profile),
                state=_ask(OnboardingStep.ASK_NAME, profile),
            )
        return Reply.text(
            ctx.say("onboarding/consent_unclear"),
            state=_ask(OnboardingStep.ASK_CONSENT, profile),
            choices=CONSENT_CHOICES,
        )
    name = _name_from(ctx.message.text, profile) or profile or "mate"
    ctx.learner.name = name
    ctx.repo.session.add(ctx.learner)
    # Which start works best is learned: the bandit picks a sequence, rewarded by a good first week.
    rng = random.Random(f"onboarding:{ctx.learner.id}")
    trial = experiments.assign(
        ctx.repo.session,
        experiments.ONBOARDING_KIND,
        ONBOARDING_SEQUENCES,
        int(ctx.learner.id or 0),
        ctx.now,
        rng,
    )
    ctx.repo.add_event(ctx.learner, EventKind.ONBOARDED, ctx.now, sequence=trial.variant)
    first = next(iter(ctx.catalogue.live_lessons()), None)
    code = FIRST_LESSON if ctx.catalogue.lesson_is_live(FIRST_LESSON) else first.code if first else None
    link = ctx.links.lesson_url(int(ctx.learner.id or 0), code) if code else ""
    return Reply.text(ctx.say(f"onboarding/done_{trial.variant}", name=name, link=link), state=END)


def accepts(ctx: Ctx) -> bool:
    """Consent answers and names continue onboarding; a real question breaks out of it."""
    state = ctx.state_as(OnboardingState)
    step = state.step if state is not None else None
    text = _clean(ctx.message.text)
    if step == OnboardingStep.ASK_CONSENT:
        return text in YES or text in NO or ctx.intent.intent == "smalltalk" or ctx.intent.confidence < 0.5
    if step == OnboardingStep.ASK_NAME:
        if text in YES:
            return True
        named = _name_from(ctx.message.text, None) is not None
        # "call me Mark", "I'm Dean": said as an introduction it is the name, whatever the model heard
        # ("call me" is also how a learner asks the mentor to ring)
        introduced = named and _NAMING.match(_clean(ctx.message.text)) is not None
        return named and (introduced or ctx.intent.intent == "smalltalk" or ctx.intent.confidence < 0.7)
    return False


skill = SimpleSkill(
    name="onboarding",
    description="Welcomes a new learner, asks consent for messages and their name.",
    handler=handle,
    accepts_fn=accepts,
    state_loader=OnboardingState.from_data,
    prompts=(
        "onboarding/welcome",
        "onboarding/ask_name",
        "onboarding/declined",
        "onboarding/consent_unclear",
        "onboarding/done_quiz_first",
        "onboarding/done_lesson_first",
    ),
)
