"""The Teams sender and the delivery core against a loopback connector that enforces Teams' limits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.delivery import Delivery, DeliveryOptions
from bot.model import ConversationRecord, OutboxItem
from bot.ratelimit import RetryPolicy
from bot.store import Store
from bot.teams.proactive import TeamsSender
from tests.conftest import make_settings, shared_path
from tests.fake_connector import FakeConnector, blocked_fixture_body

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT_ID = "28:0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"
T0 = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # in the past: due now
CARD: dict[str, object] = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Hi"}],
}
FAST_RETRIES = RetryPolicy(base_delay_seconds=0.01, max_delay_seconds=0.05)


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector(tenant_rps=30, timeout_stall_seconds=1.0)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


def conversation(person: str, service_url: str) -> ConversationRecord:
    conversation_id = f"a:{person}"
    return ConversationRecord(
        id=conversation_id,
        conversation_type="personal",
        service_url=service_url,
        reference={
            "bot": {"id": BOT_ID, "name": "Seula"},
            "user": {"id": f"29:{person}", "aadObjectId": person},
            "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": TENANT},
            "channelId": "msteams",
            "serviceUrl": service_url,
        },
        updated_at=T0,
        tenant_id=TENANT,
        user_id=person,
    )


async def setup(
    store: Store, connector: FakeConnector, people: list[str], without_chat: tuple[str, ...] = ()
) -> None:
    for person in people:
        if person not in without_chat:
            await store.save_conversation(conversation(person, connector.url))
    items = [OutboxItem("nudge", p, "2026-W49", T0, CARD, f"Weekly nudge for {p}") for p in people]
    await store.enqueue_deliveries(items, T0)


def delivery(
    store: Store, session: aiohttp.ClientSession, max_rps: int = 30, timeout: float = 5.0, owner: str = "a"
) -> Delivery:
    sender = TeamsSender(store, session, make_settings(), now, timeout_seconds=timeout)
    options = DeliveryOptions(max_rps=max_rps, concurrency=8, max_attempts=3, retry=FAST_RETRIES)
    return Delivery(store, sender, options, now, owner=owner)


async def test_every_message_arrives_once_through_throttling_and_gateway_errors(
    store: Store, connector: FakeConnector, session: aiohttp.ClientSession
) -> None:
    people = [f"p{n:02}" for n in range(60)]
    await setup(store, connector, people)
    for n, fault in enumerate([412, 429, 502, 504, 429]):
        connector.inject(f"a:{people[n * 7]}", fault, fault)
    # Seula is allowed more than the connector takes: it must ride out the connector's own 429s.
    connector._tenant.limit = 20
    report = await delivery(store, session, max_rps=40).run_due()
    assert connector.delivered() == {f"a:{p}": 1 for p in people}
    assert connector.throttled > 0
    assert report.sent == 60
    assert await store.delivery_counts() == {"sent": 60}


async def test_the_activity_carries_the_card_and_the_summary_without_a_token(
    store: Store, connector: FakeConnector, session: aiohttp.ClientSession
) -> None:
    await setup(store, connector, ["anna"])
    await delivery(store, session).run_due()
    [activity] = connector.activities["a:anna"]
    assert activity["type"] == "message"
    assert activity["summary"] == "Weekly nudge for anna"
    assert activity["attachments"] == [
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": CARD}
    ]
    assert activity["from"] == {"id": BOT_ID}
    assert activity["recipient"] == {"id": "29:anna"}
    assert connector.authorizations == [None]  # no MicrosoftAppId: no token


async def test_a_blocked_bot_makes_the_person_unreachable_without_retrying(
    store: Store, connector: FakeConnector, session: aiohttp.ClientSession
) -> None:
    await setup(store, connector, ["anna", "ben"])
    connector.blocked.add("a:anna")
    report = await delivery(store, session).run_due()
    assert (report.sent, report.unreachable, report.retried) == (1, 1, 0)
    assert connector.requests == 2
    assert await store.unreachable_people() == frozenset({"anna"})
    [blocked] = await store.deliveries(status="unreachable")
    assert blocked.last_error == "HTTP 403 MessageWritesBlocked"  # the code only, never the body's text


def test_the_connector_refuses_with_the_403_fixture() -> None:
    fixture = json.loads(
        shared_path("fixtures", "teams", "error_403_message_writes_blocked.json").read_text()
    )
    assert blocked_fixture_body() == fixture


def test_the_create_request_has_the_fixture_shape() -> None:
    expected = json.loads(shared_path("fixtures", "teams", "create_conversation_request.json").read_text())
    assert set(expected) == {"bot", "members", "channelData"}
    assert set(expected["channelData"]) == {"tenant"}


async def test_other_errors_are_retried_a_bounded_number_of_times(
    store: Store, connector: FakeConnector, session: aiohttp.ClientSession
) -> None:
    await setup(store, connector, ["anna"])
    connector.inject("a:anna", *[500] * 10)
    report = await delivery(store, session).run_due()
    assert report.failed == 1
    assert connector.requests == 3
    [failed] = await store.deliveries(status="failed")
    assert (failed.attempts, failed.last_error) == (3, "HTTP 500 Status500")


async def test_a_timeout_is_retried_and_the_message_arrives_once(
    store: Store, connector: FakeConnector, session: aiohttp.ClientSession
) -> None:
    await setup(store, connector, ["anna"])
    connector.inject("a:anna", "timeout")
    report = await delivery(store, session, timeout=0.2).run_due()
    assert (report.retried, report.sent) == (1, 1)
    assert connector.delivered() == {"a:anna": 1}


async def test_a_person_without_a_chat_gets_one_opened_first(
    store: Store, connector: FakeConnector, session: aiohttp.ClientSession
) -> None:
    await setup(store, connector, ["anna", "dana"], without_chat=("dana",))
    report = await delivery(store, session).run_due()
    assert report.sent == 2
    # The request has the shape of ../shared/fixtures/teams/create_conversation_request.json.
    [request] = connector.create_requests
    assert request["bot"]["id"] == BOT_ID
    assert request["members"] == [{"id": "dana"}]
    assert request["channelData"] == {"tenant": {"id": TENANT}}
    opened = await store.personal_conversation("dana")
    assert opened is not None
    assert opened.id == connector.created["dana"]
    assert opened.service_url == connector.url
    assert connector.delivered() == {"a:anna": 1, opened.id: 1}
    # The next message to her goes straight to the stored chat.
    await store.enqueue_deliveries([OutboxItem("nudge", "dana", "2026-W50", T0, CARD, "again")], T0)
    await delivery(store, session).run_due()
    assert len(connector.create_requests) == 1
    assert connector.delivered()[opened.id] == 2


async def test_two_replicas_on_one_database_send_each_message_once(
    store: Store, database_url: str, connector: FakeConnector, session: aiohttp.ClientSession
) -> None:
    people = [f"p{n:02}" for n in range(40)]
    await setup(store, connector, people)
    other = await Store.open(database_url)
    try:
        reports = await asyncio.gather(
            delivery(store, session, max_rps=15, owner="replica-a").run_due(),
            delivery(other, session, max_rps=15, owner="replica-b").run_due(),
        )
    finally:
        await other.close()
    assert connector.delivered() == {f"a:{p}": 1 for p in people}
    assert sum(r.sent for r in reports) == 40


class StaticToken:
    async def authorization(self) -> str | None:
        return "Bearer test-token"


async def test_with_credentials_every_request_carries_the_bot_token(
    store: Store, connector: FakeConnector, session: aiohttp.ClientSession
) -> None:
    await setup(store, connector, ["anna", "dana"], without_chat=("dana",))
    sender = TeamsSender(store, session, make_settings(), now, tokens=StaticToken())
    await Delivery(store, sender, DeliveryOptions(retry=FAST_RETRIES), now).run_due()
    assert connector.authorizations == ["Bearer test-token"] * 3  # anna's message; dana's chat and message
