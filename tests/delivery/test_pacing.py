"""Outbound pacing: the sender's token bucket and the learner's spacing (real Redis), and deliver()."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from sitecoach.delivery import pacing
from sitecoach.delivery.channels import ChannelError, TwilioChannel
from sitecoach.delivery.outbox import deliver, queue_outbound
from sitecoach.delivery.pacing import Pacer, PacingDelay
from sitecoach.jobs import runtime
from sitecoach.jobs import tasks as jobs
from sitecoach.models import Consent, Learner, Message
from sitecoach.wiring import build_services
from tests.conftest import TEST_AUTH_TOKEN, run_worker
from tests.delivery.conftest import twilio_installed
from tests.stubs.twilio_stub import TwilioStub

SENDER = "whatsapp:+14155238886"
T0 = 1_000_000.0  # a fake clock: every acquire gets `now`, so nothing here sleeps on the bucket
ACCOUNT_SID = "AC" + "b" * 32


def _learner(n: int) -> str:
    return f"+4477009{n:05d}"


def test_a_burst_up_to_capacity_then_the_rate(redis_conn):
    pacer = Pacer(redis_conn, mps=10, spacing_seconds=0, burst=5)
    assert [pacer.acquire(SENDER, _learner(i), now=T0) for i in range(5)] == [0.0] * 5
    assert pacer.acquire(SENDER, _learner(5), now=T0) == pytest.approx(0.1)
    assert pacer.acquire(SENDER, _learner(5), now=T0 + 0.05) == pytest.approx(0.05)
    assert pacer.acquire(SENDER, _learner(5), now=T0 + 0.1) == 0.0
    # Ten fake seconds, asking again exactly when told: ten sends a second, no more, no fewer.
    now, granted, n = T0 + 0.1, [], 6
    while now < T0 + 10.1:
        wait = pacer.acquire(SENDER, _learner(n), now=now)
        if wait == 0:
            granted.append(now)
            n += 1
        now += wait or 0.001
    assert 99 <= len(granted) <= 101
    gaps = [b - a for a, b in zip(granted, granted[1:], strict=False)]
    assert min(gaps) == pytest.approx(0.1, abs=0.002)


def test_an_idle_bucket_refills_only_to_its_capacity(redis_conn):
    pacer = Pacer(redis_conn, mps=10, spacing_seconds=0, burst=3)
    assert pacer.acquire(SENDER, _learner(0), now=T0) == 0.0
    later = [pacer.acquire(SENDER, _learner(i), now=T0 + 60) for i in range(1, 5)]
    assert later[:3] == [0.0, 0.0, 0.0] and later[3] > 0


def test_six_seconds_between_two_sends_to_one_learner(redis_conn):
    pacer = Pacer(redis_conn, mps=80, spacing_seconds=6)
    ana, ben = _learner(1), _learner(2)
    assert pacer.acquire(SENDER, ana, now=T0) == 0.0
    assert pacer.acquire(SENDER, ana, now=T0 + 1) == pytest.approx(5.0)
    assert pacer.acquire(SENDER, ben, now=T0 + 1) == 0.0  # other learners are not held up
    assert pacer.acquire(SENDER, ana, now=T0 + 5.9) == pytest.approx(0.1)
    assert pacer.acquire(SENDER, ana, now=T0 + 6) == 0.0
    assert pacer.acquire(SENDER, ana, now=T0 + 6.5) == pytest.approx(5.5)


def test_a_learner_held_by_spacing_takes_no_token(redis_conn):
    pacer = Pacer(redis_conn, mps=1, spacing_seconds=6, burst=1)
    assert pacer.acquire(SENDER, _learner(1), now=T0) == 0.0
    assert pacer.acquire(SENDER, _learner(1), now=T0 + 1) == pytest.approx(5.0)
    assert pacer.acquire(SENDER, _learner(2), now=T0 + 1) == 0.0  # the refilled token is still there


def test_each_sender_has_its_own_bucket(redis_conn):
    pacer = Pacer(redis_conn, mps=1, spacing_seconds=0, burst=1)
    assert pacer.acquire(SENDER, _learner(1), now=T0) == 0.0
    assert pacer.acquire(SENDER, _learner(2), now=T0) > 0
    assert pacer.acquire("whatsapp:+447700900000", _learner(2), now=T0) == 0.0


def test_check_and_take_is_atomic(redis_conn, services):
    """Many threads at the same frozen instant: exactly `burst` grants, and one per learner."""
    pacers = [Pacer(services.redis, mps=10, spacing_seconds=6, burst=5) for _ in range(2)]
    barrier = threading.Barrier(16)
    grants: list[str] = []
    lock = threading.Lock()

    def caller(k: int) -> None:
        pacer = pacers[k % 2]
        barrier.wait()
        for i in range(10):
            recipient = _learner(100 + k * 10 + i)
            if pacer.acquire(SENDER, recipient, now=T0) == 0:
                with lock:
                    grants.append(recipient)

    threads = [threading.Thread(target=caller, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(grants) == 5

    same = Pacer(redis_conn, mps=1000, spacing_seconds=6)
    results: list[float] = []
    barrier = threading.Barrier(16)

    def one_learner() -> None:
        barrier.wait()
        results.append(same.acquire("whatsapp:+15550000000", _learner(1), now=T0))

    threads = [threading.Thread(target=one_learner) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(0.0) == 1 and all(r == pytest.approx(6.0) for r in results if r)


def test_two_concurrent_callers_never_exceed_the_rate(redis_conn):
    """Two workers (two pacers, each on its own thread) share one real-time bucket of 20 a second."""
    rate, burst, seconds = 20.0, 2.0, 1.5
    pacers = [Pacer(redis_conn, mps=rate, spacing_seconds=0, burst=burst) for _ in range(2)]
    stamps: list[list[float]] = [[], []]
    stop = time.monotonic() + seconds

    def worker(k: int) -> None:
        n = 0
        while time.monotonic() < stop:
            pacers[k].wait(SENDER, _learner(k * 1000 + n), max_wait=2)
            stamps[k].append(time.monotonic())
            n += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    every = sorted(stamps[0] + stamps[1])
    assert all(stamps), "both callers got sends"
    assert len(every) <= burst + rate * elapsed + 1
    assert len(every) >= rate * seconds * 0.8
    for i, at in enumerate(every):  # no half-second holds more than the burst plus half a second's rate
        assert sum(1 for x in every[i:] if x < at + 0.5) <= burst + rate * 0.5 + 1


def test_wait_sleeps_until_allowed_and_refuses_a_long_wait(redis_conn):
    pacer = Pacer(redis_conn, mps=5, spacing_seconds=0, burst=1)
    assert pacer.wait(SENDER, _learner(1)) < 0.05
    assert 0.1 <= pacer.wait(SENDER, _learner(2)) < 0.6
    slow = Pacer(redis_conn, mps=0.01, spacing_seconds=0, burst=1, prefix="slow")
    slow.wait(SENDER, _learner(1))
    with pytest.raises(PacingDelay) as delay:
        slow.wait(SENDER, _learner(2), max_wait=10)
    assert delay.value.retryable and delay.value.seconds > 10


def test_a_refused_send_gives_the_learner_spacing_back(redis_conn):
    pacer = Pacer(redis_conn, mps=80, spacing_seconds=6)
    assert pacer.acquire(SENDER, _learner(1)) == 0.0
    assert pacer.release(SENDER, _learner(1))
    assert pacer.acquire(SENDER, _learner(1)) == 0.0
    assert pacer.confirm(SENDER, _learner(1))
    assert pacer.acquire(SENDER, _learner(1)) > 5.9


def test_a_confirm_after_the_grant_ran_out_still_holds_the_learner(redis_conn):
    pacer = Pacer(redis_conn, mps=80, spacing_seconds=0.2)
    assert pacer.acquire(SENDER, _learner(1)) == 0.0
    time.sleep(0.3)  # the send takes longer than the spacing: the grant's record expires meanwhile
    assert redis_conn.get(pacer._keys(SENDER, _learner(1))[1]) is None
    assert pacer.confirm(SENDER, _learner(1))
    assert pacer.acquire(SENDER, _learner(1)) > 0.15


def test_a_confirm_never_moves_the_last_send_time_back(redis_conn):
    pacer, other = Pacer(redis_conn, mps=80, spacing_seconds=6), Pacer(redis_conn, mps=80, spacing_seconds=6)
    assert pacer.acquire(SENDER, _learner(1), now=T0) == 0.0
    assert other.acquire(SENDER, _learner(1), now=T0 + 6) == 0.0  # a later grant (a worker on another host)
    assert other.confirm(SENDER, _learner(1), now=T0 + 8)
    assert not pacer.confirm(SENDER, _learner(1), now=T0 + 7)  # the older send's answer, late
    assert pacer.acquire(SENDER, _learner(1), now=T0 + 13) == pytest.approx(1.0)  # 6 s from T0 + 8


# --- deliver() with the twilio channel against the local Twilio stub ---------------------------------


@pytest.fixture
def stub():
    with TwilioStub(ACCOUNT_SID, TEST_AUTH_TOKEN) as server:
        yield server


def _channel(services, stub, **settings) -> TwilioChannel:
    return TwilioChannel(
        services.settings.with_overrides(
            coach_channel="twilio",
            twilio_account_sid=ACCOUNT_SID,
            twilio_whatsapp_from=SENDER,
            twilio_api_base_url=stub.base_url,
            twilio_timeout_seconds=3.0,
            **settings,
        )
    )


def _rows(services, phone: str, count: int) -> list[int]:
    with services.db.session() as session:
        rows = [
            queue_outbound(
                session, phone=phone, body=f"part {i}", dedupe_key=f"pace:{phone}:{i}", learner_id=None
            )[0]
            for i in range(count)
        ]
        session.flush()
        return [int(r.id) for r in rows]


def test_deliver_spaces_two_messages_to_one_learner(services, stub):
    channel = _channel(services, stub, learner_spacing_seconds=0.4)
    assert deliver(services.db, channel, _rows(services, "+447700900555", 2), None) == 2
    (first, _), (second, _) = stub.arrivals
    assert second - first >= 0.4  # counted from Twilio's answer, so it holds where the messages arrive


def test_a_send_slower_than_the_spacing_still_spaces_the_next_from_the_answer(services, stub):
    """The grant's own record runs out while Twilio takes longer than the spacing to answer (a slow API, a
    cold client): the next message to the learner still waits the spacing from that answer."""
    channel = _channel(services, stub, learner_spacing_seconds=0.4)
    stub.slow_next(0.6)
    assert deliver(services.db, channel, _rows(services, "+447700900559", 2), None) == 2
    (first, _), (second, _) = stub.arrivals
    assert second - first >= 0.6 + 0.4  # answered 0.6 s after it arrived, then the 0.4 s spacing


def test_a_long_wait_leaves_the_message_pending_for_a_retry(services, stub):
    channel = _channel(services, stub, outbound_mps=0.01, learner_spacing_seconds=0)
    first, second = _rows(services, "+447700900556", 2)
    with pytest.raises(ChannelError) as err:
        deliver(services.db, channel, [first, second], None)
    assert isinstance(err.value, PacingDelay) and err.value.retryable
    assert len(stub.messages) == 1
    with services.db.session() as session:
        row = session.get(Message, second)
    assert row.status == "pending" and row.attempts == 0 and row.sent_at is None


def test_a_refused_send_is_retried_without_waiting_for_the_spacing(services, stub):
    channel = _channel(services, stub)
    stub.fail_next(500)
    [row_id] = _rows(services, "+447700900557", 1)
    with pytest.raises(ChannelError):
        deliver(services.db, channel, [row_id], None)
    started = time.monotonic()
    assert deliver(services.db, channel, [row_id], None) == 1
    assert time.monotonic() - started < 1.0


def test_the_simulator_is_not_paced(services):
    assert pacing.pacer_for(services.channel) is None
    ids = _rows(services, "+447700900558", 3)
    started = time.monotonic()
    assert deliver(services.db, services.channel, ids, None) == 3
    assert time.monotonic() - started < 1.0
    assert not [k for k in services.redis.scan_iter(f"{pacing.KEY_PREFIX}:*")]
    with services.db.session() as session:
        statuses = session.exec(select(Message.status).where(Message.phone == "+447700900558")).all()
    assert statuses == ["delivered"] * 3


# --- proactive jobs: a retry finds its key claimed, so what is left pending is retried by id -------------

NUDGE_AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def twilio_jobs(services, stub):
    """Jobs run with the twilio channel (against the stub) on the test database and Redis."""
    with twilio_installed(services, stub.base_url, ACCOUNT_SID) as svc:
        yield svc


def _due_learner(svc, phone: str) -> int:
    with svc.db.session() as session:
        learner = Learner(
            phone=phone,
            name="Jo",
            consent=Consent.OPTED_IN,
            nudge_time="08:30",
            created_at=NUDGE_AT - timedelta(days=3),
            last_inbound_at=NUDGE_AT - timedelta(hours=1),
        )
        session.add(learner)
        session.flush()
        return int(learner.id)


def _nudge_row(session, learner_id: int) -> Message:
    return session.exec(select(Message).where(Message.dedupe_key == f"nudge:{learner_id}:2026-11-23")).one()


def test_a_nudge_twilio_refused_is_sent_by_id_not_lost(twilio_jobs, stub):
    learner_id = _due_learner(twilio_jobs, "+447700900560")
    stub.fail_next(500)
    with pytest.raises(ChannelError):
        jobs.send_nudge(learner_id, "2026-11-23", NUDGE_AT.isoformat())
    assert jobs.send_nudge(learner_id, "2026-11-23", NUDGE_AT.isoformat()) == 0  # the job's own retry
    run_worker(twilio_jobs)  # the row, retried by id
    with twilio_jobs.db.session() as session:
        row = session.exec(
            select(Message).where(Message.dedupe_key == f"nudge:{learner_id}:2026-11-23")
        ).one()
    assert len(stub.messages) == 1 and row.status == "queued" and row.twilio_sid == stub.messages[0]["_sid"]


def test_a_nudge_paced_out_stays_pending_and_is_queued_by_id(services, stub):
    settings = services.settings.with_overrides(
        coach_channel="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_whatsapp_from=SENDER,
        twilio_api_base_url=stub.base_url,
        outbound_mps=0.01,  # one send per 100 s: the next waits longer than the cap
    )
    svc = build_services(settings)
    runtime.install(svc)
    try:
        deliver(svc.db, svc.channel, _rows(svc, "+447700900561", 1), None)  # takes the only token
        learner_id = _due_learner(svc, "+447700900562")
        with pytest.raises(PacingDelay):
            jobs.send_nudge(learner_id, "2026-11-23", NUDGE_AT.isoformat())
        with svc.db.session() as session:
            row = session.exec(
                select(Message).where(Message.dedupe_key == f"nudge:{learner_id}:2026-11-23")
            ).one()
        assert row.status == "pending" and row.attempts == 0 and len(stub.messages) == 1
        assert f"deliver-{row.id}" in svc.queue.job_ids
    finally:
        runtime.install(services)
        svc.close()


# --- the fan-out that feeds the pacer: batched, unique enqueueing ----------------------------------------


def test_enqueue_many_queues_each_id_once_and_replaces_finished_or_orphaned_jobs(services):
    from rq.job import Job, JobStatus

    from sitecoach.infra.enqueue import enqueue_unique_many

    queue = services.queue
    calls = [(f"fan-{i}", (i,)) for i in range(5)]
    assert enqueue_unique_many(queue, "os.getpid", calls) == 5
    assert enqueue_unique_many(queue, "os.getpid", calls) == 0  # a second clock: all live, nothing queued
    assert sorted(queue.job_ids) == sorted(job_id for job_id, _ in calls)
    Job.fetch("fan-0", connection=services.redis).set_status(JobStatus.FINISHED)
    services.redis.lrem(queue.key, 0, "fan-1")  # "queued", but a worker took it and died
    assert enqueue_unique_many(queue, "os.getpid", calls) == 2
    assert sorted(queue.job_ids) == sorted(job_id for job_id, _ in calls)
