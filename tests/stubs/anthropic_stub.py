"""A local stand-in for the Anthropic Messages API (``POST /v1/messages``) for tests.

Speaks enough of the API for the real ``anthropic`` SDK and ``langchain_anthropic.ChatAnthropic``:
point either at ``AnthropicStub.base_url`` (the SDK appends ``/v1/messages``).

Answers, decided per request:

1. A request with neither ``x-api-key`` nor ``Authorization: Bearer ...`` gets 401 ``authentication_error``
   (anthropic 2.x sends ``api_key`` as a Bearer token, not ``x-api-key``); a body that is not a JSON object,
   or lacks ``model``/``messages``/``max_tokens``, gets 400 ``invalid_request_error``; ``"stream": true``
   gets 400 too (the stub does not stream, so misuse is loud).
2. A pending ``delay_next`` is taken when the request arrives; the stub then waits, and if the client hangs
   up meanwhile (its timeout fired) the request is dropped without taking anything else from the queues.
3. Then the next injected fault (``fail_next`` / ``malformed_next``, in the order queued), else the next
   queued reply (``reply_text`` / ``reply_tool``), else a short text ``"OK"``.

So ``delay_next(5); reply_text("hi")`` with a 2 s client timeout and one SDK retry answers the retry "hi".

Errors use Anthropic's shape ``{"type": "error", "error": {"type", "message"}}`` and carry
``x-should-retry: false`` unless ``fail_next(..., retry=True)`` (then ``true`` and ``retry-after-ms: 10``)
or ``retry=None`` (no header: the SDK's own status policy decides).
"""

from __future__ import annotations

import json
import secrets
import select
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

MESSAGES_PATH = "/v1/messages"
_POLL = 0.02
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

MalformedKind = Literal["truncated", "no_content", "not_json"]
_MALFORMED: dict[str, bytes] = {
    # cut off mid-object, as if the connection dropped
    "truncated": b'{"id": "msg_cut", "type": "message", "role": "assistant", "content": [{"type": "te',
    # well-formed JSON, but no "content", "model" or "usage"
    "no_content": b'{"id": "msg_empty", "type": "message", "role": "assistant", "stop_reason": "end_turn"}',
    # an HTML error page from a proxy, still labelled application/json
    "not_json": b"<html><body>502 Bad Gateway</body></html>",
}


def _new_id(prefix: str) -> str:
    """An Anthropic-style id such as ``msg_...`` or ``toolu_...``."""
    return prefix + secrets.token_hex(12)


@dataclass(frozen=True)
class _Reply:
    """A queued successful answer: content blocks, stop reason and usage."""

    content: list[dict[str, Any]]
    stop_reason: str
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class _Failure:
    """A queued error answer."""

    status: int
    error_type: str
    retry: bool | None


@dataclass(frozen=True)
class _Malformed:
    """A queued 200 answer whose body is not a valid Message."""

    body: bytes


@dataclass
class _Queues:
    """Everything queued for future requests."""

    replies: deque[_Reply] = field(default_factory=deque)
    faults: deque[_Failure | _Malformed] = field(default_factory=deque)
    delays: deque[float] = field(default_factory=deque)


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that carries its stub and stays quiet about client disconnects."""

    daemon_threads = True
    request_queue_size = 128  # like a real server's backlog: 20 clients at once must not be reset (default 5)
    stub: AnthropicStub

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore handler errors (e.g. writing to a client that timed out and hung up)."""


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the owning ``AnthropicStub``."""

    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "AnthropicStub/1.0"

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_POST(self) -> None:
        """Serve ``POST /v1/messages``."""
        self.server.stub._handle_post(self)

    def do_GET(self) -> None:
        """Nothing is served by GET."""
        self.server.stub._drain_body(self)
        self.send_json(404, _error_body("not_found_error", f"Not found: GET {self.path}"))

    def send_json(self, status: int, payload: object, extra: dict[str, str] | None = None) -> None:
        """Write a JSON response with Anthropic-like headers."""
        self.send_raw(status, json.dumps(payload).encode(), extra)

    def send_raw(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
        """Write ``body`` as an ``application/json`` response."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("request-id", _new_id("req_"))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def client_gone(self) -> bool:
        """Whether the client has closed its end of the connection (e.g. after a timeout)."""
        sock: socket.socket = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            return sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True


def _error_body(error_type: str, message: str) -> dict[str, Any]:
    """Anthropic's error JSON."""
    return {"type": "error", "error": {"type": error_type, "message": message}}


