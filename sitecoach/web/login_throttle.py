"""The login throttle: each attempt is admitted and counted in one Redis script (so concurrent guesses
cannot slip past the count), per client and email and per client, with a growing wait instead of a
lock-out. Nothing keys on the email alone, so a stranger guessing a mentor's password slows only
themselves, never the mentor at their own address."""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass

from redis import Redis

log = logging.getLogger(__name__)

FREE_ATTEMPTS_PER_EMAIL = 5  # from one client at one email before each further attempt must wait
FREE_ATTEMPTS_PER_CLIENT = 20  # from one client across all emails (password spraying)
FIRST_WAIT_SECONDS = 30  # the wait after the free attempts; it doubles with each further attempt
LONGEST_WAIT_SECONDS = 15 * 60
FORGET_AFTER_SECONDS = 60 * 60  # a client quiet this long starts again with free attempts
KEY_PREFIX = "login-throttle"

# KEYS: the counters. ARGV: each counter's free attempts, then the first wait, the longest wait (both ms)
# and the forget time (s). Returns 0 when the attempt is admitted (and counted against every key), else
# the milliseconds to wait (and nothing is counted: waiting out the delay is what brings it down).
ADMIT_SCRIPT = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local first, longest, forget = tonumber(ARGV[n + 1]), tonumber(ARGV[n + 2]), tonumber(ARGV[n + 3])
local wait = 0
for i = 1, n do
  local blocked = tonumber(redis.call('HGET', KEYS[i], 'until') or '0')
  if blocked - now > wait then wait = blocked - now end
end
if wait > 0 then return wait end
for i = 1, n do
  local free = tonumber(ARGV[i])
  local count = redis.call('HINCRBY', KEYS[i], 'count', 1)
  if count >= free then
    local delay = math.min(longest, first * math.pow(2, count - free))
    redis.call('HSET', KEYS[i], 'until', math.floor(now + delay))
  end
  redis.call('EXPIRE', KEYS[i], forget)
end
return 0
"""

# KEYS[1]: the client+email counter (cleared), KEYS[2]: the client counter (this attempt given back).
SUCCEEDED_SCRIPT = """
redis.call('DEL', KEYS[1])
if tonumber(redis.call('HGET', KEYS[2], 'count') or '0') > 0 then
  redis.call('HINCRBY', KEYS[2], 'count', -1)
end
return 0
"""


@dataclass(frozen=True)
class LoginThrottle:
    """Admits login attempts against Redis; fails open (a broken limiter must not lock everyone out)."""

    redis: Redis

    def _keys(self, client: str, email: str) -> list[str]:
        digest = hashlib.sha256(email.encode()).hexdigest()[:32]  # no email addresses in key names
        return [f"{KEY_PREFIX}:pair:{client}:{digest}", f"{KEY_PREFIX}:client:{client}"]

    def admit(self, client: str, email: str) -> int:
        """Count this attempt and return 0, or return the whole seconds to wait before the next one."""
        try:
            waited = self.redis.eval(
                ADMIT_SCRIPT,
                2,
                *self._keys(client, email),
                FREE_ATTEMPTS_PER_EMAIL,
                FREE_ATTEMPTS_PER_CLIENT,
                FIRST_WAIT_SECONDS * 1000,
                LONGEST_WAIT_SECONDS * 1000,
                FORGET_AFTER_SECONDS,
            )
        except Exception:  # noqa: BLE001 - fail open, but say so
            log.warning("login throttle unavailable; attempt admitted", exc_info=True)
            return 0
        return math.ceil(int(waited) / 1000)

    def succeeded(self, client: str, email: str) -> None:
        """A correct password: this client's count for this email starts again, and the attempt is given
        back to the client's own count (an office full of mentors logging in is not spraying)."""
        try:
            self.redis.eval(SUCCEEDED_SCRIPT, 2, *self._keys(client, email))
        except Exception:  # noqa: BLE001
            log.warning("login throttle unavailable; success not recorded", exc_info=True)
