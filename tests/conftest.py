"""Shared fixtures: a real database and Redis (embedded by default, or DATABASE_URL / REDIS_URL),
the app and its test client, a real RQ worker, signed Twilio-shaped requests, and the `coach` harness."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import SimpleWorker
from sqlmodel import col, delete, select
from twilio.request_validator import RequestValidator

from sitecoach.curriculum.catalogue import LessonInfo
from sitecoach.curriculum.pack import load_pack
from sitecoach.curriculum.videos import RenderedVideo, render_lesson_video
from sitecoach.infra.embedded_redis import ensure_embedded_redis, stop_embedded_redis
from sitecoach.infra.migrate import upgrade
from sitecoach.jobs import runtime
from sitecoach.jobs.legacy import MovedPathJob
from sitecoach.models import (
    AdminAuditLog,
    BanditRecord,
    Cohort,
    CohortProvider,
    ConsentRecord,
    ConversationState,
    Employer,
    ErasureRecord,
    Escalation,
    EvidenceItem,
    FsrsParameters,
    KnowledgeCard,
    KnowledgeCardVersion,
    Learner,
    LearnerSnapshot,
    LearningBreak,
    LearningEvent,
    Lesson,
    LLMUsage,
    Mentor,
    Message,
    OtjMinimum,
    PassportAuthorisation,
    PracticalAssessment,
    ProgressReview,
    ProgressReviewVersion,
    PromptVersion,
    QuizItem,
    ReviewState,
    SafeguardingConcern,
    SafeguardingNote,
    VariantAssignment,
)
from sitecoach.records.seeding import sync_pack
from sitecoach.services import Services
from sitecoach.settings import DEFAULT_CONTENT_PACK, Settings
from sitecoach.wiring import build_services, create_app

TEST_AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_BASE_URL = "https://coach.example.test"


# --- no internet -------------------------------------------------------------------------------
_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = ipaddress.ip_address(socket.gethostbyname(host)) if host == "localhost" else None
        if ip is None or not ip.is_loopback:
            raise OSError(f"test tried to reach the internet: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that tries to connect beyond loopback."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


# --- a real lesson video (ffmpeg + espeak-ng take ~10 s: rendered once for the whole suite) ---------------
@pytest.fixture(scope="session")
def l03_rendered(tmp_path_factory: pytest.TempPathFactory) -> RenderedVideo:
    """L03 from the content pack, rendered once; tests copy the files where they need them."""
    ffmpeg, espeak, ffprobe = (shutil.which(t) for t in ("ffmpeg", "espeak-ng", "ffprobe"))
    assert ffmpeg and espeak and ffprobe, (
        "lesson video tests need ffmpeg, ffprobe and espeak-ng: apt-get install ffmpeg espeak-ng"
    )
    return render_lesson_video(pack_lesson("L03"), tmp_path_factory.mktemp("l03-video"), ffmpeg, espeak)


def pack_lesson(code: str) -> LessonInfo:
    """A lesson straight from the content pack, as the catalogue would hold it."""
    spec = next(x for x in load_pack(DEFAULT_CONTENT_PACK).lessons if x.id == code)
    return LessonInfo(
        id=spec.order,
        code=spec.id,
        position=spec.order,
        title=spec.title,
        script=spec.script,
        key_facts=tuple(spec.key_facts),
        safety_warnings=tuple(spec.safety_warnings),
        mandatory_phrases=tuple(spec.mandatory_phrases),
        keywords=tuple(spec.keywords),
        competencies=tuple(spec.competencies),
        verify_locally=spec.verify_locally,
    )


# --- database and redis (once per session) --------------------------------------------------------
@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def database_uri(instance_dir: Path) -> Iterator[str]:
    """A fresh database: a new PostgreSQL database when DATABASE_URL is set, else SQLite in a temp folder."""
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        uri = f"sqlite:///{instance_dir / 'test.db'}"
        upgrade(uri)
        yield uri
        return
    base = Settings(database_url=admin_url).database_uri
    name = f"sitecoach_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    uri = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    upgrade(uri)
    yield uri
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


REDIS_DATABASES = 16  # redis-server's default `databases`; a worker's db must stay below it


def worker_redis_url(url: str, worker: str | None) -> str:
    """The Redis URL for one pytest-xdist worker: gw0 gets the db after REDIS_URL's, gw1 the next, and so
    on, so that each worker's per-test `flushdb` empties its own database only. Without xdist, `url`."""
    if not worker:
        return url
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    in_query = parts.scheme == "unix" or "db" in query
    base = int(query.get("db", "0") if in_query else parts.path.strip("/") or "0")
    db = base + 1 + int(worker.removeprefix("gw"))
    if db >= REDIS_DATABASES:
        raise pytest.UsageError(
            f"REDIS_URL's db {base} leaves no Redis database for xdist worker {worker}: "
            "point REDIS_URL at a lower db or run fewer workers (make test TEST_WORKERS=...)"
        )
    if in_query:
        return url.split("?", 1)[0] + "?" + urlencode({**query, "db": str(db)})  # unix:/// keeps its ///
    return urlunsplit(parts._replace(path=f"/{db}"))


