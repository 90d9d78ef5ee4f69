"""Is a question about the job at all? A learned second opinion for questions the card bars refuse.

The bars in `card_search.py` refuse a question whose words the best card covers too little of. That keeps
"best tyres for a transit van" out, and it also refuses a jointer who wraps a plain job question in chatter
("alright coach, job pack for tomoz says SFT on it, whats that vs a normal permit, first week so go easy"):
every chatter word the card lacks lowers its coverage. This model reads the whole message instead: word and
character n-grams of the normalised text under a logistic regression, trained (`scope_training.py`) on the
cards' phrasings and the tuning questions about the job against off-topic questions (the tuning ones and
the off-topic examples the intent model files under explain). When it is at least `threshold` sure that a
refused question is about the job, the best card answers after all (`CardIndex.answers`). The other way
round, when its chance that the question is about the job is under `veto`, no card answers it even if the
bars pass one ("how do I bleed a radiator" shares "bleed" with first aid): the question is refused plainly.

Stored as `scope_model.npz` beside this module, in the intent model's format (`nlu/model.py`: plain arrays,
no pickles), and applied with the same numpy code: nothing but numpy runs when a jointer asks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sitecoach.nlu.model import IntentModel
from sitecoach.nlu.normalise import DEFAULT_NORMALISER

SHIPPED = Path(__file__).with_name("scope_model.npz")
JOB = "job"
OFF_TOPIC = "off_topic"


@dataclass(frozen=True)
class ScopeModel:
    """The trained model, the chance at which a refused question counts as about the job (`threshold`) and
    the chance under which a question counts as off the job whatever the bars say (`veto`)."""

    model: IntentModel
    threshold: float
    veto: float = 0.0

    def job_probability(self, question: str) -> float:
        """The chance that the question is about the job (the cards' subject), 0 to 1."""
        norm = " ".join(DEFAULT_NORMALISER.tokens(question))
        if not norm:
            return 0.0
        probabilities, _ = self.model.scores(norm)
        return float(probabilities[self.model.index(JOB)])

    def save(self, path: Path = SHIPPED) -> None:
        """Write the model (its threshold and veto in the header's thresholds)."""
        model = self.model
        model.thresholds = {**model.thresholds, JOB: self.threshold, OFF_TOPIC: self.veto}
        model.save(path)

    @classmethod
    def load(cls, path: Path = SHIPPED) -> ScopeModel:
        """Read a model written by `save`."""
        model = IntentModel.load(path)
        if set(model.classes) != {JOB, OFF_TOPIC}:
            raise ValueError(f"{path.name} is not a scope model: classes {json.dumps(model.classes)}")
        return cls(model, model.thresholds[JOB], model.thresholds.get(OFF_TOPIC, 0.0))


@cache
def shipped_scope() -> ScopeModel:
    """The model that ships with the package (read once)."""
    return ScopeModel.load(SHIPPED)
