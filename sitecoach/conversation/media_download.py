"""Downloading one inbound media item, once: the stored entry gains its local path, or the refusal."""

from __future__ import annotations

import logging
from typing import Any

from sitecoach.delivery.channels import ChannelError
from sitecoach.services import Services

log = logging.getLogger(__name__)


def fetch_media_item(
    services: Services, message_id: int | None, index: int, media: dict[str, Any]
) -> dict[str, Any]:
    """The entry with `path` and `content_type` once downloaded, or `error` if the download was refused;
    unchanged if already done. A retryable failure raises (the job is retried)."""
    if media.get("path") or media.get("error"):
        return media
    try:
        local, content_type = services.channel.fetch_media(
            media["url"], services.settings.media_path, f"msg{message_id}_{index}"
        )
    except ChannelError as exc:
        if exc.retryable:
            raise
        log.warning("media %s of message %s refused: %s", index, message_id, exc)
        return {**media, "error": str(exc)[:200]}
    return {**media, "path": str(local), "content_type": content_type}
