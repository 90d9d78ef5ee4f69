"""How messages leave and media arrives: Twilio's REST API, or the local WhatsApp simulator."""

from __future__ import annotations

import json
import logging
import mimetypes
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from sitecoach.delivery import interactive
from sitecoach.delivery.media_urls import MAX_REDIRECTS, REDIRECT_STATUSES, MediaUrlError, MediaUrlPolicy
from sitecoach.models import MessageStatus
from sitecoach.models.choices import Choices, numbered_text
from sitecoach.settings import Settings

log = logging.getLogger(__name__)
TWILIO_DEFAULT_BASE = "https://api.twilio.com"
TWILIO_CONTENT_BASE = "https://content.twilio.com"
ALLOWED_MEDIA_TYPES = ("image/", "video/", "audio/", "application/pdf")


class ChannelError(Exception):
    """A send or download failed; `retryable` says whether trying again may help."""

    def __init__(self, message: str, code: str | None = None, retryable: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


@dataclass(frozen=True)
class Template:
    """An approved WhatsApp template (Twilio Content) with its variables, for outside the 24 h window."""

    kind: str
    content_sid: str | None
    variables: dict[str, str]


@dataclass(frozen=True)
class SendResult:
    """What the channel said about one sent message."""

    sid: str
    status: MessageStatus


class Channel(Protocol):
    """Where outbound messages go and inbound media comes from."""

    name: str

    def send(
        self,
        to: str,
        body: str,
        media_urls: list[str],
        status_callback: str | None,
        template: Template | None = None,
        choices: Choices | None = None,
    ) -> SendResult:
        """Send one WhatsApp message to an E.164 number (as an approved template when `template` is given;
        with buttons or a list when `choices` are given, else the body must already say the options)."""
        ...

    def find_sent(self, to: str, body: str, since: datetime) -> SendResult | None:
        """A message already accepted for this number and body since a time (recovers interrupted sends)."""
        ...

    def fetch_media(self, url: str, dest_dir: Path, stem: str) -> tuple[Path, str]:
        """Download an inbound media item; return its local path and content type."""
        ...


class RebasedHttpClient(TwilioHttpClient):
    """Twilio's HTTP client with a timeout, optionally aimed at another base URL (a local Twilio stub)."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        """Send the request, rewriting Twilio's hosts (the API and Content) to the configured base."""
        if self.base_url != TWILIO_DEFAULT_BASE:
            for host in (TWILIO_DEFAULT_BASE, TWILIO_CONTENT_BASE):
                if url.startswith(host):
                    url = self.base_url + url[len(host) :]
                    break
        return super().request(method, url, *args, **kwargs)


def _status(value: object, default: MessageStatus) -> MessageStatus:
    """Twilio's status word for a message (its SDK gives a str enum); `default` if missing or unknown."""
    return MessageStatus.parse(str(value) if value else None) or default


def _extension(content_type: str) -> str:
    return mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".bin"


class TwilioChannel:
    """Sends with Twilio's Messages API (real SDK); downloads media with the account's credentials."""

    name = "twilio"

    def __init__(self, settings: Settings) -> None:
        if not settings.twilio_configured or not settings.twilio_whatsapp_from:
            raise ValueError(
                "the twilio channel needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_WHATSAPP_FROM"
            )
        self.settings = settings
        self.http = RebasedHttpClient(settings.twilio_api_base_url, settings.twilio_timeout_seconds)
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=self.http)
        self.media_policy = MediaUrlPolicy(self.http.base_url)
        sender = settings.twilio_whatsapp_from
        self.sender = sender if sender.startswith("whatsapp:") else f"whatsapp:{sender}"
        self.content_sids = interactive.ContentSidCache(settings)

    def send(
        self,
        to: str,
        body: str,
        media_urls: list[str],
        status_callback: str | None,
        template: Template | None = None,
        choices: Choices | None = None,
    ) -> SendResult:
        """messages.create with body and media, a Content template, or buttons/a list (a Content created
        once per distinct set of choices; numbered text if that fails); always with a status callback."""
        kwargs: dict[str, object] = {"to": f"whatsapp:{to}", "from_": self.sender}
        content_sid = None
        if template is None and choices is not None:
            tappable = not media_urls and interactive.sendable(body, choices)
            content_sid = self._content_sid(choices) if tappable else None
            if content_sid is None:
                body = numbered_text(body, choices)
        if content_sid is not None:
            kwargs["content_sid"] = content_sid
            kwargs["content_variables"] = interactive.content_variables(body)
        elif template is not None:
            if not template.content_sid:
                raise ChannelError(
                    f"no WhatsApp template configured for {template.kind!r}", "no-template", False
                )
            kwargs["content_sid"] = template.content_sid
            kwargs["content_variables"] = json.dumps(template.variables)
        else:
            if body:
                kwargs["body"] = body
            if media_urls:
                kwargs["media_url"] = media_urls
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**kwargs)  # type: ignore[arg-type]
        except TwilioRestException as exc:
            retryable = exc.status in (429,) or exc.status >= 500
            raise ChannelError(
                f"twilio {exc.status}: {exc.msg}", str(exc.code or exc.status), retryable
            ) from exc
        except TwilioException as exc:
            raise ChannelError(f"twilio: {exc}", None, True) from exc
        except OSError as exc:  # connection refused, timeouts
            raise ChannelError(f"twilio unreachable: {exc}", None, True) from exc
        return SendResult(sid=str(message.sid), status=_status(message.status, MessageStatus.QUEUED))

    def _content_sid(self, choices: Choices) -> str | None:
        """The Content SID for these choices, created on first use; None if the Content API fails."""
        definition = interactive.content_definition(choices)
        digest = interactive.content_hash(definition)
        cached = self.content_sids.get(digest)
        if cached:
            return cached
        from twilio.rest.content.v1.content import ContentList

        try:
            content = self.client.content.v1.contents.create(ContentList.ContentCreateRequest(definition))
        except (TwilioException, OSError) as exc:
            log.warning("content API failed, sending numbered text instead: %s", exc)
            return None
        sid = str(content.sid or "")
        if not sid:
            return None
        self.content_sids.put(digest, sid)
        return sid

    def find_sent(self, to: str, body: str, since: datetime) -> SendResult | None:
        """Look in Twilio's message log for this number and body since a time."""
        try:
            recent = self.client.messages.list(to=f"whatsapp:{to}", date_sent_after=since, limit=50)
        except (TwilioException, OSError) as exc:
            raise ChannelError(f"twilio message log unavailable: {exc}", None, True) from exc
        for message in recent:
            sent = message.body or ""
            # the body, or the body with numbered options (choices that could not go as buttons)
            same = sent == body or sent.startswith(body.rstrip() + "\n\n1. ")
            if same and str(message.from_ or "") == self.sender:
                return SendResult(sid=str(message.sid), status=_status(message.status, MessageStatus.SENT))
        return None

    def fetch_media(self, url: str, dest_dir: Path, stem: str) -> tuple[Path, str]:
        """GET the media URL with HTTP Basic auth (account SID and token), size- and type-checked.

        The URL and every redirect are checked by `MediaUrlPolicy` on one parse; redirects are followed
        by hand, only to Twilio's API hosts and media CDN, and the credentials never leave Twilio's API."""
        import requests

        if url.startswith(TWILIO_DEFAULT_BASE + "/"):
            url = self.http.base_url + url[len(TWILIO_DEFAULT_BASE) :]
        try:
            target = self.media_policy.source(url)
        except MediaUrlError as exc:
            log.warning("inbound media refused: %s", exc)
            raise ChannelError(str(exc), retryable=False) from exc
        auth = (self.settings.twilio_account_sid or "", self.settings.twilio_auth_token or "")
        timeout = self.settings.twilio_timeout_seconds
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                resp = requests.get(
                    target.url,
                    auth=auth if target.credentials else None,
                    stream=True,
                    timeout=timeout,
                    allow_redirects=False,
                )
                if resp.status_code not in REDIRECT_STATUSES:
                    break
                resp.close()
                try:
                    target = self.media_policy.redirect(target.url, resp.headers.get("Location", ""))
                except MediaUrlError as exc:
                    log.warning("inbound media refused: %s", exc)
                    raise ChannelError(str(exc), retryable=False) from exc
            else:
                raise ChannelError("media download redirected too many times", retryable=False)
            with resp:
                return self._save_media(resp, dest_dir, stem)
        except requests.RequestException as exc:
            raise ChannelError(f"media download failed: {exc}", retryable=True) from exc

    def _save_media(self, resp: Any, dest_dir: Path, stem: str) -> tuple[Path, str]:
        """Write a media response to `dest_dir`, refusing errors, unexpected types and oversize bodies."""
        if resp.status_code != 200:
            raise ChannelError(
                f"media download answered {resp.status_code}",
                str(resp.status_code),
                retryable=resp.status_code >= 500,
            )
        content_type = resp.headers.get("Content-Type", "application/octet-stream")
        if not content_type.startswith(ALLOWED_MEDIA_TYPES):
            raise ChannelError(f"media type not accepted: {content_type}", retryable=False)
        dest_dir.mkdir(parents=True, exist_ok=True)
        path = dest_dir / f"{stem}{_extension(content_type)}"
        size = 0
        with open(path, "wb") as fh:
            for chunk in resp.iter_content(64 * 1024):
                size += len(chunk)
                if size > self.settings.media_max_bytes:
                    fh.close()
                    path.unlink(missing_ok=True)
                    raise ChannelError("media larger than the size cap", retryable=False)
                fh.write(chunk)
        return path, content_type


