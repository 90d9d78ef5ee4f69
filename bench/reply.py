"""End to end: from the webhook POST to the reply handed to the channel, with real workers.

Run from the repository root:  .venv/bin/python bench/reply.py [--rate 50] [--seconds 20] [--workers 2]

Seeds its own database (PostgreSQL at DATABASE_URL when set, else SQLite in a temp folder) with the lesson
pack and onboarded learners, uses REDIS_URL (as scratch: jobs other runs left under the ids this run will use
are deleted first, and the keys it made at the end) or an embedded Redis, and runs the production processes
on loopback: gunicorn `sitecoach.wiring:create_app()` (one worker per core) and `sitecoach worker` processes, on the
offline path (simulator channel, no LLM). Offers signed Twilio-shaped messages open-loop, each from its own
learner: a quarter are a trivial "hi" (the baseline, in the same run and under the same load), the rest
questions for the quiz, explain and progress skills. The end-to-end time runs from each POST's scheduled
send time to the `sent_at` of the first reply row (set when the channel accepted it); the split shows the
wait for a worker (to the inbound row's `processed_at`, when processing began) and the processing. Not a
test: it prints figures and asserts nothing. Cleans up what it created.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.harness import (  # noqa: E402
    Progress,
    database_kind,
    drop_stale_jobs,
    forget_redis_keys,
    free_port,
    load_pack_into,
    make_scratch,
    offer_open_loop,
    pct,
    redis_kind,
    remove_scratch,
    scratch_database,
    scratch_redis,
    signed_request,
    start_gunicorn,
    start_worker,
    stop,
    twilio_form,
    wait_up,
    webhook_env,
)

TARGET_P99_MS = 500.0
TRIVIAL = "hi"
QUESTIONS = (
    "quiz me on earthing",
    "why do we spike a cable",
    "hows ma progress",
    "explain proving dead",
    "what is a waveform cable",
    "quiz me",
)
TRIVIAL_SHARE = 0.25


def seed(url: str, learners: int) -> list[str]:
    """Migrate, load the pack, and add onboarded learners (opted in, named, talked to us an hour ago)."""
    from sitecoach.models import Database

    load_pack_into(url)
    db = Database(url)
    now = datetime.now(UTC)
    sqlite = db.dialect == "sqlite"
    stamp = (lambda d: d.replace(tzinfo=None)) if sqlite else (lambda d: d)
    phones = [f"+4477{i:09d}" for i in range(learners)]
    rows = [
        {
            "phone": phone,
            "name": f"Learner {i}",
            "tz": "Europe/London",
            "inbound": stamp(now - timedelta(hours=1)),
            "created": stamp(now - timedelta(days=60)),
        }
        for i, phone in enumerate(phones)
    ]
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO learner (phone, name, timezone, consent, nudge_time, last_inbound_at, created_at) "
                "VALUES (:phone, :name, :tz, 'opted_in', '07:30', :inbound, :created)"
            ),
            rows,
        )
    db.dispose()
    return phones


def offer(
    port: int, payloads: list[tuple[str, bytes]], rate: float
) -> tuple[dict[str, float], dict[str, tuple[float, int]]]:
    """POST each payload at its scheduled time (open loop); return each sid's scheduled wall time and its ack."""
    results, _seconds = asyncio.run(offer_open_loop(port, [payload for _sid, payload in payloads], rate))
    scheduled = {sid: at for (sid, _), (at, _ms, _status) in zip(payloads, results, strict=True)}
    acks = {sid: (ms, status) for (sid, _), (_at, ms, status) in zip(payloads, results, strict=True)}
    return scheduled, acks


