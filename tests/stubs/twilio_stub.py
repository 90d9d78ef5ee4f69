"""A local stand-in for the Twilio REST API (Messages + Media) for tests.

Speaks enough of ``https://api.twilio.com/2010-04-01`` for the real ``twilio``
SDK: point the SDK at ``TwilioStub.base_url`` (e.g. with a ``TwilioHttpClient``
subclass that rewrites the ``https://api.twilio.com`` prefix).

Endpoints:

* ``POST /2010-04-01/Accounts/{sid}/Messages.json`` - create a message
  (Basic auth, WhatsApp address and content validation, injected failures).
* ``GET  /2010-04-01/Accounts/{sid}/Messages/{SM...}.json`` - fetch a created message.
* ``GET  /2010-04-01/Accounts/{sid}/Messages/{MM...}/Media/{ME...}`` - media
  registered with ``add_media`` (Basic auth), or a redirect set with ``redirect_media``.
* ``GET  /cdn/{token}`` - media registered with ``add_cdn_media`` (no auth, like Twilio's CDN).
* ``POST /v2/Indicators/Typing.json`` - a WhatsApp typing indicator (messaging.twilio.com), recorded in
  ``typing``; ``typing_status`` makes it fail.
* ``POST /v1/Content`` - create a Content (JSON body, as the SDK's ``content.v1.contents.create`` sends
  it to content.twilio.com); kept in ``contents`` by its ``HX...`` SID. Messages may then carry
  ``ContentSid`` and ``ContentVariables``.

Errors use Twilio's legacy JSON shape ``{"code", "message", "more_info",
"status"}``, which the SDK turns into ``TwilioRestException``.
"""

import base64
import binascii
import hmac
import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

API_VERSION = "2010-04-01"
TYPING_PATH = "/v2/Indicators/Typing.json"  # messaging.twilio.com: WhatsApp typing indicator (beta)
_TYPING_MESSAGE_ID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
_MESSAGES = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages\.json$")
_MESSAGE = re.compile(
    rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>SM[0-9a-f]{{32}})\.json$"
)
_MEDIA = re.compile(
    rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages/(?P<message>MM[0-9a-f]{{32}})"
    r"/Media/(?P<media>ME[0-9a-f]{32})$"
)
_DEFAULT_CODES = {400: 21211, 401: 20003, 403: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}
_BODY_LIMIT = 1600
# Twilio takes To=whatsapp:+<E.164> or, for a user who shares no number, To=whatsapp:<BSUID> (GB.150...).
_WHATSAPP_TO = re.compile(r"^whatsapp:(?:\+[1-9]\d{6,14}|[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128})$")


def _sid(prefix: str) -> str:
    """A random Twilio-style SID: two-letter prefix + 32 lower-case hex digits."""
    return prefix + secrets.token_hex(16)


def _rfc2822_now() -> str:
    """The current UTC time formatted like Twilio's date fields."""
    return format_datetime(datetime.now(UTC).replace(microsecond=0))


