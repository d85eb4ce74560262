"""Proactive delivery: due outbox items go out through a `Sender`, within Teams' limits, each at most once.

The planners (weekly nudges, monthly summaries) call `Delivery.enqueue`; the `delivery` job calls
`Delivery.run_due`. No SDK and no SQL here: the Teams edge implements `Sender`, the store keeps the outbox.

The crash policy (docs/architecture.md, "Proactive messages"): an attempt is recorded as begun before its
HTTP call and as finished after it. A cancelled run finishes and records the attempts in flight before it
stops, and gives back the leases of items not yet tried. An attempt cut off by a hard kill is never resent:
its item becomes `uncertain` when its lease runs out, because a duplicate nudge is worse than a missing one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.model import OutboxItem
from bot.ratelimit import Clock, RateLimiter, RetryPolicy, Sleep
from bot.settings import Settings
from bot.store import Store

logger = logging.getLogger(__name__)

# Teams allows a bot 7 messages a second in one conversation (PLATFORM.md D.3); a 1:1 nudge is one message, so
# this only matters when one person gets several items at once.
CONVERSATION_RPS = 7
# Our rate is counted when a send leaves, Teams' when it arrives; a database write and the network sit in
# between, so a window 3 % longer keeps arrival jitter from tipping Teams' window over (bench/nudge_fanout.py
# at 30/s: one send in ten drew a 429 without it, one in twenty-two with it, and the run was 3 % faster).
RATE_WINDOW_SECONDS = 1.03

OutcomeKind = Literal["delivered", "retry", "unreachable", "error"]


@dataclass(frozen=True)
class SendOutcome:
    """What one send attempt came to; `detail` is a status and error code, never a secret or message body."""

    kind: OutcomeKind
    detail: str = ""
    retry_after: str | None = None  # the server's Retry-After header, as sent
    throttled: bool = False  # a 429: everyone holds back for Retry-After, not just this item

    @classmethod
    def delivered(cls) -> SendOutcome:
        return cls("delivered")

    @classmethod
    def retry(cls, detail: str, retry_after: str | None = None, throttled: bool = False) -> SendOutcome:
        """Transient (429, 412, 502, 504, a timeout, a dropped connection): try again after a while."""
        return cls("retry", detail, retry_after, throttled)

    @classmethod
    def unreachable(cls, detail: str) -> SendOutcome:
        """The person blocked or uninstalled the bot (403): stop."""
        return cls("unreachable", detail)

    @classmethod
    def error(cls, detail: str) -> SendOutcome:
        """Anything else: retried a few times (DELIVERY_MAX_ATTEMPTS), then the item fails."""
        return cls("error", detail)


class Sender(Protocol):
    """Sends one outbox item to its recipient and says how it went; it never raises for an HTTP status."""

    async def send(self, item: OutboxItem) -> SendOutcome: ...


class Outbox(Protocol):
    """Where planners put proactive messages: sent later, at most once per (kind, recipient, period).

    `Delivery` is the one the bot uses; nudges and team summaries plan against this, so tests can fake it.
    """

    async def enqueue(
        self,
        kind: str,
        recipient_id: str,
        period: str,
        due_at: datetime,
        card: dict[str, object],
        summary_text: str,
    ) -> bool: ...


@dataclass(frozen=True)
class DeliveryOptions:
    max_rps: int = 30  # per tenant: Seula is registered in one tenant (single-tenant bots only, PLATFORM D.5)
    concurrency: int = 8
    max_attempts: int = 5  # for errors that aren't throttling
    transient_attempts: int = 20  # for throttling and gateway errors, which Teams asks clients to ride out
    lease_seconds: float = 120.0  # longer than a send's timeout, so a live attempt never loses its item
    retry_within_run_seconds: float = 60.0  # a run waits for retries due this soon; later ones wait a run
    retry: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(base_delay_seconds=1.0, max_delay_seconds=60.0)
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryOptions:
        return cls(
            max_rps=settings.delivery_max_rps,
            concurrency=settings.delivery_concurrency,
            max_attempts=settings.delivery_max_attempts,
        )


@dataclass
class DeliveryReport:
    """What one run did: items sent, attempts to repeat later, people unreachable, items given up."""

    sent: int = 0
    retried: int = 0
    unreachable: int = 0
    failed: int = 0
    lost_lease: int = 0  # claimed but taken over by another replica before its attempt began

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def attempts(self) -> int:
        return self.sent + self.retried + self.unreachable + self.failed


def process_owner() -> str:
    """A lease owner name unique to this process: a restarted process is a new owner."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class Delivery:
    """The outbox's use cases: enqueue proactive messages, and send the due ones."""

    def __init__(
        self,
        store: Store,
        sender: Sender,
        options: DeliveryOptions,
        clock: Callable[[], datetime],
        *,
        monotonic: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        owner: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._sender = sender
        self._options = options
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._limiter = RateLimiter(
            options.max_rps,
            CONVERSATION_RPS,
            clock=monotonic,
            sleep=sleep,
            window_seconds=RATE_WINDOW_SECONDS,
        )
        self.owner = owner or process_owner()

    async def enqueue(
        self,
        kind: str,
        recipient_id: str,
        period: str,
        due_at: datetime,
        card: dict[str, object],
        summary_text: str,
    ) -> bool:
        """Plan one message; False if (kind, recipient, period) was planned before (left as it was)."""
        item = OutboxItem(kind, recipient_id, period, due_at, card, summary_text)
        return await self._store.enqueue_deliveries([item], self._clock()) == 1

    async def enqueue_all(self, items: Iterable[OutboxItem]) -> int:
        """Plan many messages at once; return how many were new."""
        return await self._store.enqueue_deliveries(items, self._clock())

    async def run_due(self, now: datetime | None = None) -> DeliveryReport:
        """Send every item due by `now` (default: the clock), and retries that fall due during the run."""
        offset = (now - self._clock()) if now is not None else timedelta(0)

        def current() -> datetime:
            return self._clock() + offset

        report = DeliveryReport()
        while True:
            claimed = await self._drain(current, report)
            upcoming = await self._store.next_delivery_attempt_at()
            if upcoming is None:
                break
            wait = (upcoming - current()).total_seconds()
            if wait > self._options.retry_within_run_seconds or (wait <= 0 and not claimed):
                break  # due later (the next run sends it), or held by another replica right now
            if wait > 0:
                await self._sleep(wait)
        if report.attempts:
            logger.info("Delivery run: %s", report.as_dict())
        return report

    async def _drain(self, current: Callable[[], datetime], report: DeliveryReport) -> int:
        """Claim and send until nothing is claimable; return how many items were claimed."""
        options = self._options
        queue: deque[OutboxItem] = deque()
        claim_lock = asyncio.Lock()
        claimed = 0
        exhausted = False

        async def next_item() -> OutboxItem | None:
            nonlocal claimed, exhausted
            async with claim_lock:
                if not queue and not exhausted:
                    batch = await self._claim(current(), max(options.concurrency, options.max_rps))
                    claimed += len(batch)
                    exhausted = not batch
                    queue.extend(batch)
                return queue.popleft() if queue else None

        async def worker() -> None:
            while (item := await next_item()) is not None:
                await self._deliver(item, current, report)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(options.concurrency):
                    group.create_task(worker())
        finally:
            if queue:  # stopped early: others may send these at once instead of waiting out the lease
                await self._store.release_deliveries([i.id for i in queue if i.id is not None], self.owner)
        return claimed

    async def _claim(self, now: datetime, limit: int) -> list[OutboxItem]:
        claim = asyncio.ensure_future(
            self._store.claim_due_deliveries(self.owner, now, limit, self._options.lease_seconds)
        )
        try:
            return await asyncio.shield(claim)
        except asyncio.CancelledError:
            batch = await claim  # the claim may have committed: give its leases back rather than strand them
            await self._store.release_deliveries([i.id for i in batch if i.id is not None], self.owner)
            raise

    async def _deliver(
        self, item: OutboxItem, current: Callable[[], datetime], report: DeliveryReport
    ) -> None:
        assert item.id is not None
        try:
            await self._limiter.acquire(item.recipient_id)
        except asyncio.CancelledError:
            await self._store.release_deliveries([item.id], self.owner)
            raise
        attempt = asyncio.ensure_future(self._attempt(item, current, report))
        try:
            await asyncio.shield(attempt)
        except asyncio.CancelledError:
            # A stop (shutdown, a cancelled run) never cuts an attempt between its send and its record.
            await attempt
            raise

    async def _attempt(
        self, item: OutboxItem, current: Callable[[], datetime], report: DeliveryReport
    ) -> None:
        assert item.id is not None
        options = self._options
        if not await self._store.begin_delivery_attempt(
            item.id, self.owner, current(), options.lease_seconds
        ):
            report.lost_lease += 1
            return
        attempts = item.attempts + 1
        try:
            outcome = await self._sender.send(item)
        except (TimeoutError, OSError) as error:
            outcome = SendOutcome.retry(type(error).__name__)
        except Exception as error:
            logger.exception("Sending outbox item %d failed unexpectedly", item.id)
            outcome = SendOutcome.error(type(error).__name__)
        now = current()
        if outcome.kind == "delivered":
            await self._store.mark_delivered(item.id, self.owner, now)
            report.sent += 1
        elif outcome.kind == "unreachable":
            await self._store.mark_unreachable(item.id, self.owner, item.recipient_id, now, outcome.detail)
            report.unreachable += 1
            logger.info("Outbox item %d: recipient unreachable (%s)", item.id, outcome.detail)
        else:
            limit = options.transient_attempts if outcome.kind == "retry" else options.max_attempts
            if attempts >= limit:
                await self._store.mark_failed(item.id, self.owner, outcome.detail)
                report.failed += 1
                logger.warning(
                    "Outbox item %d (%s) failed after %d attempts: %s",
                    item.id,
                    item.kind,
                    attempts,
                    outcome.detail,
                )
                return
            delay = options.retry.delay(attempts, outcome.retry_after, self._rng)
            if outcome.throttled:
                self._limiter.pause("", delay)
            await self._store.mark_retry(item.id, self.owner, now + timedelta(seconds=delay), outcome.detail)
            report.retried += 1
