"""Finding 3 (issue 16): a transient database error inside a skill lost the message for good, a STOP
included: the catch-all apologised and marked it processed. Now a transient failure is retried (RQ's
retries with backoff, then the sweeper), never marked done; after `MAX_INBOUND_ATTEMPTS` the message is a
dead letter that the admin's Queues page lists with a Retry; a skill's real bug keeps the apology and shows
there too.

The fault is real: the worker's database connection is dropped while the STOP skill works, just after it
has written the learner's consent (on SQLite the connection is closed; on PostgreSQL the server ends the
backend with pg_terminate_backend), through SQLAlchemy's own event hook. Nothing of ours is mocked."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from sitecoach.jobs import tasks as jobs
from sitecoach.models import Consent, Learner, Message, PromptVersion
from tests.conftest import post_signed, run_worker, twilio_form
from tests.faults.test_faults import _admin_client, _run_due_rq_work, _token

pytestmark = pytest.mark.faults

PATH = "/whatsapp/inbound"
PHONE = "+447700900311"
_CONSENT_WRITE = re.compile(r"^\s*UPDATE learner SET\b.*\bconsent\b", re.IGNORECASE | re.DOTALL)


class DroppedConnection:
    """Drops the database connection under the statement that follows a write of a learner's consent (the
    STOP skill reading the learner's event chain), `times` times."""

    def __init__(self, services: Any, times: int) -> None:
        self.engine = services.db.engine
        self.url = services.db.url
        self.left = times
        self.dropped = 0
        self.armed = False

    def __enter__(self) -> DroppedConnection:
        sa.event.listen(self.engine, "before_cursor_execute", self._drop)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._drop)

    def _drop(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if self.left <= 0:
            return
        if _CONSENT_WRITE.match(statement):
            self.armed = True
            return
        if not self.armed:
            return
        self.armed = False
        self.left -= 1
        self.dropped += 1
        dbapi = conn.connection.dbapi_connection
        if conn.dialect.name == "sqlite":
            dbapi.close()  # the statement then runs on a closed connection
            return
        admin = sa.create_engine(self.url)  # PostgreSQL: the server ends the session, and we wait for it
        try:
            with admin.connect() as other:
                end = sa.text("SELECT pg_terminate_backend(:pid, 5000)")
                other.execute(end, {"pid": dbapi.info.backend_pid})
        finally:
            admin.dispose()


def _onboarded(svc: Any) -> None:
    with svc.db.session() as session:
        session.add(Learner(phone=PHONE, name="Jamie", consent=Consent.OPTED_IN))


def _post(client: Any, text: str) -> str:
    form = twilio_form(PHONE, text)
    assert post_signed(client, PATH, form).status_code == 200
    return form["MessageSid"]


def _row(svc: Any, sid: str) -> Message:
    with svc.db.session() as session:
        return session.exec(select(Message).where(Message.twilio_sid == sid)).one()


def _sent(svc: Any) -> list[str]:
    with svc.db.session() as session:
        rows = session.exec(
            select(Message.body)
            .where(Message.phone == PHONE, Message.direction == "out")
            .order_by(col(Message.id))
        ).all()
    return list(rows)


def _consent(svc: Any) -> str:
    with svc.db.session() as session:
        return session.exec(select(Learner.consent).where(Learner.phone == PHONE)).one()


def test_a_stop_hit_by_a_dropped_database_connection_is_retried_and_takes_effect(client, services):
    """The review's scenario: the database goes away for a moment while the STOP skill writes."""
    _onboarded(services)
    sid = _post(client, "STOP")
    with DroppedConnection(services, times=1) as fault:
        run_worker(services)
    assert fault.dropped == 1

    row = _row(services, sid)
    assert row.processed_at is None, "the message was marked done after a transient failure"
    assert _sent(services) == []  # no apology: nothing went wrong that the learner needs to hear about
    assert _consent(services) == Consent.OPTED_IN  # not yet: the retry is due
    assert row.attempts == 1 and "transient" in (row.error_message or "")

    _run_due_rq_work(services)  # RQ's retry, the database well again
    row = _row(services, sid)
    assert row.processed_at is not None and row.skill == "stop"
    assert _consent(services) == Consent.OPTED_OUT
    assert _sent(services) == [services.prompts.render("stop/confirmed")]
    page = _admin_client(services).get("/admin/queues").data.decode()
    assert "(transient)" not in page  # answered in the end: nothing for the admin to do


def test_a_message_failing_every_try_becomes_a_dead_letter_the_admin_can_retry(client, services):
    """The connection drops on every try: RQ's retries, then the sweeper's, then it is set aside (no
    apology, not marked done). The admin sees it and retries it once the database is well: the STOP
    takes effect."""
    from sitecoach.conversation.dead_letter import MAX_INBOUND_ATTEMPTS

    services.settings = services.settings.with_overrides(sweep_after_seconds=0)
    _onboarded(services)
    sid = _post(client, "STOP")
    with DroppedConnection(services, times=100) as fault:
        for _ in range(MAX_INBOUND_ATTEMPTS * 2):
            _run_due_rq_work(services)
            if _row(services, sid).status == "dead_letter":
                break
            jobs.sweep_unprocessed()  # after RQ gives up, the sweeper queues it again
        assert fault.dropped == MAX_INBOUND_ATTEMPTS
        row = _row(services, sid)
        assert (row.status, row.attempts, row.processed_at) == ("dead_letter", MAX_INBOUND_ATTEMPTS, None)
        assert jobs.sweep_unprocessed()["queued"] == 0  # set aside: no more automatic tries
        assert run_worker(services) == 0
    assert _sent(services) == [] and _consent(services) == Consent.OPTED_IN

    admin = _admin_client(services)
    page = admin.get("/admin/queues").data.decode()
    assert "Messages the coach could not answer" in page and "(transient)" in page
    assert f"/admin/messages/{row.id}/reprocess" in page and PHONE not in page
    for _ in range(2):  # a second click (a stale page) does nothing more
        response = admin.post(f"/admin/messages/{row.id}/reprocess", data={"csrf_token": _token(admin)})
        assert response.status_code == 302
        run_worker(services)
    row = _row(services, sid)
    assert row.processed_at is not None and row.status != "dead_letter"
    assert _consent(services) == Consent.OPTED_OUT
    assert _sent(services) == [services.prompts.render("stop/confirmed")]
    assert f"/admin/messages/{row.id}/reprocess" not in admin.get("/admin/queues").data.decode()


def test_a_skill_bug_keeps_the_apology_and_shows_on_the_queues_page(client, services):
    """Not transient: a stored wording of the help menu that cannot render (divides by zero)."""
    _onboarded(services)
    with services.db.session() as session:
        session.add(
            PromptVersion(
                name="help/menu",
                version=1,
                text="{# variables: name, fallback #}\nHere's what I can do: {{ 1 // 0 }}",
            )
        )
    sid = _post(client, "help")
    run_worker(services)
    row = _row(services, sid)
    assert row.processed_at is not None  # answered, once
    assert _sent(services) == [services.prompts.render("core/apology")]

    page = _admin_client(services).get("/admin/queues").data.decode()
    assert "ZeroDivisionError in skill help" in page and "apologised" in page
    assert f"/admin/messages/{row.id}/reprocess" not in page  # a bug is not retried
