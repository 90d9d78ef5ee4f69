"""The one language-model service: Claude through langchain-anthropic, built once from settings.

Safety by construction:
* The system prompt is ours (an admin-editable prompt file) plus passages from our vetted lessons; the
  learner's words only ever travel as the human message, after personal data has been redacted.
* The model may only rephrase and connect the passages: when they do not answer the question it must reply
  NOT_COVERED, and the coach says so plainly instead of guessing.
* One attempt, an explicit timeout (8 s by default; ChatAnthropic's own default is no timeout at all) and
  no SDK retries, so a learner never waits more than ~10 s: any failure (timeout, 429, 529, network,
  malformed answer) returns None and the caller sends the offline answer.
* Answers are plain text, length-capped, never executed and never used as a template.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from sitecoach.settings import Settings

log = logging.getLogger(__name__)
NOT_COVERED = "NOT_COVERED"
ANSWER_CHAR_LIMIT = 900  # WhatsApp-sized


@dataclass(frozen=True)
class LLMCall:
    """How one call went: the text (None on failure), tokens, latency and outcome."""

    text: str | None
    input_tokens: int
    output_tokens: int
    latency_ms: int
    outcome: str  # ok | not_covered | timeout | overloaded | rate_limited | error | malformed

    @property
    def ok(self) -> bool:
        """Whether the call produced a usable answer."""
        return self.outcome == "ok" and bool(self.text)


class RoutedIntent(BaseModel):
    """The intent of a learner's message, and what it mentions (filled by the model through a tool call).

    The schema the model sees narrows `intent` to the routable intents (`routing_schema`).
    """

    intent: str
    topic: str | None = Field(default=None, description="The trade topic, e.g. 'earthing', '11kV joints'")
    hours: float | None = Field(default=None, description="Hours of off-the-job training, if logged")
    time: str | None = Field(default=None, description="A time of day for reminders, HH:MM 24h")


@functools.cache
def routing_schema(intents: tuple[str, ...]) -> type[RoutedIntent]:
    """`RoutedIntent` with `intent` limited to these names (the registry's model-routable intents)."""
    return create_model(  # type: ignore[call-overload, no-any-return]
        "RoutedIntent",
        __base__=RoutedIntent,
        __doc__=RoutedIntent.__doc__,
        intent=(Literal[intents], ...),
    )


def _outcome(exc: Exception) -> str:
    import anthropic

    if isinstance(exc, anthropic.APITimeoutError):
        return "timeout"
    if isinstance(exc, anthropic.RateLimitError):
        return "rate_limited"
    if isinstance(exc, anthropic.APIStatusError):
        return "overloaded" if exc.status_code == 529 else "error"
    if isinstance(exc, anthropic.APIConnectionError):
        return "error"
    return "malformed"


def _usage(message: Any) -> tuple[int, int]:
    meta = getattr(message, "usage_metadata", None) or {}
    return int(meta.get("input_tokens", 0) or 0), int(meta.get("output_tokens", 0) or 0)


def _text(message: Any) -> str:
    content = getattr(message, "content", "")
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


class LLMService:
    """Claude for explanations and routing, when an API key is configured; otherwise disabled."""

    def __init__(self, settings: Settings, metrics: Any = None) -> None:
        self.settings = settings
        self.metrics = metrics
        self.model = settings.anthropic_model
        self.enabled = bool(settings.anthropic_api_key)
        self._chat = None
        if self.enabled:
            from langchain_anthropic import ChatAnthropic

            kwargs: dict[str, Any] = {
                "model": settings.anthropic_model,
                "api_key": settings.anthropic_api_key,
                "timeout": settings.llm_timeout_seconds,  # explicit: the library default is no timeout
                "max_retries": 0,  # one attempt: the offline answer is the retry
                "max_tokens": settings.llm_max_tokens,
                "temperature": 0.2,
            }
            if settings.anthropic_base_url:
                kwargs["base_url"] = settings.anthropic_base_url
            self._chat = ChatAnthropic(**kwargs)

    def _measure(self, purpose: str, call: LLMCall) -> LLMCall:
        if self.metrics is not None:
            self.metrics.incr("sitecoach_llm_calls_total", {"purpose": purpose, "outcome": call.outcome})
            self.metrics.observe("sitecoach_llm_latency_seconds", call.latency_ms / 1000)
        return call

    def cost_usd(self, input_tokens: int, output_tokens: int) -> float:
        """What a call cost at the configured prices."""
        s = self.settings
        return round(
            input_tokens * s.llm_usd_per_mtok_in / 1e6 + output_tokens * s.llm_usd_per_mtok_out / 1e6, 6
        )

    def explain(self, system: str, question: str, history: Sequence[tuple[str, str]]) -> LLMCall:
        """A grounded answer to an (already redacted) question; NOT_COVERED becomes outcome not_covered."""
        if self._chat is None:
            return LLMCall(None, 0, 0, 0, "disabled")
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        messages: list[Any] = [SystemMessage(content=system)]
        for role, text in history:
            messages.append(HumanMessage(content=text) if role == "learner" else AIMessage(content=text))
        messages.append(HumanMessage(content=question))
        started = time.perf_counter()
        try:
            reply = self._chat.invoke(messages)
            text = _text(reply).strip()
        except Exception as exc:  # noqa: BLE001 - every failure means "use the offline answer"
            latency = int((time.perf_counter() - started) * 1000)
            log.warning("LLM explain failed after %d ms: %s", latency, type(exc).__name__)
            return self._measure("explain", LLMCall(None, 0, 0, latency, _outcome(exc)))
        latency = int((time.perf_counter() - started) * 1000)
        tokens_in, tokens_out = _usage(reply)
        if not text:
            return self._measure("explain", LLMCall(None, tokens_in, tokens_out, latency, "malformed"))
        if NOT_COVERED in text.upper().replace(" ", "_"):
            return self._measure("explain", LLMCall(None, tokens_in, tokens_out, latency, "not_covered"))
        return self._measure("explain", LLMCall(text, tokens_in, tokens_out, latency, "ok"))

    def route(self, system: str, text: str, intents: Sequence[str]) -> tuple[RoutedIntent | None, LLMCall]:
        """The intent (one of `intents`) of a message the offline classifier was unsure of (forced tool)."""
        if self._chat is None:
            return None, LLMCall(None, 0, 0, 0, "disabled")
        from langchain_core.messages import HumanMessage, SystemMessage

        started = time.perf_counter()
        try:
            runnable = self._chat.with_structured_output(routing_schema(tuple(intents)), include_raw=True)
            result = runnable.invoke([SystemMessage(content=system), HumanMessage(content=text)])
        except Exception as exc:  # noqa: BLE001
            latency = int((time.perf_counter() - started) * 1000)
            log.warning("LLM routing failed after %d ms: %s", latency, type(exc).__name__)
            return None, self._measure("route", LLMCall(None, 0, 0, latency, _outcome(exc)))
        latency = int((time.perf_counter() - started) * 1000)
        tokens_in, tokens_out = _usage(result.get("raw"))
        parsed = result.get("parsed")
        if result.get("parsing_error") is not None or not isinstance(parsed, RoutedIntent):
            return None, self._measure("route", LLMCall(None, tokens_in, tokens_out, latency, "malformed"))
        return parsed, self._measure("route", LLMCall(parsed.intent, tokens_in, tokens_out, latency, "ok"))


def cap_answer(text: str, limit: int = ANSWER_CHAR_LIMIT) -> str:
    """Cut an answer to WhatsApp length at a sentence end."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = max(text.rfind(". ", 0, limit), text.rfind("\n", 0, limit))
    return (text[: cut + 1] if cut > limit // 2 else text[: limit - 1] + "…").strip()


def ensure_phrases(text: str, phrases: Sequence[str]) -> str:
    """Add any mandatory safety phrase the answer lacks (the pack marks them per lesson)."""
    missing = [p for p in phrases if p.lower() not in text.lower()]
    if not missing:
        return text
    return text.rstrip() + "\n" + "\n".join(f"⚠️ {p[:1].upper() + p[1:]}." for p in missing)
