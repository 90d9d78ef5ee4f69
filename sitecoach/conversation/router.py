"""Routing in ordered groups. The order is written down here and nowhere else:

1. **global** commands: emergency, STOP, START, HELP. They work in every state, even mid-quiz.
2. **conversation** in progress: the skill that owns an unexpired conversation state, if it accepts
   the message (a quiz waiting for "b"); otherwise the message falls through and is classified afresh.
3. **onboarding**: a learner we have not onboarded yet, with no conversation in progress.
4. **intent**: the classifier's intent, when it is confident enough; but a question about the job that
   the model only half placed as help or small talk ("what's the rule on gloves for resin then") goes to
   explain when a live knowledge card clearly answers it, and so does one the model placed, short of near
   certainty, as being about the coach itself (progress, quiz, settings, ...) when a card answers it
   strongly ("how far back from the edge do i keep the spoil" is not a progress check).
5. **fallback**: a question-shaped message (a question mark, a question word first, or a question after
   the report: "found a cable thats not on the plans what now"), or one a card answers strongly ("got a
   rash where the resin got under my glove"), goes to explain (which says plainly when
   the lessons do not cover it); anything else gets the help menu, with an apology.

Opted-out learners hear nothing except the answer to START and to an emergency, and their messages are
read offline only (never sent to the LLM for routing). A message that might be an emergency (the language
layer is neither sure nor sure not, or the model alone raised one at a low chance: `EMERGENCY_STEPS_FROM`)
is answered as routed, led by the one-line emergency reminder (`SAFETY_PROMPT`); an opted-out learner gets
that line alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sitecoach.curriculum.card_search import CardHit
from sitecoach.curriculum.retrieval import analyze
from sitecoach.infra.redact import redact
from sitecoach.models import Consent
from sitecoach.nlu.classifier import Classification, IntentClassifier
from sitecoach.nlu.commands import is_stop_command
from sitecoach.nlu.normalise import normalise
from sitecoach.skills.card_reply import TRAILING_QUESTION, is_question
from sitecoach.skills.contract import Ctx, SkillRegistry

GLOBAL_MIN_CONFIDENCE = 0.9
INTENT_MIN_CONFIDENCE = 0.3
# An emergency the model raised alone (no hazard cue) at under even odds: the model's recall bar sits far
# lower (about 0.08), so a plain job question ("engineer sent some kind of pulse down the cable, whats
# that": P(emergency) 0.10, P(explain) 0.90) clears it. Such a message gets the emergency line first (call
# 999, then network control; reply EMERGENCY and the mentor is alerted), then the answer its next intent
# gives. From even odds up the full emergency steps go out and the mentor is alerted at once. Measured on
# blind rounds 13 and 14 before they were trained on (the session-11 model): of 180 emergencies, 68 were
# the model's alone, 67 of them at 0.6 or more and one at 0.2-0.3; of 2,211 graded job questions, 101 were
# taken for an emergency by the model alone, 69 of them under 0.5.
EMERGENCY_STEPS_FROM = 0.5
EMERGENCY_SKILL = "emergency"
# A disclosure outranks a conversation in progress and onboarding even when only half placed: a missed one
# is saved as an evidence note or a name (and may reach the mentor it is about); a false alarm costs one
# caring message and a look from the safeguarding lead. Recall first, as for emergencies.
URGENT_BEFORE_CONVERSATION = {"safeguarding": INTENT_MIN_CONFIDENCE}
FALLBACK_SKILL = "help"
QUESTION_FALLBACK_SKILL = "explain"
_QUESTION = re.compile(
    r"(\?\s*$)|^(?:(?:and|but|so|ok|okay)\s+)?(what|whats|what's|wot|wots|why|how|hows|when|where|which|who|"
    r"can|could|should|is|are|do|does|explain|tell me)\b",
    re.IGNORECASE,
)
ONBOARDING_SKILL = "onboarding"
ANSWERLESS_INTENTS = ("help", "smalltalk")  # intents whose reply answers nothing about the job
ANSWERLESS_OVERRIDE_BELOW = 0.8
# Intents about the coach itself (the learner's scores, settings, quiz, hours, mentor, evidence): a question
# the model placed there without near certainty goes to explain when a card answers it strongly (three of
# its content words and 60% of its weight, or the card's own phrasing): "how far back from the edge am i
# meant to keep the spoil" is not a progress check. Never a photo (evidence) and never mid-conversation.
ABOUT_THE_COACH_INTENTS = (
    "help", "smalltalk", "progress", "quiz", "mentor", "evidence", "preferences", "hours", "passport"
)  # fmt: skip
ABOUT_THE_COACH_OVERRIDE_BELOW = 0.9
STRONG_CARD_WORDS = 3
STRONG_CARD_COVERAGE = 0.6
STRONG_CARD_SCORE = 5.0
EXACT_CARD_MIN_SCORE = 3.0
UNSURE_INTENT_BELOW = 0.5  # any intent about the coach this unsure: a card's clear answer wins, as for help
STRAY_QUESTION_BELOW = 0.7  # help or small talk below this, question-shaped, no card: explain refuses it
SHORT_QUESTION_MIN_SCORE = 4.0  # "triplex?": one or two words, all of them a card's
JOB_QUESTION_MIN_WORDS = 3
JOB_QUESTION_MIN_COVERAGE = 0.5
MODEL_ROUTED_CONFIDENCE = 0.8
SAFETY_PROMPT = "emergency/possible"
# Someone in danger: the answer goes whatever comes after it.
URGENT_SKILLS = ("emergency", "wellbeing", "safeguarding")


@dataclass(frozen=True)
class Route:
    """Which skills answer a message (in order), and why."""

    skills: tuple[str, ...]
    group: str
    intent: Classification
    continues_conversation: bool = False
    # The message might be an emergency: the reply leads with the one-line emergency reminder.
    lead_with_safety: bool = False

    @property
    def skill(self) -> str | None:
        """The main skill (the last one runs the conversation on)."""
        return self.skills[-1] if self.skills else None

    @property
    def urgent(self) -> bool:
        """Someone may be in danger: the reply is sent even if the learner opts out before it goes."""
        return self.group == "safety" or any(name in URGENT_SKILLS for name in self.skills)


class Router:
    """Chooses the skill for a message; knows intents and skill names, never skill internals."""

    def __init__(self, registry: SkillRegistry, classifier: IntentClassifier) -> None:
        self.registry = registry
        self.classifier = classifier
        # The router's lists, read from the intents the skills declare.
        self.global_intents = registry.intent_names(global_command=True)
        self.model_routable = registry.intent_names(model_routable=True, rule_only=False)
        self.allowed_when_opted_out = registry.intent_names(allowed_after_stop=True)
        self.before_onboarding = registry.intent_names(before_onboarding=True, global_command=False)

    def classify(self, text: str) -> Classification:
        """The classifier's view of a message."""
        return self.classifier.classify(text)

    def route(self, ctx: Ctx) -> Route:
        """Pick the skills for this message; sets ctx.intent and ctx.in_conversation."""
        intent = self.classify(ctx.message.text) if ctx.message.text else Classification("smalltalk", 0.0)
        intent = _unless_barely_an_emergency(intent)
        if ctx.message.media and intent.intent not in self.global_intents:
            # A photo from site is evidence unless the caption asks for something else outright.
            if intent.intent in ("smalltalk", "explain", "evidence") or intent.confidence < 0.8:
                intent = replace(intent, intent="evidence", confidence=max(intent.confidence, 0.9))
        if (intent.intent == "stop" or intent.opt_out) and _tapped_non_keyword(ctx):
            # A tap on one of the coach's own buttons is an answer ("All of these"), never a worded
            # opt-out; a tapped STOP keyword still stops. The conversation it answers takes it.
            kind = "smalltalk" if intent.intent == "stop" else intent.intent
            intent = replace(intent, intent=kind, opt_out=False)
        opted_out = ctx.learner.consent == Consent.OPTED_OUT
        if (
            not opted_out  # only START and emergencies are answered: the offline rules read those
            and intent.intent not in self.global_intents
            and intent.confidence < ctx.settings.llm_route_below
        ):
            intent = self._ask_model(ctx, intent)
        ctx.intent = intent
        ctx.in_conversation = False
        route = self._choose(ctx, intent)
        if opted_out and route.skill not in self.allowed_when_opted_out:
            route = Route((), "suppressed", intent)
        return self._safety_first(route, intent)

    def _safety_first(self, route: Route, intent: Classification) -> Route:
        """Lead with the emergency line when the message might be an emergency (even after STOP)."""
        if not intent.possible_emergency or route.skill in ("emergency", "help"):  # both already say it
            return route
        if route.group == "suppressed":
            return Route((), "safety", intent, lead_with_safety=True)
        return replace(route, lead_with_safety=True)

    def _ask_model(self, ctx: Ctx, offline: Classification) -> Classification:
        """Let Claude route a message the classifier was unsure of (never STOP, START or emergency; a
        message it barely took for an emergency may go, and keeps the emergency line)."""
        llm = ctx.llm
        s = ctx.settings
        if llm is None or not llm.enabled or not ctx.message.text:
            return offline
        if not ctx.repo.llm_allowed(ctx.learner, ctx.now, s.llm_daily_tokens, s.llm_hourly_calls):
            return offline
        names = ctx.known_names()  # the mentor's too: "Okafor said..." must not reach the model
        system = ctx.prompts.render("llm/route_system", intents=", ".join(self.model_routable))
        routed, call = llm.route(system, redact(ctx.message.text, names).text, self.model_routable)
        ctx.repo.record_llm(
            ctx.learner,
            "route",
            call,
            llm.model,
            llm.cost_usd(call.input_tokens, call.output_tokens),
            ctx.now,
        )
        if routed is None or routed.intent not in self.model_routable or routed.intent not in self.registry:
            return offline
        ctx.slots = {k: v for k, v in routed.model_dump().items() if k != "intent" and v is not None}
        return replace(offline, intent=routed.intent, confidence=MODEL_ROUTED_CONFIDENCE)

    def _choose(self, ctx: Ctx, intent: Classification) -> Route:
        # 1. global commands; an emergency at whatever chance the classifier raised it (one it barely
        # raised is answered as its next intent instead, see `route`): never left to a conversation or
        # onboarding to swallow
        if intent.intent in self.global_intents and (
            intent.confidence >= GLOBAL_MIN_CONFIDENCE or intent.intent == EMERGENCY_SKILL
        ):
            return Route((intent.intent,), "global", intent)
        floor = URGENT_BEFORE_CONVERSATION.get(intent.intent)
        if floor is not None and intent.confidence >= floor and intent.intent in self.registry:
            return Route((intent.intent,), "global", intent)
        # 2. the conversation in progress
        state = ctx.state
        if state is not None and state.expires_at > ctx.now and state.skill in self.registry:
            skill = self.registry.get(state.skill)
            ctx.in_conversation = True
            if getattr(skill, "accepts", None) and skill.accepts(ctx):
                return Route((state.skill,), "conversation", intent, continues_conversation=True)
            ctx.in_conversation = False
        # 3. onboarding a learner we have not met properly yet
        if _needs_onboarding(ctx) and (state is None or state.expires_at <= ctx.now):
            if intent.intent in self.before_onboarding and intent.confidence >= 0.6:
                return Route((intent.intent, ONBOARDING_SKILL), "onboarding", intent)
            return Route((ONBOARDING_SKILL,), "onboarding", intent)
        # 4. the classified intent
        if self._job_question(ctx, intent) or self._stray_question(ctx, intent):
            return Route((QUESTION_FALLBACK_SKILL,), "intent", intent)
        if intent.confidence >= INTENT_MIN_CONFIDENCE and intent.intent in self.registry:
            return Route((intent.intent,), "intent", intent)
        # 5. fallback
        text = ctx.message.text.strip()
        if QUESTION_FALLBACK_SKILL in self.registry and (
            _question_shaped(text) or (not ctx.message.media and strong_card(ctx.catalogue.card_for(text)))
        ):
            return Route((QUESTION_FALLBACK_SKILL,), "fallback", intent)
        return Route((FALLBACK_SKILL,), "fallback", intent)

    def _job_question(self, ctx: Ctx, intent: Classification) -> bool:
        """Whether a message the model placed, short of near certainty, as being about the coach itself
        (progress, quiz, settings, help, small talk, ...) is a question about the job that a live card
        answers (`job_question`)."""
        if QUESTION_FALLBACK_SKILL not in self.registry or ctx.message.media:
            return False
        if intent.intent not in ABOUT_THE_COACH_INTENTS:
            return False
        if intent.confidence >= ABOUT_THE_COACH_OVERRIDE_BELOW:
            return False
        text = ctx.message.text.strip()
        return job_question(text, intent, ctx.catalogue.card_for(text))

    def _stray_question(self, ctx: Ctx, intent: Classification) -> bool:
        """A question the model only half placed as help or small talk that no card answers ("who do u
        reckon wins the prem", "how do i joint a laminate floor"): explain refuses it plainly, rather than
        the menu or a chat reply that reads as if the coach had not understood."""
        if QUESTION_FALLBACK_SKILL not in self.registry or ctx.message.media:
            return False
        if intent.intent not in ANSWERLESS_INTENTS or intent.confidence >= STRAY_QUESTION_BELOW:
            return False
        text = ctx.message.text.strip()
        return _question_shaped(text) and ctx.catalogue.card_for(text) is None


