"""A learner's data rights, end to end through the webhook and a real worker: every consent change is a
row; `learner export` hands over everything held (every table with a learner key, their photos, a README);
`learner erase` leaves no trace of their number or name in the database (every text column of every table,
and on SQLite the raw file), the media folders, the logs or Redis, cancels what was waiting to be sent, and
`audit verify` still passes; admins do both from the learner's page; retention runs daily on the clock."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import col, select
from werkzeug.security import generate_password_hash

from sitecoach.cli import main
from sitecoach.infra.migrate import upgrade
from sitecoach.jobs.clock import enqueue_entry
from sitecoach.jobs.schedule import entry
from sitecoach.models import (
    AdminAuditLog,
    Consent,
    ConsentRecord,
    ErasureRecord,
    Escalation,
    EvidenceItem,
    Learner,
    LearningEvent,
    Mentor,
    Message,
    MessageStatus,
    metadata,
)
from sitecoach.records.data_map import LEARNER_TABLES, learner_tables_in, unclassified_columns
from sitecoach.records.prompt_store import save_version
from sitecoach.records.roster import import_roster
from sitecoach.settings import Settings
from tests.conftest import PUBLIC_BASE_URL, add_admin, assign_mentor, run_worker
from tests.test_migrations import _scratch
from tests.web.test_admin import _login, _token

PASSWORD = "correct horse battery"
MENTOR_PHONE = "+447700900555"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _env(settings) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_uri,
        "REDIS_URL": settings.redis_url,
        "INSTANCE_PATH": str(settings.instance_path),
        "SECRET_KEY": settings.secret_key,
        "AUDIT_KEY": settings.audit_key,  # the CLI must check the chains with the key that wrote them
    }


def _photo_url(services, name: str) -> str:
    """A photo the phone sends (the simulator channel fetches it from its uploads folder)."""
    uploads = services.settings.instance_path / "simulator_media"
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / name).write_bytes(PNG)
    return f"{PUBLIC_BASE_URL}/simulator/media/{name}"


def _learner_with_history(coach, services, phone: str, name: str) -> int:
    """A learner who said YES, gave their name, answered a quiz question, sent photo evidence with a note
    naming themselves, logged hours, asked for their mentor (who answered, naming them), and has a reply
    still waiting to be sent. Returns their id."""
    for text in ("hi", "yes", name):
        coach.send(text, phone, ProfileName=name)
    assign_mentor(services, phone, MENTOR_PHONE)
    coach.send("quiz me on excavation", phone)
    coach.send("a", phone)
    coach.send("stop quiz", phone)
    photo = _photo_url(services, f"{phone.lstrip('+')}-joint.png")
    coach.send("", phone, NumMedia="1", MediaUrl0=photo, MediaContentType0="image/png")
    coach.send(f"proved dead at the LV pillar, {name}'s first on my own", phone)
    coach.send("all", phone)
    coach.send(f"log 2 hours jointing practice on the rig for {name}", phone)  # typed text in a chained event
    coach.send("yes", phone)  # the tap that confirms the hours
    coach.send("can i speak to my mentor about the 11kv job", phone)
    with services.db.session() as session:
        learner = session.exec(select(Learner).where(Learner.phone == phone)).one()
        escalation = session.exec(select(Escalation).where(Escalation.learner_id == learner.id)).one()
        session.add(
            Message(
                direction="out",
                phone=phone,
                learner_id=learner.id,
                body=f"Morning {name}, 3 reviews due",
                status=MessageStatus.PENDING,
                dedupe_key=f"nudge:{learner.id}:waiting",
            )
        )
        learner_id = int(learner.id or 0)
    coach.send(f"#E{escalation.id} {name}, ring me at 5 on {phone}", MENTOR_PHONE)
    return learner_id


def _sign_off_as_admin(client, services, learner_id: int, comment: str) -> None:
    add_admin(services, "admin@example.test", PASSWORD)
    _login(client)
    with services.db.read_session() as session:
        item = session.exec(select(EvidenceItem).where(EvidenceItem.learner_id == learner_id)).one()
    page = f"/mentor/learners/{learner_id}"
    response = client.post(
        f"/mentor/evidence/{item.id}",
        data={"decision": "approve", "comment": comment, "csrf_token": _token(client, page)},
    )
    assert response.status_code == 302


# --- consent ---------------------------------------------------------------------------------------------


def test_every_grant_and_withdrawal_is_a_row_with_how_and_the_wording_asked(coach, services):
    phone = "+447700900311"
    coach.onboard(phone, "Robyn")
    coach.send("STOP", phone)
    coach.send("START", phone)
    with services.db.read_session() as session:
        learner = session.exec(select(Learner).where(Learner.phone == phone)).one()
        rows = session.exec(
            select(ConsentRecord)
            .where(ConsentRecord.learner_id == learner.id)
            .order_by(col(ConsentRecord.id))
        ).all()
        yes_message = session.get(Message, rows[0].message_id)
    assert [(r.consent, r.method) for r in rows] == [
        ("opted_in", "whatsapp_yes"),
        ("opted_out", "stop"),
        ("opted_in", "start"),
    ]
    source = (services.settings.prompts_path / "onboarding" / "welcome.txt").read_text(encoding="utf-8")
    wording = f"onboarding/welcome v0 sha256:{hashlib.sha256(source.encode()).hexdigest()[:12]}"
    assert all(r.wording == wording for r in rows)
    assert yes_message is not None and yes_message.body == "yes" and yes_message.direction == "in"
    assert rows[0].at < rows[1].at < rows[2].at and learner.consent == Consent.OPTED_IN


def test_a_no_and_a_roster_import_are_recorded_too(coach, services):
    coach.send("hi", "+447700900312")
    coach.send("no", "+447700900312")
    with services.db.session() as session:
        admin = Mentor(name="Ada", email="ada@example.test", is_admin=True, password_hash="x")
        session.add(admin)
        session.flush()
        check, _ = import_roster(session, "learners", "phone,name\n+447700900313,Kai Imported\n", admin.id)
        assert check.ok
        admin_id = admin.id
    with services.db.read_session() as session:
        rows = {r.method: r for r in session.exec(select(ConsentRecord)).all()}
    assert rows["whatsapp_no"].consent == "declined"
    assert rows["import"].consent == "pending" and rows["import"].actor_id == admin_id


def test_an_edited_consent_question_is_recorded_as_its_new_version(coach, services):
    text = (
        "{# variables: #}\nWelcome to Site Coach. May I send you a daily question? Reply *YES* or *NO*. "
        "Text *STOP* to stop.\n"
    )
    with services.db.session() as session:
        save_version(session, services.prompts, "onboarding/welcome", text, None)
    services.prompts.store.invalidate()
    coach.onboard("+447700900314", "Ash")
    with services.db.read_session() as session:
        [row] = session.exec(select(ConsentRecord)).all()
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    assert row.wording == f"onboarding/welcome v1 sha256:{digest}"


def test_consent_held_before_the_record_began_is_carried_into_it(tmp_path):
    with _scratch(tmp_path) as uri:
        upgrade(uri, "0010")
        engine = sa.create_engine(uri)
        learner = sa.Table("learner", sa.MetaData(), autoload_with=engine)
        at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC if engine.dialect.name != "sqlite" else None)
        with engine.begin() as conn:
            for phone, consent in (("+447700900361", "opted_in"), ("+447700900362", "pending")):
                conn.execute(
                    learner.insert().values(
                        phone=phone,
                        timezone="Europe/London",
                        consent=consent,
                        consent_changed_at=at,
                        nudge_time="07:30",
                        created_at=at,
                    )
                )
        upgrade(uri)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT learner_id, consent, method FROM consentrecord")).all()
        engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "opted_in", "before_record")]


# --- the subject access pack -------------------------------------------------------------------------------


def test_every_table_with_a_learner_key_is_exported_and_has_an_erasure_rule():
    declared = {t.table for t in LEARNER_TABLES}
    assert learner_tables_in(metadata) == declared, (
        "a table about learners is missing from sitecoach/records/data_map.py: say what export and "
        "erasure do with it"
    )


def test_the_export_holds_everything_about_the_learner_and_only_them(coach, client, services, tmp_path):
    name, phone = "Ottoline Pemberton", "+447700900321"
    learner_id = _learner_with_history(coach, services, phone, name)
    other = _learner_with_history(coach, services, "+447700900322", "Bryony Tate")
    _sign_off_as_admin(client, services, learner_id, f"Good work {name}")

    out = tmp_path / "pack.zip"
    result = CliRunner().invoke(
        main, ["learner", "export", str(learner_id), "--out", str(out)], env=_env(services.settings)
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        data = {n[5:-5]: json.loads(zf.read(n)) for n in names if n.startswith("data/")}
        views = {n[6:-5]: json.loads(zf.read(n)) for n in names if n.startswith("views/")}
        readme = zf.read("README.txt").decode()
        photos = [zf.read(n) for n in names if n.startswith("media/")]
    assert {t.table for t in LEARNER_TABLES} <= set(data)
    for table in ("message", "consentrecord", "learningevent", "evidenceitem", "escalation", "reviewstate"):
        assert data[table], f"{table} is empty in the pack"
    every_row = [row for table, rows in data.items() if table not in ("learner", "mentor") for row in rows]
    assert all(row.get("learner_id") in (learner_id, None) for row in every_row)
    assert all(
        row["learner_id"] == learner_id
        for t in LEARNER_TABLES
        if t.column == "learner_id"
        for row in data[t.table]
    )
    assert data["learner"][0]["name"] == name and data["learner"][0]["phone"] == phone
    assert data["mentor"][0]["name"] == "Sam Okafor"
    assert any(m["body"] == "a" for m in data["message"])
    assert data["evidenceitem"][0]["mentor_comment"] == f"Good work {name}"
    assert views["quiz_answers"] and views["hours"][0]["hours"] == 2.0
    assert photos == [PNG]
    assert "data/learningevent.json" in readme and "media/ (1 files)" in readme
    assert "Bryony Tate" not in json.dumps(data) and other != learner_id


def test_erasure_has_a_rule_for_every_text_column_of_those_tables():
    missing = {t.table: unclassified_columns(t) for t in LEARNER_TABLES if unclassified_columns(t)}
    assert not missing, (
        f"say in sitecoach/records/data_map.py whether erasure blanks or keeps these columns: {missing}"
    )


# --- erasure (the acceptance test) ---------------------------------------------------------------------


def _needles(phone: str, name: str) -> list[str]:
    return [phone, phone.lstrip("+"), name.lower()]


def _database_text(services) -> str:
    """Every value of every column of every table, as text."""
    parts = []
    with services.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).all():
                parts.extend(str(v) for v in row)
    return "\n".join(parts)


def _sqlite_files(services) -> bytes:
    """The raw database file and its write-ahead log, after a checkpoint."""
    if services.db.dialect != "sqlite":
        return b""
    raw = services.db.engine.raw_connection()
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
    path = Path(services.db.engine.url.database or "")
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(p.read_bytes() for p in files if p.exists())


def _media_text(services) -> tuple[list[Path], str]:
    roots = [services.settings.media_path, services.settings.instance_path / "simulator_media"]
    files = [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]
    return files, "\n".join(f"{p.name}\n{p.read_bytes().decode('latin-1')}" for p in files)


def _redis_text(services) -> str:
    parts = []
    for key in services.redis.scan_iter():
        kind = services.redis.type(key)
        if kind == b"string":
            parts.append(repr(services.redis.get(key)))
        elif kind == b"hash":
            parts.append(repr(services.redis.hgetall(key)))
        elif kind == b"list":
            parts.append(repr(services.redis.lrange(key, 0, -1)))
        elif kind == b"zset":
            parts.append(repr(services.redis.zrange(key, 0, -1)))
        parts.append(repr(key))
    return "\n".join(parts)


def test_after_learner_erase_no_number_or_name_is_left_and_the_audit_chain_verifies(
    coach, client, services, caplog
):
    caplog.set_level(logging.DEBUG)
    name, phone = "Zebedee Quartermaine", "+447700900987"
    learner_id = _learner_with_history(coach, services, phone, name)
    _sign_off_as_admin(client, services, learner_id, f"Well done {name}, neat work")
    with services.db.read_session() as session:
        photos = [
            Path(m["path"])
            for item in session.exec(select(EvidenceItem)).all()
            for m in item.media
            if m.get("path")
        ]
        events_before = session.exec(select(LearningEvent).order_by(col(LearningEvent.id))).all()
        waiting_ids = session.exec(  # the nudge above, and the sign-off news not yet sent
            select(Message.id).where(
                Message.learner_id == learner_id, Message.status == MessageStatus.PENDING
            )
        ).all()
    assert len(waiting_ids) == 2
    assert photos and all(p.is_file() for p in photos)
    before = _database_text(services).lower()
    assert all(n in before for n in _needles(phone, name))  # the flow really stored them

    env = _env(services.settings)
    erased = CliRunner().invoke(main, ["learner", "erase", str(learner_id), "--yes"], env=env)
    assert erased.exit_code == 0, erased.output
    assert f"erased learner {learner_id}" in erased.output

    found = {
        "database": _database_text(services).lower(),
        "raw database file": _sqlite_files(services).decode("latin-1").lower(),
        "media folders": _media_text(services)[1].lower(),
        "logs": (caplog.text + "\n".join(r.getMessage() for r in caplog.records)).lower(),
        "redis": _redis_text(services).lower(),
    }
    for where, text in found.items():
        for needle in _needles(phone, name):
            assert needle not in text, f"{needle!r} still in the {where}"
    assert not any(p.exists() for p in photos)

    verified = CliRunner().invoke(main, ["audit", "verify"], env=env)
    assert verified.exit_code == 0, verified.output
    with services.db.read_session() as session:
        events_after = session.exec(select(LearningEvent).order_by(col(LearningEvent.id))).all()
        waiting = [session.get(Message, i) for i in waiting_ids]
        record = session.exec(select(ErasureRecord)).one()
        request = session.exec(select(Escalation)).one()
        consent = session.exec(
            select(ConsentRecord)
            .where(ConsentRecord.learner_id == learner_id)
            .order_by(col(ConsentRecord.id))
        ).all()[-1]
    assert [(e.id, e.hash) for e in events_after] == [(e.id, e.hash) for e in events_before]
    assert {e.kind for e in events_after} >= {"quiz_answered", "evidence_signed", "otj_hours"}
    assert all(m.status == MessageStatus.CANCELED for m in waiting)
    run_worker(services)  # nothing waiting is sent after all
    assert coach.outbound(phone) == [] and coach.outbound(f"erased:{learner_id}")[-1].status == "canceled"
    assert (record.learner_id, record.actor, record.reason) == (learner_id, "cli", "request")
    assert record.counts["media_files"] == 1 and record.counts["sends_cancelled"] == 2
    assert (consent.consent, consent.method) == ("opted_out", "erasure")
    assert record.counts["requests_closed"] == 1 and request.status == "closed"  # no reminders to Sam

    again = CliRunner().invoke(main, ["learner", "erase", str(learner_id), "--yes"], env=env)
    assert again.exit_code == 0 and "already erased" in again.output


# --- the admin page ----------------------------------------------------------------------------------------


def test_admins_export_and_erase_from_the_learners_page_with_a_typed_confirmation(client, services):
    with services.db.session() as session:
        kim = Mentor(name="Kim", email="kim@example.test", password_hash=generate_password_hash(PASSWORD))
        session.add(kim)
        session.flush()
        learner = Learner(phone="+447700900331", name="Tam Ashworth", mentor_id=kim.id)
        session.add(learner)
        session.flush()
        learner_id = learner.id
    page = f"/mentor/learners/{learner_id}"
    _login(client, "kim@example.test")
    assert b"Export all their data" not in client.get(page).data
    token = _token(client, page)
    assert client.post(f"/admin/learners/{learner_id}/export", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/admin/learners/{learner_id}/erase").status_code == 404
    client.post("/logout", data={"csrf_token": token})

    add_admin(services, "admin@example.test", PASSWORD)
    _login(client)
    shown = client.get(page).data.decode()
    assert "Export all their data" in shown and f"/admin/learners/{learner_id}/erase" in shown
    assert client.post(f"/admin/learners/{learner_id}/export").status_code == 400  # no CSRF token
    pack = client.post(f"/admin/learners/{learner_id}/export", data={"csrf_token": _token(client, page)})
    assert pack.status_code == 200 and pack.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(pack.data)) as zf:
        assert json.loads(zf.read("data/learner.json"))[0]["name"] == "Tam Ashworth"

    form = f"/admin/learners/{learner_id}/erase"
    assert f"Type the learner's id, {learner_id}" in client.get(form).data.decode()
    wrong = client.post(form, data={"confirm": "Tam Ashworth", "csrf_token": _token(client, form)})
    assert wrong.status_code == 400
    with services.db.read_session() as session:
        assert session.get(Learner, learner_id).name == "Tam Ashworth"
    assert client.post(form, data={"confirm": str(learner_id)}).status_code == 400  # no CSRF token
    done = client.post(form, data={"confirm": str(learner_id), "csrf_token": _token(client, form)})
    assert done.status_code == 302
    with services.db.read_session() as session:
        erased = session.get(Learner, learner_id)
        record = session.exec(select(ErasureRecord)).one()
        actions = session.exec(select(AdminAuditLog.action)).all()
    assert erased.name is None and erased.phone == f"erased:{learner_id}"
    assert record.actor.startswith("admin ") and {"learner.export", "learner.erase"} <= set(actions)


# --- retention ---------------------------------------------------------------------------------------


NIGHT = datetime(2033, 3, 1, 2, 40, tzinfo=UTC)


def test_the_daily_retention_job_prunes_old_messages_and_erases_long_inactive_learners(services):
    long_ago = NIGHT - timedelta(days=int(6.5 * 365))
    with services.db.session() as session:
        gone = Learner(
            phone="+447700900341", name="Old Leaver", created_at=long_ago, last_inbound_at=long_ago
        )
        active = Learner(
            phone="+447700900342",
            name="Still Here",
            created_at=long_ago,
            last_inbound_at=NIGHT - timedelta(days=3),
        )
        session.add_all([gone, active])
        session.flush()
        for learner, age in (
            (gone, timedelta(days=int(6.5 * 365))),
            (active, timedelta(days=400)),
            (active, timedelta(days=10)),
        ):
            session.add(
                Message(
                    direction="in",
                    phone=learner.phone,
                    learner_id=learner.id,
                    status="received",
                    body=f"message from {learner.name}",
                    raw={"Body": "x"},
                    created_at=NIGHT - age,
                )
            )
        ids = (gone.id, active.id)
    assert enqueue_entry(services.queue, entry("apply-retention"), NIGHT)
    run_worker(services)
    with services.db.read_session() as session:
        left, kept = (session.get(Learner, i) for i in ids)
        bodies = {m.created_at.date(): m.body for m in session.exec(select(Message)).all()}
        record = session.exec(select(ErasureRecord)).one()
    assert left.name is None and left.phone == f"erased:{ids[0]}" and record.reason == "retention"
    assert kept.name == "Still Here"
    assert bodies[(NIGHT - timedelta(days=10)).date()] == "message from Still Here"
    assert bodies[(NIGHT - timedelta(days=400)).date()] == ""  # past RETENTION_MESSAGE_DAYS (365)

    assert enqueue_entry(services.queue, entry("apply-retention"), NIGHT + timedelta(days=1))
    run_worker(services)  # idempotent: nothing more to do, no second erasure record
    with services.db.read_session() as session:
        assert len(session.exec(select(ErasureRecord)).all()) == 1


def test_retention_settings_are_read_from_the_environment():
    settings = Settings.from_env(
        env={"RETENTION_MESSAGE_DAYS": "90", "RETENTION_PORTFOLIO_YEARS": "7", "SECRET_KEY": "x" * 32}
    )
    assert (settings.retention_message_days, settings.retention_portfolio_years) == (90, 7)
    assert Settings().retention_message_days == 365 and Settings().retention_portfolio_years == 6
