"""Knowing an item: a knowledge-tracing estimate scored against each answer, kept apart from scheduling.

FSRS schedules reviews; it does not say what a learner knows. Right after any review, wrong or right, its
recall estimate is near 1 (the learner has just been shown the answer), so mastery built on it rose with
every wrong answer. Here each quiz item carries a **belief**: the chance the learner knew it at their last
answer, updated by that answer the way Bayesian knowledge tracing does, with a guess and a slip term that
suit multiple-choice questions. The rules, in words:

* **Known now** = belief x recall now, where recall is the FSRS forgetting curve since the last answer
  (1 at the moment of answering, fading after): what was known then and has not been forgotten since. An
  item never answered is known 0: nothing has shown it.
* **Chance of a right answer** to a question on the item = known x (1 - SLIP) + (1 - known) / options: the
  learner knows it and does not slip, or else guesses one of the options.
* **Before an answer**, the chance the learner knows the item is known now, raised by PRIOR_LEARNED of the
  rest (what they may have picked up since: the feedback on a wrong answer, a lesson, the job). An item
  never answered starts at PRIOR_LEARNED.
* **An answer updates it** by Bayes' rule with guess 1/options and slip SLIP: a right answer raises the
  belief (a guess explains some right answers, so one right answer is not proof), a wrong answer lowers it.
* **A wrong answer never raises what the learner is shown to know**: after a wrong answer the belief is at
  most the known-now before it. (The prior above is a chance of having learnt, not evidence of it, so it
  only ever helps a later right answer.)

SLIP and PRIOR_LEARNED are set, not fitted, and kept conservative: four right answers spread over days
take an item from unknown to a belief near 0.97; one right answer gives about 0.62.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_OPTIONS = 4  # answers per question
SLIP = 0.05  # chance a learner who knows the item still answers wrongly
PRIOR_LEARNED = 0.3  # chance an item not (or no longer) shown known is known at the next answer


@dataclass(frozen=True)
class AnswerScore:
    """One answer scored against the estimate before it."""

    known_before: float  # the chance the item was known just before, as shown by earlier answers (0 to 1)
    chance_right: float  # the predicted chance of answering right, guessing included
    belief_after: float  # the chance the item is known, just after this answer


def known_now(belief: float, recall: float) -> float:
    """What is known now: the belief at the last answer, faded by recall since (0 if never answered)."""
    return max(0.0, min(1.0, belief * recall))


def chance_right(known: float, options: int = DEFAULT_OPTIONS) -> float:
    """The chance of a right answer: know it and not slip, or guess one of `options`."""
    if options < 1:
        raise ValueError("options must be at least 1")
    return known * (1 - SLIP) + (1 - known) / options


def score_answer(
    known: float, answered_before: bool, correct: bool, options: int = DEFAULT_OPTIONS
) -> AnswerScore:
    """Score one answer against `known` (known now, just before it) and return the updated belief."""
    if not 0 <= known <= 1:
        raise ValueError("known must be between 0 and 1")
    if options < 2:
        raise ValueError("a multiple-choice question needs at least 2 options")
    prior = known + (1 - known) * PRIOR_LEARNED if answered_before else PRIOR_LEARNED
    guess = 1 / options
    if correct:
        posterior = prior * (1 - SLIP) / (prior * (1 - SLIP) + (1 - prior) * guess)
    else:
        posterior = min(known, prior * SLIP / (prior * SLIP + (1 - prior) * (1 - guess)))
    return AnswerScore(known_before=known, chance_right=chance_right(prior, options), belief_after=posterior)
