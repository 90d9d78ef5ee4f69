"""What the bench scripts share: scratch database and Redis, Twilio-shaped signed requests, free ports,
starting and stopping the production processes, percentiles, and progress on stderr.

Not a benchmark: `make bench` skips this file. A script puts the repository root on sys.path, then
`from bench.harness import ...`. Heavy imports (SQLAlchemy, Redis, requests, Twilio, the app) happen inside
the functions that need them, so a script that only simulates (bench/learning.py) stays light.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from sitecoach.infra.progress import Progress, progress

if TYPE_CHECKING:
    from sitecoach.curriculum.pack import ContentPack

__all__ = [
    "AUTH_TOKEN",
    "INBOUND_PATH",
    "PACK",
    "ROOT",
    "Progress",
    "app_env",
    "database_kind",
    "drop_stale_jobs",
    "forget_redis_keys",
    "free_port",
    "load_pack_into",
    "make_scratch",
    "offer_open_loop",
    "pct",
    "post_raw",
    "progress",
    "redis_kind",
    "remove_scratch",
    "scratch_database",
    "scratch_redis",
    "signed_request",
    "start_gunicorn",
    "start_worker",
    "stop",
    "twilio_form",
    "wait_up",
    "webhook_env",
]

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "content" / "st1332"
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
INBOUND_PATH = "/whatsapp/inbound"
STOP_SECONDS = 15  # a process that has not exited this long after SIGTERM is killed
REDIS_BATCH = 5000  # keys per SCAN page and per DEL
OPEN_LOOP_LEAD_SECONDS = 0.05  # the first scheduled send, after the schedule is made


# --- figures ----------------------------------------------------------------------------------------------
def pct(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nan when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def database_kind(url: str) -> str:
    """PostgreSQL or SQLite, by the URL, for the report's first line."""
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


def redis_kind() -> str:
    """Which Redis the run used, for the report's first line."""
    return "Redis at REDIS_URL" if os.environ.get("REDIS_URL") else "embedded Redis"


# --- scratch space: a folder, a database, a Redis -------------------------------------------------------
def make_scratch() -> Path:
    """A fresh temp folder for this run (instance path, SQLite file, embedded Redis, logs)."""
    return Path(tempfile.mkdtemp(prefix="sitecoach-bench-"))


def scratch_database(tmp: Path) -> tuple[str, Callable[[], None]]:
    """A fresh database URL and a cleanup callable: a new PostgreSQL database when DATABASE_URL is set
    (created there and dropped by the callable), else SQLite in `tmp`."""
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    import sqlalchemy as sa

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


def load_pack_into(url: str) -> ContentPack:
    """Migrate the database at `url` and load the ST1332 lesson pack into it; return the pack."""
    from sitecoach.curriculum.pack import load_pack
    from sitecoach.infra.migrate import upgrade
    from sitecoach.models import Database
    from sitecoach.records.seeding import sync_pack

    upgrade(url)
    pack = load_pack(PACK)
    db = Database(url)
    try:
        with db.session() as session:
            sync_pack(session, pack)
    finally:
        db.dispose()
    return pack