def _wait_drained(
    engine: sa.Engine, expected: int, seconds: float, on_processed: Callable[[int], None] | None = None
) -> bool:
    """Until every inbound message is processed and no reply is waiting to be sent."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            done = conn.execute(
                sa.text("SELECT count(*) FROM message WHERE direction = 'in' AND processed_at IS NOT NULL")
            ).scalar_one()
            waiting = conn.execute(
                sa.text(
                    "SELECT count(*) FROM message WHERE direction = 'out' AND status IN ('pending', 'sending')"
                )
            ).scalar_one()
        if on_processed:
            on_processed(done)
        if done >= expected and waiting == 0:
            return True
        time.sleep(0.5)
    return False


def _as_epoch(value: object) -> float:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def main() -> None:  # noqa: C901 - one linear script
    """Seed, serve, offer, wait for every reply, print, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="messages per second offered")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2, help="sitecoach worker processes")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    count = int(args.rate * args.seconds)
    warm = 20
    tmp = make_scratch()
    db_url, drop = scratch_database(tmp)
    procs: list[subprocess.Popen] = []
    queue_name = f"bench-reply-{uuid.uuid4().hex[:8]}"
    redis_url = ""
    engine: sa.Engine | None = None
    learner_ids: list[int] = []
    message_ids: list[int] = []
    try:
        phones = seed(db_url, count + warm)
        redis_url = scratch_redis(tmp)
        drop_stale_jobs(redis_url, ("inbound-*", "milestones-*"))
        port = free_port()
        public_base = f"http://127.0.0.1:{port}"
        env = webhook_env(db_url, redis_url, tmp, queue_name, public_base)
        web_workers = os.cpu_count() or 2
        procs.append(start_gunicorn("sitecoach.wiring:create_app()", port, env, web_workers))
        procs += [start_worker(env, log=tmp / f"worker-{n}.log") for n in range(args.workers)]
        wait_up(f"{public_base}/health")
        engine = sa.create_engine(db_url)
        rng = random.Random(17)

        def batch(phone_slice: list[str]) -> tuple[list[tuple[str, bytes]], dict[str, str]]:
            payloads, kinds = [], {}
            for phone in phone_slice:
                sid = "SM" + uuid.uuid4().hex
                trivial = rng.random() < TRIVIAL_SHARE
                body = TRIVIAL if trivial else rng.choice(QUESTIONS)
                payloads.append((sid, signed_request(port, public_base, twilio_form(phone, body, sid))))
                kinds[sid] = "trivial" if trivial else "question"
            return payloads, kinds

        warm_payloads, _ = batch(phones[:warm])
        offer(port, warm_payloads, 10)  # warm-up: imports, pools, caches (not measured)
        _wait_drained(engine, warm, 60)
        payloads, kinds = batch(phones[warm:])
        scheduled, acks = offer(port, payloads, args.rate)
        with Progress("Waiting for replies", total=count, summary="processed {count} messages") as done:
            drained = _wait_drained(engine, warm + count, 180, lambda n: done.advance_to(n - warm))

        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT i.twilio_sid, i.processed_at, i.skill, min(o.sent_at), max(o.sent_at), count(o.id) "
                    "FROM message i LEFT JOIN message o ON o.in_reply_to_id = i.id AND o.direction = 'out' "
                    "WHERE i.direction = 'in' GROUP BY i.id, i.twilio_sid, i.processed_at, i.skill"
                )
            ).all()
            learner_ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM learner"))]
            message_ids = [
                r[0] for r in conn.execute(sa.text("SELECT id FROM message WHERE direction = 'in'"))
            ]
        first: dict[str, list[float]] = {"trivial": [], "question": []}
        last: dict[str, list[float]] = {"trivial": [], "question": []}
        wait: dict[str, list[float]] = {"trivial": [], "question": []}
        work: dict[str, list[float]] = {"trivial": [], "question": []}
        skills: Counter[str] = Counter()
        unanswered = 0
        done_at: list[float] = []
        for sid, processed_at, skill, first_sent, last_sent, _replies in rows:
            if sid not in scheduled:
                continue  # warm-up
            kind, posted = kinds[sid], scheduled[sid]
            if first_sent is None or processed_at is None:
                unanswered += 1
                continue
            skills[f"{kind}:{skill}"] += 1
            done_at.append(_as_epoch(first_sent))
            first[kind].append((_as_epoch(first_sent) - posted) * 1000)
            last[kind].append((_as_epoch(last_sent) - posted) * 1000)
            wait[kind].append((_as_epoch(processed_at) - posted) * 1000)
            work[kind].append((_as_epoch(first_sent) - _as_epoch(processed_at)) * 1000)
        ack_ms = [ms for ms, status in acks.values() if status == 200]

        print(
            f"{count} messages at {args.rate:.0f}/s for {args.seconds:.0f} s, each from its own onboarded learner; "
            f"gunicorn {web_workers} workers + {args.workers} sitecoach workers, simulator channel, offline path; "
            f"{database_kind(db_url)} + {redis_kind()}; {os.cpu_count()} cores, load average {load:.1f} before the run"
        )
        print(f"{'from the POST to ...':46} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        table = [
            ("webhook acknowledgement (all)", ack_ms),
            ("first reply sent, trivial 'hi' (baseline)", first["trivial"]),
            ("first reply sent, questions", first["question"]),
            ("last reply sent, questions", last["question"]),
            ("  of which waiting for a worker (questions)", wait["question"]),
            ("  of which processing (questions)", work["question"]),
        ]
        for name, values in table:
            print(
                f"{name:46} {len(values):5d} {pct(values, 50):8.0f} {pct(values, 95):8.0f} "
                f"{pct(values, 99):8.0f} {max(values, default=float('nan')):8.0f}"
            )
        top = ", ".join(f"{k} {v}" for k, v in skills.most_common(8))
        answered = sum(len(v) for v in first.values())
        span = max(done_at, default=0.0) - min(scheduled.values())
        print(
            f"answered {answered}/{count} ({unanswered} unanswered{'' if drained else ', gave up waiting'}) "
            f"in {span:.0f} s: the workers answered {answered / span if span > 0 else 0:.1f} msgs/s against "
            f"{args.rate:.0f} offered; {len(ack_ms)} acknowledged; by skill: {top}"
        )
        if unanswered:
            log = (tmp / "worker-0.log").read_text(errors="replace").splitlines()
            print("worker-0 log, last lines:\n  " + "\n  ".join(line[:200] for line in log[-8:]))
        p99 = pct(first["question"], 99)
        base = pct(first["trivial"], 99)
        verdict = "meets" if p99 < TARGET_P99_MS else "MISSES"
        print(
            f"reply: p99 {p99:.0f} ms (p50 {statistics.median(first['question'] or [float('nan')]):.0f}) from POST to "
            f"the first reply handed to the channel at {args.rate:.0f} msgs/s with {args.workers} workers "
            f"({verdict} the {TARGET_P99_MS:.0f} ms target); trivial 'hi' p99 {base:.0f} ms "
            f"(questions/trivial {p99 / base:.2f}); webhook ack p99 {pct(ack_ms, 99):.0f} ms"
        )
    finally:
        stop(procs)
        if engine is not None:
            engine.dispose()
        if redis_url:
            job_ids = [f"inbound-{m}" for m in message_ids] + [f"milestones-{i}" for i in learner_ids]
            forget_redis_keys(redis_url, queue_name, job_ids)
        remove_scratch(tmp, drop)


if __name__ == "__main__":
    main()
