"""Mock EPA papers from the event log, for checking the readiness predictions against their results.

Every `mock_test` event counts except papers abandoned part-way (the conversation expired before the
last question: `abandoned` in the event), which are counted separately and left out of the score.
A paper ended early with DONE, or by the time running out, is a sitting and counts.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from sitecoach.learning.calibration import Calibration, MockResult, calibration
from sitecoach.models import EventKind, LearningEvent


def mock_results(session: Session) -> tuple[list[MockResult], int]:
    """(every mock paper sat, with its predicted chance and result; how many were abandoned)."""
    rows = session.exec(
        select(LearningEvent.data)
        .where(LearningEvent.kind == EventKind.MOCK_TEST)
        .order_by(col(LearningEvent.at), col(LearningEvent.id))
    ).all()
    results, abandoned = [], 0
    for data in rows:
        if data.get("abandoned"):
            abandoned += 1
            continue
        chance = min(1.0, max(0.0, float(data.get("predicted_pass_chance") or 0.0)))
        results.append(MockResult(chance, bool(data.get("passed"))))
    return results, abandoned


def mock_calibration(session: Session) -> tuple[Calibration, int]:
    """The calibration of readiness predictions over every mock paper sat, and the abandoned count."""
    results, abandoned = mock_results(session)
    return calibration(results), abandoned
