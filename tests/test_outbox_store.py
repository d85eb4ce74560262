"""The outbox in the store, on SQLite and PostgreSQL: keyed items, leases across replicas, crash states."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.model import ConversationRecord, OutboxItem
from bot.store import Store

T0 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
CARD: dict[str, object] = {"type": "AdaptiveCard", "version": "1.5", "body": []}


def item(recipient: str, period: str = "2026-W49", due_at: datetime = T0) -> OutboxItem:
    return OutboxItem("nudge", recipient, period, due_at, CARD, "Your weekly nudge")


async def test_enqueueing_the_same_period_twice_keeps_one_item(store: Store) -> None:
    assert await store.enqueue_deliveries([item("anna"), item("anna"), item("ben")], T0) == 2
    assert await store.enqueue_deliveries([item("anna"), item("ben"), item("anna", "2026-W50")], T0) == 1
    assert await store.delivery_counts() == {"pending": 3}


async def test_a_sent_item_is_never_reset_by_planning_again(store: Store) -> None:
    await store.enqueue_deliveries([item("anna")], T0)
    [claimed] = await store.claim_due_deliveries("a", T0, 10, 60)
    assert claimed.id is not None
    assert await store.begin_delivery_attempt(claimed.id, "a", T0, 60)
    await store.mark_delivered(claimed.id, "a", T0)
    assert await store.enqueue_deliveries([item("anna", due_at=T0 + timedelta(days=1))], T0) == 0
    [held] = await store.deliveries()
    assert (held.status, held.attempts, held.sent_at, held.due_at) == ("sent", 1, T0, T0)


async def test_only_due_items_are_claimed_and_a_lease_keeps_others_off(store: Store) -> None:
    await store.enqueue_deliveries([item("anna"), item("ben", due_at=T0 + timedelta(hours=1))], T0)
    assert [i.recipient_id for i in await store.claim_due_deliveries("a", T0, 10, 60)] == ["anna"]
    assert await store.claim_due_deliveries("b", T0 + timedelta(seconds=59), 10, 60) == []
    # The lease ran out before any attempt began (its owner died early): another replica takes it.
    later = T0 + timedelta(seconds=61)
    assert [i.recipient_id for i in await store.claim_due_deliveries("b", later, 10, 60)] == ["anna"]
    assert not await store.begin_delivery_attempt(1, "a", later, 60)  # the old owner lost it


async def test_replicas_claiming_at_once_get_disjoint_items(store: Store, database_url: str) -> None:
    await store.enqueue_deliveries([item(f"p{n:03}") for n in range(200)], T0)
    other = await Store.open(database_url)
    try:
        batches = await asyncio.gather(
            *(s.claim_due_deliveries(f"r{k}", T0, 30, 60) for k, s in enumerate([store, other] * 4))
        )
    finally:
        await other.close()
    ids = [i.id for batch in batches for i in batch]
    assert len(ids) == len(set(ids)) == 200


async def test_an_attempt_interrupted_by_a_crash_becomes_uncertain_not_resent(store: Store) -> None:
    await store.enqueue_deliveries([item("anna"), item("ben")], T0)
    anna, _ = await store.claim_due_deliveries("dead", T0, 10, 60)
    assert anna.id is not None
    assert await store.begin_delivery_attempt(anna.id, "dead", T0, 60)  # then the process was killed
    later = T0 + timedelta(seconds=61)
    assert [i.recipient_id for i in await store.claim_due_deliveries("alive", later, 10, 60)] == ["ben"]
    assert await store.delivery_counts() == {"uncertain": 1, "pending": 1}
    [uncertain] = await store.deliveries(status="uncertain")
    assert (uncertain.recipient_id, uncertain.attempts) == ("anna", 1)


async def test_a_retry_waits_for_its_time_and_counts_attempts(store: Store) -> None:
    await store.enqueue_deliveries([item("anna")], T0)
    [claimed] = await store.claim_due_deliveries("a", T0, 10, 60)
    assert claimed.id is not None
    await store.begin_delivery_attempt(claimed.id, "a", T0, 60)
    await store.mark_retry(claimed.id, "a", T0 + timedelta(seconds=5), "HTTP 429")
    assert await store.next_delivery_attempt_at() == T0 + timedelta(seconds=5)
    assert await store.claim_due_deliveries("a", T0 + timedelta(seconds=4), 10, 60) == []
    [again] = await store.claim_due_deliveries("a", T0 + timedelta(seconds=5), 10, 60)
    assert (again.attempts, again.last_error) == (1, "HTTP 429")


async def test_a_403_makes_a_person_unreachable_until_they_write_again(store: Store) -> None:
    await store.enqueue_deliveries([item("anna")], T0)
    [claimed] = await store.claim_due_deliveries("a", T0, 10, 60)
    assert claimed.id is not None
    await store.begin_delivery_attempt(claimed.id, "a", T0, 60)
    await store.mark_unreachable(claimed.id, "a", "anna", T0, "HTTP 403 MessageWritesBlocked")
    assert await store.unreachable_people() == frozenset({"anna"})
    assert await store.delivery_counts() == {"unreachable": 1}
    await store.save_conversation(
        ConversationRecord(
            id="a:anna", conversation_type="personal", service_url="https://smba.example/",
            reference={}, updated_at=T0 + timedelta(days=1), tenant_id="t", user_id="anna",
        )
    )  # fmt: skip
    assert await store.unreachable_people() == frozenset()


async def test_timezones_are_remembered_per_person(store: Store) -> None:
    await store.record_timezone("anna", "Europe/Helsinki", T0)
    await store.record_timezone("anna", "America/New_York", T0 + timedelta(days=1))
    assert await store.timezones() == {"anna": "America/New_York"}


async def test_forgetting_a_person_deletes_their_deliveries(store: Store) -> None:
    await store.load_stop_list(b"k" * 32)
    await store.enqueue_deliveries([item("anna"), item("ben")], T0)
    await store.record_timezone("anna", "Europe/Helsinki", T0)
    counts = await store.forget_person("anna")
    assert counts["deliveries"] == 1
    assert [i.recipient_id for i in await store.deliveries()] == ["ben"]
    assert await store.timezones() == {}
    assert await store.enqueue_deliveries([item("anna", "2026-W50")], T0) == 0
