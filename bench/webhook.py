"""The inbound webhook under load: signed Twilio-shaped messages against the production server.

Run from the repository root:  .venv/bin/python bench/webhook.py [--rates 250,500,1000] [--seconds 3]
(BENCH_WEB_WORKERS=N serves both with N gunicorn workers instead of one per core.)

Serves `sitecoach.wiring:create_app()` with gunicorn (one sync worker per core) on loopback, against PostgreSQL at
DATABASE_URL and Redis at REDIS_URL when set (a scratch database is created and dropped; the Redis database
is used as scratch: jobs other runs left under the ids this run will use are deleted first, and the keys it
made at the end), else SQLite and an embedded Redis in a temp folder. Offers each load open-loop (each
request leaves at its scheduled time, whatever the server is doing; latency counts from that time) and
records acknowledged messages per second and p50/p99 latency, next to a bare Flask endpoint served the same
way in the same run. No worker runs: acknowledgement is what is measured. Then re-posts a sample as Twilio
retries and checks that every MessageSid was stored exactly once and queued exactly once.
Not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
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
    make_scratch,
    offer_open_loop,
    pct,
    redis_kind,
    remove_scratch,
    scratch_database,
    scratch_redis,
    signed_request,
    start_gunicorn,
    stop,
    twilio_form,
    wait_up,
    webhook_env,
)

TARGET_RATE = 1000.0  # msgs/s acknowledged on 2 cores
TARGET_P99_MS = 50.0  # at 500 msgs/s
REPEATS = 200  # already-stored messages posted again, as Twilio retries
BARE_APP = '''
"""A bare Flask endpoint: reads the same form and answers the same empty TwiML."""
from flask import Flask, Response, request

app = Flask(__name__)


@app.post("/whatsapp/inbound")
def inbound():
    request.form.get("MessageSid")
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response />', mimetype="text/xml")
'''


@dataclass
class Phase:
    """One offered load against one server, and what came back."""

    server: str
    rate: float
    sent: int
    acked: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def acked_per_second(self) -> float:
        """Acknowledged messages per second, from the first scheduled send to the last answer."""
        return self.acked / self.seconds if self.seconds else 0.0


BODIES = ("quiz me on earthing", "why do we spike a cable", "hows ma progress", "yes", "3", "thanks")


def make_requests(
    port: int, public_base: str, count: int, rng: random.Random
) -> tuple[list[bytes], list[str]]:
    """`count` signed requests from many learners, and their MessageSids."""
    sids = ["SM" + uuid.uuid4().hex for _ in range(count)]
    reqs = [
        signed_request(
            port, public_base, twilio_form(f"+4477{rng.randrange(10**9):09d}", rng.choice(BODIES), sid)
        )
        for sid in sids
    ]
    return reqs, sids


def run_phase(server: str, port: int, payloads: list[bytes], rate: float) -> Phase:
    """Offer one load and summarise it."""
    results, seconds = asyncio.run(offer_open_loop(port, payloads, rate))
    ok = [ms for _at, ms, status in results if status == 200]
    return Phase(server, rate, len(payloads), len(ok), len(results) - len(ok), seconds, ok)


def check_stored(
    db_url: str, redis_url: str, queue_name: str, sids: list[str]
) -> tuple[dict[str, int], list[str]]:
    """Rows per MessageSid and jobs on the queue, against what was sent; and the job ids to clean up."""
    from redis import Redis

    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT twilio_sid, count(*) FROM message WHERE direction = 'in' GROUP BY 1")
        )
        per_sid = {sid: n for sid, n in rows}
        ids = [
            f"inbound-{i}" for (i,) in conn.execute(sa.text("SELECT id FROM message WHERE direction = 'in'"))
        ]
    engine.dispose()
    redis = Redis.from_url(redis_url)
    queued = [j.decode() for j in redis.lrange(f"rq:queue:{queue_name}", 0, -1)]
    redis.close()
    return {
        "sent": len(set(sids)),
        "rows": sum(per_sid.values()),
        "missing": len(set(sids) - set(per_sid)),
        "doubled": sum(1 for n in per_sid.values() if n > 1),
        "queued": len(queued),
        "queued_twice": len(queued) - len(set(queued)),
        "not_queued": len(set(ids) - set(queued)),
    }, ids


def main() -> None:
    """Serve both apps, offer the loads, check storage, print, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="250,500,1000", help="offered loads, msgs/s")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per offered load")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    workers = int(os.environ.get("BENCH_WEB_WORKERS", 0)) or os.cpu_count() or 2
    load = os.getloadavg()[0]
    rng = random.Random(11)
    tmp = make_scratch()
    db_url, drop = scratch_database(tmp)
    procs: list[subprocess.Popen] = []
    queue_name = f"bench-webhook-{uuid.uuid4().hex[:8]}"
    redis_url = ""
    job_ids: list[str] = []
    try:
        from sitecoach.infra.migrate import upgrade

        upgrade(db_url)
        redis_url = scratch_redis(tmp)
        drop_stale_jobs(redis_url, ("inbound-*",))
        (tmp / "bare_app.py").write_text(BARE_APP)
        bare_port, app_port = free_port(), free_port()
        public_base = f"http://127.0.0.1:{app_port}"
        env = webhook_env(db_url, redis_url, tmp, queue_name, public_base)
        procs.append(start_gunicorn("bare_app:app", bare_port, env, workers, cwd=tmp))
        procs.append(start_gunicorn("sitecoach.wiring:create_app()", app_port, env, workers))
        wait_up(f"http://127.0.0.1:{bare_port}/", status=None)  # it serves only the webhook's POST
        wait_up(f"{public_base}/health")

        phases: list[Phase] = []
        all_sids: list[str] = []
        with Progress("Offering loads", total=2 * (1 + len(rates)), summary="offered {count} loads") as done:
            for server, port in (("bare Flask (baseline)", bare_port), ("webhook", app_port)):
                warm, warm_sids = make_requests(port, public_base, 200, rng)
                run_phase(server, port, warm, 200)  # warm-up: connections, imports, caches
                done.advance()
                if port == app_port:
                    all_sids += warm_sids
                for rate in rates:
                    payloads, sids = make_requests(port, public_base, int(rate * args.seconds), rng)
                    phases.append(run_phase(server, port, payloads, rate))
                    done.advance()
                    if port == app_port:
                        all_sids += sids
                    time.sleep(1.0)
        # Twilio retries: post a sample of stored messages again, at once.
        again = rng.sample(all_sids, REPEATS)
        rebuilt = {sid: twilio_form(f"+4477{rng.randrange(10**9):09d}", "again", sid) for sid in again}
        repeat_phase = run_phase(
            "webhook, repeated MessageSids",
            app_port,
            [signed_request(app_port, public_base, f) for f in rebuilt.values()],
            500,
        )
        stored, job_ids = check_stored(db_url, redis_url, queue_name, all_sids)

        print(
            f"gunicorn {workers} sync workers on {os.cpu_count()} cores; {database_kind(db_url)} + {redis_kind()}; "
            f"open-loop, {args.seconds:.0f} s per load, latency from each request's scheduled send time; "
            f"load average {load:.1f} before the run"
        )
        print(
            f"{'server':24} {'offered/s':>9} {'sent':>6} {'acked':>6} {'errors':>6} {'acked/s':>8} "
            f"{'p50 ms':>7} {'p99 ms':>8} {'p99 / bare':>10}"
        )
        bare = {p.rate: p for p in phases if p.server.startswith("bare")}
        for p in phases + [repeat_phase]:
            base = bare.get(p.rate)
            ratio = (
                f"{pct(p.latencies_ms, 99) / pct(base.latencies_ms, 99):9.1f}x"
                if base and p is not base and base.latencies_ms
                else f"{'':10}"
            )
            print(
                f"{p.server:24} {p.rate:9.0f} {p.sent:6d} {p.acked:6d} {p.errors:6d} {p.acked_per_second:8.0f} "
                f"{pct(p.latencies_ms, 50):7.1f} {pct(p.latencies_ms, 99):8.1f} {ratio}"
            )
        print(
            f"stored: {stored['sent']} distinct MessageSids sent (+{REPEATS} repeats) -> {stored['rows']} rows, "
            f"{stored['missing']} missing, {stored['doubled']} stored twice; "
            f"{stored['queued']} jobs queued, {stored['queued_twice']} twice, {stored['not_queued']} rows not queued"
        )
        app_phases = [p for p in phases if p.server == "webhook"]
        best = max(app_phases, key=lambda p: p.acked_per_second)
        at_500 = next((p for p in app_phases if p.rate == 500), None)
        top = max(rates)
        bare_top, app_top = bare[top], next(p for p in app_phases if p.rate == top)
        exactly_once = stored["missing"] == 0 and stored["doubled"] == 0 and stored["queued_twice"] == 0
        verdicts = [
            f"{best.acked_per_second:.0f} msgs/s acknowledged at {best.rate:.0f} offered "
            f"({'meets' if best.acked_per_second >= TARGET_RATE * 0.98 else 'MISSES'} the {TARGET_RATE:.0f} target)"
        ]
        if at_500:
            p99 = pct(at_500.latencies_ms, 99)
            verdicts.append(
                f"p99 {p99:.1f} ms at 500/s ({'meets' if p99 < TARGET_P99_MS else 'MISSES'} {TARGET_P99_MS:.0f} ms)"
            )
        verdicts.append(
            f"bare Flask {bare_top.acked_per_second:.0f}/s at {top:.0f} offered "
            f"(webhook/bare {app_top.acked_per_second / bare_top.acked_per_second:.2f})"
        )
        verdicts.append(
            f"{stored['sent']} messages stored exactly once" if exactly_once else "STORAGE NOT EXACTLY ONCE"
        )
        print("webhook: " + "; ".join(verdicts))
    finally:
        stop(procs)
        if redis_url:
            forget_redis_keys(redis_url, queue_name, job_ids)
        remove_scratch(tmp, drop)


if __name__ == "__main__":
    main()
