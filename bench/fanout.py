"""The daily nudge fan-out: 100,000 learners across five time zones, two clocks racing, and a paced sample.

Run from the repository root:  .venv/bin/python bench/fanout.py [--learners 100000] [--sample 2000]

Seeds its own database (PostgreSQL at DATABASE_URL when set, else SQLite in a temp folder; learners by
COPY or executemany) with nudge times spread so that about all of them are due at one instant across
five zones, and uses REDIS_URL (as scratch: the bench deletes the keys it made) or an embedded Redis.
Then:
  1. times `sitecoach.outreach.nudges.plan()` and the full `dispatch_nudges` (plan + enqueue every `send_nudge` job),
     next to enqueueing one job at a time (`enqueue_unique`) measured on a slice in the same run;
  2. races two dispatchers in two processes on a fresh queue and counts the queued job ids;
  3. keeps a random sample of the queued jobs and runs it with real workers (`sitecoach worker`) through
     the twilio channel against a local Twilio stub that answers 429 beyond 80 msgs/s, at the configured
     pacing (OUTBOUND_MPS, LEARNER_SPACING_SECONDS); reports the rate achieved, the 429s, and the
     smallest gap between two messages to one learner, including a probe that queues three messages
     at once to each of a few learners.
Not a test: it prints figures and asserts nothing. Cleans up what it created.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.harness import (  # noqa: E402
    AUTH_TOKEN,
    Progress,
    app_env,
    database_kind,
    load_pack_into,
    make_scratch,
    redis_kind,
    remove_scratch,
    scratch_database,
    scratch_redis,
    start_worker,
    stop,
)

TARGET_SECONDS = 20.0  # plan + enqueue for 100,000 learners on 2 cores
AT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # the clock's instant: daytime in every zone below
ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "Asia/Dubai", "America/Sao_Paulo")
NOT_DUE, OPTED_OUT = 0.02, 0.01  # learners whose nudge is later today, and who said STOP
BASELINE_SLICE = 5000  # jobs enqueued one at a time for the baseline
ACCOUNT_SID = "AC" + "f" * 32
SENDER = "+14155238886"
STUB_MPS = 80.0  # the stub's 429 limit: Twilio's default per-sender rate, with one second of burst
PROBE_LEARNERS, PROBE_MESSAGES = 20, 3
SEED_BATCH = 10_000  # learners per INSERT on SQLite


def learner_rows(count: int, rng: random.Random) -> tuple[list[tuple], int]:
    """(phone, name, timezone, consent, nudge_time, last_inbound_at, created_at) rows; and how many are due."""
    rows, due = [], 0
    inbound = AT - timedelta(hours=2)  # inside WhatsApp's 24 h window: free-form nudges, no templates
    for i in range(count):
        zone = ZONES[i % len(ZONES)]
        local = AT.astimezone(ZoneInfo(zone))
        roll = rng.random()
        if roll < NOT_DUE:
            nudge = local + timedelta(minutes=rng.randint(60, 180))  # later today
        else:
            nudge = local - timedelta(minutes=rng.randint(0, 178))  # within the 3 h window
        consent = "opted_out" if NOT_DUE <= roll < NOT_DUE + OPTED_OUT else "opted_in"
        due += roll >= NOT_DUE + OPTED_OUT
        rows.append(
            (
                f"+4477{i:09d}",
                f"Learner {i}",
                zone,
                consent,
                f"{nudge:%H:%M}",
                inbound,
                AT - timedelta(days=30),
            )
        )
    return rows, due


def seed(url: str, count: int) -> tuple[float, int]:
    """Migrate, load the pack, and insert the learners (COPY on PostgreSQL); return seconds and due count."""
    from sitecoach.models import Database

    load_pack_into(url)
    db = Database(url)
    rows, due = learner_rows(count, random.Random(5))
    started = time.perf_counter()
    columns = "phone, name, timezone, consent, nudge_time, last_inbound_at, created_at"
    with Progress("Seeding learners", total=len(rows), summary="seeded {count} learners") as done:
        if db.dialect == "postgresql":
            raw = db.engine.raw_connection()
            try:
                with (
                    raw.driver_connection.cursor() as cur,
                    cur.copy(f"COPY learner ({columns}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
                        done.advance()
                raw.driver_connection.commit()
            finally:
                raw.close()
        else:
            naive = [(*r[:5], r[5].replace(tzinfo=None), r[6].replace(tzinfo=None)) for r in rows]
            with db.engine.begin() as conn:  # one transaction, in batches only to show progress
                for i in range(0, len(naive), SEED_BATCH):
                    batch = naive[i : i + SEED_BATCH]
                    conn.exec_driver_sql(
                        f"INSERT INTO learner ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)", batch
                    )
                    done.advance(len(batch))
    db.dispose()
    return time.perf_counter() - started, due


def _env(url: str, redis_url: str, queue: str, tmp: Path, **extra: str) -> dict[str, str]:
    return app_env(url, redis_url, tmp, QUEUE_NAME=queue, PUBLIC_BASE_URL="http://127.0.0.1:9", **extra)


def _services(url: str, redis_url: str, queue: str, tmp: Path):  # type: ignore[no-untyped-def]
    from sitecoach.settings import Settings
    from sitecoach.wiring import build_services

    settings = Settings.from_env(env=_env(url, redis_url, queue, tmp, COACH_CHANNEL="simulator"))
    return build_services(settings)


def _queued_ids(redis, queue: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [j.decode() for j in redis.lrange(f"rq:queue:{queue}", 0, -1)]


def _drop_jobs(redis, job_ids: list[str]) -> None:  # type: ignore[no-untyped-def]
    for i in range(0, len(job_ids), 5000):
        chunk = job_ids[i : i + 5000]
        redis.delete(*[f"rq:job:{j}" for j in chunk], *[f"rq:results:{j}" for j in chunk])


def _forget_queue(redis, queue: str) -> None:  # type: ignore[no-untyped-def]
    """Delete a queue, its registries and every job they name."""
    ids = set(_queued_ids(redis, queue))
    keys = list(redis.scan_iter(f"*{queue}*", count=5000))
    for key in keys:
        if redis.type(key) == b"zset":
            ids.update(j.decode() for j in redis.zrange(key, 0, -1))
    _drop_jobs(redis, sorted(ids))
    for i in range(0, len(keys), 5000):
        redis.delete(*keys[i : i + 5000])
    redis.srem("rq:queues", f"rq:queue:{queue}")


RACER = """
import sys
from sitecoach.jobs import tasks as jobs
from sitecoach.jobs import runtime
from sitecoach.wiring import install_job_services
install_job_services()  # as `sitecoach worker` does: jobs build their services from the environment
runtime.services()  # built before the start signal, as in a running clock's worker
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.readline()
print(jobs.dispatch_nudges(sys.argv[1]), flush=True)
"""


def _start_held(script: str, args: Sequence[str], env: dict[str, str]) -> list[subprocess.Popen[str]]:
    """One `python -c script arg` per arg, each held once it has said "ready" until `_release`."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, arg],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for arg in args
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return procs


