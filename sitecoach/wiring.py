"""The composition root: the only module that knows the concrete classes and builds the services.

Entry points receive what is built here: the web app (`create_app`), the RQ worker and the clock
(`sitecoach.cli` installs `build_services` as the jobs' factory), and the CLI commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask
from redis import Redis
from rq import Queue

from sitecoach.conversation.router import SAFETY_PROMPT, Router
from sitecoach.conversation.voice_notes import VOICE_PROMPTS
from sitecoach.curriculum.catalogue import Catalogue
from sitecoach.delivery.channels import make_channel
from sitecoach.infra.embedded_redis import embedded_redis_url, ensure_embedded_redis
from sitecoach.infra.links import LinkSigner
from sitecoach.infra.llm import LLMService
from sitecoach.infra.observability import Metrics
from sitecoach.infra.private_files import secure_instance
from sitecoach.jobs import runtime
from sitecoach.learning.memory import Memory
from sitecoach.models import Database
from sitecoach.prompts import PromptLibrary
from sitecoach.records.memory_fits import parameters_in_use
from sitecoach.records.prompt_store import PromptStore
from sitecoach.services import Services
from sitecoach.settings import Settings
from sitecoach.skills import build_classifier, build_registry
from sitecoach.web import create_web_app


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
    secure_instance(settings)
    registry = build_registry()
    prompts = PromptLibrary(settings.prompts_path)
    core = ["core/apology", "core/skill_error", SAFETY_PROMPT, *VOICE_PROMPTS]
    problems = prompts.check(registry.required_prompts() + core)
    if problems:
        raise RuntimeError("prompt check failed:\n  " + "\n  ".join(problems))
    redis = connect_redis(settings, start_embedded_redis)
    db = Database(settings.database_uri, audit_key=settings.audit_key)
    prompts.store = PromptStore(db)  # wordings edited in the admin pages win over the files

    def load_catalogue() -> Catalogue:
        with db.read_session() as session:
            return Catalogue.load(session)

    def catalogue_stamp() -> object:
        with db.read_session() as session:
            return Catalogue.stamp(session)

    def memory_parameters() -> tuple[object, Sequence[float] | None]:
        with db.read_session() as session:
            return parameters_in_use(session)

    return Services(
        settings=settings,
        db=db,
        redis=redis,
        queue=Queue(settings.queue_name, connection=redis),
        background_queue=Queue(f"{settings.queue_name}-background", connection=redis),
        channel=make_channel(settings),
        prompts=prompts,
        registry=registry,
        router=Router(registry, build_classifier(registry)),
        memory=Memory(settings.desired_retention),
        links=LinkSigner(settings.secret_key, settings.public_base_url, settings.link_max_age_days),
        llm=LLMService(settings, Metrics(redis)),
        metrics=Metrics(redis),
        load_catalogue=load_catalogue,
        catalogue_stamp=catalogue_stamp,
        load_memory_parameters=memory_parameters,
    )


def services_from_env() -> Services:
    """A worker's or clock's services, from the environment."""
    return build_services(Settings.from_env())


def install_job_services() -> None:
    """Let jobs in this process build their services from the environment on first use."""
    runtime.set_factory(services_from_env)


def create_app(overrides: dict[str, Any] | None = None, services: Services | None = None) -> Flask:
    """Build the web app: defaults, then the environment, then `overrides` (or ready-made `services`)."""
    if services is None:
        services = build_services(Settings.from_env(**(overrides or {})))
    return create_web_app(services)
