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
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

TARGET_P99_MS = 500.0
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
PATH = "/whatsapp/inbound"
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database(tmp: Path) -> tuple[str, Callable[[], None]]:
    """A fresh database URL and a cleanup callable."""
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    from sitecoach.settings import Settings

    base = Settings(database_url=admin_url).database_uri
    name = f"sitecoach_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()

    return sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False), drop


def seed(url: str, learners: int) -> list[str]:
    """Migrate, load the pack, and add onboarded learners (opted in, named, talked to us an hour ago)."""
    from sitecoach.curriculum.pack import load_pack
    from sitecoach.infra.migrate import upgrade
    from sitecoach.models import Database
    from sitecoach.records.seeding import sync_pack

    upgrade(url)
    db = Database(url)
    with db.session() as session:
        sync_pack(session, load_pack(ROOT / "content" / "st1332"))
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


def twilio_form(phone: str, body: str, sid: str) -> dict[str, str]:
    """The fields Twilio posts for an inbound WhatsApp message."""
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "1" * 32,
        "MessagingServiceSid": "",
        "From": f"whatsapp:{phone}",
        "To": "whatsapp:+14155238886",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "WaId": phone.lstrip("+"),
        "ProfileName": "Bench Learner",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
        "MessageType": "text",
    }


def signed_request(port: int, public_base: str, form: dict[str, str]) -> bytes:
    """The raw HTTP request Twilio would send, signed for PUBLIC_BASE_URL + path."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(public_base + PATH, form)
    body = urlencode(form).encode()
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nX-Twilio-Signature: {signature}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


async def _one(
    port: int, payload: bytes, scheduled: float, sid: str, out: dict[str, tuple[float, int]]
) -> None:
    loop = asyncio.get_running_loop()
    status = 0
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(payload)
        await writer.drain()
        data = await reader.read()
        writer.close()
        status = int(data[9:12]) if data.startswith(b"HTTP/1.") else 0
    except (OSError, ValueError):
        status = 0
    out[sid] = ((loop.time() - scheduled) * 1000, status)


async def offer(
    port: int, payloads: list[tuple[str, bytes]], rate: float
) -> tuple[dict[str, float], dict[str, tuple[float, int]]]:
    """POST each payload at its scheduled time (open loop); return each sid's scheduled wall time and its ack."""
    loop = asyncio.get_running_loop()
    wall_offset = time.time() - loop.time()
    start = loop.time() + 0.05
    scheduled: dict[str, float] = {}
    acks: dict[str, tuple[float, int]] = {}
    tasks = []
    for i, (sid, payload) in enumerate(payloads):
        at = start + i / rate
        delay = at - loop.time()
        if delay > 0.0005:
            await asyncio.sleep(delay)
        scheduled[sid] = at + wall_offset
        tasks.append(asyncio.create_task(_one(port, payload, at, sid, acks)))
    await asyncio.gather(*tasks)
    return scheduled, acks


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nan when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _wait_drained(engine: sa.Engine, expected: int, seconds: float) -> bool:
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


def _drop_stale_jobs(redis_url: str, patterns: tuple[str, ...]) -> int:
    """Delete jobs another run left with ids this run will use (ids follow a fresh database's row ids)."""
    from redis import Redis

    redis = Redis.from_url(redis_url)
    keys = [k for pattern in patterns for k in redis.scan_iter(f"rq:job:{pattern}", count=5000)]
    for i in range(0, len(keys), 5000):
        redis.delete(*keys[i : i + 5000])
    redis.close()
    return len(keys)


def _forget_redis_keys(redis_url: str, queue_name: str, job_ids: list[str]) -> None:
    """Delete the RQ keys this run made: its queue's keys and its jobs."""
    from redis import Redis

    redis = Redis.from_url(redis_url)
    keys = list(redis.scan_iter(f"*{queue_name}*", count=1000))
    keys += [f"rq:job:{j}" for j in job_ids] + [f"rq:results:{j}" for j in job_ids]
    for i in range(0, len(keys), 5000):
        redis.delete(*keys[i : i + 5000])
    redis.srem("rq:queues", f"rq:queue:{queue_name}", f"rq:queue:{queue_name}-background")
    redis.close()


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
    tmp = Path(tempfile.mkdtemp(prefix="sitecoach-bench-"))
    db_url, drop = _database(tmp)
    procs: list[subprocess.Popen] = []
    queue_name = f"bench-reply-{uuid.uuid4().hex[:8]}"
    redis_url = ""
    engine: sa.Engine | None = None
    learner_ids: list[int] = []
    message_ids: list[int] = []
    try:
        phones = seed(db_url, count + warm)
        if os.environ.get("REDIS_URL"):
            redis_url = os.environ["REDIS_URL"]
        else:
            from sitecoach.infra.embedded_redis import ensure_embedded_redis

            redis_url = ensure_embedded_redis(tmp)
        _drop_stale_jobs(redis_url, ("inbound-*", "milestones-*"))
        port = _free_port()
        public_base = f"http://127.0.0.1:{port}"
        env = dict(
            os.environ,
            DATABASE_URL=db_url,
            REDIS_URL=redis_url,
            QUEUE_NAME=queue_name,
            INSTANCE_PATH=str(tmp),
            SECRET_KEY="bench",
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            PUBLIC_BASE_URL=public_base,
            COACH_CHANNEL="simulator",
        )
        web_workers = os.cpu_count() or 2
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--workers",
                    str(web_workers),
                    "--bind",
                    f"127.0.0.1:{port}",
                ]
                + ["sitecoach.wiring:create_app()"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        for n in range(args.workers):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "sitecoach.cli", "worker"],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=open(tmp / f"worker-{n}.log", "wb"),  # noqa: SIM115 - closed with the process
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{public_base}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)
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
        asyncio.run(offer(port, warm_payloads, 10))  # warm-up: imports, pools, caches (not measured)
        _wait_drained(engine, warm, 60)
        payloads, kinds = batch(phones[warm:])
        scheduled, acks = asyncio.run(offer(port, payloads, args.rate))
        drained = _wait_drained(engine, warm + count, 180)

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

        backend = "PostgreSQL" if db_url.startswith("postgresql") else "SQLite"
        redis_kind = "Redis at REDIS_URL" if os.environ.get("REDIS_URL") else "embedded Redis"
        print(
            f"{count} messages at {args.rate:.0f}/s for {args.seconds:.0f} s, each from its own onboarded learner; "
            f"gunicorn {web_workers} workers + {args.workers} sitecoach workers, simulator channel, offline path; "
            f"{backend} + {redis_kind}; {os.cpu_count()} cores, load average {load:.1f} before the run"
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
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if engine is not None:
            engine.dispose()
        if redis_url:
            job_ids = [f"inbound-{m}" for m in message_ids] + [f"milestones-{i}" for i in learner_ids]
            _forget_redis_keys(redis_url, queue_name, job_ids)
        from sitecoach.infra.embedded_redis import stop_embedded_redis

        stop_embedded_redis(tmp)
        drop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
