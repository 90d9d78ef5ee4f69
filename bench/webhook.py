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
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

TARGET_RATE = 1000.0  # msgs/s acknowledged on 2 cores
TARGET_P99_MS = 50.0  # at 500 msgs/s
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
PATH = "/whatsapp/inbound"
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


def _redis_url(tmp: Path) -> str:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    from sitecoach.infra.embedded_redis import ensure_embedded_redis

    return ensure_embedded_redis(tmp)


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
    keys = [k for k in redis.scan_iter(f"*{queue_name}*", count=1000)]
    for i in range(0, len(job_ids), 5000):
        chunk = job_ids[i : i + 5000]
        keys.extend(f"rq:job:{j}" for j in chunk)
        keys.extend(f"rq:results:{j}" for j in chunk)
    for i in range(0, len(keys), 5000):
        redis.delete(*keys[i : i + 5000])
    redis.close()


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
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: TwilioProxy/1.1\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        f"X-Twilio-Signature: {signature}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


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


async def _one(port: int, payload: bytes, scheduled: float, out: list[tuple[float, int]]) -> None:
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
    out.append(((loop.time() - scheduled) * 1000, status))


async def offer(port: int, payloads: list[bytes], rate: float) -> tuple[list[tuple[float, int]], float]:
    """Send each payload at its scheduled time (open loop); return (latency ms, status) and the seconds taken."""
    loop = asyncio.get_running_loop()
    out: list[tuple[float, int]] = []
    tasks = []
    start = loop.time() + 0.05
    for i, payload in enumerate(payloads):
        at = start + i / rate
        delay = at - loop.time()
        if delay > 0.0005:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(port, payload, at, out)))
    await asyncio.gather(*tasks)
    return out, loop.time() - start


def run_phase(server: str, port: int, payloads: list[bytes], rate: float) -> Phase:
    """Offer one load and summarise it."""
    results, seconds = asyncio.run(offer(port, payloads, rate))
    ok = [ms for ms, status in results if status == 200]
    return Phase(server, rate, len(payloads), len(ok), len(results) - len(ok), seconds, ok)


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nan when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _gunicorn(app: str, port: int, env: dict[str, str], cwd: Path, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}", app],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


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
    tmp = Path(tempfile.mkdtemp(prefix="sitecoach-bench-"))
    db_url, drop = _database(tmp)
    procs: list[subprocess.Popen] = []
    queue_name = f"bench-webhook-{uuid.uuid4().hex[:8]}"
    redis_url = ""
    job_ids: list[str] = []
    try:
        from sitecoach.infra.migrate import upgrade

        upgrade(db_url)
        redis_url = _redis_url(tmp)
        _drop_stale_jobs(redis_url, ("inbound-*",))
        (tmp / "bare_app.py").write_text(BARE_APP)
        bare_port, app_port = _free_port(), _free_port()
        public_base = f"http://127.0.0.1:{app_port}"
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
        procs.append(_gunicorn("bare_app:app", bare_port, env, tmp, workers))
        procs.append(_gunicorn("sitecoach.wiring:create_app()", app_port, env, ROOT, workers))
        _wait_up(f"http://127.0.0.1:{bare_port}/")
        _wait_up(f"{public_base}/health")

        phases: list[Phase] = []
        all_sids: list[str] = []
        for server, port in (("bare Flask (baseline)", bare_port), ("webhook", app_port)):
            warm, warm_sids = make_requests(port, public_base, 200, rng)
            run_phase(server, port, warm, 200)  # warm-up: connections, imports, caches
            if port == app_port:
                all_sids += warm_sids
            for rate in rates:
                payloads, sids = make_requests(port, public_base, int(rate * args.seconds), rng)
                phases.append(run_phase(server, port, payloads, rate))
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

        backend = "PostgreSQL" if db_url.startswith("postgresql") else "SQLite"
        redis_kind = "Redis at REDIS_URL" if os.environ.get("REDIS_URL") else "embedded Redis"
        print(
            f"gunicorn {workers} sync workers on {os.cpu_count()} cores; {backend} + {redis_kind}; "
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
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if redis_url:
            _forget_redis_keys(redis_url, queue_name, job_ids)
        from sitecoach.infra.embedded_redis import stop_embedded_redis

        stop_embedded_redis(tmp)
        drop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
