"""Alembic creates and removes the schema on this run's database engine (SQLite or PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from sitecoach import models
from sitecoach.infra.migrate import downgrade, upgrade
from sitecoach.settings import Settings


@contextmanager
def _scratch(tmp_path):
    """A scratch database URI for one test, dropped afterwards on PostgreSQL."""
    uri, cleanup = _scratch_database(tmp_path)
    try:
        yield uri
    finally:
        if cleanup:
            admin, name = cleanup
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


def _scratch_database(tmp_path):
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        return f"sqlite:///{tmp_path / 'migrate.db'}", None
    base = Settings(database_url=admin_url).database_uri
    name = f"sitecoach_mig_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False), (admin, name)


def _old_learner(session, phone: str, name: str, created_at) -> int:
    """A learner row as a schema before 0011 holds it (number only), written with only those columns."""
    table = models.Learner.__table__
    values = {"phone": phone, "name": name, "timezone": "Europe/London", "consent": "opted_in"}
    values |= {"nudge_time": "07:30", "created_at": created_at}
    return int(session.execute(sa.insert(table).values(**values).returning(table.c.id)).scalar_one())


def test_upgrade_creates_every_table_and_downgrade_removes_them(tmp_path):
    with _scratch(tmp_path) as uri:
        upgrade(uri)
        engine = sa.create_engine(uri)
        tables = set(sa.inspect(engine).get_table_names())
        assert set(models.metadata.tables) <= tables
        uniques = {tuple(u["column_names"]) for u in sa.inspect(engine).get_unique_constraints("message")}
        assert ("twilio_sid",) in uniques and ("dedupe_key",) in uniques
        downgrade(uri, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(uri)
        engine.dispose()


def test_upgrade_withdraws_badges_the_old_formula_gave_and_keeps_earned_ones(tmp_path):
    from datetime import timedelta
    from pathlib import Path

    from sqlmodel import Session, select

    from sitecoach.curriculum.pack import load_pack
    from sitecoach.models import Database
    from sitecoach.models.db import make_engine, utcnow
    from sitecoach.records.audit import LEGACY_CHAIN_INFO, append_event, verify_chain
    from sitecoach.records.audit_checkpoints import rechain
    from sitecoach.records.seeding import sync_pack

    with _scratch(tmp_path) as uri:
        upgrade(uri, "0009")  # the schema before knowledge tracing
        engine = make_engine(uri)
        now = utcnow()
        pack = load_pack(Path(__file__).resolve().parents[1] / "content" / "st1332")
        with Session(engine, info={LEGACY_CHAIN_INFO: True}) as session:  # an install before the keyed chain
            sync_pack(session, pack)
            wrong = _old_learner(session, "+447700900201", "Wrong", now - timedelta(days=5))
            right = _old_learner(session, "+447700900202", "Right", now - timedelta(days=5))
            bank = [spec for _, spec in pack.quiz] + [t[1] for t in pack.card_quiz()]
            law = [spec.id for spec in bank if all(c.startswith("LAW") for c in spec.competencies)]
            # One sitting of wrong answers: the old formula gave Novice for it
            for n, item in enumerate(law):
                at = now - timedelta(days=3, minutes=-n)
                append_event(session, wrong, "quiz_answered", at, {"item": item, "correct": False})
            append_event(
                session, wrong, "badge_awarded", now - timedelta(days=3), {"badge": "area:LAW:Novice"}
            )
            # Right answers on three days: Novice was earned under any rules
            for days_ago in (3, 2, 1):
                for n, item in enumerate(law):
                    at = now - timedelta(days=days_ago, minutes=-n)
                    append_event(session, right, "quiz_answered", at, {"item": item, "correct": True})
            append_event(
                session, right, "badge_awarded", now - timedelta(days=1), {"badge": "area:LAW:Novice"}
            )
            session.commit()
            ids = (wrong, right)
        upgrade(uri)
        db = Database(uri, audit_key="an-audit-key-for-this-test-0123456789")
        assert rechain(db, tmp_path / "checkpoints.jsonl", now).written == 2  # `sitecoach migrate` does it
        with db.read_session() as session:
            withdrawn = session.exec(
                select(models.LearningEvent).where(models.LearningEvent.kind == "badge_withdrawn")
            ).all()
            assert [(e.learner_id, e.data["badge"]) for e in withdrawn] == [(ids[0], "area:LAW:Novice")]
            assert "old mastery formula" in withdrawn[0].data["note"]
            assert verify_chain(session).ok
        db.dispose()
        engine.dispose()


def test_whatsapp_identity_keeps_existing_learners_and_adds_unique_bsuids(tmp_path):
    from sqlmodel import Session, select

    from sitecoach.models.db import make_engine, utcnow

    bsuid = "GB.1502576394655843"
    with _scratch(tmp_path) as uri:
        upgrade(uri, "0010")  # numbers only
        engine = make_engine(uri)
        with Session(engine) as session:
            kept = _old_learner(session, "+447700900301", "Kept", utcnow())
            session.commit()
        upgrade(uri)
        with Session(engine) as session:
            learner = session.get(models.Learner, kept)
            assert (learner.phone, learner.name, learner.bsuid) == ("+447700900301", "Kept", None)
            learner.bsuid = bsuid  # the BSUID that later arrives beside the number
            session.add(models.Learner(bsuid="GB.ENT.77", username="@no_number"))  # no number at all
            session.add(models.Message(direction="in", phone=bsuid, bsuid=bsuid))  # a BSUID address
            session.commit()
            assert session.exec(select(models.Learner.phone).where(models.Learner.bsuid == bsuid)).one()
        with Session(engine) as session, pytest.raises(sa.exc.IntegrityError):
            session.add(models.Learner(bsuid=bsuid))  # one learner per BSUID
            session.commit()
        with pytest.raises(RuntimeError, match="no phone number"):
            downgrade(uri, "0010")  # would lose the learner who has no number
        engine.dispose()