def scratch_redis(tmp: Path) -> str:
    """REDIS_URL when set (used as scratch: see `drop_stale_jobs` and `forget_redis_keys`), else an
    embedded Redis in `tmp`."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    from sitecoach.infra.embedded_redis import ensure_embedded_redis

    return ensure_embedded_redis(tmp)


def drop_stale_jobs(redis_url: str, patterns: tuple[str, ...]) -> int:
    """Delete jobs another run left with ids this run will use (ids follow a fresh database's row ids)."""
    from redis import Redis

    redis = Redis.from_url(redis_url)
    keys = [k for pattern in patterns for k in redis.scan_iter(f"rq:job:{pattern}", count=REDIS_BATCH)]
    for i in range(0, len(keys), REDIS_BATCH):
        redis.delete(*keys[i : i + REDIS_BATCH])
    redis.close()
    return len(keys)


def forget_redis_keys(redis_url: str, queue_name: str, job_ids: Sequence[str]) -> None:
    """Delete the RQ keys this run made: its queues' keys and its jobs."""
    from redis import Redis

    redis = Redis.from_url(redis_url)
    keys: list[bytes | str] = list(redis.scan_iter(f"*{queue_name}*", count=1000))
    keys += [f"rq:job:{j}" for j in job_ids] + [f"rq:results:{j}" for j in job_ids]
    for i in range(0, len(keys), REDIS_BATCH):
        redis.delete(*keys[i : i + REDIS_BATCH])
    redis.srem("rq:queues", f"rq:queue:{queue_name}", f"rq:queue:{queue_name}-background")
    redis.close()


def remove_scratch(tmp: Path, drop: Callable[[], None]) -> None:
    """Stop the embedded Redis in `tmp` (if one runs), drop the scratch database and delete `tmp`."""
    from sitecoach.infra.embedded_redis import stop_embedded_redis

    stop_embedded_redis(tmp)
    drop()
    shutil.rmtree(tmp, ignore_errors=True)


# --- Twilio-shaped requests -----------------------------------------------------------------------------
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
    """The raw HTTP request Twilio would send, signed for PUBLIC_BASE_URL + the inbound path."""
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(AUTH_TOKEN).compute_signature(public_base + INBOUND_PATH, form)
    body = urlencode(form).encode()
    head = (
        f"POST {INBOUND_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: TwilioProxy/1.1\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        f"X-Twilio-Signature: {signature}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


async def post_raw(port: int, payload: bytes) -> int:
    """Send one raw HTTP request to 127.0.0.1:`port` and read the answer; its status, 0 when it failed."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(payload)
        await writer.drain()
        data = await reader.read()
        writer.close()
        return int(data[9:12]) if data.startswith(b"HTTP/1.") else 0
    except (OSError, ValueError):
        return 0


async def offer_open_loop(
    port: int, payloads: Sequence[bytes], rate: float
) -> tuple[list[tuple[float, float, int]], float]:
    """Send each payload at its scheduled time, `rate` a second, whatever the server is doing (open loop).

    Returns, per payload in order, (scheduled wall-clock time, ms from then to the answer, status), and
    the seconds from the first scheduled send to the last answer.
    """
    loop = asyncio.get_running_loop()
    wall_offset = time.time() - loop.time()
    start = loop.time() + OPEN_LOOP_LEAD_SECONDS
    results = [(0.0, 0.0, 0)] * len(payloads)

    async def one(i: int, payload: bytes, at: float) -> None:
        status = await post_raw(port, payload)
        results[i] = (at + wall_offset, (loop.time() - at) * 1000, status)

    tasks = []
    for i, payload in enumerate(payloads):
        at = start + i / rate
        delay = at - loop.time()
        if delay > 0.0005:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, payload, at)))
    await asyncio.gather(*tasks)
    return results, loop.time() - start


# --- processes ------------------------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_env(database_url: str, redis_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    """This process's environment plus the settings every bench process shares, and `extra`."""
    return dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        INSTANCE_PATH=str(tmp),
        SECRET_KEY="bench-secret-key-0123456789abcdef-0123",
        **extra,
    )


def webhook_env(
    database_url: str, redis_url: str, tmp: Path, queue_name: str, public_base: str
) -> dict[str, str]:
    """`app_env` for serving the webhook to `signed_request`s: its own queue, this module's Twilio auth
    token, the public URL the signatures are made for, and the simulator channel (nothing leaves)."""
    return app_env(
        database_url,
        redis_url,
        tmp,
        QUEUE_NAME=queue_name,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        PUBLIC_BASE_URL=public_base,
        COACH_CHANNEL="simulator",
    )


def start_gunicorn(
    app: str,
    port: int,
    env: dict[str, str],
    workers: int,
    cwd: Path = ROOT,
    options: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """gunicorn serving `app` with `workers` sync workers on 127.0.0.1:`port`, its output discarded."""
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
        + [*options, app],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_worker(env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
    """A `sitecoach worker` in its own session; its stderr goes to `log` when given, else nowhere."""
    # The worker keeps its own copy of the log's descriptor, so ours is closed at once.
    with open(log, "wb") if log else contextlib.nullcontext(subprocess.DEVNULL) as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "sitecoach.cli", "worker"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )


def wait_up(url: str, seconds: float = 60.0, status: int | None = 200) -> None:
    """Until `url` answers with `status` (any status when None); SystemExit if it does not in time."""
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            answer = requests.get(url, timeout=1)
            if status is None or answer.status_code == status:
                return
        except requests.RequestException:
            pass  # not listening yet
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up within {seconds:.0f} s")


def stop(procs: Sequence[subprocess.Popen[bytes] | subprocess.Popen[str]]) -> None:
    """SIGTERM every process, then wait for each; kill any still running after STOP_SECONDS."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
