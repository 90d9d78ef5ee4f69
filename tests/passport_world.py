"""A small world for the authorisation passport's tests: a cohort with an employer, its mentor (with a
WhatsApp number and a web login), a provider user of the cohort, another mentor, and one learner."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from werkzeug.security import generate_password_hash

from sitecoach.models import Cohort, CohortProvider, Consent, Employer, Learner, Mentor
from sitecoach.records import passport as records
from sitecoach.services import Services

PASSWORD = "passport password 1"
MENTOR_EMAIL = "pat.mentor@example.test"
PROVIDER_EMAIL = "prue.provider@example.test"
OTHER_EMAIL = "olly.other@example.test"
LEARNER_PHONE = "+447700900461"
MENTOR_PHONE = "+447700900462"


@dataclass(frozen=True)
class PassportWorld:
    """The ids of the world's rows."""

    learner: int
    mentor: int
    provider: int
    other: int
    cohort: int
    employer: int


def make_world(services: Services, *, learner_name: str | None = "Jo Jointer") -> PassportWorld:
    """Build the world (the learner is onboarded and opted in unless `learner_name` is None)."""
    with services.db.session() as session:
        employer = Employer(name="Southern Networks")
        session.add(employer)
        session.flush()
        cohort = Cohort(name="Passport cohort", standard_code="ST1332", employer_id=employer.id)
        hashed = generate_password_hash(PASSWORD)
        mentor = Mentor(name="Pat Mentor", email=MENTOR_EMAIL, phone=MENTOR_PHONE, password_hash=hashed)
        provider = Mentor(name="Prue Provider", email=PROVIDER_EMAIL, is_provider=True, password_hash=hashed)
        other = Mentor(name="Olly Other", email=OTHER_EMAIL, password_hash=hashed)
        session.add_all([cohort, mentor, provider, other])
        session.flush()
        session.add(CohortProvider(cohort_id=int(cohort.id or 0), staff_id=int(provider.id or 0)))
        learner = Learner(
            phone=LEARNER_PHONE,
            name=learner_name,
            cohort_id=cohort.id,
            mentor_id=mentor.id,
            consent=Consent.OPTED_IN if learner_name else Consent.PENDING,
        )
        session.add(learner)
        session.flush()
        return PassportWorld(
            int(learner.id or 0),
            int(mentor.id or 0),
            int(provider.id or 0),
            int(other.id or 0),
            int(cohort.id or 0),
            int(employer.id or 0),
        )


def grant(
    services: Services, world: PassportWorld, code: str, on: date, now: datetime, **extra: object
) -> int:
    """Record an authorisation through the records layer (as the learner's mentor)."""
    with services.db.session() as session:
        row = records.grant_authorisation(
            session,
            session.get(Learner, world.learner),
            session.get(Mentor, world.mentor),
            category=code,
            granted_on=on,
            expires_on=extra.get("expires_on"),  # type: ignore[arg-type]
            evidence_id=extra.get("evidence_id"),  # type: ignore[arg-type]
            notes=str(extra.get("notes", "")),
            now=now,
            pack_root=services.settings.content_pack_path,
        )
        return int(row.id or 0)


def assess(
    services: Services,
    world: PassportWorld,
    code: str,
    on: date,
    now: datetime,
    result: str = "pass",
    **extra: object,
) -> int:
    """Record a practical assessment through the records layer."""
    with services.db.session() as session:
        row = records.record_assessment(
            session,
            session.get(Learner, world.learner),
            session.get(Mentor, world.mentor),
            assessment=code,
            assessor=str(extra.get("assessor", "Alex Assessor")),
            assessed_on=on,
            result=result,
            expires_on=extra.get("expires_on"),  # type: ignore[arg-type]
            evidence_id=extra.get("evidence_id"),  # type: ignore[arg-type]
            notes="",
            now=now,
            pack_root=services.settings.content_pack_path,
        )
        return int(row.id or 0)


def portfolio_pdf_words(zip_bytes: bytes, tmp_path: Path) -> str:
    """The words of a portfolio ZIP's index.pdf, as pdftotext reads them, on one line."""
    assert shutil.which("pdftotext"), "pdftotext missing: install poppler-utils (.ci/run does)"
    pdf = tmp_path / "index.pdf"
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        pdf.write_bytes(zf.read("index.pdf"))
    done = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, timeout=60)
    return " ".join(done.stdout.decode("utf-8").split())
