"""RQ jobs: thin, importable, taking ids, idempotent; each delegates to domain code."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import col, select

from sitecoach.conversation import inbound
from sitecoach.conversation import state as conversation_state
from sitecoach.delivery.channels import ChannelError
from sitecoach.delivery.outbox import deliver
from sitecoach.infra.enqueue import (
    DELIVERY_RETRY,
    enqueue_delivery,
    enqueue_inbound,
    enqueue_milestone_check,
    enqueue_unique,
    enqueue_unique_many,
)
from sitecoach.jobs import runtime
from sitecoach.models import Direction, Learner, Mentor, Message, MessageStatus, utcnow
from sitecoach.outreach import alerts, milestones, nudges, off_the_job, passport_expiry, review_messages
from sitecoach.records import experiments, progress_reviews
from sitecoach.records.memory_fits import run_fit
from sitecoach.records.retention import apply_retention as retention_pass

log = logging.getLogger(__name__)
SWEEP_MAX_AGE = timedelta(days=2)
STUCK_SENDING_AFTER = timedelta(minutes=10)


def _now(at: str | None) -> datetime:
    """The time a job acts at: the clock's scheduled time when given (tests drive it), else now."""
    return datetime.fromisoformat(at) if at else utcnow()


def process_inbound(message_id: int) -> dict[str, object]:
    """Answer one stored inbound message (safe to run more than once); then check for milestones when the
    turn can have earned one (the nightly refresh catches the rest)."""
    services = runtime.services()
    outcome = inbound.process_inbound(services, message_id)
    if outcome.learner_id and not outcome.already_processed and outcome.milestones_due:
        enqueue_milestone_check(services.background_queue, outcome.learner_id)
    return {
        "intent": outcome.intent,
        "skill": outcome.skill,
        "replies": len(outcome.replies),
        "already_processed": outcome.already_processed,
    }


def sweep_unprocessed() -> dict[str, int]:
    """Re-queue inbound messages that were stored but never answered (Redis was down, a job was lost, or
    RQ gave up retrying one); never a dead letter, which waits for the admin's Retry."""
    services = runtime.services()
    now = utcnow()
    cutoff = now - timedelta(seconds=services.settings.sweep_after_seconds)
    with services.db.session() as session:
        waiting = session.exec(
            select(Message.id)
            .where(
                Message.direction == Direction.IN,
                col(Message.processed_at).is_(None),
                Message.status != MessageStatus.DEAD_LETTER,
                Message.created_at <= cutoff,
                Message.created_at >= now - SWEEP_MAX_AGE,
            )
            .order_by(col(Message.id))
            .limit(1000)
        ).all()
        unsent = session.exec(
            select(Message.in_reply_to_id)
            .where(
                Message.direction == Direction.OUT,
                Message.status == MessageStatus.PENDING,
                col(Message.in_reply_to_id).is_not(None),
                Message.created_at <= cutoff,
                Message.created_at >= now - SWEEP_MAX_AGE,
            )
            .distinct()
            .limit(1000)
        ).all()
    queued = 0
    for message_id in list(waiting) + [m for m in unsent if m is not None]:
        try:
            queued += enqueue_inbound(services.queue, int(message_id))
        except (ValueError, KeyError):  # a broken RQ record of one message never stops the sweep
            log.exception("sweeper could not re-queue inbound message %s", message_id)
    if queued:
        log.warning("sweeper re-queued %d inbound message(s)", queued)
    return {"unprocessed": len(waiting), "unsent": len(unsent), "queued": queued}


def expire_conversations() -> int:
    """End the conversations that have expired (each skill's `on_timeout` records what they achieved)."""
    return conversation_state.expire_due(runtime.services(), utcnow())


def send_pending(message_ids: list[int]) -> int:
    """Send outbound rows that are still pending (used for proactive messages)."""
    services = runtime.services()
    return deliver(services.db, services.channel, message_ids, None)


def _send(message_ids: list[int]) -> int:
    """Send claimed rows now; on a retryable failure they are queued to be sent by id, and the job fails."""
    services = runtime.services()
    ids = [m for m in message_ids if m]
    if not ids:
        return 0
    try:
        return deliver(services.db, services.channel, ids, inbound.status_callback_url(services))
    except ChannelError:
        # A retry of a proactive job finds its key claimed and sends nothing, so the rows still pending
        # (Twilio refused, or pacing would wait too long) are retried by id; sent rows are skipped there.
        for message_id in ids:
            enqueue_delivery(services.queue, message_id)
        raise


def deliver_message(message_id: int) -> int:
    """Send one claimed outbound row (retried with backoff by RQ)."""
    return _send([message_id])