def _unless_barely_an_emergency(intent: Classification) -> Classification:
    """An emergency the model alone raised at under even odds, with no request to stop in it, is answered as
    what it would otherwise be (`possible_emergency`: the reply leads with the emergency line); any other
    classification is kept. An opt-out in the message pulls the model's chance down, so "... and stop the
    messages" keeps the steps and the opt-out."""
    otherwise = intent.otherwise  # None when a hazard cue raised it
    if (
        intent.intent == EMERGENCY_SKILL
        and intent.confidence < EMERGENCY_STEPS_FROM
        and not intent.opt_out
        and otherwise is not None
        and otherwise.intent != "stop"
    ):
        return otherwise
    return intent


def strong_card(hit: CardHit | None) -> bool:
    """A card that answers strongly: three of the message's content words and 60% of its weight with a
    BM25 score of 5, or the card's own phrasing with a score of 3."""
    return hit is not None and (
        (hit.exact and hit.score >= EXACT_CARD_MIN_SCORE)
        or (
            hit.matched >= STRONG_CARD_WORDS
            and hit.coverage >= STRONG_CARD_COVERAGE
            and hit.score >= STRONG_CARD_SCORE
        )
    )


def job_question(text: str, intent: Classification, hit: CardHit | None) -> bool:
    """Whether a message placed as being about the coach itself goes to explain: a question a card answers
    strongly ("how far back from the edge do i keep the spoil" is not a progress check); a message the model
    only half placed as help or small talk that a card answers strongly, question-shaped or not ("reg 16
    eawr"); a one- or two-word question every word of which a card has ("triplex?"); or a question-shaped
    message half placed as help or small talk that a card clearly answers with two of its words and half its
    weight ("what's the rule on gloves for resin then"), as may any of them the model placed with under even
    odds ("can my chargehand issue me a permit?" is not a request for the mentor)."""
    if hit is None:
        return False
    asked = _question_shaped(text) or is_question(text)
    unsure_answerless = intent.intent in ANSWERLESS_INTENTS and intent.confidence < ANSWERLESS_OVERRIDE_BELOW
    if strong_card(hit) and (asked or unsure_answerless):
        return True
    if (
        "?" in text
        and hit.asked <= 2
        and hit.matched == hit.asked
        and hit.coverage >= 0.99
        and hit.score >= SHORT_QUESTION_MIN_SCORE
    ):
        return True
    unsure = unsure_answerless or intent.confidence < UNSURE_INTENT_BELOW
    if not unsure or not _question_shaped(text) or len(analyze(text)) < JOB_QUESTION_MIN_WORDS:
        return False
    return hit.matched >= 2 and hit.coverage >= JOB_QUESTION_MIN_COVERAGE


def _tapped_non_keyword(ctx: Ctx) -> bool:
    """Whether the message is a tapped button or list row whose payload is not itself STOP."""
    payload = ctx.message.button_payload
    if not payload:
        return False
    norm = normalise(payload)
    return not is_stop_command(norm, len(norm.split()))


def _question_shaped(text: str) -> bool:
    """A question mark, a question word first, or a question after the report ("... can i just dig")."""
    return bool(_QUESTION.search(text) or TRAILING_QUESTION.search(text))


def _needs_onboarding(ctx: Ctx) -> bool:
    return ctx.learner.name is None and ctx.learner.consent == Consent.PENDING
