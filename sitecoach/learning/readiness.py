"""How ready a learner is for the EPA knowledge test: the chance of passing a random paper.

The model, in words:

* The test is a multiple-choice paper of `questions` items drawn at random from the bank, each with
  `options` answers. The bank is every item in `known_by_item` or `competencies_by_item`; an item with
  nothing known counts as known 0 (never answered), as in the mastery formula.
* A question on item i is answered right with probability p_i = K_i x (1 - SLIP) + (1 - K_i) / options:
  the learner knows it (K_i, known now as `learning/knowledge.py` scores it from their answers) and does
  not slip, or else guesses. So a learner who has shown nothing sits at the guessing floor (1 in 4).
* A random paper draws items uniformly from the bank, so each question is right with probability
  p = mean(p_i), and the score is Binomial(questions, p). `expected_score` is p (the expected fraction
  correct).
* The pass mark is ceil(pass_mark x questions) right answers; `pass_chance` = P(score >= that), summed
  exactly over the binomial terms (math.comb, rational arithmetic, one rounding at the end).
* An empty bank gives pass_chance 0 and expected_score 0.
* `weakest`: up to 3 competency codes with the lowest mean known-now over the items that test them,
  lowest first, ties by code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from sitecoach.learning.knowledge import SLIP

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
    weakest: tuple[str, ...]  # up to 3 competency codes with the lowest known share


def epa_readiness(
    known_by_item: Mapping[str, float],
    competencies_by_item: Mapping[str, Sequence[str]],
    pass_mark: float = DEFAULT_PASS_MARK,
    questions: int = DEFAULT_QUESTIONS,
    options: int = DEFAULT_OPTIONS,
) -> EpaReadiness:
    """The pass chance and expected score by the documented binomial model, and the weakest competencies."""
    if not 0 < pass_mark <= 1 or questions < 1 or options < 1:
        raise ValueError("need 0 < pass_mark <= 1, questions >= 1 and options >= 1")
    if any(not 0 <= r <= 1 for r in known_by_item.values()):
        raise ValueError("known must be between 0 and 1")
    bank = set(known_by_item) | set(competencies_by_item)
    weakest = _weakest(known_by_item, competencies_by_item)
    if not bank:
        return EpaReadiness(0.0, 0.0, pass_mark, questions, weakest)
    right = [_chance_right(Fraction(known_by_item.get(item, 0.0)), options) for item in bank]
    p = sum(right, Fraction(0)) / len(right)
    # Rounded to a billionth first so float noise in pass_mark x questions (13.000000000000002) is not a
    # whole extra question.
    needed = math.ceil(round(pass_mark * questions, 9))
    chance = sum(
        (math.comb(questions, k) * p**k * (1 - p) ** (questions - k) for k in range(needed, questions + 1)),
        Fraction(0),
    )
    return EpaReadiness(float(chance), float(p), pass_mark, questions, weakest)


def _chance_right(known: Fraction, options: int) -> Fraction:
    """Know it and not slip, or else guess one of `options` answers (`knowledge.chance_right`, exactly)."""
    return known * (1 - Fraction(SLIP)) + (1 - known) / options


def _weakest(
    known_by_item: Mapping[str, float], competencies_by_item: Mapping[str, Sequence[str]]
) -> tuple[str, ...]:
    """Up to 3 competencies with the lowest mean recall of their items, lowest first, ties by code."""
    recalls: dict[str, list[float]] = {}
    for item, codes in competencies_by_item.items():
        for code in codes:
            recalls.setdefault(code, []).append(known_by_item.get(item, 0.0))
    means = sorted((sum(v) / len(v), code) for code, v in recalls.items())
    return tuple(code for _, code in means[:WEAKEST_COUNT])
