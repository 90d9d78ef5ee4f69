"""Which URLs an inbound media download may fetch, decided on one parse of the URL.

Twilio posts ``MediaUrl{N}`` as ``https://api.twilio.com/2010-04-01/Accounts/AC…/Messages/MM…/Media/ME…``
and that URL needs the account's credentials. With HTTP auth on media (Twilio's default) the answer is a
redirect to a short-lived URL on its media CDN, ``mms.twiliocdn.com``; media stored before that was enforced
redirects to ``s3-external-1.amazonaws.com/media.twiliocdn.com/…`` (Twilio support: "Protect Media Access
with HTTP Basic Authentication for Programmable Messaging").

The check and the download must read a URL the same way: ``urlparse`` keeps ``evil\\@api.twilio.com`` as one
host while urllib3 (under requests) fetches ``evil``. So a URL is parsed once, with urllib3's parser (the one
requests uses), refused if it has user info, a backslash, whitespace or an unusual port, and what is fetched
is the URL rebuilt from that parse. Redirects are followed by hand, each target checked the same way: the
credentials go only to Twilio's API hosts (or the configured local stand-in), never to the CDN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

DEFAULT_PORTS = {"https": 443, "http": 80}
API_HOSTS = re.compile(r"api\.twilio\.com|api\.[a-z]+\.[a-z]{2}\d\.twilio\.com")  # global, regional
# Where Twilio redirects a media download, with the path each host serves Twilio media under.
CDN_PREFIXES = {"mms.twiliocdn.com": "/", "s3-external-1.amazonaws.com": "/media.twiliocdn.com/"}
MAX_REDIRECTS = 3
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_UNSAFE = re.compile(r"[\s\\\x00-\x1f\x7f]")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


class MediaUrlError(ValueError):
    """A media URL (or a redirect's target) that must not be fetched."""


@dataclass(frozen=True)
class MediaTarget:
    """A checked URL: what to fetch, and whether the account's credentials may go with it."""

    url: str
    host: str
    credentials: bool


@dataclass(frozen=True)
class _Origin:
    scheme: str
    host: str
    port: int


def _parse(url: str) -> tuple[_Origin, str]:
    """The URL's origin and its path-and-query, from one urllib3 parse; refuses anything ambiguous."""
    if _UNSAFE.search(url):
        raise MediaUrlError("media URL has a backslash, whitespace or control character")
    try:
        parts = parse_url(url)
    except LocationParseError as exc:
        raise MediaUrlError("media URL does not parse") from exc
    scheme = (parts.scheme or "").lower()
    if scheme not in DEFAULT_PORTS:
        raise MediaUrlError("media URL is not http(s)")
    if parts.auth is not None or "@" in (parts.netloc or ""):
        raise MediaUrlError("media URL carries user info")
    host = (parts.host or "").lower()
    if not _HOST.fullmatch(host):
        raise MediaUrlError(f"media host {host[:60]!r} is not a plain host name")
    port = parts.port or DEFAULT_PORTS[scheme]
    path = parts.path or "/"
    return _Origin(scheme, host, port), path + (f"?{parts.query}" if parts.query else "")


def _rebuilt(origin: _Origin, path: str) -> str:
    port = "" if origin.port == DEFAULT_PORTS[origin.scheme] else f":{origin.port}"
    return f"{origin.scheme}://{origin.host}{port}{path}"


class MediaUrlPolicy:
    """Twilio's API hosts (over HTTPS on 443) and one configured base (a local stub) may be fetched with
    credentials; Twilio's media CDN only as a redirect target, without them."""

    def __init__(self, api_base_url: str) -> None:
        base, _path = _parse(api_base_url)
        self.base = base

    def _is_api(self, origin: _Origin) -> bool:
        return origin == self.base or (
            origin.scheme == "https" and origin.port == 443 and API_HOSTS.fullmatch(origin.host) is not None
        )

    def source(self, url: str) -> MediaTarget:
        """The MediaUrl Twilio posted, checked; raises MediaUrlError naming the host."""
        origin, path = _parse(url)
        if not self._is_api(origin):
            raise MediaUrlError(f"media host not allowed: {origin.host}:{origin.port}")
        return MediaTarget(_rebuilt(origin, path), origin.host, credentials=True)

    def redirect(self, current: str, location: str) -> MediaTarget:
        """Where a redirect from `current` to `location` leads, if it may be followed at all."""
        origin, path = _parse(urljoin(current, location))
        if self._is_api(origin):
            return MediaTarget(_rebuilt(origin, path), origin.host, credentials=True)
        prefix = CDN_PREFIXES.get(origin.host)
        if prefix is None or origin.scheme != "https" or origin.port != 443 or not path.startswith(prefix):
            raise MediaUrlError(f"media redirect to a host not allowed: {origin.host}:{origin.port}")
        return MediaTarget(_rebuilt(origin, path), origin.host, credentials=False)
