"""Rate limiting and retry timing, on a fake clock: Graph's 4/s per channel and fractional Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from bot.ratelimit import RateLimiter, RetryPolicy, parse_retry_after


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_a_channel_gets_at_most_four_requests_in_any_second() -> None:
    time = FakeTime()
    limiter = RateLimiter(global_rps=20, scope_rps=4, clock=time.clock, sleep=time.sleep)
    stamps = []
    for _ in range(12):
        await limiter.acquire("channel-a")
        stamps.append(time.now)
    assert stamps[:4] == [0.0] * 4
    for i in range(4, 12):
        assert stamps[i] - stamps[i - 4] >= 1.0
    assert stamps[-1] == pytest.approx(2.0)


async def test_channels_share_the_global_limit() -> None:
    time = FakeTime()
    limiter = RateLimiter(global_rps=6, scope_rps=4, clock=time.clock, sleep=time.sleep)
    for i in range(12):
        await limiter.acquire(f"channel-{i % 3}")
    assert time.now == pytest.approx(1.0), "twelve requests at six per second need one second"


async def test_a_pause_holds_back_only_its_scope() -> None:
    time = FakeTime()
    limiter = RateLimiter(global_rps=20, scope_rps=4, clock=time.clock, sleep=time.sleep)
    limiter.pause("channel-a", 2.128)
    await limiter.acquire("channel-b")
    assert time.now == 0.0
    await limiter.acquire("channel-a")
    assert time.now == pytest.approx(2.128)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("2.128", 2.128), ("10", 10.0), ("0", 0.0), ("-3", 0.0), ("soon", None), (None, None), ("nan", None)],
)
def test_retry_after_values(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == (pytest.approx(seconds) if seconds is not None else None)


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Sat, 28 Nov 2026 10:00:05 GMT", now=now) == pytest.approx(5.0)


def test_backoff_grows_and_is_capped_and_the_server_is_believed() -> None:
    policy = RetryPolicy(base_delay_seconds=1.0, max_delay_seconds=8.0)
    rng = random.Random(1)
    delays = [policy.delay(attempt, None, rng) for attempt in range(1, 7)]
    assert all(0.5 * min(8.0, 2 ** (a - 1)) <= d <= min(8.0, 2 ** (a - 1)) for a, d in enumerate(delays, 1))
    assert policy.delay(1, "2.128", rng) == pytest.approx(2.128)