def dispatch_nudges(at: str | None = None) -> int:
    """Queue a nudge job for every learner whose local nudge time has come."""
    services = runtime.services()
    now = _now(at)
    with services.db.read_session() as session:
        due = nudges.plan(session, services.settings, now)
    # Batched: ~11 s for 97,000 due learners on 2 cores, against 21-32 s one job at a time (bench/fanout.py).
    return enqueue_unique_many(
        services.queue,
        "sitecoach.jobs.tasks.send_nudge",
        (
            (f"nudge-{learner_id}-{local_date}", (learner_id, local_date, now.isoformat()))
            for learner_id, local_date in due
        ),
        retry=DELIVERY_RETRY,
    )


def send_nudge(learner_id: int, local_date: str, at: str | None = None) -> int:
    """Claim, compose and send one learner's daily nudge."""
    row = nudges.send_nudge(runtime.services(), learner_id, local_date, _now(at))
    return _send([row]) if row else 0


def scan_stalls(at: str | None = None) -> int:
    """Queue a stall check for every opted-in learner (each checks quiet hours and its cooldown)."""
    services = runtime.services()
    now = _now(at)
    with services.db.read_session() as session:
        ids = session.exec(select(Learner.id).where(Learner.consent == "opted_in")).all()
    day = now.date().isoformat()
    return sum(
        enqueue_unique(
            services.queue,
            "sitecoach.jobs.tasks.check_stall",
            f"stall-{i}-{day}-{now:%H}",
            int(i),
            now.isoformat(),
        )
        for i in ids
    )


def check_stall(learner_id: int, at: str | None = None) -> int:
    """Alert a stalled learner and their mentor (once per cooldown)."""
    return _send(alerts.check_stall(runtime.services(), learner_id, _now(at)))


def tend_breaks(at: str | None = None) -> int:
    """Start and end breaks in learning by their dates, with the learner's messages."""
    return _send(off_the_job.tend_breaks(runtime.services(), _now(at)))


def check_otj(at: str | None = None) -> int:
    """Queue an off-the-job hours check for every opted-in learner with a plan."""
    services = runtime.services()
    now = _now(at)
    with services.db.read_session() as session:
        ids = off_the_job.learners_to_check(session)
    day = now.date().isoformat()
    return sum(
        enqueue_unique(
            services.queue, "sitecoach.jobs.tasks.check_otj_learner", f"otj-{i}-{day}", i, now.isoformat()
        )
        for i in ids
    )


def check_otj_learner(learner_id: int, at: str | None = None) -> int:
    """Tell a learner who has fallen behind on off-the-job hours, once."""
    row = off_the_job.check_behind(runtime.services(), learner_id, _now(at))
    return _send([row]) if row else 0


def check_milestones(learner_id: int, at: str | None = None) -> int:
    """Celebrate new badges, streak records and gateway readiness."""
    return _send(milestones.check_milestones(runtime.services(), learner_id, _now(at)))


def remind_escalations(at: str | None = None) -> int:
    """Remind mentors of unanswered escalations, then their backup contacts."""
    return _send(alerts.remind_escalations(runtime.services(), _now(at)))


def dispatch_digests(at: str | None = None) -> int:
    """Queue the weekly digest for every mentor whose Monday morning it is."""
    services = runtime.services()
    now = _now(at)
    with services.db.read_session() as session:
        mentors = session.exec(select(Mentor).where(col(Mentor.phone).is_not(None))).all()
        due = [(int(m.id or 0), week) for m in mentors if (week := alerts.digest_due(m, now))]
    return sum(
        enqueue_unique(
            services.queue, "sitecoach.jobs.tasks.send_digest", f"digest-{mid}-{week}", mid, now.isoformat()
        )
        for mid, week in due
    )


def send_digest(mentor_id: int, at: str | None = None) -> int:
    """Send one mentor's weekly digest."""
    row = alerts.send_digest(runtime.services(), mentor_id, _now(at))
    return _send([row]) if row else 0


def dispatch_progress_reviews(at: str | None = None) -> int:
    """Queue a draft of the next progress review of every learner whose review is due within two weeks."""
    services = runtime.services()
    now = _now(at)
    with services.db.read_session() as session:
        due = progress_reviews.learners_to_draft(session, services.settings, now)
    return sum(
        enqueue_unique(
            services.background_queue,
            "sitecoach.jobs.tasks.draft_progress_review",
            f"review-draft-{learner_id}",
            learner_id,
            now.isoformat(),
        )
        for learner_id in due
    )


def draft_progress_review(learner_id: int, at: str | None = None) -> int | None:
    """Draft one learner's next progress review (nothing if one is open already); returns its id."""
    services = runtime.services()
    now = _now(at)
    catalogue = services.catalogue()
    with services.db.session() as session:
        learner = session.get(Learner, learner_id)
        if learner is None:
            return None
        review = progress_reviews.draft_review(
            session, catalogue, services.memory, services.settings, learner, now
        )
        return int(review.id or 0) if review is not None else None


