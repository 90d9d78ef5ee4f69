"""The coach's language layer: what a jointer's message asks for, safety and consent first.

Order of decisions (the same for every message, whatever state the learner is in):

1. **Emergency** (recall first): the model's P(emergency) at or above its bar, or a hazard-now cue
   (`sitecoach.nlu.hazards`) with the model at a lower bar. A bare HELP (Twilio's keyword) is the menu,
   and a lone word with no hazard in it (a name given at onboarding) is never one. Before it, a learner
   in crisis (`sitecoach.nlu.wellbeing`: thoughts of suicide or self-harm) gets care and helplines, 999
   among them: never an opt-out, whatever words they use. A crisis that also tells of abuse, bullying or
   threats (`sitecoach.nlu.safeguarding`) is a safeguarding concern in crisis (`crisis`): it goes to the
   safeguarding lead, not the mentor, who may be its cause.
   Between "sure" and "sure not"
   (`possible_emergency`) the message is answered normally, but the reply leads with the emergency line.
   An emergency the model raised alone carries `otherwise`, what the message would be were it not one (the
   router answers it so below even odds). A message the model cannot read (most of its words unseen,
   `UNFAMILIAR_SHARE`) is an emergency on a foreign harm cue alone, and STOP on a foreign stop phrase alone.
   Right after it, a **safeguarding** disclosure (its cue grammar, or the model's most likely intent):
   care, helplines and the designated safeguarding lead, before STOP and anything else.
2. **STOP** and **START** keywords (Twilio's, as the whole message), a plain "never text me again" anywhere
   (`commands.firm_opt_out`), then STOP from the model: P(stop) at
   its bar, or an opt-out phrase anywhere in the message with the model at a lower bar; then the
   **opt-out detector** (a binary model for recall, `sitecoach.nlu.model`): its calibrated P(opt-out) at
   its bar, unless the message is a question about the work ("how do I stop the tape unwinding",
   `LEARNING_QUESTION_RE`) with no opt-out phrase in it and the intent model does not agree.
3. **HELP** as a whole-message command, then START from the model (only when likely).
4. Everything else: the model's most likely intent among the rest, with its probability.

The bars come from cross-validation on the training data (`sitecoach.nlu.training`) and travel with
the model; README explains what a false alarm costs and why the bars sit where they do.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from sitecoach.nlu.commands import (
    LEARNING_QUESTION_RE,
    OPT_OUT_RE,
    QUESTION_ONLY_RE,
    firm_opt_out,
    foreign_opt_out,
    is_help_command,
    is_start_command,
    is_stop_command,
)
from sitecoach.nlu.hazards import foreign_harm_cue, hazard_cue
from sitecoach.nlu.intents import Intent
from sitecoach.nlu.model import IntentModel, examples_fingerprint
from sitecoach.nlu.normalise import Normaliser
from sitecoach.nlu.safeguarding import safeguarding_cue
from sitecoach.nlu.wellbeing import crisis_cue
from sitecoach.nlu.word_lists import GREETING_WORDS, LONE_HAZARD_WORDS

log = logging.getLogger(__name__)

RULE_CONFIDENCE = 0.99
EMPTY_CONFIDENCE = 0.2
CACHE_SIZE = 4096
# START from the model (not the keyword) re-subscribes an opted-out learner: only when it is likely.
START_MIN = 0.5
# A message the model is this sure is a safeguarding disclosure, with no hazard cue in it, goes to the
# safeguarding path even when P(emergency) clears its (deliberately low) bar: that reply gives 999 too and
# leads with the emergency line, and it reaches the DSL rather than a mentor who may be the one implicated.
SAFEGUARDING_OVER_EMERGENCY = 0.8
MODEL_PATH = Path(__file__).resolve().parent / "intent_model.npz"
# A message most of whose words the model never saw (Bulgarian in Cyrillic, Lithuanian, Welsh) gets
# probabilities close to its priors, so it cannot agree with a cue there: a cry for help or a stop in one of
# the other languages a UK site hears (`hazards.foreign_harm_cue`, `commands.foreign_opt_out`) is believed
# on its own. Round 15 (a blind round): all 8 missed emergencies and 17 of 22 missed opt-outs were such.
UNFAMILIAR_SHARE = 0.5


@dataclass(frozen=True)
class Classification:
    """The intent of one message, a 0..1 confidence, and whether to lead with the safety line anyway."""

    intent: str
    confidence: float
    possible_emergency: bool = False
    probabilities: Mapping[str, float] = field(default_factory=dict, compare=False, repr=False)
    opt_out: bool = False  # a request to stop messages inside a message answered as something else
    crisis: bool = False  # a safeguarding disclosure that also speaks of suicide or self-harm
    opt_out_probability: float = field(default=0.0, compare=False)  # the opt-out detector's P(opt-out)
    # For an emergency raised by the model alone (no hazard cue): what the message would be were it not one,
    # flagged `possible_emergency`. The router answers it so when the model is far from sure (a plain job
    # question the model gives a 10% chance of being an emergency), led by the emergency line.
    otherwise: Classification | None = field(default=None, compare=False, repr=False)


class IntentClassifier:
    """Normalisation, the safety and consent detectors, then the trained model."""

    def __init__(self, model: IntentModel, intents: Sequence[Intent]) -> None:
        self.intents = tuple(intents)
        names = {i.name for i in self.intents}
        unknown = sorted(set(model.classes) - names)
        if unknown:
            raise ValueError(f"the model knows intents the registry does not: {unknown}")
        self.model = model
        self.normaliser = Normaliser(model.lexicon)
        self._rest = [model.index(c) for c in model.classes if c not in ("emergency", "stop", "start")]
        self._has = {c: c in model.classes for c in ("emergency", "stop", "start")}
        self._wellbeing = "wellbeing" in names
        self._safeguarding = "safeguarding" in names
        self._cached = lru_cache(maxsize=CACHE_SIZE)(self._classify)

    @classmethod
    def for_examples(
        cls, examples: Mapping[str, Sequence[str]], intents: Sequence[Intent], path: Path = MODEL_PATH
    ) -> IntentClassifier:
        """The versioned model when it was trained on these examples; otherwise train one now."""
        fingerprint = examples_fingerprint(examples)
        if path.exists():
            model = _load_cached(path, path.stat().st_mtime_ns)
            if model.fingerprint == fingerprint:
                return cls(model, intents)
            log.warning("intent model %s is stale (examples changed): training in memory", path.name)
        return cls(_trained_in_memory(examples), intents)

    def normalise(self, text: str) -> str:
        """The canonical form of ``text`` as the detectors and the model see it."""
        return self.normaliser.normalise(text)

    def classify(self, text: str) -> Classification:
        """Classify one message."""
        if not isinstance(text, str):
            raise TypeError("text must be a str")
        return self._cached(text)

    def _classify(self, text: str) -> Classification:
        if QUESTION_ONLY_RE.match(text):
            return Classification("help", RULE_CONFIDENCE)
        tokens = self.normaliser.tokens(text)
        if not tokens:
            return Classification("smalltalk", EMPTY_CONFIDENCE)
        norm = " ".join(tokens)
        # 0. a learner in crisis (thoughts of suicide or self-harm): care and helplines (999 among them)
        # before anything but harm happening now ("he's taken an overdose and he's not breathing" is an
        # emergency); never an opt-out ("I want to end it all" is not END), though a STOP in the same
        # message is honoured as well (`opt_out`)
        if self._wellbeing and crisis_cue(norm) and not hazard_cue(norm):
            asks_to_stop = _asks_to_stop(norm, len(tokens))
            if self._safeguarding and safeguarding_cue(norm, distress=False):  # "... he keeps hitting me"
                return Classification("safeguarding", RULE_CONFIDENCE, opt_out=asks_to_stop, crisis=True)
            return Classification("wellbeing", RULE_CONFIDENCE, opt_out=asks_to_stop)
        model = self.model
        known = model.known_words(norm)  # read once: the empty check and `unfamiliar` below
        if known == 0 and not hazard_cue(norm):
            # Not one word the model knows ("zxqv blorp"): its probabilities would be its priors. A misspelt
            # STOP ("stoip", "cnacel") is still an opt-out.
            if is_stop_command(norm, len(tokens)) or foreign_opt_out(norm):
                return Classification("stop", RULE_CONFIDENCE)
            return Classification("smalltalk", EMPTY_CONFIDENCE)
        p, opt_out = model.scores(norm)
        probs = {c: float(p[k]) for k, c in enumerate(model.classes)}
        bars = model.thresholds
        # 1. emergency: a hazard cue needs less of the model; a bare HELP command is the menu, which
        # then leads with the emergency line instead (Twilio's HELP keyword must keep working).
        emergency = probs.get("emergency", 0.0)
        if len(tokens) == 1 and norm not in LONE_HAZARD_WORDS and not hazard_cue(norm):
            # One word with no hazard in it ("Kev", "Jamie": a name given at onboarding) says nothing
            # about harm; the model only knows such names from emergency examples about them.
            emergency = 0.0
        # An opt-out in an emergency report draws the model's mass to STOP ("my mate's had a belt, and stop
        # messaging me after this": P(emergency) 0.03, round 10): with a hazard cue, the emergency's share of
        # what STOP leaves is held to the full bar instead (the opt-out is honoured after the steps).
        besides_stop = emergency / max(1e-9, 1.0 - probs.get("stop", 0.0))
        # The cue grammar is the slow part; below the cue bar and the flag bar it could change nothing
        # but whether the reply leads with the safety line, so it runs only when it can matter.
        cue = (
            emergency >= min(bars["emergency_cue"], bars["emergency_possible"])
            or besides_stop >= bars["emergency"]
        ) and hazard_cue(norm)
        help_command = is_help_command(norm, len(tokens))
        # a lone word ("Samu", a name at onboarding) is never read this way: the model's say stands
        unfamiliar = len(tokens) > 1 and known < UNFAMILIAR_SHARE * len(tokens)
        if unfamiliar and self._has["emergency"] and foreign_harm_cue(norm):
            return Classification(
                "emergency", RULE_CONFIDENCE, False, probs, opt_out=_asks_to_stop(norm, len(tokens)),
                opt_out_probability=opt_out,
            )  # fmt: skip
        if unfamiliar and not cue and self._has["stop"] and foreign_opt_out(norm):
            # A plain stop in a language the model cannot read: the model's emergency guess there is noise,
            # but the reply still leads with the safety line when it clears the bar for that.
            possible = emergency >= bars["emergency_possible"]
            return Classification("stop", RULE_CONFIDENCE, possible, probs, opt_out_probability=opt_out)
        disclosure = probs.get("safeguarding", 0.0)
        if (
            self._safeguarding
            and not cue
            and disclosure >= SAFEGUARDING_OVER_EMERGENCY
            and disclosure > emergency
            and emergency >= bars["emergency"]
        ):
            return Classification(
                "safeguarding", disclosure, True, probs, opt_out=_asks_to_stop(norm, len(tokens))
            )
        if self._has["emergency"] and (
            (cue and (emergency >= bars["emergency_cue"] or besides_stop >= bars["emergency"]))
            or (emergency >= bars["emergency"] and not help_command)
        ):
            confidence = max(emergency, RULE_CONFIDENCE) if cue else emergency
            otherwise = (
                None if cue else self._not_an_emergency(norm, tokens, probs, p, opt_out, True, unfamiliar)
            )
            return Classification(
                "emergency", confidence, False, probs, opt_out=_asks_to_stop(norm, len(tokens)),
                opt_out_probability=opt_out, otherwise=otherwise,
            )  # fmt: skip
        greeting_only = all(tok in GREETING_WORDS for tok in tokens)
        possible = self._has["emergency"] and (
            cue or (emergency >= bars["emergency_possible"] and not greeting_only)
        )
        return self._not_an_emergency(norm, tokens, probs, p, opt_out, possible, unfamiliar)

    def _not_an_emergency(
        self,
        norm: str,
        tokens: Sequence[str],
        probs: Mapping[str, float],
        p: np.ndarray,
        opt_out: float,
        possible: bool,
        unfamiliar: bool,
    ) -> Classification:
        """Steps 1b to 4 for a message that is not (or might not be) an emergency; `unfamiliar`: the model
        knows under half of its words."""
        model = self.model
        bars = model.thresholds
        help_command = is_help_command(norm, len(tokens))
        # 1b. a safeguarding disclosure: outranks everything but an emergency and a crisis (recall first)
        if self._safeguarding and safeguarding_cue(norm):
            opt_out = _asks_to_stop(norm, len(tokens))
            return Classification("safeguarding", RULE_CONFIDENCE, possible, probs, opt_out=opt_out)

        # 2. STOP and START keywords, then STOP from the model (an explicit keyword beats a guess)
        stop = probs.get("stop", 0.0)
        start = probs.get("start", 0.0)
        if is_stop_command(norm, len(tokens)):
            return Classification("stop", RULE_CONFIDENCE, possible, probs, opt_out_probability=opt_out)
        if is_start_command(norm, len(tokens)):
            return Classification("start", RULE_CONFIDENCE, possible, probs, opt_out_probability=opt_out)
        if self._has["stop"] and start < START_MIN and firm_opt_out(norm):
            return Classification("stop", RULE_CONFIDENCE, possible, probs, opt_out_probability=opt_out)
        if self._has["stop"] and start < START_MIN and unfamiliar and foreign_opt_out(norm):
            return Classification("stop", RULE_CONFIDENCE, possible, probs, opt_out_probability=opt_out)
        if (
            self._has["stop"]
            and stop >= start
            and (stop >= bars["stop"] or (stop >= bars["stop_cue"] and OPT_OUT_RE.search(norm) is not None))
        ):
            return Classification("stop", stop, possible, probs, opt_out_probability=opt_out)
        if self._has["stop"] and self._detector_opts_out(norm, opt_out, probs):
            return Classification("stop", max(stop, opt_out), possible, probs, opt_out_probability=opt_out)
        # 3. HELP, then START from the model
        if help_command:
            return Classification("help", RULE_CONFIDENCE, possible, probs, opt_out_probability=opt_out)
        rest = max(self._rest, key=lambda k: p[k]) if self._rest else None
        if self._has["start"] and start >= START_MIN and (rest is None or start > p[rest]):
            return Classification("start", start, possible, probs, opt_out_probability=opt_out)
        # 4. the rest
        if rest is None:
            return Classification("smalltalk", EMPTY_CONFIDENCE, possible, probs, opt_out_probability=opt_out)
        # Confidence among the everyday intents: the detectors above have already had their say.
        share = float(p[rest] / max(1e-9, sum(p[k] for k in self._rest)))
        return Classification(
            model.classes[rest], round(share, 4), possible, probs, opt_out_probability=opt_out
        )

    def _detector_opts_out(self, norm: str, opt_out: float, probs: Mapping[str, float]) -> bool:
        """The opt-out detector's say: P(opt-out) at its bar, START not likely, and a question about the
        work ("when do you stop the pressure test") only with an opt-out phrase or the intent model's
        agreement (P(stop) at its cue bar)."""
        bars = self.model.thresholds
        if self.model.opt_out_coef is None or "opt_out" not in bars:  # a model trained before the detector
            return False
        if opt_out < bars["opt_out"] or probs.get("start", 0.0) >= START_MIN:
            return False
        if not LEARNING_QUESTION_RE.search(norm) or OPT_OUT_RE.search(norm) is not None:
            return True
        return probs.get("stop", 0.0) >= bars["stop_cue"]


_MEMO: dict[str, IntentModel] = {}


def _asks_to_stop(norm: str, n_tokens: int) -> bool:
    """Whether a message answered on an urgent path also asks to stop messages (honoured as well)."""
    return is_stop_command(norm, n_tokens) or OPT_OUT_RE.search(norm) is not None


@lru_cache(maxsize=4)
def _load_cached(path: Path, mtime_ns: int) -> IntentModel:
    """The model file, read once per process (and again only if it changes)."""
    return IntentModel.load(path)


def _trained_in_memory(examples: Mapping[str, Sequence[str]]) -> IntentModel:
    from sitecoach.nlu.training import train

    key = examples_fingerprint(examples)
    if key not in _MEMO:
        _MEMO[key] = train(examples, folds=3)
    return _MEMO[key]
