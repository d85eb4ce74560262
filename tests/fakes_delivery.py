"""Fakes for the delivery core: a clock whose sleep advances it, and a scripted in-memory Sender."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from bot.delivery import SendOutcome
from bot.model import OutboxItem


class FakeTime:
    """Wall clock and monotonic clock together; `sleep` moves both forward at once, never really waits."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.elapsed = 0.0

    def clock(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.elapsed

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.elapsed += seconds
        self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)


class FakeSender:
    """Answers each recipient's attempts from a script (then `delivered`) and records what arrived."""

    def __init__(self, script: dict[str, list[SendOutcome]] | None = None) -> None:
        self.script = defaultdict(list, {k: list(v) for k, v in (script or {}).items()})
        self.attempts: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()
        self.hold: dict[str, asyncio.Event] = {}  # recipients whose send waits until the event is set
        self.started: dict[str, asyncio.Event] = defaultdict(asyncio.Event)

    async def send(self, item: OutboxItem) -> SendOutcome:
        self.attempts[item.recipient_id] += 1
        self.started[item.recipient_id].set()
        if item.recipient_id in self.hold:
            await self.hold[item.recipient_id].wait()
        outcome = self.script[item.recipient_id].pop(0) if self.script[item.recipient_id] else None
        if outcome is None or outcome.kind == "delivered":
            self.delivered[item.recipient_id] += 1
            return SendOutcome.delivered()
        return outcome
