"""Calibrated date ranges: how wrong the knowledge forecast has been, measured, turned into its range.

`trajectory` projects today's pace forward to the day knowledge mastery reaches its target (the *central*
forecast, in days from today). Pace changes, so that day is often wrong; how wrong is measured, not
guessed, by backtesting: simulated learners (`learning/simulation.py`, the product's own scheduler under a
forgetting truth) are replayed through the product's mastery code, a forecast is made every `EVERY_DAYS`
days of each history, and each is compared with the day the target was actually reached. The rules, in
words:

* **Ratio.** Each backtest forecast gives actual days / central days. A forecast whose target was not
  reached before the history ends is *censored*: its ratio is only known to exceed (days observed) /
  central.
* **Bands.** Ratios are grouped by how far out the central forecast was (`BAND_EDGES` days: near forecasts
  err less than far ones). In each band the range's low and high ratios are the (1 - coverage) / 2 and
  (1 + coverage) / 2 quantiles of the ratio distribution, estimated by Kaplan-Meier so censored forecasts
  count as "later than this" up to where they were cut off (scipy's `ecdf` on censored data); a quantile
  the estimate never reaches is infinite (an open end). The point forecast uses the median ratio (which
  also corrects a pace that is usually too fast or too slow).
* **Range.** For a central forecast of d days: earliest day = floor(d x low) (at least 1), predicted day =
  ceil(d x mid), latest day = ceil(d x high); a latest day past the 3-year horizon (or a top ratio that
  is censored) is left open, and a predicted day past it means no date.
* **Coverage.** The share of backtest forecasts whose actual day fell inside their range; censored ones
  count as misses when the range closed before the history ended, and are left out otherwise. The stated
  coverage (`STATED_COVERAGE`, 80%) is what the range claims; `measured` is what held-out backtests (other
  simulated learners than those fitted) found, and the words shown to a learner ("8 in 10") are the stated
  coverage only while the measured one is within 5 points of it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from sitecoach.learning.trajectory import HORIZON_DAYS, MasteryPoint, Trajectory, trajectory

STATED_COVERAGE = 0.8  # the share of actual days a range claims to contain
BAND_EDGES = (21, 56, 140, 400)  # central forecast in days: bands up to each edge
EVERY_DAYS = 7  # days between backtest forecasts in one history
FIRST_FORECAST_DAY = 14  # days of history before the first backtest forecast (velocity needs a fortnight)
COVERAGE_TOLERANCE = 0.05  # measured coverage within this of the stated one: the words stand
CALIBRATION_FILE = Path(__file__).with_name("forecast_calibration.json")


@dataclass(frozen=True)
class ForecastCase:
    """One backtest forecast: its central days, and the actual days (None: not reached while observed)."""

    central_days: int
    actual_days: int | None
    observed_days: int  # days of history after the forecast


@dataclass(frozen=True)
class RatioBand:
    """Ratios (actual / central) for central forecasts up to `up_to_days`."""

    up_to_days: int
    low: float
    mid: float
    high: float
    samples: int


@dataclass(frozen=True)
class Calibration:
    """The fitted bands, the coverage they claim and the coverage held-out backtests measured."""

    coverage: float
    bands: tuple[RatioBand, ...]
    measured: float | None = None  # on held-out backtests
    samples: int = 0
    source: str = ""

    def band_for(self, central_days: int) -> RatioBand:
        """The band of a central forecast (the last band past every edge)."""
        for band in self.bands:
            if central_days <= band.up_to_days:
                return band
        return self.bands[-1]

    def words(self) -> str:
        """What the range is worth, in words: "8 in 10" while measured coverage backs it, else "rough"."""
        if self.measured is None or abs(self.measured - self.coverage) > COVERAGE_TOLERANCE:
            return "rough"
        return f"{round(self.coverage * 10)} in 10"

    def to_json(self) -> str:
        """The calibration as JSON (the shipped file)."""
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        """Read a calibration written by `to_json`."""
        data = json.loads(text)
        bands = tuple(RatioBand(**b) for b in data.pop("bands"))
        return cls(bands=bands, **data)


def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration | None:
    """The shipped calibration, or None when there is none (ranges then come from the two velocities)."""
    return Calibration.from_json(path.read_text()) if path.exists() else None


def calibrated_days(central_days: int, calibration: Calibration) -> tuple[int, int, int | None]:
    """(earliest, predicted, latest) days from today for a central forecast, by the documented rule;
    latest is None when it is open (past the horizon, or beyond every reached backtest)."""
    band = calibration.band_for(central_days)
    low = max(1, math.floor(round(central_days * min(band.low, HORIZON_DAYS), 6)))
    mid = max(low, math.ceil(round(central_days * min(band.mid, HORIZON_DAYS), 6)))
    if math.isinf(band.high) or central_days * band.high > HORIZON_DAYS:
        return low, mid, None
    return low, mid, max(mid, math.ceil(round(central_days * band.high, 6)))


def calibrate(t: Trajectory, today: date, calibration: Calibration | None) -> Trajectory:
    """The trajectory with its range (and point) from the calibration; unchanged without one, or when
    there is no date to range."""
    if calibration is None or t.predicted is None or t.reached:
        return t
    low, mid, high = calibrated_days(_central_days(t.predicted, today), calibration)
    if mid > HORIZON_DAYS:
        return replace(
            t,
            predicted=None,
            predicted_low=None,
            predicted_high=None,
            reason=t.reason + " Backtests put such paces beyond 3 years; no date.",
        )
    words = calibration.words()
    return replace(
        t,
        predicted=today + timedelta(days=mid),
        predicted_low=today + timedelta(days=low),
        predicted_high=today + timedelta(days=high) if high is not None else None,
        confidence=calibration.coverage if words != "rough" else t.confidence,
        confidence_label=words,
    )


def forecast_cases(series: Sequence[MasteryPoint], target: float) -> list[ForecastCase]:
    """Backtest one daily series: a forecast every EVERY_DAYS days, each with the day it came true."""
    if not series:
        return []
    first = series[0].day
    reached = next((p.day for p in series if p.overall >= target), None)
    last = series[-1].day
    cases = []
    day = first + timedelta(days=FIRST_FORECAST_DAY)
    while day < last and (reached is None or day < reached):
        past = [p for p in series if p.day <= day]
        t = trajectory(past, day, target=target, active_days_14=10)
        if t.predicted is not None and not t.reached:
            central = _central_days(t.predicted, day)
            actual = (reached - day).days if reached is not None else None
            cases.append(ForecastCase(central, actual, (last - day).days))
        day += timedelta(days=EVERY_DAYS)
    return cases


def _central_days(predicted: date, today: date) -> int:
    return max(1, (predicted - today).days)


def fit_calibration(
    cases: Iterable[ForecastCase], coverage: float = STATED_COVERAGE, source: str = ""
) -> Calibration:
    """Bands of ratio quantiles from backtest cases, by the documented rule."""
    cases = list(cases)
    bands = []
    lower = 0
    tail = (1 - coverage) / 2
    for edge in BAND_EDGES:
        band = [c for c in cases if lower < c.central_days <= edge]
        lower = edge
        if not band:
            continue
        low, mid, high = _km_quantiles(band, (tail, 0.5, 1 - tail))
        bands.append(RatioBand(edge, round(low, 4), round(mid, 4), round(high, 4), len(band)))
    if not bands:
        raise ValueError("no backtest forecasts to calibrate on")
    return Calibration(coverage, tuple(bands), samples=len(cases), source=source)


def measured_coverage(cases: Iterable[ForecastCase], calibration: Calibration) -> float:
    """The share of cases whose actual day fell inside their calibrated range (documented censoring)."""
    hits = judged = 0
    for case in cases:
        low, _mid, high = calibrated_days(case.central_days, calibration)
        if case.actual_days is None:
            if high is not None and high < case.observed_days:
                judged += 1  # the range closed and the target still was not reached: a miss
            continue
        judged += 1
        hits += low <= case.actual_days and (high is None or case.actual_days <= high)
    return hits / judged if judged else 0.0


def _km_quantiles(cases: Sequence[ForecastCase], shares: Sequence[float]) -> list[float]:
    """Kaplan-Meier quantiles of actual / central over cases, censored ones at observed / central."""
    from scipy.stats import CensoredData, ecdf  # only when fitting: scipy.stats costs workers 0.7 s to load
    reached = np.array([c.actual_days / c.central_days for c in cases if c.actual_days is not None])
    censored = np.array([c.observed_days / c.central_days for c in cases if c.actual_days is None])
    if not reached.size:
        return [math.inf for _ in shares]
    sf = ecdf(CensoredData(uncensored=reached, right=censored)).sf
    out = []
    for share in shares:
        hit = np.nonzero(sf.probabilities <= 1.0 - share + 1e-12)[0]
        out.append(float(sf.quantiles[hit[0]]) if hit.size else math.inf)
    return out
