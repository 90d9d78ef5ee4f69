"""The cohort's FSRS fit in the database: gathering quiz answers, running and storing a fit, and reading
back the parameters the coach schedules by and the report the admin outcomes page shows.

The newest fit run decides: its parameters when it adopted a fit, FSRS's defaults when it kept them (too
little practice, or the fit did not beat the defaults on later answers). A nightly run is stored once per
slot (`run_key`), so the same night's job run twice finds its row and does not fit again.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from sitecoach.learning.memory_fit import DEFAULTS, FitDecision, Review, decide
from sitecoach.models import EventKind, FsrsParameters, LearningEvent
from sitecoach.settings import Settings

MODEL_NAMES = {
    "constant": "Constant (training mean recall)",
    "defaults": "FSRS, default parameters",
    "fitted": "FSRS, fitted parameters",
}


def quiz_reviews(session: Session) -> list[Review]:
    """Every quiz answer in the event log, as reviews (oldest first)."""
    rows = session.exec(
        select(LearningEvent.learner_id, LearningEvent.at, LearningEvent.data)
        .where(LearningEvent.kind == EventKind.QUIZ_ANSWERED)
        .order_by(col(LearningEvent.at), col(LearningEvent.id))
    ).all()
    return [
        Review(int(learner_id), str(data.get("item")), at, bool(data.get("correct")))
        for learner_id, at, data in rows
        if data.get("item") is not None
    ]


def latest_run(session: Session) -> FsrsParameters | None:
    """The newest fit run, if any."""
    return session.exec(select(FsrsParameters).order_by(col(FsrsParameters.id).desc()).limit(1)).first()


def parameters_in_use(session: Session) -> tuple[int | None, tuple[float, ...] | None]:
    """(the newest run's id, its parameters or None for FSRS's defaults): what `Memory` should use."""
    row = latest_run(session)
    if row is None:
        return None, None
    return row.id, tuple(row.parameters) if row.parameters else None


def _evaluation(decision: FitDecision) -> dict[str, Any]:
    check = decision.check
    if check is None:
        return {}
    return {
        "train_reviews": check.train_reviews,
        "test_reviews": check.test_reviews,
        "scored": check.scored,
        "split_at": check.split_at.isoformat() if check.split_at else None,
        "scores": [asdict(s) for s in check.scores],
    }


def run_fit(
    session: Session, settings: Settings, now: datetime, run_key: str | None = None, dry_run: bool = False
) -> tuple[FitDecision | None, FsrsParameters]:
    """Fit (or keep the defaults) on every quiz answer and store the run unless `dry_run`. A nightly run
    whose `run_key` is already stored is not repeated: (None, the stored row)."""
    if run_key is not None:
        done = session.exec(select(FsrsParameters).where(FsrsParameters.run_key == run_key)).first()
        if done is not None:
            return None, done
    decision = decide(
        quiz_reviews(session), settings.memory_fit_min_reviews, settings.memory_fit_min_learners
    )
    row = FsrsParameters(
        fitted_at=now,
        run_key=run_key,
        reviews=decision.reviews,
        learners=decision.learners,
        parameters=list(decision.parameters) if decision.parameters else None,
        reason=decision.reason[:400],
        evaluation=_evaluation(decision),
    )
    if not dry_run:
        session.add(row)
        session.flush()
    return decision, row


def score_rows(evaluation: dict[str, Any]) -> list[dict[str, Any]]:
    """The check's table rows with readable model names."""
    return [{**s, "name": MODEL_NAMES.get(s["model"], s["model"])} for s in evaluation.get("scores", [])]


def format_table(evaluation: dict[str, Any]) -> list[str]:
    """The check as plain-text lines (the CLI prints them)."""
    if not evaluation.get("scores"):
        return ["No time-ordered check: too few answers to split."]
    lines = [
        f"Time-ordered check: fitted on the earliest {evaluation['train_reviews']:,} answers, scored on "
        f"{evaluation['scored']:,} of the later {evaluation['test_reviews']:,} (a day or more after the "
        "card's previous answer).",
        f"{'model':<34} {'log loss':>9} {'RMSE':>7} {'AUC':>6}",
    ]
    for s in score_rows(evaluation):
        auc = f"{s['auc']:.3f}" if s["auc"] is not None else "—"
        lines.append(f"{s['name']:<34} {s['log_loss']:>9.4f} {s['rmse']:>7.4f} {auc:>6}")
    lines.append("RMSE: root of the Brier score (not FSRS's binned RMSE). Lower is better; AUC: higher.")
    return lines


def fit_report(session: Session) -> dict[str, Any]:
    """What the admin outcomes page shows of the newest fit run."""
    row = latest_run(session)
    if row is None:
        return {"run": None}
    return {
        "run": row,
        "fitted": bool(row.parameters),
        "parameters": row.parameters or list(DEFAULTS),
        "scores": score_rows(row.evaluation),
        "evaluation": row.evaluation,
    }
