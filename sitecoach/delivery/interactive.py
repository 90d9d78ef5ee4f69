"""Buttons and lists through Twilio's Content API: one Content per distinct set of choices, cached.

A Content holds the choices (`twilio/quick-reply` actions or `twilio/list-picker` items) and takes the
message text as variable 1, so "Yes / No" buttons are created once and reused with every body. The
Content SID is kept in Redis under a hash of the Content's JSON, so every worker shares it and a
restart does not create it again. Twilio's docs: content.twilio.com/v1/Content (`friendly_name`,
`language`, `variables`, `types`); messages.create(content_sid=..., content_variables=JSON).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from sitecoach.models.choices import INTERACTIVE_BODY_MAX_CHARS, Choices, ChoiceStyle
from sitecoach.settings import Settings

log = logging.getLogger(__name__)
CACHE_KEY_PREFIX = "sitecoach:content-sid:"
BODY_VARIABLE = "1"
SAMPLE_BODY = "Choose an option"  # the variable's sample value, shown in Twilio's console


def sendable(body: str, choices: Choices | None) -> bool:
    """Whether this body and these choices can go as an interactive message at all."""
    return choices is not None and choices.interactive and 0 < len(body) <= INTERACTIVE_BODY_MAX_CHARS


def content_definition(choices: Choices) -> dict[str, Any]:
    """The Content API's create request for these choices, the body left as variable 1."""
    body = "{{" + BODY_VARIABLE + "}}"
    if choices.style == ChoiceStyle.BUTTONS:
        kind = "twilio/quick-reply"
        spec: dict[str, Any] = {
            "body": body,
            "actions": [{"id": o.id, "title": o.title} for o in choices.options],
        }
    else:
        kind = "twilio/list-picker"
        spec = {
            "body": body,
            "button": choices.button,
            "items": [
                {"id": o.id, "item": o.title, **({"description": o.description} if o.description else {})}
                for o in choices.options
            ],
        }
    digest = content_hash({"types": {kind: spec}})
    return {
        "friendly_name": f"sitecoach_{kind.split('/')[1].replace('-', '_')}_{digest[:12]}",
        "language": "en",
        "variables": {BODY_VARIABLE: SAMPLE_BODY},
        "types": {kind: spec},
    }


def content_hash(definition: dict[str, Any]) -> str:
    """A stable hash of a Content's JSON (the cache key)."""
    return hashlib.sha256(json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def content_variables(body: str) -> str:
    """The `content_variables` of one message: its text as variable 1."""
    return json.dumps({BODY_VARIABLE: body}, ensure_ascii=False)


class ContentSidCache:
    """Content SIDs by the hash of their Content's JSON, in Redis (shared by every worker).

    A Redis outage only costs a second Content for the same choices, never a lost message."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._redis: Redis | None = None

    def _client(self) -> Redis:
        if self._redis is None:
            from sitecoach.infra.embedded_redis import embedded_redis_url  # late, as pacing does

            url = self.settings.redis_url or embedded_redis_url(self.settings.instance_path)
            self._redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)
        return self._redis

    def _key(self, digest: str) -> str:
        """Per account: a Content belongs to the account that created it."""
        return f"{CACHE_KEY_PREFIX}{self.settings.twilio_account_sid or ''}:{digest}"

    def get(self, digest: str) -> str | None:
        """The cached Content SID, if any."""
        try:
            value = self._client().get(self._key(digest))
        except (RedisError, OSError) as exc:
            log.warning("content SID cache unavailable: %s", exc)
            return None
        return value.decode() if isinstance(value, bytes) else (str(value) if value else None)

    def put(self, digest: str, sid: str) -> None:
        """Remember a Content SID."""
        try:
            self._client().set(self._key(digest), sid)
        except (RedisError, OSError) as exc:
            log.warning("content SID not cached: %s", exc)