class SimulatorChannel:
    """The local WhatsApp simulator: outbound rows are the conversation, so sending only assigns a sid."""

    name = "simulator"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(
        self,
        to: str,
        body: str,
        media_urls: list[str],
        status_callback: str | None,
        template: Template | None = None,
        choices: Choices | None = None,
    ) -> SendResult:
        """Nothing leaves the machine; the simulator page reads the stored message (its template, its
        choices)."""
        return SendResult(sid=f"SM{uuid.uuid4().hex}", status=MessageStatus.DELIVERED)

    def find_sent(self, to: str, body: str, since: datetime) -> SendResult | None:
        """The simulator accepts instantly, so an interrupted send never reached it."""
        return None

    def fetch_media(self, url: str, dest_dir: Path, stem: str) -> tuple[Path, str]:
        """Copy a photo the simulator uploaded (only from the simulator's own media folder)."""
        name = urlparse(url).path.rsplit("/", 1)[-1]
        source = (self.settings.instance_path / "simulator_media" / name).resolve()
        root = (self.settings.instance_path / "simulator_media").resolve()
        if root not in source.parents or not source.is_file():
            raise ChannelError(f"unknown simulator media {name!r}", retryable=False)
        content_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        dest_dir.mkdir(parents=True, exist_ok=True)
        path = dest_dir / f"{stem}{_extension(content_type)}"
        path.write_bytes(source.read_bytes())
        return path, content_type


def make_channel(settings: Settings) -> Channel:
    """The channel COACH_CHANNEL names."""
    if settings.coach_channel == "twilio":
        return TwilioChannel(settings)
    return SimulatorChannel(settings)