def remind_progress_reviews(at: str | None = None) -> int:
    """Remind learners and mentors of progress reviews due soon or overdue (each reminder once)."""
    return _send(review_messages.remind_reviews(runtime.services(), _now(at)))


def dispatch_passport_expiry(at: str | None = None) -> int:
    """Queue an expiry check for every learner holding a record near (or just past) its expiry date."""
    services = runtime.services()
    now = _now(at)
    hour = now.strftime("%Y-%m-%dT%H")
    return sum(
        enqueue_unique(
            services.queue,
            "sitecoach.jobs.tasks.check_passport_expiry",
            f"passport-expiry-{learner_id}-{hour}",
            learner_id,
            now.isoformat(),
        )
        for learner_id in passport_expiry.learners_with_expiring(services, now)
    )


def check_passport_expiry(learner_id: int, at: str | None = None) -> int:
    """Flag one learner's records near expiry (idempotent: each message has its own key)."""
    return _send(passport_expiry.check_passport_expiry(runtime.services(), learner_id, _now(at)))


def settle_bandits(at: str | None = None) -> int:
    """Count finished nudge and onboarding trials into their bandits."""
    services = runtime.services()
    with services.db.session() as session:
        return experiments.settle(session, _now(at))


def reconcile_stuck_sends(at: str | None = None) -> dict[str, int]:
    """Sends claimed but never confirmed (a worker died mid-send): if the channel has the message, record
    it as sent; otherwise release it and send it again. At least once, and never twice."""
    services = runtime.services()
    now = _now(at)
    cutoff = now - timedelta(minutes=services.settings.stuck_send_minutes)
    with services.db.read_session() as session:
        stuck = session.exec(
            select(Message)
            .where(
                Message.direction == Direction.OUT,
                Message.status == MessageStatus.SENDING,
                col(Message.sent_at) <= cutoff,
            )
            .limit(500)
        ).all()
    found = released = 0
    for row in stuck:
        try:
            match = services.channel.find_sent(
                row.phone, row.body, (row.sent_at or cutoff) - timedelta(minutes=1)
            )
        except ChannelError:
            continue  # the channel's log is unavailable: try again next time, never guess
        with services.db.session() as session:
            fresh = session.get(Message, row.id)
            if fresh is None or fresh.status != MessageStatus.SENDING:
                continue
            if match is not None:
                fresh.twilio_sid, fresh.status = match.sid, match.status
                found += 1
            else:
                fresh.status = MessageStatus.PENDING
                released += 1
            session.add(fresh)
        if match is None:
            enqueue_unique(
                services.queue,
                "sitecoach.jobs.tasks.deliver_message",
                f"deliver-{row.id}",
                int(row.id or 0),
                retry=DELIVERY_RETRY,
            )
    return {"stuck": len(stuck), "already_sent": found, "resent": released}


def refresh_snapshots(at: str | None = None) -> int:
    """Queue a milestone check (which refreshes the snapshot) for every learner: mastery decays with time."""
    services = runtime.services()
    now = _now(at)
    with services.db.read_session() as session:
        ids = session.exec(select(Learner.id)).all()
    return sum(
        enqueue_unique(
            services.background_queue,
            "sitecoach.jobs.tasks.check_milestones",
            f"milestones-{i}",
            int(i),
            now.isoformat(),
        )
        for i in ids
    )


def refit_memory(at: str | None = None) -> dict[str, object]:
    """Fit FSRS to every quiz answer (or keep the defaults, saying why), store the run once per night,
    and schedule with it in this process at once (other processes pick it up within a minute)."""
    services = runtime.services()
    now = _now(at)
    with services.db.session() as session:
        decision, row = run_fit(session, services.settings, now, run_key=f"nightly-{now.date().isoformat()}")
        summary = {"run": row.id, "fitted": bool(row.parameters), "repeat": decision is None}
    services.refresh_memory(force=True)
    return summary


def apply_retention(at: str | None = None) -> dict[str, object]:
    """The daily retention pass (idempotent: what was pruned or erased is skipped next time)."""
    services = runtime.services()
    run = retention_pass(services.db, services.settings, _now(at))
    return {
        "messages_pruned": run.messages_pruned,
        "files_deleted": run.files_deleted,
        "learners_erased": list(run.learners_erased),
    }


def checkpoint_audit(at: str | None = None) -> dict[str, int]:
    """Append tonight's signed audit checkpoints (outside the database); a chain refused is logged loudly."""
    from sitecoach.records.audit_checkpoints import write_checkpoints

    services = runtime.services()
    run = write_checkpoints(services.db, services.settings.audit_checkpoints, _now(at))
    for problem in run.problems:
        log.error("audit checkpoint file: %s", problem)
    for broken in run.refused:
        log.error("audit chain not checkpointed: %s", broken.describe())
    return {"written": run.written, "refused": len(run.refused)}
