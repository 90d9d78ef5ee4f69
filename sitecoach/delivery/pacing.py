"""Outbound pacing shared by every worker through Redis: a sender's messages per second, and a gap between
two messages to one learner.

Twilio lets a WhatsApp sender send 80 messages per second by default (the Sandbox one every 3 s) and
queues the rest, failing what waits more than 4 hours. WhatsApp also limits how fast one business may
message one user (the "pair rate"). A token bucket per sender and a last-send time per (sender, learner)
are checked and taken in one Lua script, so concurrent workers on any host never overshoot either. Time
is Redis's own clock (one clock for every host) unless a test passes `now`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from redis import Redis
from redis.exceptions import RedisError

from sitecoach.delivery.channels import Channel, ChannelError

log = logging.getLogger(__name__)
# The bucket holds half a second of sends: under Twilio's one second, so network jitter never tips it over.
BURST_SECONDS = 0.5
MAX_WAIT_SECONDS = 10.0  # a send that would wait longer is left pending and retried later by RQ
KEY_PREFIX = "sitecoach:pace"

# KEYS[1]: the sender's bucket (hash: tokens, ts); KEYS[2]: the learner's last send time (string).
# ARGV: now in seconds ('' = Redis's clock), rate per second (0 = unlimited), capacity, spacing seconds.
# Returns {seconds to wait, stamp}: '0' = granted (a token taken, the send time recorded as the stamp).
_ACQUIRE = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local rate, capacity, spacing = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local eps = 0.000001  -- float noise in seconds and tokens: a slot due now is granted now
if spacing > 0 then
  local last = tonumber(redis.call('GET', KEYS[2]))
  if last and now - last < spacing - eps then
    return {string.format('%.6f', math.max(spacing - (now - last), 0.000001)), ''}
  end
end
if rate > 0 then
  local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
  local tokens, ts = tonumber(state[1]), tonumber(state[2])
  if not tokens then
    tokens, ts = capacity, now
  end
  tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
  if tokens < 1 - eps then
    return {string.format('%.6f', math.max((1 - tokens) / rate, 0.000001)), ''}
  end
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', math.max(0, tokens - 1)),
             'ts', string.format('%.17g', math.max(now, ts)))
  redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 60000)
end
local stamp = string.format('%.17g', now)
if spacing > 0 then
  redis.call('SET', KEYS[2], stamp, 'PX', math.ceil(spacing * 1000))
end
return {'0', stamp}
"""

# After the provider accepted the send, restart the learner's spacing from now (so it holds on arrival).
# The grant's own record lives only `spacing`, so a send slower than that (a slow provider, a cold client)
# finds it gone: the spacing is recorded all the same, since the message did go. Only a record of a later
# send time is left as it is (the learner's last send time never moves back).
# KEYS[1]: the learner's key; ARGV: the grant's stamp, spacing seconds, now ('' = Redis's clock).
_CONFIRM = """
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then
  local last = tonumber(current)
  if last and last >= now then
    return 0
  end
end
redis.call('SET', KEYS[1], string.format('%.17g', now), 'PX', math.ceil(tonumber(ARGV[2]) * 1000))
return 1
"""

