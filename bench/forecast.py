"""bench/forecast.py: are the coach's date ranges calibrated? Backtests on replayed simulated histories.

Simulated apprentices (`sitecoach/learning/simulation.py`: the product's scheduler answering the real
ST1332 bank under a forgetting truth, a mix of daily budgets) are replayed through the product's mastery
code (`MasteryReplayer`), a knowledge forecast is made every week of each history, and each is compared
with the day knowledge mastery actually reached its target (`sitecoach/learning/forecast.py` has the rules).

* **Fit**: the tuning truth (`forgetting.TUNING`), learners 0..N-1: the ratio bands.
* **Held out**: other learners (N..2N-1) under each reported truth (exponential, power-law, and the
  deliberately mis-specified capped one): the share of forecasts whose actual day fell in the 80% range.

    python bench/forecast.py [--learners 16] [--days 728] [--write]

`--write` stores the bands, with the held-out coverage under the exponential truth as `measured`, in
`sitecoach/learning/forecast_calibration.json` (what the product ships and reads).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.learning import load_sim_bank  # noqa: E402
from sitecoach.curriculum.pack import load_pack  # noqa: E402
from sitecoach.learning.forecast import (  # noqa: E402
    CALIBRATION_FILE,
    STATED_COVERAGE,
    Calibration,
    ForecastCase,
    calibrated_days,
    fit_calibration,
    forecast_cases,
    measured_coverage,
)
from sitecoach.learning.forgetting import REPORTED, TUNING, TruthModel  # noqa: E402
from sitecoach.learning.history import QUIZ_ANSWERED, Curriculum, HistoryEvent, MasteryReplayer  # noqa: E402
from sitecoach.learning.memory import Memory  # noqa: E402
from sitecoach.learning.simulation import answer_log  # noqa: E402
from sitecoach.learning.trajectory import DEFAULT_TARGET  # noqa: E402

BUDGETS = (8, 12, 18)  # questions a day, cycled over learners: real learners differ


def curriculum() -> Curriculum:
    """The replay curriculum of the ST1332 pack (as `records.insights.curriculum_for` builds it)."""
    pack = load_pack(ROOT / "content" / "st1332")
    comps = pack.competency_map.competencies
    items = [spec for _, spec in pack.quiz] + [t[1] for t in pack.card_quiz()]
    return Curriculum(
        kinds={c.id: c.kind for c in comps},
        areas={c.id: c.area for c in comps},
        area_titles={a.id: a.title for a in pack.competency_map.areas},
        item_competencies={i.id: list(i.competencies) for i in items},
        lesson_competencies={},
    )


def backtest(truth: TruthModel, learners: range, days: int, seed: int = 0) -> list[ForecastCase]:
    """Every weekly forecast of every learner's replayed history, with the day it came true."""
    bank = load_sim_bank()
    replayer = MasteryReplayer(curriculum(), Memory())
    cases: list[ForecastCase] = []
    for learner in learners:
        log = answer_log(
            bank, truth, "ours", seed=seed, learner=learner, questions_per_day=BUDGETS[learner % 3], days=days
        )
        events = [
            HistoryEvent(at, QUIZ_ANSWERED, {"item": code, "correct": ok}) for at, code, ok in log.answers
        ]
        end = log.expected_score[-1][0] + timedelta(hours=12)
        replay = replayer.replay(events, end, "UTC", days=days)
        cases.extend(forecast_cases(replay.knowledge_series, DEFAULT_TARGET))
    return cases


def describe(cases: list[ForecastCase], calibration: Calibration) -> tuple[str, ...]:
    """Forecasts, reached share, coverage, median |error| of the calibrated point, in days."""
    errors = []
    for case in cases:
        if case.actual_days is not None:
            errors.append(abs(calibrated_days(case.central_days, calibration)[1] - case.actual_days))
    reached = sum(c.actual_days is not None for c in cases)
    return (
        str(len(cases)),
        f"{reached / len(cases):.0%}" if cases else "-",
        f"{measured_coverage(cases, calibration):.1%}",
        f"{statistics.median(errors):.0f}" if errors else "-",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--learners", type=int, default=16, help="simulated learners to fit, and to hold out")
    parser.add_argument("--days", type=int, default=728, help="days of each history")
    parser.add_argument("--write", action="store_true", help="store the calibration the product ships")
    args = parser.parse_args()
    started = time.perf_counter()
    fit_cases = backtest(TUNING, range(args.learners), args.days)
    calibration = fit_calibration(fit_cases, source=f"{TUNING.name}, {args.learners} learners")
    held = {
        truth.name: backtest(truth, range(args.learners, 2 * args.learners), args.days) for truth in REPORTED
    }
    print(f"# forecast backtest: {args.learners} learners per set, {args.days} days, budgets {BUDGETS} a day")
    print(f"stated coverage {STATED_COVERAGE:.0%}; bands (central days: low / mid / high ratio, samples)")
    for band in calibration.bands:
        print(
            f"  <= {band.up_to_days:>3} days: {band.low:.2f} / {band.mid:.2f} / {band.high:.2f}  ({band.samples})"
        )
    print()
    print("| set | forecasts | reached | in the 80% range | median error of the date (days) |")
    print("|---|---|---|---|---|")
    print(f"| fitted ({TUNING.name}) | " + " | ".join(describe(fit_cases, calibration)) + " |")
    for name, cases in held.items():
        print(f"| held out ({name}) | " + " | ".join(describe(cases, calibration)) + " |")
    measured = measured_coverage(held[REPORTED[0].name], calibration)
    print(f"\n{time.perf_counter() - started:.0f} s")
    if args.write:
        shipped = Calibration(
            calibration.coverage,
            calibration.bands,
            round(measured, 4),
            calibration.samples,
            calibration.source,
        )
        CALIBRATION_FILE.write_text(shipped.to_json())
        print(f"wrote {CALIBRATION_FILE.relative_to(ROOT)} (measured {measured:.1%} held out)")


if __name__ == "__main__":
    main()