def pytest_configure(config: pytest.Config) -> None:
    """Under xdist, point this worker's REDIS_URL at its own database before anything reads it: the
    `redis_url` fixture and every subprocess or CLI run that inherits the environment then agree."""
    url = os.environ.get("REDIS_URL")
    if url:
        os.environ["REDIS_URL"] = worker_redis_url(url, os.environ.get("PYTEST_XDIST_WORKER"))


@pytest.fixture(scope="session")
def redis_url(instance_dir: Path) -> Iterator[str]:
    """REDIS_URL when set (this worker's own db, flushed between tests), else an embedded Redis in this
    worker's own instance folder."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    yield ensure_embedded_redis(instance_dir)
    stop_embedded_redis(instance_dir)


@pytest.fixture(scope="session")
def base_settings(instance_dir: Path, database_uri: str, redis_url: str) -> Settings:
    """Settings for the suite: simulator channel, a known auth token and public URL."""
    return Settings.from_env(
        env={},
        database_url=database_uri,
        redis_url=redis_url,
        instance_path=instance_dir,
        twilio_auth_token=TEST_AUTH_TOKEN,
        public_base_url=PUBLIC_BASE_URL,
        secret_key="test-secret-key-0123456789abcdef-0123",
        coach_channel="simulator",
        simulator_enabled=True,
        queue_name="coach-test",
        # WhatsApp's pair rate is 6 s between two messages to one learner; tests/delivery/test_pacing.py
        # checks the spacing itself, the rest of the suite keeps it short so multi-part replies don't wait.
        learner_spacing_seconds=0.2,
        # WhatsApp's "typing..." goes to Twilio when an answer takes over a second: on a busy test machine
        # that would be now and then, so it is off here; tests/delivery/test_typing_indicator.py turns it on.
        typing_indicator_after_seconds=-1,
    )


@pytest.fixture(scope="session")
def seeded(base_settings: Settings) -> None:
    """The lesson pack, loaded once."""
    services = build_services(base_settings)
    with services.db.session() as session:
        sync_pack(session, load_pack(base_settings.content_pack_path))
    services.close()


PER_TEST_TABLES = (
    ConsentRecord,
    ErasureRecord,
    FsrsParameters,
    KnowledgeCardVersion,
    LLMUsage,
    PromptVersion,
    AdminAuditLog,
    LearnerSnapshot,
    VariantAssignment,
    BanditRecord,
    SafeguardingNote,
    SafeguardingConcern,
    Message,
    ConversationState,
    ErasureRecord,
    PassportAuthorisation,
    PracticalAssessment,
    EvidenceItem,
    Escalation,
    LearningEvent,
    ReviewState,
    ProgressReviewVersion,
    ProgressReview,
    LearningBreak,
    OtjMinimum,
    CohortProvider,
    Learner,
    Cohort,
    Employer,
    Mentor,
)


@pytest.fixture
def services(base_settings: Settings, seeded: None) -> Iterator[Services]:
    """Fresh services on a clean database (curriculum kept) and an empty Redis; installed for jobs."""
    svc = build_services(base_settings)
    svc.redis.flushdb()
    with svc.db.session() as session:
        session.exec(sa.update(Message).values(in_reply_to_id=None))  # self-reference first
        for table in PER_TEST_TABLES:
            session.exec(delete(table))
    runtime.install(svc)
    yield svc
    runtime.install(None)
    svc.close()


CARD_FIELDS = ("content", "title", "status", "version", "edited", "reviewed_by", "reviewed_at", "updated_at")
LESSON_FIELDS = ("review_status", "reviewed_by", "reviewed_at", "updated_at", "script")


@pytest.fixture
def restore_content(services: Services) -> Iterator[None]:
    """Put every card, lesson and quiz item back as the pack seeded them after a test that reviews content
    (the curriculum is seeded once per session, so a withdrawn card would leak into later tests)."""

    def snapshot(rows, fields):  # type: ignore[no-untyped-def]
        return {row.id: tuple(getattr(row, f) for f in fields) for row in rows}

    with services.db.read_session() as session:
        cards = snapshot(session.exec(select(KnowledgeCard)).all(), CARD_FIELDS)
        lessons = snapshot(session.exec(select(Lesson)).all(), LESSON_FIELDS)
        items = snapshot(session.exec(select(QuizItem)).all(), ("active",))
    yield
    with services.db.session() as session:
        session.exec(delete(KnowledgeCardVersion))
        for model, saved, fields in (
            (KnowledgeCard, cards, CARD_FIELDS),
            (Lesson, lessons, LESSON_FIELDS),
            (QuizItem, items, ("active",)),
        ):
            for row in session.exec(select(model)).all():
                if row.id in saved and snapshot([row], fields)[row.id] != saved[row.id]:
                    for name, value in zip(fields, saved[row.id], strict=True):
                        setattr(row, name, value)
                    session.add(row)


@pytest.fixture
def app(services: Services):  # type: ignore[no-untyped-def]
    app = create_app(services=services)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def queue(services: Services):  # type: ignore[no-untyped-def]
    return services.queue


def add_admin(services: Services, email: str, password: str, name: str = "Ada Admin") -> None:
    """An admin mentor who can log in with this password."""
    from werkzeug.security import generate_password_hash

    with services.db.session() as session:
        session.add(
            Mentor(name=name, email=email, is_admin=True, password_hash=generate_password_hash(password))
        )


SIMULATOR_ADMIN_EMAIL = "simulator-admin@example.test"
SIMULATOR_ADMIN_PASSWORD = "simulator admin passphrase"


def form_token(client, path: str = "/login") -> str:  # type: ignore[no-untyped-def]
    """The CSRF token in a page's form, read as a browser would."""
    page = client.get(path).data.decode()
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def log_in(client, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Log in through the real form, CSRF token and all."""
    form = {"email": email, "password": password, "csrf_token": form_token(client)}
    response = client.post("/login", data=form)
    assert response.status_code == 302, response.data[:300]


def simulator_token(client) -> str:  # type: ignore[no-untyped-def]
    """The CSRF token the simulator page's script sends (as X-CSRFToken) with every POST."""
    page = client.get("/simulator").data.decode()
    return page.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]


