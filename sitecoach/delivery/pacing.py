"""Outbound pacing shared by every worker through Redis: a sender's messages per second, and a gap between
two messages to one learner that the parts of one reply may skip.

Twilio lets a WhatsApp sender send 80 messages per second by default (the Sandbox one every 3 s) and
queues the rest, failing what waits more than 4 hours. WhatsApp also limits how fast one business may
message one user (the "pair rate": about one message every 6 s, but a short burst is allowed and borrows
from later). So a learner has a small bucket of burst sends, refilled at one per spacing: the parts of one
reply take from it and go back to back, and once it is empty (a sustained burst) they are spaced too. A
proactive message (a nudge, a celebration) always waits the spacing after the learner's last message. The
sender's token bucket, the learner's last send time and their burst bucket are checked and taken in one Lua
script, so concurrent workers on any host never overshoot. Time is Redis's own clock (one clock for every
host) unless a test gives the pacer a clock or passes `now`.
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
DEFAULT_LEARNER_BURST = 5  # messages to one learner that may go back to back (the parts of one reply)
MAX_WAIT_SECONDS = 10.0  # a send that would wait longer is left pending and retried later by RQ
KEY_PREFIX = "sitecoach:pace"

# KEYS[1]: the sender's bucket (hash: tokens, ts); KEYS[2]: the learner's last send time (string);
# KEYS[3]: the learner's burst bucket (hash: tokens, ts; refilled at one per spacing, up to the allowance).
# ARGV: now in seconds ('' = Redis's clock), rate per second (0 = unlimited), capacity, spacing seconds,
# the learner's burst allowance, '1' for a part of a reply (may burst) or '0' (waits the spacing).
# Returns {seconds to wait, stamp}: '0' = granted (a token taken, the send time recorded as the stamp).
_ACQUIRE = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local rate, capacity, spacing = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local allowance, reply = math.max(1, tonumber(ARGV[5])), ARGV[6] == '1'
local eps = 0.000001  -- float noise in seconds and tokens: a slot due now is granted now
local burst, burst_ts
if spacing > 0 then
  local state = redis.call('HMGET', KEYS[3], 'tokens', 'ts')
  burst, burst_ts = tonumber(state[1]), tonumber(state[2])
  if not burst then
    burst, burst_ts = allowance, now
  end
  burst = math.min(allowance, burst + math.max(0, now - burst_ts) / spacing)
  if reply then
    if burst < 1 - eps then
      return {string.format('%.6f', math.max((1 - burst) * spacing, 0.000001)), ''}
    end
  else
    local last = tonumber(redis.call('GET', KEYS[2]))
    if last and now - last < spacing - eps then
      return {string.format('%.6f', math.max(spacing - (now - last), 0.000001)), ''}
    end
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
  redis.call('HSET', KEYS[3], 'tokens', string.format('%.17g', math.max(0, burst - 1)),
             'ts', string.format('%.17g', math.max(now, burst_ts)))
  redis.call('PEXPIRE', KEYS[3], math.ceil(allowance * spacing * 1000) + 60000)
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

# Forget a learner's last send time, but only if it is still the one this grant recorded, and give the
# grant's burst token back. KEYS[1]: the learner's last send time; KEYS[2]: their burst bucket.
# ARGV: the grant's stamp, the burst allowance.
_RELEASE = """
local tokens = tonumber(redis.call('HGET', KEYS[2], 'tokens'))
if tokens then
  redis.call('HSET', KEYS[2], 'tokens', string.format('%.17g', math.min(tonumber(ARGV[2]), tokens + 1)))
end
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
    """A sender's rate (messages per second, token bucket) and a learner's spacing with a small burst
    allowance for the parts of one reply, atomic in Redis. `clock` and `sleep` are for tests (a fake clock
    that `sleep` moves on); by default the time is Redis's."""

    def __init__(
        self,
        redis: Redis,
        mps: float,
        spacing_seconds: float,
        burst: float | None = None,
        prefix: str = KEY_PREFIX,
        learner_burst: int = DEFAULT_LEARNER_BURST,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.redis = redis
        self.mps = max(0.0, float(mps))
        self.spacing = max(0.0, float(spacing_seconds))
        self.burst = float(burst) if burst is not None else max(1.0, self.mps * BURST_SECONDS)
        self.learner_burst = max(1, int(learner_burst))
        self.prefix = prefix
        self.clock = clock
        self.sleep = sleep
        self._acquire = redis.register_script(_ACQUIRE)
        self._release = redis.register_script(_RELEASE)
        self._confirm = redis.register_script(_CONFIRM)
        self._granted = threading.local()  # this thread's last grant per (sender, recipient), for release

    def _keys(self, sender: str, recipient: str) -> list[str]:
        # One hash tag per sender keeps every key in one Redis Cluster slot, as a script needs.
        base = f"{self.prefix}:{{{sender}}}"
        return [f"{base}:rate", f"{base}:to:{recipient}", f"{base}:burst:{recipient}"]

    def _now(self, now: float | None) -> str:
        """`now` for a script: the given time, else the pacer's clock, else '' (Redis's clock)."""
        if now is None and self.clock is not None:
            now = self.clock()
        return "" if now is None else repr(float(now))

    def acquire(
        self, sender: str, recipient: str, now: float | None = None, part_of_reply: bool = False
    ) -> float:
        """Take a send slot if one is free (returns 0), else the seconds to wait. `part_of_reply`: the
        message is a part of a reply, which may use the learner's burst allowance instead of waiting the
        spacing. `now` is for tests."""
        keys = self._keys(sender, recipient)
        args = [
            self._now(now),
            repr(self.mps),
            repr(self.burst),
            repr(self.spacing),
            str(self.learner_burst),
            "1" if part_of_reply else "0",
        ]
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
        sleep: Callable[[float], None] | None = None,
        part_of_reply: bool = False,
    ) -> float:
        """Block until a send slot is taken; return the seconds waited. Raises PacingDelay past `max_wait`."""
        sleep = sleep or self.sleep
        elapsed = self.clock or time.monotonic
        started = elapsed()
        while True:
            delay = self.acquire(sender, recipient, part_of_reply=part_of_reply)
            if delay <= 0:
                return elapsed() - started
            waited = elapsed() - started
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
        args = [stamp, repr(self.spacing), self._now(now)]
        return bool(self._confirm(keys=[self._keys(sender, recipient)[1]], args=args))

    def release(self, sender: str, recipient: str) -> bool:
        """Undo the learner's spacing (and give the burst token back) after a send the channel refused."""
        stamp = getattr(self._granted, "stamps", {}).pop((sender, recipient), None)
        if stamp is None:
            return False
        keys = self._keys(sender, recipient)[1:]
        return bool(self._release(keys=keys, args=[stamp, str(self.learner_burst)]))


_pacers: dict[tuple[str, float, float, int], Pacer] = {}
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
    burst = int(settings.learner_burst_messages)
    key = (url, float(settings.outbound_mps), float(settings.learner_spacing_seconds), burst)
    with _pacers_lock:
        pacer = _pacers.get(key)
        if pacer is None:
            redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)
            pacer = Pacer(redis, settings.outbound_mps, settings.learner_spacing_seconds, learner_burst=burst)
            _pacers[key] = pacer
        return pacer


def pace(pacer: Pacer | None, channel: Channel, recipient: str, part_of_reply: bool = False) -> float:
    """Wait for a send slot (see `Pacer.wait`; `part_of_reply` may burst); if Redis is down, send unpaced
    rather than not at all."""
    if pacer is None:
        return 0.0
    try:
        return pacer.wait(sender_of(channel), recipient, part_of_reply=part_of_reply)
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