def _release(procs: Sequence[subprocess.Popen[str]]) -> None:
    """Let processes held by `_start_held` go, as close together as two writes allow."""
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()


def race(url: str, redis_url: str, queue: str, tmp: Path) -> tuple[list[int], float]:
    """Two dispatchers in two processes, released together (clock slots AT and AT + 1 min)."""
    env = _env(url, redis_url, queue, tmp, COACH_CHANNEL="simulator")
    procs = _start_held(RACER, [(AT + timedelta(minutes=k)).isoformat() for k in range(2)], env)
    started = time.perf_counter()
    _release(procs)
    counts = [int(proc.communicate(timeout=300)[0].strip()) for proc in procs]
    return counts, time.perf_counter() - started


def _wait(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return False


def _min_gaps(arrivals: list[tuple[float, str]]) -> dict[str, float]:
    """Per recipient with two or more messages: the smallest gap between two arrivals."""
    by_to: dict[str, list[float]] = defaultdict(list)
    for at, to in arrivals:
        by_to[to].append(at)
    return {
        to: min(b - a for a, b in zip(sorted(ts), sorted(ts)[1:], strict=False))
        for to, ts in by_to.items()
        if len(ts) > 1
    }


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


@dataclass(frozen=True)
class Sends:
    """What the stub saw of one run of sends."""

    count: int
    seconds: float
    rate: float
    steady: float  # after the first second (the bucket's burst)
    max_per_second: int
    rate_limited: int

    @classmethod
    def of(cls, arrivals: list[tuple[float, str]], since: float, rate_limited: int) -> Sends:
        """Summarise the arrivals after `since` (time.time())."""
        times = sorted(t for t, _ in arrivals if t >= since)
        if len(times) < 2:
            return cls(len(times), 0.0, float("nan"), float("nan"), len(times), rate_limited)
        span = times[-1] - times[0]
        steady = [t for t in times if t >= times[0] + 1.0]
        steady_rate = (len(steady) - 1) / (steady[-1] - steady[0]) if len(steady) > 1 else float("nan")
        return cls(
            len(times), span, (len(times) - 1) / span, steady_rate, _max_in_window(times), rate_limited
        )


def _outbound_rows(services, phones: list[str], per_phone: int, tag: str) -> list[int]:  # type: ignore[no-untyped-def]
    """Pending outbound rows, `per_phone` to each phone, interleaved (a, b, c, a, b, c, ...)."""
    from sitecoach.delivery.outbox import queue_outbound

    with services.db.session() as session:
        rows = [
            queue_outbound(session, phone=p, body=f"{tag} {n}", dedupe_key=f"{tag}:{p}:{n}", learner_id=None)[
                0
            ]
            for n in range(per_phone)
            for p in phones
        ]
        session.flush()
        return [int(r.id) for r in rows]


PACED = """
import sys
from concurrent.futures import ThreadPoolExecutor
from sitecoach.delivery.channels import ChannelError, TwilioChannel
from sitecoach.delivery.outbox import deliver
from sitecoach.models import Database
from sitecoach.settings import Settings
settings = Settings.from_env()
channel, db = TwilioChannel(settings), Database(settings.database_uri)
ids = [int(x) for x in sys.argv[1].split(",")]
def send(row_id):
    try:
        return deliver(db, channel, [row_id], None)
    except ChannelError:
        return 0
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.readline()
with ThreadPoolExecutor(12) as pool:
    print(sum(pool.map(send, ids)), flush=True)
"""


def paced_send(row_ids: list[int], env: dict[str, str], stub) -> Sends:  # type: ignore[no-untyped-def]
    """Send rows with deliver() from two processes of 12 threads each (far more than 80/s would need)."""
    halves = [row_ids[0::2], row_ids[1::2]]
    procs = _start_held(PACED, [",".join(map(str, half)) for half in halves], env)
    since, limited = time.time(), stub.rate_limited
    _release(procs)
    for proc in procs:
        proc.communicate(timeout=300)
    return Sends.of(stub.arrivals, since, stub.rate_limited - limited)


def main() -> None:
    """Seed, plan, enqueue, race, send a paced sample, print, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument(
        "--sample", type=int, default=2000, help="messages sent through deliver() at full pacing"
    )
    parser.add_argument("--worker-sample", type=int, default=500, help="send_nudge jobs run by real workers")
    parser.add_argument("--workers", type=int, default=4, help="sitecoach worker processes")
    args = parser.parse_args()
    from redis import Redis

    from sitecoach.infra.enqueue import DELIVERY_RETRY, enqueue_delivery, enqueue_unique
    from sitecoach.jobs import runtime
    from sitecoach.jobs import tasks as jobs
    from sitecoach.outreach import nudges
    from sitecoach.settings import Settings
    from tests.stubs.twilio_stub import TwilioStub

    load = os.getloadavg()[0]
    tmp = make_scratch()
    url, drop = scratch_database(tmp)
    redis_url = scratch_redis(tmp)
    redis = Redis.from_url(redis_url)
    run = uuid.uuid4().hex[:8]
    queues = {k: f"bench-fanout-{k}-{run}" for k in ("one", "many", "race")}
    procs: list[subprocess.Popen] = []
    services = None
    stub = TwilioStub(ACCOUNT_SID, AUTH_TOKEN)
    try:
        _drop_jobs(
            redis, [k.decode()[7:] for k in redis.scan_iter("rq:job:nudge-*", count=5000)]
        )  # stale runs
        seed_s, expected_due = seed(url, args.learners)

        # 1. plan, then one job at a time (baseline slice), then the whole dispatch_nudges (batched)
        services = _services(url, redis_url, queues["one"], tmp)
        with services.db.read_session() as session:
            t0 = time.perf_counter()
            due = nudges.plan(session, services.settings, AT)
            plan_s = time.perf_counter() - t0
        slice_ = due[:BASELINE_SLICE]
        t0 = time.perf_counter()
        for learner_id, local_date in slice_:
            enqueue_unique(
                services.queue,
                "sitecoach.jobs.tasks.send_nudge",
                f"nudge-{learner_id}-{local_date}",
                learner_id,
                local_date,
                AT.isoformat(),
                retry=DELIVERY_RETRY,
            )
        one_s = time.perf_counter() - t0
        _forget_queue(redis, queues["one"])
        services.close()

        services = _services(url, redis_url, queues["many"], tmp)
        runtime.install(services)
        t0 = time.perf_counter()
        dispatched = jobs.dispatch_nudges(AT.isoformat())
        dispatch_s = time.perf_counter() - t0
        again = jobs.dispatch_nudges(AT.isoformat())  # the same slot again: nothing new
        queued_many = _queued_ids(redis, queues["many"])
        _forget_queue(redis, queues["many"])
        runtime.install(None)
        services.close()
        services = None

        # 2. two clocks racing on a fresh queue
        race_counts, race_s = race(url, redis_url, queues["race"], tmp)
        raced = _queued_ids(redis, queues["race"])
        dup_ids = len(raced) - len(set(raced))

        # 3. real workers run a random sample of the queued jobs through the paced twilio channel
        rng = random.Random(3)
        sample = rng.sample(raced, min(args.worker_sample, len(raced)))
        keep = set(sample)
        _drop_jobs(redis, [j for j in raced if j not in keep])
        redis.delete(f"rq:queue:{queues['race']}")
        redis.rpush(f"rq:queue:{queues['race']}", *sample)
        stub.start()
        stub.rate_limit(STUB_MPS)
        settings = Settings.from_env(env=_env(url, redis_url, queues["race"], tmp))
        twilio_env = _env(
            url,
            redis_url,
            queues["race"],
            tmp,
            COACH_CHANNEL="twilio",
            TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            TWILIO_WHATSAPP_FROM=SENDER,
            TWILIO_API_BASE_URL=stub.base_url,
        )
        procs += [start_worker(twilio_env) for _ in range(args.workers)]
        with Progress("Workers sending", total=len(sample), summary="workers sent {count} nudges") as sent:

            def sample_sent() -> bool:
                sent.advance_to(len(stub.messages))
                return len(stub.messages) >= len(sample)

            _wait(sample_sent, 240)
        workers_run = Sends.of(stub.arrivals, 0.0, stub.rate_limited)

        # the spacing probe: three messages queued at once to each of a few learners who just had a nudge
        svc = _services(url, redis_url, queues["race"], tmp)
        probe_phones = sorted(
            {to.removeprefix("whatsapp:") for _, to in stub.arrivals[-PROBE_LEARNERS * 3 :]}
        )
        probe_ids = _outbound_rows(svc, probe_phones[:PROBE_LEARNERS], PROBE_MESSAGES, "probe")
        probe_started, before = time.time(), len(stub.messages)
        for row_id in probe_ids:
            enqueue_delivery(svc.queue, row_id)
        _wait(lambda: len(stub.messages) >= before + len(probe_ids), 90)
        probe_s = (
            max(t for t, _ in stub.arrivals[before:]) - probe_started if len(stub.messages) > before else 0.0
        )

        # the pacer at full stretch: more senders than 80/s needs, two processes sharing one bucket
        sampled = {int(j.split("-")[1]) for j in sample}
        with svc.db.read_session() as session:
            phones = [
                p
                for lid, p in session.execute(
                    sa.text("SELECT id, phone FROM learner WHERE consent = 'opted_in'")
                )
                if lid not in sampled
            ]
        paced_ids = _outbound_rows(svc, rng.sample(phones, min(args.sample, len(phones))), 1, "paced")
        svc.close()
        paced = paced_send(paced_ids, twilio_env, stub)

        gaps = _min_gaps(stub.arrivals)
        smallest = min(gaps.values()) if gaps else float("nan")
        too_close = sum(1 for g in gaps.values() if g < settings.learner_spacing_seconds)
        svc = _services(url, redis_url, queues["race"], tmp)
        with svc.db.read_session() as session:
            nudge_rows = session.execute(
                sa.text(
                    "SELECT count(*), count(DISTINCT learner_id) FROM message WHERE dedupe_key LIKE 'nudge:%'"
                )
            ).one()
        svc.close()

        total_s = dispatch_s  # dispatch_nudges plans, then enqueues
        one_rate = len(slice_) / one_s
        one_total = plan_s + len(due) / one_rate
        print(
            f"{args.learners:,} learners in {len(ZONES)} zones on {database_kind(url)} + {redis_kind()}, seeded in {seed_s:.1f} s; "
            f"instant {AT:%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores, load average {load:.1f} before the run"
        )
        print(f"{'step':48} {'jobs':>8} {'seconds':>8} {'jobs/s':>8}")
        print(f"{'plan() alone':48} {len(due):8,} {plan_s:8.2f}")
        print(
            f"{'enqueue_unique one at a time (first slice)':48} {len(slice_):8,} {one_s:8.2f} {one_rate:8,.0f}"
        )
        print(f"{'  plan + one at a time, extrapolated':48} {len(due):8,} {one_total:8.2f}")
        print(
            f"{'dispatch_nudges: plan + batched enqueue':48} {dispatched:8,} {dispatch_s:8.2f} "
            f"{dispatched / dispatch_s:8,.0f}   {one_total / dispatch_s:.1f}x faster"
        )
        print(f"{'dispatch_nudges again, same slot':48} {again:8,}")
        print(
            f"{'two dispatchers racing, two processes':48} {sum(race_counts):8,} {race_s:8.2f}"
            f"           queued {race_counts[0]:,} + {race_counts[1]:,}"
        )
        print(
            f"due: expected {expected_due:,}, planned {len(due):,}, queued {len(queued_many):,} "
            f"({len(queued_many) - len(set(queued_many))} ids twice); raced: {len(raced):,} queued, "
            f"{len(set(raced)):,} distinct, {dup_ids} twice"
        )
        print(
            f"sends through the twilio channel to the stub (429 beyond {STUB_MPS:.0f}/s, burst {STUB_MPS:.0f}); "
            f"pacing {settings.outbound_mps:g} msgs/s, {settings.learner_spacing_seconds:g} s per learner"
        )
        print(
            f"{'run':48} {'sent':>6} {'seconds':>8} {'msgs/s':>7} {'steady/s':>9} {'max in 1 s':>10} {'429s':>5}"
        )
        for name, sends in (
            (f"send_nudge jobs, {args.workers} sitecoach workers", workers_run),
            ("deliver(), 2 processes x 12 threads", paced),
        ):
            print(
                f"{name:48} {sends.count:6,} {sends.seconds:8.1f} {sends.rate:7.1f} {sends.steady:9.1f} "
                f"{sends.max_per_second:10d} {sends.rate_limited:5d}"
            )
        print(
            f"rows: {nudge_rows[0]:,} nudge rows for {nudge_rows[1]:,} learners (of {len(sample):,} jobs run); "
            f"probe: {PROBE_MESSAGES} messages queued at once to each of {min(len(probe_phones), PROBE_LEARNERS)} "
            f"learners, all sent in {probe_s:.1f} s; smallest gap to one learner (every send): {smallest:.3f} s"
        )
        verdict = "meets" if total_s < TARGET_SECONDS else "MISSES"
        print(
            f"fanout: {dispatched:,} nudges planned + queued in {total_s:.1f} s ({verdict} the {TARGET_SECONDS:.0f} s "
            f"target; one at a time ~{one_total:.0f} s); two clocks racing: {dup_ids} duplicates; paced sends "
            f"{paced.steady:.1f}/s steady at {settings.outbound_mps:g}/s configured (workers alone reach "
            f"{workers_run.steady:.1f}/s), {stub.rate_limited} 429s, {too_close} learners messaged twice within "
            f"{settings.learner_spacing_seconds:g} s"
        )
    finally:
        stop(procs)
        stub.stop()
        runtime.install(None)
        if services is not None:
            services.close()
        for queue in queues.values():
            _forget_queue(redis, queue)
        for key in redis.scan_iter(f"sitecoach:pace:{{whatsapp:{SENDER}}}:*", count=5000):
            redis.delete(key)
        redis.close()
        remove_scratch(tmp, drop)


if __name__ == "__main__":
    main()