def log_in_as_simulator_admin(client, services: Services) -> None:  # type: ignore[no-untyped-def]
    """Log this client in as an admin (made on first use): the simulator answers only admins."""
    with services.db.read_session() as session:
        exists = session.exec(select(Mentor).where(Mentor.email == SIMULATOR_ADMIN_EMAIL)).first()
    if exists is None:
        add_admin(services, SIMULATOR_ADMIN_EMAIL, SIMULATOR_ADMIN_PASSWORD, name="Sim Admin")
    log_in(client, SIMULATOR_ADMIN_EMAIL, SIMULATOR_ADMIN_PASSWORD)


def assign_mentor(services: Services, learner_phone: str, mentor_phone: str) -> None:
    """Sam Okafor, the mentor with this phone (made on first use), assigned to the learner with this phone."""
    with services.db.session() as session:
        mentor = session.exec(select(Mentor).where(Mentor.phone == mentor_phone)).first()
        if mentor is None:
            mentor = Mentor(name="Sam Okafor", phone=mentor_phone)
            session.add(mentor)
            session.flush()
        learner = session.exec(select(Learner).where(Learner.phone == learner_phone)).one()
        learner.mentor_id = mentor.id
        session.add(learner)


def run_worker(services: Services, max_jobs: int | None = None) -> int:
    """Run a real RQ worker over the queues until they are empty (or it has run `max_jobs`: a load test
    that keeps posting must get control back); return how many jobs it ran."""
    worker = SimpleWorker(services.queues, connection=services.redis, job_class=MovedPathJob)
    worker.work(burst=True, logging_level="WARNING", max_jobs=max_jobs)
    return worker.successful_job_count + worker.failed_job_count


