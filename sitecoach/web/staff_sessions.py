"""Server-side staff sessions: each login gets a random id registered in Redis, the session cookie carries
it, and logout deletes it, so a copied cookie stops working the moment its owner logs out."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from redis import Redis

log = logging.getLogger(__name__)

KEY_PREFIX = "staff-session"
IDLE_SECONDS = 7 * 24 * 60 * 60  # a session unused for a week is forgotten (its cookie logs in no more)


@dataclass(frozen=True)
class StaffSessions:
    """The registry of live staff sessions."""

    redis: Redis

    def open(self, mentor_id: int) -> str:
        """Register a new session for this mentor and return its id (raises if Redis is down)."""
        session_id = secrets.token_urlsafe(24)
        self.redis.set(f"{KEY_PREFIX}:{session_id}", mentor_id, ex=IDLE_SECONDS)
        return session_id

    def mentor_of(self, session_id: str) -> int | None:
        """The mentor a live session belongs to (and its idle clock restarted), or None; when Redis is
        down, None: a session that cannot be checked is not trusted."""
        key = f"{KEY_PREFIX}:{session_id}"
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.get(key)
            pipe.expire(key, IDLE_SECONDS)
            owner, _ = pipe.execute()
        except Exception:  # noqa: BLE001 - fail closed, and say why staff are logged out
            log.warning("staff sessions unavailable; treating the request as logged out", exc_info=True)
            return None
        return int(owner) if owner is not None and owner.isdigit() else None

    def close(self, session_id: str) -> None:
        """End a session everywhere its cookie may have been copied to."""
        self.redis.delete(f"{KEY_PREFIX}:{session_id}")
