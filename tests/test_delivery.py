"""The delivery core over a real store (SQLite and PostgreSQL) with a scripted sender and a fake clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.bootstrap import open_services
from bot.delivery import Delivery, DeliveryOptions, SendOutcome
from bot.model import OutboxItem
from bot.store import Store
from bot.web import create_app
from tests.conftest import make_settings
from tests.fakes_delivery import FakeSender, FakeTime

T0 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
CARD: dict[str, object] = {"type": "AdaptiveCard", "version": "1.5", "body": []}
OPTIONS = DeliveryOptions(max_rps=30, concurrency=4, max_attempts=3, transient_attempts=6, lease_seconds=60)


def people(n: int) -> list[str]:
    return [f"person-{k:03}" for k in range(n)]


def delivery(store: Store, sender: FakeSender, time: FakeTime, owner: str = "replica-a") -> Delivery:
    return Delivery(
        store, sender, OPTIONS, time.clock, monotonic=time.monotonic, sleep=time.sleep, owner=owner
    )


async def plan(store: Store, recipients: list[str], due_at: datetime = T0) -> None:
    items = [OutboxItem("nudge", r, "2026-W49", due_at, CARD, "nudge") for r in recipients]
    await store.enqueue_deliveries(items, T0)


async def test_enqueueing_twice_plans_one_message(store: Store) -> None:
    d = delivery(store, FakeSender(), FakeTime(T0))
    assert await d.enqueue("nudge", "anna", "2026-W49", T0, CARD, "Your weekly nudge")
    assert not await d.enqueue("nudge", "anna", "2026-W49", T0, CARD, "Your weekly nudge")
    assert await store.delivery_counts() == {"pending": 1}


async def test_every_item_is_delivered_once_through_throttling(store: Store) -> None:
    recipients = people(40)
    throttled = SendOutcome.retry("HTTP 429", retry_after="0.5", throttled=True)
    script = {r: [throttled, SendOutcome.retry("HTTP 502")] for r in recipients[::3]}
    sender, time = FakeSender(script), FakeTime(T0)
    await plan(store, recipients)
    report = await delivery(store, sender, time).run_due()
    assert report.sent == 40
    assert report.retried == 2 * len(script)
    assert sender.delivered == dict.fromkeys(recipients, 1)
    assert await store.delivery_counts() == {"sent": 40}
    # 40 messages at 30 a second take more than a second: the limiter held them back.
    assert time.elapsed >= 1.0


async def test_only_due_items_go_out(store: Store) -> None:
    await plan(store, ["early"])
    await plan(store, ["late"], due_at=T0 + timedelta(days=1))
    sender = FakeSender()
    await delivery(store, sender, FakeTime(T0)).run_due()
    assert set(sender.delivered) == {"early"}


async def test_a_403_marks_the_person_unreachable_and_is_not_retried(store: Store) -> None:
    sender = FakeSender({"anna": [SendOutcome.unreachable("HTTP 403 MessageWritesBlocked")]})
    await plan(store, ["anna", "ben"])
    report = await delivery(store, sender, FakeTime(T0)).run_due()
    assert (report.sent, report.unreachable, report.retried) == (1, 1, 0)
    assert sender.attempts["anna"] == 1
    assert await store.unreachable_people() == frozenset({"anna"})
    [anna] = await store.deliveries(status="unreachable")
    assert anna.last_error == "HTTP 403 MessageWritesBlocked"


async def test_errors_are_retried_a_bounded_number_of_times_then_failed(store: Store) -> None:
    sender = FakeSender(
        {"anna": [SendOutcome.error("HTTP 500")] * 10, "ben": [SendOutcome.retry("HTTP 504")] * 10}
    )
    await plan(store, ["anna", "ben"])
    report = await delivery(store, sender, FakeTime(T0)).run_due()
    assert (sender.attempts["anna"], sender.attempts["ben"]) == (3, 6)
    assert report.failed == 2
    assert await store.delivery_counts() == {"failed": 2}
    assert {i.last_error for i in await store.deliveries()} == {"HTTP 500", "HTTP 504"}


async def test_a_sender_exception_is_recorded_and_retried(store: Store) -> None:
    class Flaky(FakeSender):
        async def send(self, item: OutboxItem) -> SendOutcome:
            if not self.attempts[item.recipient_id]:
                self.attempts[item.recipient_id] += 1
                raise TimeoutError
            return await super().send(item)

    sender = Flaky()
    await plan(store, ["anna"])
    report = await delivery(store, sender, FakeTime(T0)).run_due()
    assert (report.retried, report.sent) == (1, 1)
    assert sender.delivered == {"anna": 1}


async def test_a_run_cancelled_midway_then_restarted_sends_everyone_once(store: Store) -> None:
    recipients = people(30)
    held = recipients[10]
    sender, time = FakeSender(), FakeTime(T0)
    sender.hold[held] = asyncio.Event()
    await plan(store, recipients)
    run = asyncio.create_task(delivery(store, sender, time, owner="before").run_due())
    await sender.started[held].wait()  # its HTTP call is in flight
    run.cancel()
    await asyncio.sleep(0)
    sender.hold[held].set()  # the call returns after the stop was asked for
    with pytest.raises(asyncio.CancelledError):
        await run
    [item] = [i for i in await store.deliveries() if i.recipient_id == held]
    assert item.status == "sent"  # finished and recorded before stopping
    # The leases of items not yet tried were given back: the restart sends them at once, at the same time.
    report = await delivery(store, sender, time, owner="after").run_due()
    assert report.lost_lease == 0
    assert time.elapsed < OPTIONS.lease_seconds  # it did not have to wait out the stopped run's leases
    assert sender.delivered == dict.fromkeys(recipients, 1)
    assert await store.delivery_counts() == {"sent": 30}


async def test_after_a_hard_kill_the_attempt_in_flight_is_never_resent(store: Store) -> None:
    recipients = people(5)
    await plan(store, recipients)
    # A process claimed everything, began sending to the first person, and was killed (SIGKILL) there.
    claimed = await store.claim_due_deliveries("killed", T0, 10, OPTIONS.lease_seconds)
    assert claimed[0].id is not None
    await store.begin_delivery_attempt(claimed[0].id, "killed", T0, OPTIONS.lease_seconds)
    sender, time = FakeSender(), FakeTime(T0 + timedelta(seconds=1))
    report = await delivery(store, sender, time).run_due()  # waits out the dead process's leases
    assert report.sent == 4
    assert recipients[0] not in sender.attempts
    assert await store.delivery_counts() == {"sent": 4, "uncertain": 1}


async def test_two_replicas_at_once_send_each_item_once(store: Store, database_url: str) -> None:
    recipients = people(120)
    await plan(store, recipients)
    other = await Store.open(database_url)
    sender, time = FakeSender(), FakeTime(T0)
    try:
        reports = await asyncio.gather(
            delivery(store, sender, time, owner="replica-a").run_due(),
            delivery(other, sender, time, owner="replica-b").run_due(),
        )
    finally:
        await other.close()
    assert sender.delivered == dict.fromkeys(recipients, 1)
    assert sum(r.sent for r in reports) == 120
    assert all(r.sent for r in reports)  # both did a share


async def test_the_delivery_job_sends_due_items_and_stops_cleanly(
    database_url: str, aiohttp_client: Any
) -> None:
    sender = FakeSender()
    async with open_services(make_settings(DATABASE_URL=database_url)) as services:
        await plan(services.store, ["anna"], due_at=datetime.now(UTC) - timedelta(minutes=1))
        d = Delivery(services.store, sender, OPTIONS, lambda: datetime.now(UTC))
        client = await aiohttp_client(create_app(services, d))
        async with asyncio.timeout(30):  # a guard against hanging, not a timing assertion
            await sender.started["anna"].wait()
        await client.close()  # stops the job while the send may be in flight: it is finished and recorded
        assert await services.store.delivery_counts() == {"sent": 1}
    assert sender.delivered == {"anna": 1}