def _reason(status: int) -> str:
    """The standard reason phrase for an HTTP status, or "Error"."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request seen by the stub (header names lower-cased, form values as lists)."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]
    basic_auth_ok: bool
    query: dict[str, list[str]] = field(default_factory=dict)
    json: object = None  # a JSON body (the Content API), parsed


@dataclass(frozen=True)
class _Failure:
    """An injected error answer for a Messages POST."""

    status: int
    code: int | None
    delay: float


@dataclass(frozen=True)
class _Media:
    """Stored media bytes and their content type."""

    content: bytes
    content_type: str


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that carries its stub and stays quiet about client disconnects."""

    daemon_threads = True
    request_queue_size = 128  # like a real server's backlog: 20 clients at once must not be reset (default 5)
    stub: "TwilioStub"

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore handler errors (e.g. a client that timed out and hung up)."""


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the owning ``TwilioStub``."""

    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "TwilioStub/1.0"

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """Serve message fetches and media downloads."""
        self.server.stub._handle(self, "GET")

    def do_POST(self) -> None:
        """Serve message creation."""
        self.server.stub._handle(self, "POST")

    def send_json(self, status: int, payload: object, extra: dict[str, str] | None = None) -> None:
        """Write a JSON response with Twilio-like headers."""
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Twilio-Request-Id", _sid("RQ"))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_bytes(self, content: bytes, content_type: str) -> None:
        """Write a binary 200 response."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)


class TwilioStub:
    """A threaded local HTTP server imitating Twilio's Messages and Media endpoints."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        """Prepare (but do not start) a stub accepting ``account_sid:auth_token`` Basic auth."""
        self.account_sid = account_sid
        self.auth_token = auth_token
        # Form fields of each accepted Messages POST (repeated fields such as MediaUrl
        # space-joined; see ``requests[i].form`` for lists) plus "_sid".
        self.messages: list[dict[str, str]] = []
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._failures: deque[_Failure] = deque()
        self._slow: deque[float] = deque()
        self._media: dict[str, _Media] = {}
        self._redirects: dict[str, tuple[int, str]] = {}  # media path -> (status, Location)
        self._resources: dict[str, dict[str, object]] = {}
        # Content created through POST /v1/Content: SID -> the JSON the client sent.
        self.contents: dict[str, dict[str, object]] = {}
        self._content_failures: deque[_Failure] = deque()
        self._sent_at: dict[str, datetime] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        # (time.time() on arrival, To) of each accepted message, in order, for pacing checks.
        self.arrivals: list[tuple[float, str]] = []
        self.typing: list[str] = []  # the messageId of each typing indicator accepted, in order
        self.typing_status = 200  # what a typing indicator is answered with
        self.rate_limited = 0  # Messages POSTs answered 429 by the rate limit (see ``rate_limit``)
        self._limit: tuple[float, float] | None = None  # (messages per second, burst)
        self._bucket: tuple[float, float] = (0.0, 0.0)  # (tokens, time.monotonic() of the last refill)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running stub."""
        if self._server is None:
            raise RuntimeError("TwilioStub is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "TwilioStub":
        """Bind 127.0.0.1 on a free port and serve from a daemon thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.stub = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="twilio-stub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake delayed answers and close the socket."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "TwilioStub":
        """Start the stub."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the stub."""
        self.stop()

    def add_media(self, content: bytes, content_type: str) -> str:
        """Store media and return its absolute URL (``.../Messages/MM.../Media/ME...``)."""
        message_sid, media_sid = _sid("MM"), _sid("ME")
        with self._lock:
            self._media[media_sid] = _Media(content, content_type)
        account = f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}"
        return f"{account}/Messages/{message_sid}/Media/{media_sid}"

    def add_cdn_media(self, content: bytes, content_type: str) -> str:
        """Store media served without auth at ``/cdn/<token>`` (like Twilio's short-lived CDN URLs)."""
        token = _sid("CD")
        with self._lock:
            self._media[token] = _Media(content, content_type)
        return f"{self.base_url}/cdn/{token}"

    def redirect_media(self, media_url: str, location: str, status: int = 307) -> None:
        """Answer (authenticated) downloads of ``media_url`` with a redirect to ``location``."""
        with self._lock:
            self._redirects[urlsplit(media_url).path] = (status, location)

    def slow_next(self, delay: float, times: int = 1) -> None:
        """Accept (and record) the next ``times`` messages, but answer only after ``delay`` seconds."""
        with self._lock:
            self._slow.extend([delay] * times)

    def fail_next(self, status: int, code: int | None = None, times: int = 1, delay: float = 0.0) -> None:
        """Make the next ``times`` authenticated Messages POSTs fail with this error after ``delay`` s."""
        failure = _Failure(status, code if code is not None else _DEFAULT_CODES.get(status), delay)
        with self._lock:
            self._failures.extend([failure] * times)

    def fail_content_next(self, status: int, code: int | None = None, times: int = 1) -> None:
        """Make the next ``times`` Content creations fail with this error."""
        failure = _Failure(status, code if code is not None else _DEFAULT_CODES.get(status), 0.0)
        with self._lock:
            self._content_failures.extend([failure] * times)

    def message_posts(self) -> list[RecordedRequest]:
        """The Messages.create POSTs received (not Content creations), answered or refused."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and _MESSAGES.match(r.path)]

    @staticmethod
    def shown(message: dict[str, str]) -> str:
        """What the recipient reads: the Body, or the text (variable 1) of a Content message."""
        if message.get("Body"):
            return message["Body"]
        return str(json.loads(message.get("ContentVariables") or "{}").get("1", ""))

    def content_of(self, message: dict[str, str]) -> dict[str, object]:
        """The Content a recorded message was sent with (KeyError if it had none or an unknown one)."""
        return self.contents[message["ContentSid"]]

    def recover(self) -> None:
        """Forget the injected failures still pending: Twilio is healthy again."""
        with self._lock:
            self._failures.clear()

    def rate_limit(self, mps: float | None, burst: float | None = None) -> None:
        """Answer Messages POSTs beyond ``mps`` (token bucket of ``burst``, default one second) with 429."""
        with self._lock:
            if mps is None:
                self._limit = None
                return
            capacity = burst if burst is not None else max(1.0, mps)
            self._limit = (mps, capacity)
            self._bucket = (capacity, time.monotonic())

    def _over_limit(self) -> bool:
        """Take a token from the rate limit's bucket; True when none is left (the caller must 429)."""
        with self._lock:
            if self._limit is None:
                return False
            mps, capacity = self._limit
            tokens, last = self._bucket
            now = time.monotonic()
            tokens = min(capacity, tokens + (now - last) * mps)
            if tokens < 1:
                self._bucket = (tokens, now)
                self.rate_limited += 1
                return True
            self._bucket = (tokens - 1, now)
            return False

    # -- request handling -------------------------------------------------

    def _handle(self, handler: _Handler, method: str) -> None:
        """Record the request, then dispatch it."""
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length > 0 else b""
        content_type = handler.headers.get("Content-Type", "")
        form: dict[str, list[str]] = {}
        if raw and content_type.startswith("application/x-www-form-urlencoded"):
            form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        auth_ok = self._auth_ok(handler.headers.get("Authorization"))
        body_json: object = None
        if raw and content_type.startswith("application/json"):
            try:
                body_json = json.loads(raw)
            except ValueError:
                body_json = None
        record = RecordedRequest(
            method=method,
            path=url.path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            form=form,
            basic_auth_ok=auth_ok,
            query=parse_qs(url.query, keep_blank_values=True),
            json=body_json,
        )
        with self._lock:
            self.requests.append(record)

        if method == "POST" and url.path == "/v1/Content":
            self._create_content(handler, body_json, auth_ok)
        elif method == "GET" and (match := _MESSAGES.match(url.path)):
            self._list_messages(handler, match.group("account"), record.query, auth_ok)
        elif method == "POST" and (match := _MESSAGES.match(url.path)):
            self._create_message(handler, match.group("account"), form, auth_ok)
        elif method == "POST" and url.path == TYPING_PATH:
            self._typing(handler, form, auth_ok)
        elif method == "GET" and (match := _MESSAGE.match(url.path)):
            self._fetch_message(handler, match.group("account"), match.group("sid"), auth_ok)
        elif method == "GET" and (match := _MEDIA.match(url.path)):
            self._serve_media(handler, match.group("account"), match.group("media"), auth_ok, url.path)
        elif method == "GET" and url.path.startswith("/cdn/"):
            with self._lock:
                media = self._media.get(url.path.removeprefix("/cdn/"))
            if media is None:
                self._error(handler, 404, 20404, f"The requested resource {url.path} was not found")
            else:
                handler.send_bytes(media.content, media.content_type)
        else:
            self._error(handler, 404, 20404, f"The requested resource {url.path} was not found")

    def _typing(self, handler: _Handler, form: dict[str, list[str]], auth_ok: bool) -> None:
        """A typing indicator: ``channel=whatsapp`` and the SID of a WhatsApp message; ``typing_status``
        answers something else instead (an account without the beta, say)."""
        if not auth_ok:
            self._error(handler, 401, 20003, "Authenticate")
        elif self.typing_status != 200:
            self._error(handler, self.typing_status, None, "Typing indicators are not available")
        elif form.get("channel") != ["whatsapp"] or not _TYPING_MESSAGE_ID.match(
            (form.get("messageId") or [""])[0]
        ):
            self._error(handler, 400, 21211, "channel must be whatsapp and messageId a Message SID")
        else:
            with self._lock:
                self.typing.append(form["messageId"][0])
            handler.send_json(200, {"success": True})

    def _auth_ok(self, header: str | None) -> bool:
        """Whether an Authorization header carries this stub's Basic credentials."""
        if not header or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = f"{self.account_sid}:{self.auth_token}"
        return hmac.compare_digest(decoded.encode(), expected.encode())

    def _error(
        self, handler: _Handler, status: int, code: int | None, message: str, delay: float = 0.0
    ) -> None:
        """Answer with Twilio's legacy error JSON, optionally after ``delay`` seconds."""
        if delay > 0:
            self._stopping.wait(delay)
        payload = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}" if code else None,
            "status": status,
        }
        extra = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if status == 401 else None
        handler.send_json(status, payload, extra)

    def _check_access(self, handler: _Handler, account: str, auth_ok: bool) -> bool:
        """Send 401/404 unless the request is authenticated for this account."""
        if not auth_ok:
            self._error(handler, 401, 20003, "Authenticate")
            return False
        if account != self.account_sid:
            self._error(handler, 404, 20404, f"The requested resource /Accounts/{account} was not found")
            return False
        return True

    def _create_message(
        self, handler: _Handler, account: str, form: dict[str, list[str]], auth_ok: bool
    ) -> None:
        """Validate a Messages.create POST and answer 201 with a message resource."""
        if not self._check_access(handler, account, auth_ok):
            return
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            message = f"Injected failure: {_reason(failure.status)}"
            self._error(handler, failure.status, failure.code, message, failure.delay)
            return
        if self._over_limit():
            self._error(handler, 429, 20429, "Too Many Requests")
            return

        def one(name: str) -> str | None:
            values = form.get(name)
            return values[0] if values else None

        to, from_, body = one("To"), one("From"), one("Body")
        media_urls = [u for u in form.get("MediaUrl", []) if u]
        service_sid, content_sid = one("MessagingServiceSid"), one("ContentSid")
        if not to:
            return self._error(handler, 400, 21604, "A 'To' phone number is required.")
        if not _WHATSAPP_TO.match(to):  # a number, or a BSUID for a user who shares none
            return self._error(handler, 400, 21211, f"Invalid 'To' Phone Number: {to}")
        if from_ is None and not service_sid:
            return self._error(
                handler, 400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required."
            )
        if from_ is not None and not from_.startswith("whatsapp:+"):
            return self._error(handler, 400, 21211, f"Invalid 'From' Phone Number: {from_}")
        if not body and not media_urls and not content_sid:
            return self._error(handler, 400, 21602, "Message body is required.")
        if body is not None and len(body) > _BODY_LIMIT:
            return self._error(
                handler, 400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )

        if content_sid and not body:  # Twilio's message resource shows a Content message's text
            body = self._rendered(content_sid, one("ContentVariables"))
        sid = _sid("SM")
        now = _rfc2822_now()
        prefix = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        resource: dict[str, object] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body or "",
            "date_created": now,
            "date_sent": now,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service_sid,
            "num_media": str(len(media_urls)),
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if from_ else "accepted",
            "subresource_uris": {"media": f"{prefix}/Media.json", "feedback": f"{prefix}/Feedback.json"},
            "to": to,
            "uri": f"{prefix}.json",
        }
        recorded = {k: " ".join(v) for k, v in form.items()}
        recorded["_sid"] = sid
        with self._lock:
            self._resources[sid] = resource
            self._sent_at[sid] = datetime.now(UTC)
            self.messages.append(recorded)
            self.arrivals.append((time.time(), to))
            slow = self._slow.popleft() if self._slow else 0.0
        if slow:
            self._stopping.wait(slow)  # accepted and recorded; the caller may give up (or die) meanwhile
        handler.send_json(201, resource)

    def _create_content(self, handler: _Handler, definition: object, auth_ok: bool) -> None:
        """Validate a Content create (types, lengths and counts as Twilio documents them) and answer 201."""
        if not auth_ok:
            return self._error(handler, 401, 20003, "Authenticate")
        with self._lock:
            failure = self._content_failures.popleft() if self._content_failures else None
        if failure is not None:
            return self._error(
                handler, failure.status, failure.code, f"Injected failure: {_reason(failure.status)}"
            )
        problem = _content_problem(definition)
        if problem:
            return self._error(handler, 400, 21619, problem)
        assert isinstance(definition, dict)
        sid = _sid("HX")
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        resource = {
            "sid": sid,
            "account_sid": self.account_sid,
            "friendly_name": definition.get("friendly_name"),
            "language": definition.get("language"),
            "variables": definition.get("variables") or {},
            "types": definition.get("types"),
            "date_created": now,
            "date_updated": now,
            "url": f"https://content.twilio.com/v1/Content/{sid}",
            "links": {},
        }
        with self._lock:
            self.contents[sid] = definition
        handler.send_json(201, resource)

    def _rendered(self, content_sid: str, variables_json: str | None) -> str:
        """The body of a Content created here, its {{n}} variables filled in ("" if unknown)."""
        with self._lock:
            definition = self.contents.get(content_sid)
        if not definition:
            return ""
        try:
            variables = json.loads(variables_json or "{}")
        except ValueError:
            variables = {}
        types = definition.get("types")
        spec = next(iter(types.values()), None) if isinstance(types, dict) else None
        text = str(spec.get("body") or "") if isinstance(spec, dict) else ""
        return re.sub(r"\{\{(\w+)\}\}", lambda m: str(variables.get(m.group(1), "")), text)

    def _list_messages(
        self, handler: _Handler, account: str, query: dict[str, list[str]], auth_ok: bool
    ) -> None:
        """Answer a Messages list, filtered by To and DateSent> as the SDK sends them."""
        if not self._check_access(handler, account, auth_ok):
            return
        to = (query.get("To") or [None])[0]
        after_raw = (query.get("DateSent>") or [None])[0]
        after = datetime.fromisoformat(after_raw.replace("Z", "+00:00")) if after_raw else None
        if after is not None and after.tzinfo is None:
            after = after.replace(tzinfo=UTC)
        with self._lock:
            rows = [
                r
                for sid, r in self._resources.items()
                if (to is None or r["to"] == to) and (after is None or self._sent_at[sid] >= after)
            ]
        uri = f"/{API_VERSION}/Accounts/{account}/Messages.json"
        handler.send_json(
            200,
            {
                "messages": rows,
                "end": max(0, len(rows) - 1),
                "first_page_uri": f"{uri}?PageSize=50&Page=0",
                "next_page_uri": None,
                "page": 0,
                "page_size": 50,
                "previous_page_uri": None,
                "start": 0,
                "uri": uri,
            },
        )

    def _fetch_message(self, handler: _Handler, account: str, sid: str, auth_ok: bool) -> None:
        """Answer a message fetch with the stored resource."""
        if not self._check_access(handler, account, auth_ok):
            return
        with self._lock:
            resource = self._resources.get(sid)
        if resource is None:
            return self._error(handler, 404, 20404, f"The requested resource {sid} was not found")
        handler.send_json(200, resource)

    def _serve_media(
        self, handler: _Handler, account: str, media_sid: str, auth_ok: bool, path: str = ""
    ) -> None:
        """Answer a media download with the stored bytes (or the redirect set by ``redirect_media``)."""
        if not self._check_access(handler, account, auth_ok):
            return
        with self._lock:
            redirect = self._redirects.get(path)
        if redirect is not None:
            status, location = redirect
            handler.send_response(status)
            handler.send_header("Location", location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        with self._lock:
            media = self._media.get(media_sid)
        if media is None:
            return self._error(handler, 404, 20404, f"The requested resource {media_sid} was not found")
        handler.send_bytes(media.content, media.content_type)


def _content_problem(definition: object) -> str | None:
    """Why Twilio would refuse this Content (quick-reply: 1-3 actions, titles of at most 20 characters;
    list-picker: 1-10 items, item at most 24, description at most 72), or None."""
    if not isinstance(definition, dict) or not isinstance(definition.get("types"), dict):
        return "types is required"
    types = definition["types"]
    if "twilio/quick-reply" in types:
        actions = (types["twilio/quick-reply"] or {}).get("actions") or []
        if not 1 <= len(actions) <= 3 or any(len(a.get("title") or "") > 20 for a in actions):
            return "quick-reply needs 1 to 3 actions with titles of at most 20 characters"
    if "twilio/list-picker" in types:
        picker = types["twilio/list-picker"] or {}
        items = picker.get("items") or []
        if not picker.get("button") or not 1 <= len(items) <= 10:
            return "list-picker needs a button and 1 to 10 items"
        for item in items:
            if len(item.get("item") or "") > 24 or len(item.get("description") or "") > 72:
                return "list-picker items are at most 24 characters, descriptions at most 72"
    return None
