"""The nightly FSRS refit, through the clock's enqueue and a real RQ worker: it stores the fitted
parameters once per night, and a freshly started process schedules with them; with too little practice
the defaults are kept and the admin outcomes page says why. `sitecoach memory fit` prints the check."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from sqlmodel import select

from bench.memory_fit import synthetic_reviews
from sitecoach.cli import main
from sitecoach.jobs.clock import enqueue_entry
from sitecoach.jobs.schedule import entry
from sitecoach.learning.memory_fit import DEFAULTS
from sitecoach.models import EventKind, FsrsParameters, Learner, LearningEvent
from sitecoach.wiring import build_services
from tests.conftest import add_admin, run_worker
from tests.web.test_admin import _login

NIGHT = datetime(2026, 12, 7, 3, 20, tzinfo=UTC)


def _store_answers(services, learners: int, days: int) -> int:
    """A synthetic cohort's quiz answers as learning events; returns how many."""
    reviews = synthetic_reviews(learners, days, seed=11)
    with services.db.session() as session:
        ids = {}
        for n in range(1, learners + 1):
            learner = Learner(phone=f"+4477009{n:05d}", name=f"L{n}")
            session.add(learner)
            session.flush()
            ids[n] = learner.id
        seq: dict[int, int] = {}
        for r in reviews:
            seq[r.learner_id] = seq.get(r.learner_id, 0) + 1
            session.add(
                LearningEvent(
                    learner_id=ids[r.learner_id],
                    seq=seq[r.learner_id],
                    kind=EventKind.QUIZ_ANSWERED,
                    at=r.at,
                    data={"item": r.item, "correct": r.correct, "competencies": []},
                )
            )
    return len(reviews)


def _runs(services) -> list[FsrsParameters]:
    with services.db.read_session() as session:
        return list(session.exec(select(FsrsParameters).order_by(FsrsParameters.id)).all())


def test_the_nightly_refit_stores_parameters_once_and_a_fresh_process_schedules_with_them(
    services, base_settings
):
    answers = _store_answers(services, learners=20, days=60)
    assert enqueue_entry(services.queue, entry("refit-memory"), NIGHT)
    run_worker(services)
    [run] = _runs(services)
    assert run.run_key == "nightly-2026-12-07" and (run.reviews, run.learners) == (answers, 20)
    assert run.parameters and len(run.parameters) == 21 and tuple(run.parameters) != DEFAULTS
    scores = {s["model"]: s for s in run.evaluation["scores"]}
    assert scores["fitted"]["log_loss"] < scores["defaults"]["log_loss"] < scores["constant"]["log_loss"]
    assert services.memory.parameters == tuple(run.parameters)  # the worker's own process, at once

    assert enqueue_entry(services.queue, entry("refit-memory"), NIGHT + timedelta(minutes=1))
    run_worker(services)  # the same night again (a second clock): found, not fitted again
    assert len(_runs(services)) == 1

    fresh = build_services(base_settings)  # a web or worker process started after the fit
    try:
        assert fresh.memory.parameters == DEFAULTS  # nothing read before the first use
        fresh.catalogue()
        assert fresh.memory.parameters == tuple(run.parameters)
    finally:
        fresh.close()


def test_with_too_little_practice_the_defaults_are_kept_and_the_admin_page_says_why(client, services):
    answers = _store_answers(services, learners=3, days=20)
    enqueue_entry(services.queue, entry("refit-memory"), NIGHT)
    run_worker(services)
    [run] = _runs(services)
    assert run.parameters is None and run.evaluation["scored"] > 0  # the check still runs, for information
    services.refresh_memory(force=True)
    assert services.memory.parameters == DEFAULTS
    add_admin(services, "admin@example.test", "correct horse battery staple")
    _login(client, "admin@example.test", "correct horse battery staple")
    page = client.get("/admin/outcomes").data.decode()
    assert "<b>Default parameters in use</b>" in page
    assert f"Not enough practice to fit yet: {answers:,} quiz answers from 3 learners" in page
    assert "a fit needs at least 1,000 answers and at least 20 learners" in page
    assert "<td>FSRS, fitted parameters</td>" in page  # what a fit would do so far, not used


def test_memory_fit_command_prints_the_check_and_a_dry_run_stores_nothing(services, base_settings):
    _store_answers(services, learners=6, days=40)
    env = {
        "DATABASE_URL": base_settings.database_uri,
        "INSTANCE_PATH": str(base_settings.instance_path),
        "MEMORY_FIT_MIN_REVIEWS": "200",
        "MEMORY_FIT_MIN_LEARNERS": "5",
    }
    result = CliRunner().invoke(main, ["memory", "fit", "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "quiz answers from 6 learners." in out and "Time-ordered check: fitted on the earliest" in out
    rows = {
        name: float(loss)
        for name, loss in re.findall(r"^(Constant.*?|FSRS, \w+ parameters)\s+(\d\.\d{4})", out, re.M)
    }
    assert set(rows) == {
        "Constant (training mean recall)",
        "FSRS, default parameters",
        "FSRS, fitted parameters",
    }
    assert "RMSE: root of the Brier score" in out and "Dry run: nothing stored." in out
    assert _runs(services) == []
    stored = CliRunner().invoke(main, ["memory", "fit"], env=env)
    assert stored.exit_code == 0 and "Stored as fit run" in stored.output
    assert len(_runs(services)) == 1


def test_a_stored_set_that_py_fsrs_refuses_leaves_the_parameters_in_use(services):
    good = [0.1, 0.3, 0.5, 2.0, *DEFAULTS[4:]]
    with services.db.session() as session:
        session.add(FsrsParameters(parameters=good, reason="fitted"))
    assert services.refresh_memory(force=True) and services.memory.parameters == tuple(good)
    with services.db.session() as session:
        session.add(FsrsParameters(parameters=[-5.0] * 21, reason="edited by hand"))
    assert not services.refresh_memory(force=True)
    assert services.memory.parameters == tuple(good)
