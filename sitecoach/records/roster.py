"""Importing learners and mentors from CSV: pure parsing and checking (every bad row named by its line
number), then an all-or-nothing write. A dry run is the check alone."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select
from werkzeug.security import generate_password_hash

from sitecoach.infra.privacy import normalise_phone
from sitecoach.models import (
    AdminAuditLog,
    Cohort,
    CohortProvider,
    Consent,
    ConsentMethod,
    ConsentRecord,
    Learner,
    Mentor,
    utcnow,
)

LEARNER_COLUMNS = ("phone", "name", "cohort", "mentor_email", "timezone")
MENTOR_COLUMNS = ("name", "email", "phone", "password", "is_admin", "is_provider", "is_dsl", "cohorts")
REQUIRED = {"learners": {"phone", "name"}, "mentors": {"name", "email"}}
MAX_ROWS = 2000
NAME_MAX = 120
PASSWORD_MIN = 10
GENERATED_PASSWORD_BYTES = 12  # token_urlsafe(12): 16 characters
DEFAULT_TIMEZONE = "Europe/London"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = {"1", "yes", "y", "true", "t", "admin"}
_FALSE = {"", "0", "no", "n", "false", "f"}


@dataclass(frozen=True)
class LearnerRow:
    """One valid learner line."""

    line: int
    phone: str
    name: str
    cohort: str | None
    mentor_email: str | None
    timezone: str


@dataclass(frozen=True)
class MentorRow:
    """One valid mentor line (password None: one is generated on import)."""

    line: int
    name: str
    email: str
    phone: str | None
    password: str | None
    is_admin: bool
    is_provider: bool = False  # a training provider's user: sees (and signs reviews for) their cohorts
    is_dsl: bool = False  # the provider's designated safeguarding lead (a provider user)
    cohorts: tuple[str, ...] = ()  # names of the cohorts a provider user is linked to


@dataclass(frozen=True)
class Known:
    """What is already in the database, for the checks."""

    cohorts: frozenset[str] = frozenset()
    mentor_emails: frozenset[str] = frozenset()
    learner_phones: frozenset[str] = frozenset()
    mentor_phones: frozenset[str] = frozenset()


@dataclass
class RosterCheck:
    """The outcome of checking a file: the good rows and every problem, by line."""

    kind: str
    rows: list[Any] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every line is good and there is at least one."""
        return bool(self.rows) and not self.problems


