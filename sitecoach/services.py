"""The services of one process (database, Redis, queue, channel, prompts, skills): a typed container.

`sitecoach.wiring` is the only module that builds one; everything else receives it. The field types
of the higher floors are named for the type checker only, so this module sits at the bottom.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from redis import Redis
from rq import Queue

from sitecoach.settings import Settings

log = logging.getLogger(__name__)
CATALOGUE_STAMP_TTL_SECONDS = 1.0
MEMORY_CHECK_TTL_SECONDS = 60.0  # how often a process looks for a newer FSRS fit (a cheap one-row query)

if TYPE_CHECKING:
    from sitecoach.conversation.router import Router
    from sitecoach.curriculum.catalogue import Catalogue
    from sitecoach.delivery.channels import Channel
    from sitecoach.infra.links import LinkSigner
    from sitecoach.infra.llm import LLMService
    from sitecoach.infra.observability import Metrics
    from sitecoach.learning.memory import Memory
    from sitecoach.models import Database
    from sitecoach.nlu.transcribe import Transcriber
    from sitecoach.prompts import PromptLibrary
    from sitecoach.skills.contract import SkillRegistry


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
    load_catalogue: Callable[[], Catalogue]
    # What changes when the curriculum in the database does (an admin withdrew a card): checked at most
    # once a second, so every web and worker process answers from the new content within a second.
    catalogue_stamp: Callable[[], object] | None = None
    # The newest FSRS fit run: (its id, its parameters or None for FSRS's defaults). Looked up at most once
    # a minute, and `memory` is rebuilt only when the id moves: never per message.
    load_memory_parameters: Callable[[], tuple[object, Sequence[float] | None]] | None = None
    # Voice notes' speech recogniser, built by the first voice note a process hears (voice_notes.py).
    transcriber: Transcriber | None = None
    _memory_run: object = None
    _memory_checked_at: float | None = None
    _catalogue: Catalogue | None = None
    _stale: bool = False
    _stamp: object = None
    _stamp_checked_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def queues(self) -> list[Queue]:
        """What a worker listens to, in priority order."""
        return [self.queue, self.background_queue]

    def catalogue(self) -> Catalogue:
        """The curriculum, loaded from the database on first use and again when its stamp moves.

        Everything that schedules reviews or reads recall asks for the curriculum first, so this is also
        where `memory` picks up a newer FSRS fit (`refresh_memory`)."""
        self.refresh_memory()
        with self._lock:
            self._check_stamp()
            if self._catalogue is None:
                self._catalogue = self.load_catalogue()
            elif self._stale:
                try:  # the new curriculum replaces the old only once it has loaded
                    self._catalogue = self.load_catalogue()
                except Exception as exc:  # noqa: BLE001 - answer from what is loaded rather than fail
                    log.warning("curriculum reload failed (%s): keeping the loaded one", exc)
                    self._stamp, self._stale = None, False  # tried again at the next stamp check
                    return self._catalogue
            self._stale = False
            return self._catalogue

    def refresh_memory(self, force: bool = False) -> bool:
        """Use the newest stored FSRS fit's parameters, looked up at most once a minute (now, if `force`);
        True when `memory` changed. A database error, or parameters py-fsrs refuses, keep the ones in use."""
        if self.load_memory_parameters is None:
            return False
        now = time.monotonic()
        checked = self._memory_checked_at
        if not force and checked is not None and now - checked < MEMORY_CHECK_TTL_SECONDS:
            return False
        self._memory_checked_at = now
        try:
            run, parameters = self.load_memory_parameters()
            if run == self._memory_run:
                return False
            self.memory.use_parameters(parameters)
        except Exception as exc:  # noqa: BLE001 - the database is down, or a stored set is out of bounds
            log.warning("FSRS parameters unavailable (%s): keeping the ones in use", exc)
            return False
        self._memory_run = run
        log.info("FSRS parameters of fit run %s: %s", run, "fitted" if parameters else "defaults")
        return True

    def reload_catalogue(self) -> None:
        """Forget the loaded curriculum (after seeding, importing a standard or reviewing content)."""
        with self._lock:
            self._catalogue = None
            self._stale = False
            self._stamp_checked_at = None

    def _check_stamp(self) -> None:
        if self.catalogue_stamp is None:
            return
        now = time.monotonic()
        if self._stamp_checked_at is not None and now - self._stamp_checked_at < CATALOGUE_STAMP_TTL_SECONDS:
            return
        self._stamp_checked_at = now
        try:
            stamp = self.catalogue_stamp()
        except Exception as exc:  # the database is down: keep answering from what is loaded
            log.warning("curriculum stamp unavailable (%s): keeping the loaded curriculum", exc)
            return
        if stamp != self._stamp:
            self._stamp, self._stale = stamp, self._catalogue is not None

    def close(self) -> None:
        """Release connections."""
        self.db.dispose()
        self.redis.close()
