"""Staying under a service's rate limits and riding out its throttling: a rate limiter and a retry policy.

Used for Microsoft Graph (`bot.graph`) and for proactive Teams messages (`bot.delivery`). Graph allows 4
requests per second on one team or channel and a per-app rate overall (PLATFORM.md B.1); it answers 429 with
`Retry-After` (possibly fractional, "2.128") when a client goes over, and 503/504 when busy. msgraph-sdk's own
retry ignores fractional `Retry-After` values, so Seula turns it off and retries here.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class RateLimiter:
    """Sliding one-second windows: one for all requests, one per scope (a team or channel).

    `window_seconds` a little over 1 leaves room for requests that reach the server later than others
    (a database write or the network in between): the server counts arrivals, not our departures.
    """

    def __init__(
        self,
        global_rps: float,
        scope_rps: float,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        window_seconds: float = 1.0,
    ) -> None:
        self._window_seconds = window_seconds
        self._global = _Window(global_rps, window_seconds)
        self._scope_rps = scope_rps
        self._scopes: dict[str, _Window] = {}
        self._paused_until: dict[str, float] = {}
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()

    async def acquire(self, scope: str | None) -> None:
        """Wait until one more request keeps the global window, and `scope`'s if given, within limits."""
        window = (
            self._scopes.setdefault(scope, _Window(self._scope_rps, self._window_seconds)) if scope else None
        )
        while True:
            async with self._lock:
                now = self._clock()
                wait = max(
                    self._global.wait_time(now),
                    window.wait_time(now) if window else 0.0,
                    self._paused_until.get(scope or "", 0.0) - now,
                    self._paused_until.get("", 0.0) - now,
                )
                if wait <= 0:
                    self._global.record(now)
                    if window:
                        window.record(now)
                    return
            await self._sleep(wait)

    def pause(self, scope: str, seconds: float) -> None:
        """Hold back every request on `scope` ("" for all) for `seconds`, as a 429's Retry-After asks."""
        until = self._clock() + seconds
        self._paused_until[scope] = max(self._paused_until.get(scope, 0.0), until)


@dataclass
class _Window:
    rate: float
    seconds: float = 1.0
    stamps: deque[float] = field(default_factory=deque)

    @property
    def capacity(self) -> int:
        return max(1, int(self.rate))

    def wait_time(self, now: float) -> float:
        while self.stamps and now - self.stamps[0] >= self.seconds:
            self.stamps.popleft()
        if len(self.stamps) < self.capacity:
            return 0.0
        return self.seconds - (now - self.stamps[0])

    def record(self, now: float) -> None:
        self.stamps.append(now)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before retrying a throttled or failed request."""

    max_attempts: int = 8
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 60.0

    def delay(self, attempt: int, retry_after: str | None, rng: random.Random) -> float:
        """Seconds to wait before attempt `attempt + 1`: the server's word first, else jittered backoff."""
        told = parse_retry_after(retry_after)
        if told is not None:
            return min(told, self.max_delay_seconds * 5)
        backoff: float = min(self.max_delay_seconds, self.base_delay_seconds * 2.0 ** (attempt - 1))
        return backoff * (0.5 + rng.random() / 2)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` in seconds: a number (fractions allowed) or an HTTP date; None if unreadable."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if seconds == seconds else None  # NaN is not a delay