class AnthropicStub:
    """A threaded local HTTP server imitating Anthropic's ``POST /v1/messages`` (no streaming)."""

    def __init__(self) -> None:
        """Prepare (but do not start) the stub."""
        self.requests: list[dict[str, Any]] = []  # every POST /v1/messages JSON body, in order
        self.headers: list[dict[str, str]] = []  # their headers, names lower-cased
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._queues = _Queues()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running stub."""
        if self._server is None:
            raise RuntimeError("AnthropicStub is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> AnthropicStub:
        """Bind 127.0.0.1 on a free port and serve from a daemon thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.stub = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="anthropic-stub", daemon=True
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

    def __enter__(self) -> AnthropicStub:
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

    # -- scripting ---------------------------------------------------------

    def reply_text(self, text: str, input_tokens: int = 120, output_tokens: int = 60) -> None:
        """Queue a text answer (``stop_reason`` ``end_turn``) for the next successful request."""
        reply = _Reply([{"type": "text", "text": text}], "end_turn", input_tokens, output_tokens)
        with self._lock:
            self._queues.replies.append(reply)

    def reply_tool(
        self, name: str, arguments: dict[str, Any], input_tokens: int = 80, output_tokens: int = 20
    ) -> None:
        """Queue a ``tool_use`` answer (``stop_reason`` ``tool_use``) for the next successful request."""
        block = {"type": "tool_use", "id": _new_id("toolu_"), "name": name, "input": dict(arguments)}
        with self._lock:
            self._queues.replies.append(_Reply([block], "tool_use", input_tokens, output_tokens))

    def fail_next(
        self, status: int, error_type: str | None = None, times: int = 1, *, retry: bool | None = False
    ) -> None:
        """Answer the next ``times`` requests with an Anthropic error (e.g. 529 ``overloaded_error``)."""
        kind = error_type or _ERROR_TYPES.get(status, "api_error")
        with self._lock:
            self._queues.faults.extend([_Failure(status, kind, retry)] * times)

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Wait ``seconds`` before answering each of the next ``times`` requests."""
        with self._lock:
            self._queues.delays.extend([seconds] * times)

    def malformed_next(self, times: int = 1, *, kind: MalformedKind = "truncated") -> None:
        """Answer the next ``times`` requests 200 with a body that is not a valid Message."""
        body = _MALFORMED[kind]
        with self._lock:
            self._queues.faults.extend([_Malformed(body)] * times)

    def reset(self) -> None:
        """Forget queued answers and recorded requests."""
        with self._lock:
            self._queues = _Queues()
            self.requests.clear()
            self.headers.clear()

    # -- request handling --------------------------------------------------

    @staticmethod
    def _drain_body(handler: _Handler) -> bytes:
        """Read the request body (Content-Length framed)."""
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length > 0 else b""

    def _handle_post(self, handler: _Handler) -> None:
        """Record, validate, then answer one POST."""
        raw = self._drain_body(handler)
        path = handler.path.split("?", 1)[0]
        if path != MESSAGES_PATH:
            handler.send_json(404, _error_body("not_found_error", f"Not found: POST {path}"))
            return
        try:
            body: Any = json.loads(raw or b"null")
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in handler.headers.items()}
        problem = self._problem(body, headers)
        with self._lock:
            self.requests.append(body if isinstance(body, dict) else {"_raw": raw.decode("utf-8", "replace")})
            self.headers.append(headers)
            delay = self._queues.delays.popleft() if self._queues.delays and problem is None else 0.0
        if problem is not None:
            status, kind, message = problem
            handler.send_json(status, _error_body(kind, message), {"x-should-retry": "false"})
            return
        if delay > 0 and not self._wait(handler, delay):
            handler.close_connection = True
            return

        with self._lock:
            queues = self._queues
            fault = queues.faults.popleft() if queues.faults else None
            reply = queues.replies.popleft() if fault is None and queues.replies else None

        if isinstance(fault, _Failure):
            extra = {} if fault.retry is None else {"x-should-retry": "true" if fault.retry else "false"}
            if fault.retry:
                extra["retry-after-ms"] = "10"
            message = f"Injected failure ({fault.status} {fault.error_type}) from AnthropicStub"
            handler.send_json(fault.status, _error_body(fault.error_type, message), extra)
        elif isinstance(fault, _Malformed):
            handler.send_raw(200, fault.body)
        else:
            handler.send_json(200, self._message(body["model"], reply))

    @staticmethod
    def _problem(body: Any, headers: dict[str, str]) -> tuple[int, str, str] | None:
        """The (status, error type, message) the real API would reject this request with, if any."""
        bearer = headers.get("authorization", "")
        if not headers.get("x-api-key") and not (bearer.startswith("Bearer ") and bearer[7:].strip()):
            return 401, "authentication_error", "An x-api-key or Authorization: Bearer header is required"
        if not isinstance(body, dict):
            return 400, "invalid_request_error", "The request body is not a JSON object"
        if body.get("stream"):
            return 400, "invalid_request_error", "stream: AnthropicStub does not stream; call without stream"
        for name in ("model", "messages", "max_tokens"):
            if name not in body:
                return 400, "invalid_request_error", f"{name}: Field required"
        if not isinstance(body["messages"], list) or not body["messages"]:
            return 400, "invalid_request_error", "messages: at least one message is required"
        return None

    def _wait(self, handler: _Handler, seconds: float) -> bool:
        """Wait up to ``seconds``; False if the client hung up or the stub is stopping."""
        remaining = seconds
        while remaining > 0:
            if self._stopping.wait(min(_POLL, remaining)) or handler.client_gone():
                return False
            remaining -= _POLL
        return True

    @staticmethod
    def _message(model: str, reply: _Reply | None) -> dict[str, Any]:
        """A Messages API response body for ``reply`` (default: text "OK")."""
        reply = reply or _Reply([{"type": "text", "text": "OK"}], "end_turn", 10, 1)
        return {
            "id": _new_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": reply.content,
            "stop_reason": reply.stop_reason,
            "stop_sequence": None,
            "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
        }
