"""Operations: one JSON log line per event (no personal data), and metrics shared across processes.

Logs: every record becomes one JSON object with time, level, logger, message and any of `message_id`,
`learner_id`, `job` passed in `extra`. As a safety net every phone-number-like run of digits in a log line
is masked to its last three digits, and every WhatsApp BSUID (`GB.1502576394655843`) to its country and
last three characters, whatever the caller wrote; the values a database error can quote (SQLAlchemy's
``[parameters: …]``, PostgreSQL's ``DETAIL: Key (…)=(…)`` or ``Failing row contains (…)``, ``invalid input
syntax for type …: "…"``) are hidden, so a failed insert never writes a message body to a log.

Metrics live in Redis (so web, worker and clock processes add to the same counters) and `/metrics` renders
them in the Prometheus text format, with the queue depth and failed-job count read live from RQ.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping, Sequence

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import RedisError

from sitecoach.models.identity import mask_bsuid

_BSUID = re.compile(r"(?<![0-9A-Za-z.])[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{6,128}(?![0-9A-Za-z])")
_SQL_VALUES = (  # (pattern, replacement): the values a database error can quote
    (re.compile(r"\[parameters: .*?\](?=\n\(Background|\n\n|\Z)", re.DOTALL), "[parameters hidden]"),
    (re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE), r"\1 (values hidden)"),  # keys, failing rows
    (re.compile(r"(invalid input (?:syntax|value) for [^:\n]*:) .*$", re.MULTILINE), r"\1 (hidden)"),
)
_PHONE = re.compile(r"(?<![0-9A-Za-z])\+?\d[\d \-]{8,16}\d(?![0-9A-Za-z])")
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # seconds
PREFIX = "metrics:"
_LOG_FIELDS = ("message_id", "learner_id", "job", "intent", "skill", "group")


def mask_digits(text: str) -> str:
    """Mask anything that looks like a phone number down to its last three digits (and any BSUID)."""

    def mask(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) < 10:
            return m.group(0)
        return ("+" if m.group(0).startswith("+") else "") + "*" * (len(digits) - 3) + digits[-3:]

    return _PHONE.sub(mask, _BSUID.sub(lambda m: mask_bsuid(m.group(0)), text))


def hide_sql_values(text: str) -> str:
    """Remove the row values a database error message may quote (bound parameters, failing rows, keys)."""
    for pattern, replacement in _SQL_VALUES:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON line per record, phone numbers masked and database errors' values hidden."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON."""
        payload: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask_digits(hide_sql_values(record.getMessage())),
        }
        for name in _LOG_FIELDS:
            if hasattr(record, name):
                payload[name] = getattr(record, name)
        if record.exc_info:
            error = hide_sql_values(self.formatException(record.exc_info))
            payload["error"] = mask_digits(error)[-2000:]
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    """Send every log record to stderr as a JSON line (idempotent)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    root.setLevel(level)


class Metrics:
    """Counters and histograms in Redis; every call swallows Redis errors (metrics never break a request)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @staticmethod
    def _key(name: str, labels: Mapping[str, str] | None) -> str:
        label = ",".join(f'{k}="{v}"' for k, v in sorted((labels or {}).items()))
        return f"{name}{{{label}}}" if label else name

    def incr(
        self,
        name: str,
        labels: Mapping[str, str] | None = None,
        amount: int = 1,
        pipeline: Pipeline | None = None,
    ) -> None:
        """Add to a counter (on `pipeline` when given: the caller executes it)."""
        if pipeline is not None:
            pipeline.hincrby(f"{PREFIX}counters", self._key(name, labels), amount)
            return
        try:
            self.redis.hincrby(f"{PREFIX}counters", self._key(name, labels), amount)
        except (RedisError, OSError):
            pass

    def observe(self, name: str, value: float, buckets: Sequence[float] = LATENCY_BUCKETS) -> None:
        """Record one observation in a histogram."""
        try:
            pipe = self.redis.pipeline()
            for bound in buckets:
                if value <= bound:
                    pipe.hincrby(f"{PREFIX}hist:{name}", f"{bound}", 1)
            pipe.hincrby(f"{PREFIX}hist:{name}", "+Inf", 1)
            pipe.hincrbyfloat(f"{PREFIX}hist:{name}", "sum", value)
            pipe.execute()
        except (RedisError, OSError):
            pass

    def render(self, gauges: Mapping[str, float], buckets: Sequence[float] = LATENCY_BUCKETS) -> str:
        """Everything in the Prometheus text exposition format."""
        lines: list[str] = []
        try:
            counters = self.redis.hgetall(f"{PREFIX}counters")
            hist_keys = sorted(k.decode() for k in self.redis.scan_iter(f"{PREFIX}hist:*"))
        except (RedisError, OSError):
            counters, hist_keys = {}, []
        seen: set[str] = set()
        for key, value in sorted((k.decode(), int(v)) for k, v in counters.items()):
            name = key.split("{", 1)[0]
            if name not in seen:
                lines.append(f"# TYPE {name} counter")
                seen.add(name)
            lines.append(f"{key} {value}")
        for hkey in hist_keys:
            name = hkey[len(f"{PREFIX}hist:") :]
            data = {k.decode(): float(v) for k, v in self.redis.hgetall(hkey).items()}
            lines.append(f"# TYPE {name} histogram")
            for bound in buckets:
                lines.append(f'{name}_bucket{{le="{bound}"}} {int(data.get(str(bound), 0))}')
            lines.append(f'{name}_bucket{{le="+Inf"}} {int(data.get("+Inf", 0))}')
            lines.append(f"{name}_sum {data.get('sum', 0.0)}")
            lines.append(f"{name}_count {int(data.get('+Inf', 0))}")
        for name, value in sorted(gauges.items()):
            lines.append(f"# TYPE {name} gauge")
            lines.append(f"{name} {value}")
        return "\n".join(lines) + "\n"
