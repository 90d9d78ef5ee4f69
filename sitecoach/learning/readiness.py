"""How ready a learner is for the EPA knowledge test: the chance of passing a random paper.

The model, in words:

* The test is a multiple-choice paper of `questions` items drawn at random from the bank, each with
  `options` answers. The bank is every item in `recall_by_item` or `competencies_by_item`; an item with
  no recall known counts as recall 0 (never answered), as in the mastery formula.
* A question on item i is answered right with probability p_i = R_i + (1 - R_i) / options: the learner
  recalls it (R_i, the FSRS retrievability now), or else guesses.
* A random paper draws items uniformly from the bank, so each question is right with probability
  p = mean(p_i), and the score is Binomial(questions, p). `expected_score` is p (the expected fraction
  correct).
* The pass mark is ceil(pass_mark x questions) right answers; `pass_chance` = P(score >= that), summed
  exactly over the binomial terms (math.comb, rational arithmetic, one rounding at the end).
* An empty bank gives pass_chance 0 and expected_score 0.
* `weakest`: up to 3 competency codes with the lowest mean recall over the items that test them,
  lowest first, ties by code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

DEFAULT_PASS_MARK = 0.65  # fraction of questions right
DEFAULT_QUESTIONS = 20  # questions on one paper
DEFAULT_OPTIONS = 4  # answers per question
WEAKEST_COUNT = 3  # competencies listed as weakest


@dataclass(frozen=True)
class EpaReadiness:
    """The chance of passing a random EPA knowledge paper, and where the learner is weakest."""

    pass_chance: float  # 0 to 1
    expected_score: float  # expected fraction correct
    pass_mark: float
    questions: int
    weakest: tuple[str, ...]  # up to 3 competency codes with the lowest recall


def epa_readiness(
    recall_by_item: Mapping[str, float],
    competencies_by_item: Mapping[str, Sequence[str]],
    pass_mark: float = DEFAULT_PASS_MARK,
    questions: int = DEFAULT_QUESTIONS,
    options: int = DEFAULT_OPTIONS,
) -> EpaReadiness:
    """The pass chance and expected score by the documented binomial model, and the weakest competencies."""
    if not 0 < pass_mark <= 1 or questions < 1 or options < 1:
        raise ValueError("need 0 < pass_mark <= 1, questions >= 1 and options >= 1")
    if any(not 0 <= r <= 1 for r in recall_by_item.values()):
        raise ValueError("recall must be between 0 and 1")
    bank = set(recall_by_item) | set(competencies_by_item)
    weakest = _weakest(recall_by_item, competencies_by_item)
    if not bank:
        return EpaReadiness(0.0, 0.0, pass_mark, questions, weakest)
    right = [_chance_right(Fraction(recall_by_item.get(item, 0.0)), options) for item in bank]
    p = sum(right, Fraction(0)) / len(right)
    # Rounded to a billionth first so float noise in pass_mark x questions (13.000000000000002) is not a
    # whole extra question.
    needed = math.ceil(round(pass_mark * questions, 9))
    chance = sum(
        (math.comb(questions, k) * p**k * (1 - p) ** (questions - k) for k in range(needed, questions + 1)),
        Fraction(0),
    )
    return EpaReadiness(float(chance), float(p), pass_mark, questions, weakest)


def _chance_right(recall: Fraction, options: int) -> Fraction:
    """Recall it, or else guess one of `options` answers."""
    return recall + (1 - recall) / options


def _weakest(
    recall_by_item: Mapping[str, float], competencies_by_item: Mapping[str, Sequence[str]]
) -> tuple[str, ...]:
    """Up to 3 competencies with the lowest mean recall of their items, lowest first, ties by code."""
    recalls: dict[str, list[float]] = {}
    for item, codes in competencies_by_item.items():
        for code in codes:
            recalls.setdefault(code, []).append(recall_by_item.get(item, 0.0))
    means = sorted((sum(v) / len(v), code) for code, v in recalls.items())
    return tuple(code for _, code in means[:WEAKEST_COUNT])
