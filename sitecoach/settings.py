"""The one settings object: defaults, then the environment, then explicit overrides."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_PORT = 5000
DEFAULT_TIMEZONE = "Europe/London"
DEFAULT_CONTENT_PACK = REPO_ROOT / "content" / "st1332"
DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
DEFAULT_INSTANCE_DIR = REPO_ROOT / "instance"
DEFAULT_TWILIO_API_BASE = "https://api.twilio.com"
DEFAULT_TWILIO_TIMEOUT_SECONDS = 10.0
DEFAULT_CONVERSATION_TTL_MINUTES = 30
DEFAULT_QUIZ_ROUND_LENGTH = 5
DEFAULT_DESIRED_RETENTION = 0.8  # FSRS's target recall at review time (bench/learning.py: 0.9 costs weeks)
DEFAULT_MAXIMUM_INTERVAL_DAYS = 180  # FSRS never puts a review off longer (bench/learning.py)
# Fit FSRS to the cohort's answers only with this many quiz answers from this many learners (see
# sitecoach/learning/memory_fit.py for why); defaults before that.
DEFAULT_MEMORY_FIT_MIN_REVIEWS = 1000
DEFAULT_MEMORY_FIT_MIN_LEARNERS = 20
DEFAULT_LINK_MAX_AGE_DAYS = 14
# A progress review is due at most 12 weeks (funding rules) after the last one; lower is allowed.
MAX_PROGRESS_REVIEW_INTERVAL_DAYS = 84
DEFAULT_MEDIA_MAX_BYTES = 16 * 1024 * 1024  # WhatsApp's largest message
DEFAULT_REQUEST_MAX_BYTES = 256 * 1024  # a Twilio webhook form is a few KB
DEFAULT_SWEEP_AFTER_SECONDS = 60
DEFAULT_EPA_PASS_MARK = 0.65  # fraction of the EPA knowledge paper to pass (set from the EPA plan)
DEFAULT_MOCK_TEST_QUESTIONS = 20
DEFAULT_MOCK_TEST_MINUTES = 30
DEFAULT_QUIET_START = "21:00"  # learner's local time from which nothing proactive is sent
DEFAULT_QUIET_END = "07:00"  # ... until this local time
DEFAULT_NUDGE_WINDOW_HOURS = 3  # a daily nudge not sent within this many hours after its time waits a day
DEFAULT_STALL_COOLDOWN_DAYS = 7
DEFAULT_ESCALATION_REMIND_MINUTES = 120
DEFAULT_EMERGENCY_REMIND_MINUTES = 10
DEFAULT_STUCK_SEND_MINUTES = 2  # a send claimed this long ago with no answer is checked and retried
DEFAULT_OUTBOUND_MPS = 80.0  # messages per second per WhatsApp sender (Twilio's default; the Sandbox: 0.33)
DEFAULT_LEARNER_SPACING_SECONDS = 6.0  # seconds between two messages to one learner (WhatsApp's pair rate)
DEFAULT_LEARNER_BURST_MESSAGES = 5  # messages to one learner that may go back to back (the parts of a reply)
DEFAULT_TYPING_INDICATOR_AFTER_SECONDS = 1.0  # an answer still being worked on after this shows "typing..."
# An authorisation or assessment this many days from expiry is flagged to the learner and their mentor
# (again a week before, and on the day); the quiz leans towards the next passport step's items by this many
# mastery points (out of 100).
DEFAULT_PASSPORT_EXPIRY_WARN_DAYS = 30
DEFAULT_PASSPORT_QUIZ_LEAN = 25.0
DEFAULT_PROACTIVE_DAILY_CAP = 2  # nudges, stall messages, celebrations a learner gets a local day at most
DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-5"  # current, and supports the forced tool call routing uses
DEFAULT_LLM_TIMEOUT_SECONDS = 8.0  # the whole call, after which the offline answer goes out instead
DEFAULT_LLM_MAX_TOKENS = 400  # a WhatsApp-length answer
DEFAULT_LLM_DAILY_TOKENS = 20_000  # per learner per day, input and output together
DEFAULT_LLM_HOURLY_CALLS = 30  # per learner
DEFAULT_LLM_ROUTE_BELOW = 0.55  # the classifier's confidence below which the model is asked to route
DEFAULT_LLM_USD_PER_MTOK_IN = 3.0  # price per million input tokens, for the cost report
DEFAULT_LLM_USD_PER_MTOK_OUT = 15.0
# Data retention (README "Data rights"): the learning record and portfolio this many years after a learner's
# last activity (ESFA audits apprenticeship funding evidence for six years); raw message text this many days.
DEFAULT_RETENTION_PORTFOLIO_YEARS = 6
DEFAULT_RETENTION_MESSAGE_DAYS = 365
DEFAULT_VOICE_CONFIRM_BELOW = 0.4  # geometric mean word posterior (bench/voice.py: 0.5 reads back 15 points
# more notes to get 1.5 points more of the rest right)
WHATSAPP_BODY_LIMIT = 1600
MIN_KEY_CHARS = 32  # SECRET_KEY and AUDIT_KEY shorter than this are refused (a generated one has 43)
SECRET_KEY_FILE = "secret_key"  # in the instance folder, generated when SECRET_KEY is unset
AUDIT_KEY_FILE = "audit_key"  # in the instance folder, generated when AUDIT_KEY is unset
AUDIT_CHECKPOINT_FILE = "audit-checkpoints.jsonl"  # in the instance folder unless AUDIT_CHECKPOINT_PATH


class SettingsError(ValueError):
    """A setting that must not be used as given; the message says what to do."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable about Site Coach, read once per process."""

    database_url: str | None = None
    redis_url: str | None = None
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_whatsapp_from: str | None = None
    twilio_api_base_url: str = DEFAULT_TWILIO_API_BASE
    twilio_timeout_seconds: float = DEFAULT_TWILIO_TIMEOUT_SECONDS
    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None  # ANTHROPIC_BASE_URL: a proxy, or the local stub in tests
    anthropic_model: str = DEFAULT_ANTHROPIC_MODEL
    llm_timeout_seconds: float = DEFAULT_LLM_TIMEOUT_SECONDS
    llm_max_tokens: int = DEFAULT_LLM_MAX_TOKENS
    llm_daily_tokens: int = DEFAULT_LLM_DAILY_TOKENS
    llm_hourly_calls: int = DEFAULT_LLM_HOURLY_CALLS
    llm_route_below: float = DEFAULT_LLM_ROUTE_BELOW
    llm_usd_per_mtok_in: float = DEFAULT_LLM_USD_PER_MTOK_IN
    llm_usd_per_mtok_out: float = DEFAULT_LLM_USD_PER_MTOK_OUT
    public_base_url: str = f"http://localhost:{DEFAULT_PORT}"
    secret_key: str = ""
    # AUDIT_KEY: keys the learning-event chain (HMAC); held outside the database, so whoever can write the
    # database cannot rewrite the chain. Keep it as long as the records (sitecoach/records/audit.py).
    audit_key: str = ""
    audit_checkpoint_path: Path | None = None  # AUDIT_CHECKPOINT_PATH: the signed checkpoints (append-only)
    coach_channel: str = "simulator"
    port: int = DEFAULT_PORT
    default_timezone: str = DEFAULT_TIMEZONE
    instance_path: Path = DEFAULT_INSTANCE_DIR
    # FASTER_WHISPER_MODEL_DIR: a local faster-whisper model for voice notes (used only if the package is
    # installed; never downloaded). Unset: pocketsphinx's bundled English model.
    faster_whisper_model_dir: Path | None = None
    # A voice note heard with less confidence than this is read back for the learner to confirm.
    voice_confirm_below: float = DEFAULT_VOICE_CONFIRM_BELOW
    content_pack_path: Path = DEFAULT_CONTENT_PACK
    prompts_path: Path = DEFAULT_PROMPTS_DIR
    conversation_ttl_minutes: int = DEFAULT_CONVERSATION_TTL_MINUTES
    quiz_round_length: int = DEFAULT_QUIZ_ROUND_LENGTH
    desired_retention: float = DEFAULT_DESIRED_RETENTION
    memory_fit_min_reviews: int = DEFAULT_MEMORY_FIT_MIN_REVIEWS
    memory_fit_min_learners: int = DEFAULT_MEMORY_FIT_MIN_LEARNERS
    link_max_age_days: int = DEFAULT_LINK_MAX_AGE_DAYS
    # PROGRESS_REVIEW_INTERVAL_DAYS: days from one progress review (or the start) to the next due (1 to 84)
    progress_review_interval_days: int = MAX_PROGRESS_REVIEW_INTERVAL_DAYS
    media_max_bytes: int = DEFAULT_MEDIA_MAX_BYTES
    request_max_bytes: int = DEFAULT_REQUEST_MAX_BYTES
    sweep_after_seconds: int = DEFAULT_SWEEP_AFTER_SECONDS
    escalation_fallback_phone: str | None = None
    epa_pass_mark: float = DEFAULT_EPA_PASS_MARK
    mock_test_questions: int = DEFAULT_MOCK_TEST_QUESTIONS
    mock_test_minutes: int = DEFAULT_MOCK_TEST_MINUTES
    quiet_start: str = DEFAULT_QUIET_START
    quiet_end: str = DEFAULT_QUIET_END
    nudge_window_hours: int = DEFAULT_NUDGE_WINDOW_HOURS
    stall_cooldown_days: int = DEFAULT_STALL_COOLDOWN_DAYS
    escalation_remind_minutes: int = DEFAULT_ESCALATION_REMIND_MINUTES
    emergency_remind_minutes: int = DEFAULT_EMERGENCY_REMIND_MINUTES
    stuck_send_minutes: int = DEFAULT_STUCK_SEND_MINUTES
    outbound_mps: float = DEFAULT_OUTBOUND_MPS  # OUTBOUND_MPS; 0 switches the sender's rate limit off
    learner_spacing_seconds: float = DEFAULT_LEARNER_SPACING_SECONDS  # LEARNER_SPACING_SECONDS; 0: none
    # LEARNER_BURST_MESSAGES: how many parts of replies may go back to back before the spacing applies
    learner_burst_messages: int = DEFAULT_LEARNER_BURST_MESSAGES
    # PROACTIVE_DAILY_CAP: proactive messages (nudges, stall, celebrations) per learner per local day; 0: none
    proactive_daily_cap: int = DEFAULT_PROACTIVE_DAILY_CAP
    # TYPING_INDICATOR_AFTER_SECONDS: WhatsApp's "typing..." (twilio channel) for an answer that takes
    # longer than this; 0 shows it for every answer, a negative value never
    typing_indicator_after_seconds: float = DEFAULT_TYPING_INDICATOR_AFTER_SECONDS
    # WhatsApp templates for messages outside the 24 h window: kind -> {"content_sid": "HX...",
    # "variables": ["name", ...]}; from WHATSAPP_TEMPLATES as JSON.
    whatsapp_templates: Mapping[str, Any] = field(default_factory=dict)
    # SIMULATOR_ENABLED: mount the WhatsApp simulator (admin login, loopback clients only); never
    # inferred from the channel. SIMULATOR_ALLOW_REMOTE lets clients on other machines reach it too.
    simulator_enabled: bool = False
    simulator_allow_remote: bool = False
    # TRUSTED_PROXY_HOPS: how many proxies in front of the web process append to X-Forwarded-For (0: none,
    # so the header is ignored); the login throttle tells clients apart by the address they give.
    trusted_proxy_hops: int = 0
    queue_name: str = "coach"
    # WORKER_FORK: fork a fresh work-horse per job (RQ's default: isolation, ~150 ms per job). Off, a
    # worker runs jobs in its own process with warm imports and pooled connections (bench/reply.py).
    worker_fork: bool = False
    # /metrics answers a bearer METRICS_TOKEN or a logged-in admin; METRICS_PUBLIC=1 opens it to anyone.
    metrics_token: str | None = None
    metrics_public: bool = False
    retention_portfolio_years: int = DEFAULT_RETENTION_PORTFOLIO_YEARS  # RETENTION_PORTFOLIO_YEARS
    retention_message_days: int = DEFAULT_RETENTION_MESSAGE_DAYS  # RETENTION_MESSAGE_DAYS
    passport_expiry_warn_days: int = DEFAULT_PASSPORT_EXPIRY_WARN_DAYS  # PASSPORT_EXPIRY_WARN_DAYS
    passport_quiz_lean: float = DEFAULT_PASSPORT_QUIZ_LEAN  # PASSPORT_QUIZ_LEAN: 0 switches the lean off
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def database_uri(self) -> str:
        """The SQLAlchemy URL: DATABASE_URL, or SQLite in the instance folder."""
        if self.database_url:
            url = self.database_url
            # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants a driver name.
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url[len("postgres://") :]
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{self.instance_path / 'sitecoach.db'}"

    @property
    def signing_token(self) -> str:
        """The key Twilio signs webhooks with; the simulator signs with a derived one when unset."""
        return self.twilio_auth_token or f"simulator-{self.secret_key}"

    @property
    def speech_cache_path(self) -> Path:
        """Where the voice-note language model built from the coach's examples is kept."""
        return self.instance_path / "speech"

    @property
    def media_path(self) -> Path:
        """Where downloaded evidence media is stored."""
        return self.instance_path / "media"

    @property
    def audit_checkpoints(self) -> Path:
        """The append-only file of signed audit checkpoints, outside the database."""
        return self.audit_checkpoint_path or self.instance_path / AUDIT_CHECKPOINT_FILE

    @property
    def twilio_configured(self) -> bool:
        """Whether real Twilio credentials are present."""
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with some values replaced."""
        return replace(self, **overrides)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then the environment, then overrides."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        names = {f.name: f for f in fields(cls)}
        for name, f in names.items():
            if name == "extra":
                continue
            if name == "whatsapp_templates":
                if env.get("WHATSAPP_TEMPLATES"):
                    values[name] = json.loads(env["WHATSAPP_TEMPLATES"])
                continue
            raw = env.get(name.upper())
            if raw is None or raw == "":
                continue
            values[name] = _coerce(f.type, raw)
        values.update(overrides)
        settings = cls(**values)
        if "coach_channel" not in values:
            channel = "twilio" if settings.twilio_configured else "simulator"
            settings = replace(settings, coach_channel=channel)
        if "public_base_url" not in values:
            settings = replace(settings, public_base_url=f"http://localhost:{settings.port}")
        settings = replace(settings, public_base_url=settings.public_base_url.rstrip("/"))
        if settings.coach_channel not in ("twilio", "simulator"):
            raise ValueError(f"COACH_CHANNEL must be 'twilio' or 'simulator', not {settings.coach_channel!r}")
        if not 1 <= settings.progress_review_interval_days <= MAX_PROGRESS_REVIEW_INTERVAL_DAYS:
            raise ValueError(
                f"PROGRESS_REVIEW_INTERVAL_DAYS must be 1 to {MAX_PROGRESS_REVIEW_INTERVAL_DAYS} (12 weeks), "
                f"not {settings.progress_review_interval_days}"
            )
        if settings.trusted_proxy_hops < 0:
            raise ValueError(f"TRUSTED_PROXY_HOPS must be 0 or more, not {settings.trusted_proxy_hops}")
        keys: dict[str, Any] = {}
        for name, filename in (("secret_key", SECRET_KEY_FILE), ("audit_key", AUDIT_KEY_FILE)):
            if name.upper() in env and not env[name.upper()].strip():
                raise SettingsError(f"{name.upper()} is set but empty: set a random value or unset it")
            given = getattr(settings, name)
            if given:
                _check_key(given, name.upper())
            else:
                keys[name] = instance_key(settings.instance_path, filename)
        return replace(settings, **keys)


def _coerce(type_name: Any, raw: str) -> Any:
    text = str(type_name)
    if "Path" in text:
        return Path(raw)
    if text.startswith("bool"):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if text.startswith("int"):
        return int(raw)
    if text.startswith("float"):
        return float(raw)
    return raw


def _check_key(key: str, what: str) -> None:
    """Refuse a key an attacker could guess: empty, blank or shorter than MIN_KEY_CHARS."""
    if len(key.strip()) < MIN_KEY_CHARS:
        raise SettingsError(
            f"{what} is {'empty' if not key.strip() else 'too short'}: it needs at least {MIN_KEY_CHARS} "
            'characters (python -c "import secrets; print(secrets.token_urlsafe(32))" makes one)'
        )


def instance_key(instance_path: Path, filename: str) -> str:
    """A random key kept in the instance folder so every local process shares it, created atomically: the
    complete key is written to a private temporary file, synced, then hard-linked into place, which fails if
    another process got there first; either way every process reads the one complete winner."""
    path = instance_path / filename
    if not path.exists():
        instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=instance_path, prefix=f".{filename}.")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_urlsafe(32))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp_name, path)
            except FileExistsError:
                pass  # another process won: use its key
        finally:
            os.unlink(tmp_name)
        _fsync_dir(instance_path)
    key = path.read_text(encoding="utf-8").strip()
    _check_key(key, f"the key file {path}")
    return key


def _fsync_dir(path: Path) -> None:
    """Make a new directory entry durable (the key must survive a crash once a process has used it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