# --- twilio-shaped requests ---------------------------------------------------------------------------
def twilio_form(
    phone: str = "+447700900123", body: str = "", sid: str | None = None, **extra: str
) -> dict[str, str]:
    """The fields Twilio posts for an inbound WhatsApp message."""
    sid = sid or "SM" + uuid.uuid4().hex
    form = {
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
        "ProfileName": "Test Learner",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
        "MessageType": "text",
    }
    form.update(extra)
    return form


def sign(path: str, form: dict[str, str], token: str = TEST_AUTH_TOKEN, base: str = PUBLIC_BASE_URL) -> str:
    """X-Twilio-Signature for a POST of `form` to `base + path`."""
    return RequestValidator(token).compute_signature(base + path, form)


def post_signed(client, path: str, form: dict[str, str], **kwargs):  # type: ignore[no-untyped-def]
    """POST a form to the app the way Twilio would, correctly signed."""
    return client.post(path, data=form, headers={"X-Twilio-Signature": sign(path, form, **kwargs)})


class Coach:
    """Talks to the coach like a phone: through the signed webhook and a real RQ worker."""

    def __init__(self, client, services: Services) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.services = services

    def send(self, text: str = "", phone: str = "+447700900123", **extra: str) -> list[str]:
        """Send one message; return the coach's new replies to that phone."""
        before = self._last_id()
        response = post_signed(self.client, "/whatsapp/inbound", twilio_form(phone, text, **extra))
        assert response.status_code == 200, response.data
        run_worker(self.services)
        return [m.body for m in self.outbound(phone, after=before)]

    def _last_id(self) -> int:
        with self.services.db.session() as session:
            return int(session.exec(select(sa.func.max(Message.id))).one() or 0)

    def outbound(self, phone: str, after: int = 0) -> list[Message]:
        """Messages the coach sent to a phone, oldest first."""
        with self.services.db.session() as session:
            return list(
                session.exec(
                    select(Message)
                    .where(Message.phone == phone, Message.direction == "out", col(Message.id) > after)
                    .order_by(col(Message.id))
                ).all()
            )

    def onboard(self, phone: str = "+447700900123", name: str = "Jamie") -> None:
        """Take a new learner through welcome, consent and name."""
        self.send("hi", phone)
        self.send("yes", phone)
        self.send(name, phone)


@pytest.fixture
def coach(client, services: Services) -> Coach:  # type: ignore[no-untyped-def]
    return Coach(client, services)


@pytest.fixture
def redis_conn(services: Services) -> Redis:
    return services.redis