# Forget a learner's last send time, but only if it is still the one this grant recorded.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class PacingDelay(ChannelError):
    """Sending now would wait longer than the cap: leave the message pending and retry later."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"paced: next send allowed in {seconds:.1f} s", code="paced", retryable=True)
        self.seconds = seconds


class Pacer:
    """A sender's rate (messages per second, token bucket) and a learner's spacing, atomic in Redis."""

    def __init__(
        self,
        redis: Redis,
        mps: float,
        spacing_seconds: float,
        burst: float | None = None,
        prefix: str = KEY_PREFIX,
    ) -> None:
        self.redis = redis
        self.mps = max(0.0, float(mps))
        self.spacing = max(0.0, float(spacing_seconds))
        self.burst = float(burst) if burst is not None else max(1.0, self.mps * BURST_SECONDS)
        self.prefix = prefix
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)
        self._confirm = redis.register_script(_CONFIRM)
        self._granted = threading.local()  # this thread's last grant per (sender, recipient), for release

    def _keys(self, sender: str, recipient: str) -> list[str]:
        # One hash tag per sender keeps both keys in one Redis Cluster slot, as a script needs.
        return [f"{self.prefix}:{{{sender}}}:rate", f"{self.prefix}:{{{sender}}}:to:{recipient}"]

    def acquire(self, sender: str, recipient: str, now: float | None = None) -> float:
        """Take a send slot if one is free (returns 0), else the seconds to wait; `now` is for tests."""
        keys = self._keys(sender, recipient)
        args = ["" if now is None else repr(float(now)), repr(self.mps), repr(self.burst), repr(self.spacing)]
        delay, stamp = self._acquire(keys=keys, args=args)
        if stamp:
            grants = getattr(self._granted, "stamps", None)
            if grants is None:
                grants = self._granted.stamps = {}
            grants[(sender, recipient)] = stamp
            return 0.0
        return max(float(delay), 1e-6)  # never 0 unless granted

    def wait(
        self,
        sender: str,
        recipient: str,
        max_wait: float = MAX_WAIT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> float:
        """Block until a send slot is taken; return the seconds waited. Raises PacingDelay past `max_wait`."""
        started = time.monotonic()
        while True:
            delay = self.acquire(sender, recipient)
            if delay <= 0:
                return time.monotonic() - started
            waited = time.monotonic() - started
            if waited + delay > max_wait:
                raise PacingDelay(delay)
            sleep(delay)

    def confirm(self, sender: str, recipient: str, now: float | None = None) -> bool:
        """The send was accepted: count the learner's spacing from now, once it surely reached Twilio, even
        when the send took longer than the spacing (the grant's record has run out by then). False if there
        was no grant to confirm, or a later send time is already recorded."""
        stamp = getattr(self._granted, "stamps", {}).pop((sender, recipient), None)
        if stamp is None or self.spacing <= 0:
            return False
        args = [stamp, repr(self.spacing), "" if now is None else repr(float(now))]
        return bool(self._confirm(keys=[self._keys(sender, recipient)[1]], args=args))

    def release(self, sender: str, recipient: str) -> bool:
        """Undo the learner's spacing after a send the channel refused (nothing reached them)."""
        stamp = getattr(self._granted, "stamps", {}).pop((sender, recipient), None)
        if stamp is None:
            return False
        return bool(self._release(keys=[self._keys(sender, recipient)[1]], args=[stamp]))


_pacers: dict[tuple[str, float, float], Pacer] = {}
_pacers_lock = threading.Lock()


def sender_of(channel: Channel) -> str:
    """The WhatsApp sender a channel sends from (the bucket's name)."""
    return str(getattr(channel, "sender", None) or channel.name)


def pacer_for(channel: Channel) -> Pacer | None:
    """This process's pacer for a channel: only Twilio is paced (the simulator sends nowhere)."""
    if channel.name != "twilio":
        return None
    settings = getattr(channel, "settings", None)
    if settings is None or (settings.outbound_mps <= 0 and settings.learner_spacing_seconds <= 0):
        return None
    from sitecoach.infra.embedded_redis import embedded_redis_url  # late: sitecoach imports bot

    url = settings.redis_url or embedded_redis_url(settings.instance_path)
    key = (url, float(settings.outbound_mps), float(settings.learner_spacing_seconds))
    with _pacers_lock:
        pacer = _pacers.get(key)
        if pacer is None:
            redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)
            pacer = Pacer(redis, settings.outbound_mps, settings.learner_spacing_seconds)
            _pacers[key] = pacer
        return pacer


def pace(pacer: Pacer | None, channel: Channel, recipient: str) -> float:
    """Wait for a send slot (see `Pacer.wait`); if Redis is down, send unpaced rather than not at all."""
    if pacer is None:
        return 0.0
    try:
        return pacer.wait(sender_of(channel), recipient)
    except RedisError as exc:
        # Twilio queues what exceeds the rate, so an unpaced send is late at worst; a lost one is worse.
        log.warning("pacing unavailable (%s): sending unpaced", exc)
        return 0.0


def paced(pacer: Pacer | None, channel: Channel, recipient: str) -> None:
    """Count the learner's spacing from the moment the channel accepted the send."""
    if pacer is None:
        return
    try:
        pacer.confirm(sender_of(channel), recipient)
    except RedisError as exc:
        log.info("pacing confirm skipped (%s): spacing counts from the grant", exc)


def unpace(pacer: Pacer | None, channel: Channel, recipient: str) -> None:
    """Give back the learner's spacing after a send the channel answered with a refusal."""
    if pacer is None:
        return
    try:
        pacer.release(sender_of(channel), recipient)
    except RedisError as exc:
        log.info("pacing release skipped (%s): the spacing runs its course", exc)
