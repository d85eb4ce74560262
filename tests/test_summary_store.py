"""The store's part in team summaries, on both engines: subscriptions, the audit log, erasure."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.model import Person
from bot.store import Store
from tests.conftest import TEST_SECRET_KEY

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


async def test_a_manager_subscribes_once_and_can_unsubscribe(store: Store) -> None:
    await store.subscribe_summary("boss", "fi", T0)
    await store.subscribe_summary("boss", "en", T0)  # again: still one subscription, the newest language
    await store.subscribe_summary("other", "en", T0)
    assert await store.summary_subscriptions() == {"boss": "en", "other": "en"}
    assert await store.unsubscribe_summary("boss") is True
    assert await store.unsubscribe_summary("boss") is False
    assert await store.summary_subscriptions() == {"other": "en"}


async def test_audit_entries_keep_their_order_and_detail(store: Store) -> None:
    await store.record_audit("team_summary", {"requester": "boss", "granted": True}, T0)
    await store.record_audit("team_summary", {"requester": "dev", "granted": False, "reason": "x"}, T0)
    entries = await store.audit_entries("team_summary")
    assert [detail["requester"] for _, _, detail in entries] == ["boss", "dev"]
    assert entries[0][0] == T0
    assert await store.audit_entries("erasure") == []


async def test_forgetting_a_manager_ends_their_subscription(store: Store) -> None:
    await store.load_stop_list(TEST_SECRET_KEY.encode())
    await store.upsert_people([Person(id="boss", display_name="Boss Person")])
    await store.subscribe_summary("boss", "en", T0)
    counts = await store.forget_person("boss")
    assert counts["summary_subscriptions"] == 1
    assert await store.summary_subscriptions() == {}
    await store.subscribe_summary("boss", "en", T0)  # an erased person is never stored again
    assert await store.summary_subscriptions() == {}