def _read(text: str, kind: str, check: RosterCheck) -> list[tuple[int, dict[str, str]]]:
    """The CSV's rows with their line numbers (the header is line 1); header problems are recorded."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = {(h or "").strip().lower() for h in reader.fieldnames or []}
    missing = sorted(REQUIRED[kind] - header)
    if missing:
        check.problems.append((1, f"header: missing column(s) {', '.join(missing)}"))
        return []
    rows = []
    for row in reader:
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if any(clean.values()):
            rows.append((reader.line_num, clean))
    if len(rows) > MAX_ROWS:
        check.problems.append((1, f"too many rows ({len(rows)}; at most {MAX_ROWS} per file)"))
        return []
    return rows


def _timezone(text: str) -> str | None:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return text


def check_learners(text: str, known: Known) -> RosterCheck:
    """Check a learners CSV (phone,name,cohort,mentor_email,timezone) without touching the database."""
    check = RosterCheck("learners")
    seen: dict[str, int] = {}
    for line, row in _read(text, "learners", check):
        problems = []
        phone = normalise_phone(row.get("phone", ""))
        name = row.get("name", "")
        cohort = row.get("cohort") or None
        mentor_email = (row.get("mentor_email") or "").lower() or None
        timezone = _timezone(row.get("timezone") or DEFAULT_TIMEZONE)
        if phone is None:
            problems.append("phone: not an international (E.164) number, e.g. +447700900123")
        elif phone in seen:
            problems.append(f"phone: duplicate of line {seen[phone]}")
        elif phone in known.learner_phones:
            problems.append("phone: a learner with this number already exists")
        if not name:
            problems.append("name: missing")
        elif len(name) > NAME_MAX:
            problems.append(f"name: longer than {NAME_MAX} characters")
        if cohort and cohort not in known.cohorts:
            problems.append(f"cohort: no cohort named {cohort!r}")
        if mentor_email and mentor_email not in known.mentor_emails:
            problems.append(f"mentor_email: no mentor with email {mentor_email!r}")
        if timezone is None:
            problems.append(f"timezone: unknown zone {row.get('timezone')!r}")
        if phone and phone not in seen:
            seen[phone] = line
        if problems:
            check.problems.extend((line, p) for p in problems)
        else:
            assert phone is not None and timezone is not None
            check.rows.append(LearnerRow(line, phone, name, cohort, mentor_email, timezone))
    return check


def _flag(row: dict[str, str], name: str, problems: list[str]) -> bool:
    """A yes/no column (empty is no); a problem is recorded for anything else."""
    text = row.get(name, "").lower()
    if text not in _TRUE | _FALSE:
        problems.append(f"{name}: use yes or no")
    return text in _TRUE


def check_mentors(text: str, known: Known) -> RosterCheck:
    """Check a mentors CSV (name,email,phone,password,is_admin,is_provider,is_dsl,cohorts) without touching
    the database; `cohorts` is a list of cohort names separated by semicolons, for provider users."""
    check = RosterCheck("mentors")
    emails: dict[str, int] = {}
    phones: dict[str, int] = {}
    for line, row in _read(text, "mentors", check):
        problems: list[str] = []
        name, email = row.get("name", ""), row.get("email", "").lower()
        raw_phone, password = row.get("phone", ""), row.get("password") or None
        flags = {flag: _flag(row, flag, problems) for flag in ("is_admin", "is_provider", "is_dsl")}
        cohorts = tuple(c.strip() for c in (row.get("cohorts") or "").split(";") if c.strip())
        phone = normalise_phone(raw_phone) if raw_phone else None
        if not name:
            problems.append("name: missing")
        elif len(name) > NAME_MAX:
            problems.append(f"name: longer than {NAME_MAX} characters")
        if not _EMAIL.match(email):
            problems.append("email: missing or not an email address")
        elif email in emails:
            problems.append(f"email: duplicate of line {emails[email]}")
        elif email in known.mentor_emails:
            problems.append("email: a mentor with this email already exists")
        if raw_phone and phone is None:
            problems.append("phone: not an international (E.164) number, e.g. +447700900123")
        elif phone and phone in phones:
            problems.append(f"phone: duplicate of line {phones[phone]}")
        elif phone and phone in known.mentor_phones:
            problems.append("phone: a mentor with this number already exists")
        if password is not None and len(password) < PASSWORD_MIN:
            problems.append(
                f"password: shorter than {PASSWORD_MIN} characters (leave it empty to generate one)"
            )
        if flags["is_dsl"] and not flags["is_provider"]:
            problems.append("is_dsl: a safeguarding lead must be a provider user (is_provider yes)")
        if cohorts and not flags["is_provider"]:
            problems.append("cohorts: only provider users are linked to cohorts (is_provider yes)")
        problems += [f"cohorts: no cohort named {c!r}" for c in cohorts if c not in known.cohorts]
        emails.setdefault(email, line)
        if phone:
            phones.setdefault(phone, line)
        if problems:
            check.problems.extend((line, p) for p in problems)
        else:
            check.rows.append(
                MentorRow(
                    line,
                    name,
                    email,
                    phone,
                    password,
                    bool(flags["is_admin"]),
                    bool(flags["is_provider"]),
                    bool(flags["is_dsl"]),
                    cohorts,
                )
            )
    return check


# --- the database side ------------------------------------------------------------------------------


def known_roster(session: Session) -> Known:
    """The cohorts, emails and phone numbers already in the database."""
    mentors = session.exec(select(Mentor.email, Mentor.phone)).all()
    return Known(
        cohorts=frozenset(session.exec(select(Cohort.name)).all()),
        mentor_emails=frozenset((e or "").lower() for e, _p in mentors if e),
        learner_phones=frozenset(p for p in session.exec(select(Learner.phone)).all() if p),
        mentor_phones=frozenset(p for _e, p in mentors if p),
    )


def check_roster(session: Session, kind: str, text: str) -> RosterCheck:
    """A dry run: check a learners or mentors CSV against the database, writing nothing."""
    known = known_roster(session)
    return check_learners(text, known) if kind == "learners" else check_mentors(text, known)


def import_roster(session: Session, kind: str, text: str, actor_id: int | None) -> tuple[RosterCheck, dict]:
    """Check, then (only if every row is good) create the rows; returns generated passwords by email."""
    check = check_roster(session, kind, text)
    passwords: dict[str, str] = {}
    if not check.ok:
        return check, passwords
    if kind == "learners":
        cohorts = {c.name: c.id for c in session.exec(select(Cohort)).all()}
        mentors = {(m.email or "").lower(): m.id for m in session.exec(select(Mentor)).all()}
        learners = [
            Learner(
                phone=row.phone,
                name=row.name,
                cohort_id=cohorts.get(row.cohort) if row.cohort else None,
                mentor_id=mentors.get(row.mentor_email) if row.mentor_email else None,
                timezone=row.timezone,
            )
            for row in check.rows
        ]
        session.add_all(learners)
        session.flush()
        now = utcnow()
        # Imported, not yet asked: the record shows who added them; the YES on WhatsApp grants consent.
        session.add_all(
            ConsentRecord(
                learner_id=int(learner.id or 0),
                at=now,
                consent=Consent.PENDING,
                method=ConsentMethod.IMPORT,
                actor_id=actor_id,
            )
            for learner in learners
        )
    else:
        cohort_ids = {c.name: int(c.id or 0) for c in session.exec(select(Cohort)).all()}
        for row in check.rows:
            password = row.password or passwords.setdefault(
                row.email, secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
            )
            staff = Mentor(
                name=row.name,
                email=row.email,
                phone=row.phone,
                is_admin=row.is_admin,
                is_provider=row.is_provider,
                is_dsl=row.is_dsl,
                password_hash=generate_password_hash(password),
            )
            session.add(staff)
            session.flush()
            session.add_all(
                CohortProvider(cohort_id=cohort_ids[name], staff_id=int(staff.id or 0))
                for name in row.cohorts
            )
    session.add(
        AdminAuditLog(
            actor_id=actor_id,
            action=f"import.{kind}",
            target=f"{len(check.rows)} {kind}",
            details={"rows": len(check.rows), "generated_passwords": len(passwords)},
        )
    )
    session.flush()
    return check, passwords
