"""The services of one process (database, Redis, queue, channel, prompts, skills), built from settings."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from redis import Redis
from rq import Queue

from bot.channels import Channel, make_channel
from bot.classifier import IntentClassifier
from bot.router import Router
from bot.skill_api import SkillRegistry
from models import Database
from prompts import PromptLibrary
from sitecoach.catalogue import Catalogue
from sitecoach.embedded_redis import embedded_redis_url, ensure_embedded_redis
from sitecoach.learning.memory import Memory
from sitecoach.links import LinkSigner
from sitecoach.llm import LLMService
from sitecoach.observability import Metrics
from sitecoach.prompt_store import PromptStore
from sitecoach.settings import Settings
from skills import build_registry


@dataclass
class Services:
    """Everything long-lived that web requests, jobs and CLI commands share within one process."""

    settings: Settings
    db: Database
    redis: Redis
    queue: Queue
    # Bookkeeping that must not delay a reply (milestone checks, snapshot refreshes): workers take it
    # only when `queue` is empty.
    background_queue: Queue
    channel: Channel
    prompts: PromptLibrary
    registry: SkillRegistry
    router: Router
    memory: Memory
    links: LinkSigner
    llm: LLMService
    metrics: Metrics
    _catalogue: Catalogue | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def queues(self) -> list[Queue]:
        """What a worker listens to, in priority order."""
        return [self.queue, self.background_queue]

    def catalogue(self) -> Catalogue:
        """The curriculum, loaded from the database on first use."""
        with self._lock:
            if self._catalogue is None:
                with self.db.read_session() as session:
                    self._catalogue = Catalogue.load(session)
            return self._catalogue

    def reload_catalogue(self) -> None:
        """Forget the loaded curriculum (after seeding or importing a standard)."""
        with self._lock:
            self._catalogue = None

    def close(self) -> None:
        """Release connections."""
        self.db.dispose()
        self.redis.close()


def connect_redis(settings: Settings, start_embedded: bool = True) -> Redis:
    """REDIS_URL, or the embedded Redis in the instance folder (started unless told not to)."""
    if settings.redis_url:
        url = settings.redis_url
    elif start_embedded:
        url = ensure_embedded_redis(settings.instance_path)
    else:
        url = embedded_redis_url(settings.instance_path)
    return Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3, health_check_interval=30)


def build_services(settings: Settings, start_embedded_redis: bool = True) -> Services:
    """Build every service from settings; checks that each skill's prompts exist and parse."""
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    registry = build_registry()
    prompts = PromptLibrary(settings.prompts_path)
    problems = prompts.check(registry.required_prompts() + ["core/apology", "core/skill_error"])
    if problems:
        raise RuntimeError("prompt check failed:\n  " + "\n  ".join(problems))
    redis = connect_redis(settings, start_embedded_redis)
    db = Database(settings.database_uri)
    prompts.store = PromptStore(db)  # wordings edited in the admin pages win over the files
    return Services(
        settings=settings,
        db=db,
        redis=redis,
        queue=Queue(settings.queue_name, connection=redis),
        background_queue=Queue(f"{settings.queue_name}-background", connection=redis),
        channel=make_channel(settings),
        prompts=prompts,
        registry=registry,
        router=Router(registry, IntentClassifier(registry.examples())),
        memory=Memory(settings.desired_retention),
        links=LinkSigner(settings.secret_key, settings.public_base_url, settings.link_max_age_days),
        llm=LLMService(settings, Metrics(redis)),
        metrics=Metrics(redis),
    )
