"""The mentor summary under a realistic load: 10,000 learners with a year of learning events.

Run from the repository root:  .venv/bin/python bench/dashboard.py [--learners 10000] [--requests 200]

Seeds its own database (PostgreSQL at DATABASE_URL when set, else SQLite in a temp folder) and uses
REDIS_URL or an embedded Redis; serves the real app with gunicorn on loopback; logs in as an admin (who
sees every learner, 50 a page) and as a mentor with 30 learners; and times the summary page next to a
bare /health request served the same way in the same run. Target: p95 under 200 ms for the summary.
Not a test: it prints figures and asserts nothing. Cleans up what it created.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.harness import (  # noqa: E402
    app_env,
    database_kind,
    free_port,
    load_pack_into,
    make_scratch,
    pct,
    progress,
    remove_scratch,
    scratch_database,
    scratch_redis,
    start_gunicorn,
    stop,
    wait_up,
)

TARGET_P95_MS = 200.0
EVENTS_PER_LEARNER = 120  # about one practice session every three days for a year
PASSWORD = "bench-password"


def seed(url: str, learners: int) -> float:
    """Pack, cohorts, mentors, learners with snapshots and a year of events; returns seconds taken."""
    from werkzeug.security import generate_password_hash

    from sitecoach.models import Cohort, Database, LearnerSnapshot, Mentor

    started = time.perf_counter()
    pack = load_pack_into(url)
    db = Database(url)
    rng = random.Random(7)
    now = datetime.now(UTC)
    with db.session() as session:
        password = generate_password_hash(PASSWORD)
        session.add(Mentor(name="Admin", email="admin@bench.test", is_admin=True, password_hash=password))
        mentors = [
            Mentor(name=f"Mentor {i}", email=f"m{i}@bench.test", password_hash=password)
            for i in range(learners // 30 + 1)
        ]
        cohorts = [Cohort(name=f"Cohort {i}", standard_code="ST1332") for i in range(10)]
        session.add_all(mentors + cohorts)
        session.flush()
        mentor_ids, cohort_ids = [m.id for m in mentors], [c.id for c in cohorts]
    areas = sorted({c.area for c in pack.competency_map.competencies})
    items = [item.id for _lesson, item in pack.quiz]
    with db.engine.begin() as conn:
        learner_rows = [
            {
                "phone": f"+4477{i:09d}",
                "name": f"Learner {i}",
                "cohort_id": cohort_ids[i % 10],
                "mentor_id": mentor_ids[i // 30],
                "timezone": "Europe/London",
                "consent": "opted_in",
                "nudge_time": "07:30",
                "created_at": (now - timedelta(days=365)).replace(tzinfo=None),
            }
            for i in range(learners)
        ]
        conn.execute(
            sa.text(
                "INSERT INTO learner (phone, name, cohort_id, mentor_id, timezone, consent, nudge_time, created_at) "
                "VALUES (:phone, :name, :cohort_id, :mentor_id, :timezone, :consent, :nudge_time, :created_at)"
            ),
            learner_rows,
        )
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM learner ORDER BY id"))]
        events = []
        for learner_id in progress(
            ids, "Seeding a year of events", summary="seeded events of {count} learners"
        ):
            for n in range(EVENTS_PER_LEARNER):
                at = (now - timedelta(days=365 - n * 3, hours=rng.randint(0, 10))).replace(tzinfo=None)
                events.append(
                    {
                        "l": learner_id,
                        "seq": n + 1,
                        "k": "quiz_answered",
                        "at": at,
                        "d": f'{{"item": "{rng.choice(items)}", "correct": {str(rng.random() < 0.8).lower()}}}',
                    }
                )
            if len(events) >= 50_000:
                conn.execute(
                    sa.text(
                        "INSERT INTO learningevent (learner_id, seq, kind, at, data, prev_hash, hash) "
                        "VALUES (:l, :seq, :k, :at, :d, '', '')"
                    ),
                    events,
                )
                events = []
        if events:
            conn.execute(
                sa.text(
                    "INSERT INTO learningevent (learner_id, seq, kind, at, data, prev_hash, hash) "
                    "VALUES (:l, :seq, :k, :at, :d, '', '')"
                ),
                events,
            )
    snapshots = []
    for learner_id in ids:
        score = rng.random() * 100
        snapshots.append(
            LearnerSnapshot(
                learner_id=learner_id,
                overall=rng.random() * 90,
                by_area={a: rng.random() * 100 for a in areas},
                velocity_7=rng.uniform(-1, 3),
                streak=rng.randint(0, 30),
                last_active_at=now - timedelta(days=rng.randint(0, 9)),
                archetype="steady climber",
                risk_score=score,
                risk_level="high" if score > 60 else "low",
                risk_reasons=["no activity 6 days"] if score > 60 else [],
                gateway_ready=rng.randint(0, 40),
                gateway_total=40,
                evidence_pending=rng.randint(0, 3),
                otj_hours=rng.random() * 500,
                updated_at=now,
            )
        )
    with db.session() as session:
        session.add_all(snapshots)
    db.dispose()
    return time.perf_counter() - started


def _login(base: str, email: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = session.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    if response.status_code != 302:
        raise SystemExit(f"login failed for {email}: {response.status_code}")
    return session


def measure(session: requests.Session, url: str, count: int) -> list[float]:
    """Milliseconds for `count` sequential GETs (after two warm-up requests)."""
    for _ in range(2):
        session.get(url, timeout=30)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return times


def main() -> None:
    """Seed, serve, measure, print, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    tmp = make_scratch()
    url, drop = scratch_database(tmp)
    procs: list[subprocess.Popen] = []
    try:
        seconds = seed(url, args.learners)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = app_env(
            url, scratch_redis(tmp), tmp, PORT=str(port), PUBLIC_BASE_URL=base, COACH_CHANNEL="simulator"
        )
        workers = str(os.cpu_count() or 2)
        procs.append(
            start_gunicorn(
                "sitecoach.wiring:create_app()",
                port,
                env,
                int(workers),
                options=("--access-logfile", "/dev/null"),
            )
        )
        wait_up(f"{base}/health")
        admin, mentor = _login(base, "admin@bench.test"), _login(base, "m7@bench.test")
        plan = [
            ("bare /health (baseline)", requests.Session(), f"{base}/health", args.requests),
            (f"summary, admin, all {args.learners}", admin, f"{base}/mentor/", args.requests),
            ("summary, admin, page 100", admin, f"{base}/mentor/?page=100", args.requests),
            ("summary, admin, one cohort", admin, f"{base}/mentor/?cohort=3", args.requests),
            ("summary, mentor, 30 learners", mentor, f"{base}/mentor/", args.requests),
            ("CSV export, mentor", mentor, f"{base}/mentor/export.csv", max(20, args.requests // 5)),
        ]
        rows = [
            (name, measure(session, page, count))
            for name, session, page, count in progress(plan, "Timing pages", summary="timed {count} pages")
        ]
        print(
            f"{args.learners} learners x {EVENTS_PER_LEARNER} events on {database_kind(url)}, seeded in {seconds:.1f} s; "
            f"gunicorn {workers} workers on {os.cpu_count()} cores"
        )
        print(f"{'request':34} {'p50 ms':>8} {'p95 ms':>8} {'p95 / baseline':>15}")
        base_p95 = pct(rows[0][1], 95)
        for name, times in rows:
            print(
                f"{name:34} {statistics.median(times):8.1f} {pct(times, 95):8.1f} {pct(times, 95) / base_p95:14.1f}x"
            )
        worst = max(pct(t, 95) for name, t in rows[1:5])
        verdict = "meets" if worst < TARGET_P95_MS else "MISSES"
        print(
            f"dashboard: summary p95 {worst:.1f} ms at {args.learners} learners ({verdict} the {TARGET_P95_MS:.0f} ms target)"
        )
    finally:
        stop(procs)
        remove_scratch(tmp, drop)


if __name__ == "__main__":
    main()
