"""Drive the local Anthropic stub with the real anthropic SDK and langchain-anthropic's ChatAnthropic."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from typing import Any, Literal

import anthropic
import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.exceptions import (
    ModelAPIError,
    ModelConnectionError,
    ModelRateLimitError,
    ModelTimeoutError,
    OutputParserException,
)
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from tests.stubs.anthropic_stub import AnthropicStub

MODEL = "claude-sonnet-4-5"
USER = [{"role": "user", "content": "What is a cable sheath for?"}]

pytestmark = pytest.mark.filterwarnings(f"ignore:The model '{MODEL}' is deprecated:DeprecationWarning")


class Intent(BaseModel):
    """What the learner wants."""

    intent: Literal["explain", "quiz", "hours"]
    topic: str | None = Field(default=None, description="The trade topic")


@pytest.fixture(autouse=True)
def _no_anthropic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # these would override (or add to) what the tests pass explicitly
    for name in (
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_BASE_URL",
        "ANTHROPIC_API_URL",
        "ANTHROPIC_CUSTOM_HEADERS",
        "LANGSMITH_GATEWAY",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stub() -> Iterator[AnthropicStub]:
    with AnthropicStub() as running:
        yield running


def _sdk(stub: AnthropicStub, **kwargs: Any) -> anthropic.Anthropic:
    options: dict[str, Any] = {"api_key": "test", "base_url": stub.base_url, "max_retries": 0, "timeout": 2}
    return anthropic.Anthropic(**(options | kwargs))


def _chat(stub: AnthropicStub, **kwargs: Any) -> ChatAnthropic:
    options: dict[str, Any] = {
        "model": MODEL,
        "api_key": "test",
        "base_url": stub.base_url,
        "max_retries": 0,
        "timeout": 2,
    }
    return ChatAnthropic(**(options | kwargs))


def _create(client: anthropic.Anthropic, **kwargs: Any) -> anthropic.types.Message:
    return client.messages.create(**({"model": MODEL, "max_tokens": 300, "messages": USER} | kwargs))


# --- happy paths ----------------------------------------------------------------------------------
def test_sdk_returns_queued_text_and_usage(stub: AnthropicStub) -> None:
    stub.reply_text("It keeps moisture out.", input_tokens=33, output_tokens=7)
    message = _create(_sdk(stub), system="You are Site Coach.")
    assert isinstance(message, anthropic.types.Message)
    assert message.id.startswith("msg_")
    assert (message.type, message.role, message.model) == ("message", "assistant", MODEL)
    (block,) = message.content
    assert (block.type, getattr(block, "text", None)) == ("text", "It keeps moisture out.")
    assert message.stop_reason == "end_turn" and message.stop_sequence is None
    assert (message.usage.input_tokens, message.usage.output_tokens) == (33, 7)

    (body,) = stub.requests
    assert body == {"model": MODEL, "max_tokens": 300, "messages": USER, "system": "You are Site Coach."}
    (headers,) = stub.headers
    assert headers["authorization"] == "Bearer test"  # anthropic 2.x: api_key travels as a Bearer token
    assert "x-api-key" not in headers
    assert headers["anthropic-version"]
    assert headers["content-type"] == "application/json"
    assert headers["x-stainless-retry-count"] == "0"


def test_default_reply_is_ok_and_replies_are_used_in_order(stub: AnthropicStub) -> None:
    client = _sdk(stub)
    stub.reply_text("first")
    stub.reply_text("second")
    texts = [_create(client).content[0].text for _ in range(3)]  # type: ignore[union-attr]
    assert texts == ["first", "second", "OK"]


def test_x_api_key_header_is_accepted_and_recorded(stub: AnthropicStub) -> None:
    # (api_key=None would make the SDK go looking for credential files, so omit the header instead)
    client = _sdk(stub, default_headers={"authorization": anthropic.Omit(), "x-api-key": "sk-test"})
    assert _create(client).content[0].text == "OK"  # type: ignore[union-attr]
    assert stub.headers[0]["x-api-key"] == "sk-test"
    assert "authorization" not in stub.headers[0]


def test_sdk_tool_use_reply(stub: AnthropicStub) -> None:
    stub.reply_tool("log_hours", {"hours": 3.5})
    tools = [{"name": "log_hours", "description": "Log hours", "input_schema": {"type": "object"}}]
    message = _create(_sdk(stub), tools=tools)
    (block,) = message.content
    assert block.type == "tool_use"
    assert block.id.startswith("toolu_") and block.name == "log_hours" and block.input == {"hours": 3.5}
    assert message.stop_reason == "tool_use"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (80, 20)
    assert stub.requests[0]["tools"] == tools


def test_chat_anthropic_text_and_usage_metadata(stub: AnthropicStub) -> None:
    stub.reply_text("Earthing gives fault current a safe path.", input_tokens=120, output_tokens=60)
    reply = _chat(stub).invoke("hi")
    assert isinstance(reply, AIMessage)
    assert reply.content == "Earthing gives fault current a safe path."
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["input_tokens"] == 120
    assert reply.usage_metadata["output_tokens"] == 60
    assert reply.usage_metadata["total_tokens"] == 180
    assert reply.response_metadata["model_name"] == MODEL
    assert reply.response_metadata["stop_reason"] == "end_turn"
    body = stub.requests[0]
    assert body["model"] == MODEL and body["messages"] == [{"role": "user", "content": "hi"}]
    assert "stream" not in body and isinstance(body["max_tokens"], int)


def test_chat_anthropic_records_system_history_and_settings(stub: AnthropicStub) -> None:
    chat = _chat(stub, max_tokens=400, temperature=0.2)
    chat.invoke(
        [
            SystemMessage(content="You are Site Coach. Use only these passages."),
            HumanMessage(content="What is XLPE?"),
            AIMessage(content="Cross-linked polyethylene insulation."),
            HumanMessage(content="And PILC?"),
        ]
    )
    (body,) = stub.requests
    assert body["system"] == "You are Site Coach. Use only these passages."
    assert body["messages"] == [
        {"role": "user", "content": "What is XLPE?"},
        {"role": "assistant", "content": "Cross-linked polyethylene insulation."},
        {"role": "user", "content": "And PILC?"},
    ]
    assert (body["max_tokens"], body["temperature"]) == (400, 0.2)


def test_structured_output_parses_a_queued_tool_call(stub: AnthropicStub) -> None:
    # langchain's tool name for a pydantic schema is the class name, and the call is forced
    stub.reply_tool("Intent", {"intent": "explain", "topic": "earthing"})
    result = _chat(stub).with_structured_output(Intent, include_raw=True).invoke("what is earthing?")
    assert result["parsed"] == Intent(intent="explain", topic="earthing")
    assert result["parsing_error"] is None
    raw = result["raw"]
    assert isinstance(raw, AIMessage)
    assert [call["name"] for call in raw.tool_calls] == ["Intent"]
    assert raw.usage_metadata is not None and raw.usage_metadata["input_tokens"] == 80

    body = stub.requests[0]
    assert body["tool_choice"] == {"type": "tool", "name": "Intent"}
    (tool,) = body["tools"]
    assert tool["name"] == "Intent"
    assert tool["description"] == "What the learner wants."
    assert tool["input_schema"]["required"] == ["intent"]
    assert tool["input_schema"]["properties"]["intent"]["enum"] == ["explain", "quiz", "hours"]


def test_structured_output_bad_arguments_become_parsing_error(stub: AnthropicStub) -> None:
    runnable = _chat(stub).with_structured_output(Intent, include_raw=True)
    stub.reply_tool("Intent", {"intent": "dance"})
    result = runnable.invoke("x")
    assert result["parsed"] is None and isinstance(result["parsing_error"], ValidationError)

    stub.reply_tool("SomethingElse", {"intent": "quiz"})
    result = runnable.invoke("x")
    assert result["parsed"] is None and isinstance(result["parsing_error"], OutputParserException)


def test_structured_output_text_reply_is_parsed_none_without_error(stub: AnthropicStub) -> None:
    # not an error: callers must treat parsed=None as "no intent" themselves
    stub.reply_text("I think you want a quiz.")
    result = _chat(stub).with_structured_output(Intent, include_raw=True).invoke("x")
    assert result["parsed"] is None and result["parsing_error"] is None
    assert result["raw"].content == "I think you want a quiz."


def test_bind_tools_records_tools_and_returns_tool_calls(stub: AnthropicStub) -> None:
    stub.reply_tool("Intent", {"intent": "hours"})
    reply = _chat(stub).bind_tools([Intent], tool_choice="any").invoke("logged 3 hours")
    assert isinstance(reply, AIMessage)
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("Intent", {"intent": "hours"})]
    assert stub.requests[0]["tool_choice"] == {"type": "any"}
    assert [t["name"] for t in stub.requests[0]["tools"]] == ["Intent"]


# --- failures -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "error_type", "sdk_class"),
    [
        (529, "overloaded_error", anthropic.OverloadedError),
        (429, "rate_limit_error", anthropic.RateLimitError),
        (500, "api_error", anthropic.InternalServerError),
        (503, "api_error", anthropic.ServiceUnavailableError),
        (400, "invalid_request_error", anthropic.BadRequestError),
    ],
)
def test_sdk_status_errors(
    stub: AnthropicStub, status: int, error_type: str, sdk_class: type[anthropic.APIStatusError]
) -> None:
    stub.fail_next(status)
    with pytest.raises(sdk_class) as info:
        _create(_sdk(stub))
    assert type(info.value) is sdk_class
    assert info.value.status_code == status
    assert info.value.type == error_type
    error = {"type": error_type, "message": info.value.api_message}
    assert info.value.body == {"type": "error", "error": error}
    assert info.value.response.headers["x-should-retry"] == "false"
    assert info.value.request_id is not None and info.value.request_id.startswith("req_")
    assert _create(_sdk(stub)).content[0].text == "OK"  # type: ignore[union-attr]  # one-shot


def test_overloaded_is_an_internal_server_error_and_rate_limit_is_not() -> None:
    assert issubclass(anthropic.OverloadedError, anthropic.InternalServerError)
    assert not issubclass(anthropic.RateLimitError, anthropic.InternalServerError)
    assert issubclass(anthropic.RateLimitError, anthropic.APIStatusError)


def test_custom_error_type_and_times(stub: AnthropicStub) -> None:
    client = _sdk(stub)
    stub.fail_next(400, "billing_error", times=2)
    for _ in range(2):
        with pytest.raises(anthropic.BadRequestError) as info:
            _create(client)
        assert info.value.type == "billing_error"
    assert _create(client).content[0].text == "OK"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("status", "lc_name", "sdk_class", "core_class"),
    [
        (529, "AnthropicOverloadedError", anthropic.OverloadedError, ModelAPIError),
        (429, "AnthropicRateLimitError", anthropic.RateLimitError, ModelRateLimitError),
        (500, "AnthropicAPIError", anthropic.InternalServerError, ModelAPIError),
    ],
)
def test_chat_anthropic_status_errors_keep_sdk_classes(
    stub: AnthropicStub, status: int, lc_name: str, sdk_class: type[Exception], core_class: type[Exception]
) -> None:
    stub.fail_next(status)
    with pytest.raises(sdk_class) as info:
        _chat(stub).invoke("hi")
    assert type(info.value).__name__ == lc_name  # langchain re-raises a subclass of both
    assert isinstance(info.value, core_class)
    assert len(stub.requests) == 1


def test_retry_only_when_asked(stub: AnthropicStub) -> None:
    client = _sdk(stub, max_retries=2)
    stub.fail_next(529)  # x-should-retry: false
    with pytest.raises(anthropic.OverloadedError):
        _create(client)
    assert len(stub.requests) == 1

    stub.fail_next(529, times=2, retry=True)  # x-should-retry: true, retry-after-ms: 10
    stub.reply_text("third time lucky")
    assert _create(client).content[0].text == "third time lucky"  # type: ignore[union-attr]
    assert [h["x-stainless-retry-count"] for h in stub.headers[1:]] == ["0", "1", "2"]

    stub.fail_next(429, retry=None)  # no header: the SDK's own policy retries 429
    started = time.monotonic()
    assert _create(_sdk(stub, max_retries=1)).content[0].text == "OK"  # type: ignore[union-attr]
    assert time.monotonic() - started < 5
    assert len(stub.requests) == 6


def test_delay_beyond_timeout_raises_api_timeout_error(stub: AnthropicStub) -> None:
    stub.delay_next(3)
    stub.reply_text("too late?")
    started = time.monotonic()
    with pytest.raises(anthropic.APITimeoutError):
        _create(_sdk(stub, timeout=0.5))
    assert time.monotonic() - started < 2
    # the stub noticed the hang-up, so the queued reply is still there for the next request
    assert _create(_sdk(stub)).content[0].text == "too late?"  # type: ignore[union-attr]


def test_delay_within_timeout_still_answers(stub: AnthropicStub) -> None:
    stub.delay_next(0.3)
    stub.reply_text("slow but fine")
    started = time.monotonic()
    assert _create(_sdk(stub)).content[0].text == "slow but fine"  # type: ignore[union-attr]
    assert time.monotonic() - started >= 0.3


def test_timeout_then_retry_gets_the_queued_reply(stub: AnthropicStub) -> None:
    stub.delay_next(5)
    stub.reply_text("on the retry")
    message = _create(_sdk(stub, timeout=0.5, max_retries=1))
    assert message.content[0].text == "on the retry"  # type: ignore[union-attr]
    assert len(stub.requests) == 2


def test_chat_anthropic_timeout(stub: AnthropicStub) -> None:
    stub.delay_next(3)
    with pytest.raises(anthropic.APITimeoutError) as info:
        _chat(stub, timeout=0.5).invoke("hi")
    assert type(info.value).__name__ == "AnthropicTimeoutError"
    assert isinstance(info.value, ModelTimeoutError)


def test_connection_refused() -> None:
    with AnthropicStub() as gone:
        dead_url = gone.base_url
    client = anthropic.Anthropic(api_key="test", base_url=dead_url, max_retries=0, timeout=2)
    with pytest.raises(anthropic.APIConnectionError) as info:
        _create(client)
    assert not isinstance(info.value, anthropic.APITimeoutError)

    chat = ChatAnthropic(model=MODEL, api_key="test", base_url=dead_url, max_retries=0, timeout=2)  # type: ignore[call-arg]
    with pytest.raises(anthropic.APIConnectionError) as lc_info:
        chat.invoke("hi")
    assert isinstance(lc_info.value, ModelConnectionError)


@pytest.mark.parametrize("kind", ["truncated", "not_json"])
def test_unparseable_body_raises_json_decode_error(stub: AnthropicStub, kind: str) -> None:
    # neither the SDK nor langchain wraps this: a plain json.JSONDecodeError (a ValueError) escapes
    stub.malformed_next(kind=kind)  # type: ignore[arg-type]
    with pytest.raises(json.JSONDecodeError) as info:
        _create(_sdk(stub))
    assert not isinstance(info.value, anthropic.AnthropicError)

    stub.malformed_next(kind=kind)  # type: ignore[arg-type]
    with pytest.raises(json.JSONDecodeError):
        _chat(stub).invoke("hi")

    stub.malformed_next(kind=kind)  # type: ignore[arg-type]
    with pytest.raises(json.JSONDecodeError):  # raised by the model step, so include_raw does not catch it
        _chat(stub).with_structured_output(Intent, include_raw=True).invoke("hi")


def test_json_without_content(stub: AnthropicStub) -> None:
    # the SDK does not validate responses by default: it builds a Message with content=None
    stub.malformed_next(kind="no_content")
    message = _create(_sdk(stub))
    assert message.content is None and message.usage is None

    stub.malformed_next(kind="no_content")
    with pytest.raises(anthropic.APIResponseValidationError):
        _create(_sdk(stub, _strict_response_validation=True))

    stub.malformed_next(kind="no_content")
    with pytest.raises(TypeError):  # langchain iterates over content=None
        _chat(stub).invoke("hi")


# --- misuse ---------------------------------------------------------------------------------------
def _raw_post(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_missing_credentials_is_401(stub: AnthropicStub) -> None:
    body = {"model": MODEL, "max_tokens": 10, "messages": USER}
    status, payload = _raw_post(f"{stub.base_url}/v1/messages", body, {"anthropic-version": "2023-06-01"})
    assert status == 401
    assert payload["type"] == "error" and payload["error"]["type"] == "authentication_error"
    assert stub.requests == [body]
    assert stub.headers[0]["anthropic-version"] == "2023-06-01"

    status, payload = _raw_post(f"{stub.base_url}/v1/messages", body, {"x-api-key": "k"})
    assert status == 200 and payload["content"] == [{"type": "text", "text": "OK"}]


def test_missing_credentials_through_sdk(stub: AnthropicStub) -> None:
    stub.reply_text("kept for later")
    client = _sdk(stub, default_headers={"authorization": anthropic.Omit()})
    with pytest.raises(anthropic.AuthenticationError):
        _create(client)
    assert _create(_sdk(stub)).content[0].text == "kept for later"  # type: ignore[union-attr]


def test_streaming_is_rejected_loudly(stub: AnthropicStub) -> None:
    with pytest.raises(anthropic.BadRequestError, match="does not stream"):
        _create(_sdk(stub), stream=True)
    assert stub.requests[0]["stream"] is True


def test_invalid_requests_and_unknown_paths(stub: AnthropicStub) -> None:
    url = f"{stub.base_url}/v1/messages"
    status, payload = _raw_post(url, {"model": MODEL, "messages": USER}, {"x-api-key": "k"})
    assert status == 400 and "max_tokens" in payload["error"]["message"]
    status, payload = _raw_post(url, {"model": MODEL, "max_tokens": 5, "messages": []}, {"x-api-key": "k"})
    assert status == 400 and payload["error"]["type"] == "invalid_request_error"
    status, payload = _raw_post(f"{stub.base_url}/v1/complete", {}, {"x-api-key": "k"})
    assert status == 404 and payload["error"]["type"] == "not_found_error"


def test_the_sdk_warns_on_deprecated_models_but_not_on_the_coachs_default() -> None:
    # the installed SDK's own list of deprecated models: each call with one warns; the coach's default
    # model (settings) must not be on it, or every answer would log a deprecation warning
    from anthropic._data import DEPRECATED_MODELS

    from sitecoach.settings import DEFAULT_ANTHROPIC_MODEL

    assert DEFAULT_ANTHROPIC_MODEL not in DEPRECATED_MODELS
    with AnthropicStub() as stub:
        for model, expect_warning in (
            (next(iter(DEPRECATED_MODELS)), True),
            (DEFAULT_ANTHROPIC_MODEL, False),
        ):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                _create(_sdk(stub), model=model)
            deprecated = [w for w in caught if issubclass(w.category, DeprecationWarning)]
            assert any("deprecated" in str(w.message) for w in deprecated) is expect_warning, model


def test_reset_and_base_url_lifecycle() -> None:
    stub = AnthropicStub()
    with pytest.raises(RuntimeError):
        _ = stub.base_url
    with stub:
        assert stub.base_url.startswith("http://127.0.0.1:")
        stub.reply_text("queued")
        _create(_sdk(stub, default_headers={"x-api-key": "k"}))
        stub.reply_text("dropped")
        stub.fail_next(529)
        stub.reset()
        assert stub.requests == [] and stub.headers == []
        assert _create(_sdk(stub)).content[0].text == "OK"  # type: ignore[union-attr]
