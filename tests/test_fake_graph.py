"""The loopback Graph server, driven by the real msgraph-sdk and by plain aiohttp."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from azure.core.credentials import AccessToken
from kiota_abstractions.api_error import APIError
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.middleware.options import RetryHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.chat_message import ChatMessage
from msgraph.generated.models.user import User
from msgraph.generated.teams.item.channels.channels_request_builder import ChannelsRequestBuilder
from msgraph.generated.teams.item.channels.item.messages.delta.delta_request_builder import (
    DeltaRequestBuilder,
)
from msgraph.generated.teams.item.channels.item.messages.messages_request_builder import (
    MessagesRequestBuilder,
)
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import GraphClientFactory

from bot.demo import generate_demo_tenant
from tests.fake_graph import FakeGraph, StartFakeGraph, fake_graph, read_json_lines
from tests.graph_objects import (
    ANNA,
    BEN,
    CAROL,
    CHANNEL,
    DAVE,
    START,
    TEAM,
    channel,
    chat_message,
    team,
    user,
)

__all__ = ["fake_graph"]  # the fixture, imported for pytest to find

NOW = datetime(2026, 7, 1, tzinfo=UTC)
LONG_AGO = datetime(2025, 6, 1, tzinfo=UTC)  # thirteen months before NOW: outside delta's eight months
LAST_AUTUMN = datetime(2025, 9, 1, tzinfo=UTC)  # ten months before NOW
SALES_TEAM = "5a1e5000-0000-4000-8000-000000000005"
SECOND = "19:5ec0nd0000000000000000000000000@thread.tacv2"
PRIVATE = "19:9r1vate000000000000000000000000@thread.tacv2"
ERIN = ("e0000000-0000-4000-8000-000000000005", "Erin Laine")
GRAPH_TIME = "%Y-%m-%dT%H:%M:%SZ"


def tenant() -> list[dict[str, Any]]:
    """Two teams, two standard channels and a private one; threads old and new, long and short."""
    objects: list[dict[str, Any]] = [
        user(ANNA[0], ANNA[1], aboutMe="I run the Kubernetes platform.", skills=["kubernetes", "helm"]),
        user(BEN[0], BEN[1], manager={"id": ANNA[0]}),
        user(CAROL[0], CAROL[1], manager={"@odata.type": "#microsoft.graph.user", "id": ANNA[0]}),
        user(DAVE[0], DAVE[1], manager=BEN[0], accountEnabled=False),
        team(),
        team(SALES_TEAM, "Sales"),
        channel(),
        channel(SECOND, "Terraform"),
        {**channel(PRIVATE, "Leadership", SALES_TEAM), "membershipType": "private"},
    ]
    objects.append(chat_message(100, CAROL, "<p>Pods restart</p>", subject="Pods"))
    for n, author in zip(range(101, 106), [ANNA, CAROL, ANNA, BEN, DAVE], strict=True):
        reactions = [DAVE[0], BEN[0]] if n == 101 else None
        objects.append(chat_message(n, author, f"<p>reply {n}</p>", reply_to=100, reactions=reactions))
    objects.append(chat_message(200, DAVE, "<p>Helm values?</p>"))
    objects.append(chat_message(201, ANNA, "", reply_to=200, deleted=True))
    objects.append(chat_message(300, BEN, "<p>Old news</p>", at=LONG_AGO))
    objects.append(
        chat_message(301, CAROL, "<p>Old reply</p>", reply_to=300, at=LONG_AGO + timedelta(minutes=1))
    )
    objects.append(chat_message(400, CAROL, "<p>Revived thread</p>", at=LAST_AUTUMN))
    objects.append(chat_message(401, ANNA, "<p>Fresh answer</p>", reply_to=400))
    system = chat_message(500, ANNA, "<systemEventMessage/>")
    objects.append({**system, "messageType": "systemEventMessage", "from": None})
    objects.append(chat_message(600, BEN, "<p>Meetup</p>", reactions=[ANNA[0]]))
    objects.append(chat_message(700, BEN, "<p>State files</p>", channel_id=SECOND))
    objects.append(chat_message(701, ANNA, "<p>Use a backend</p>", reply_to=700, channel_id=SECOND))
    objects.append(chat_message(800, ANNA, "<p>Secret</p>", channel_id=PRIVATE, team_id=SALES_TEAM))
    return objects


class FakeCredential:
    """A duck-typed azure-core TokenCredential that hands out a fixed token."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


@pytest.fixture
async def connection_pools() -> AsyncIterator[list[httpx.AsyncHTTPTransport]]:
    pools: list[httpx.AsyncHTTPTransport] = []
    yield pools
    for pool in pools:
        await pool.aclose()


@pytest.fixture
def sdk(connection_pools: list[httpx.AsyncHTTPTransport]) -> Any:
    """Builds a real GraphServiceClient for a base URL, without retries so faults surface at once."""

    def build(base_url: str, token: str | None = None) -> GraphServiceClient:
        # msgraph-core wraps the client's transport in one whose aclose() does not close the wrapped
        # pool, so `await client.aclose()` leaks sockets: keep the pool and close it ourselves.
        pool = httpx.AsyncHTTPTransport()
        connection_pools.append(pool)
        http = GraphClientFactory.create_with_default_middleware(
            client=httpx.AsyncClient(transport=pool),
            options={RetryHandlerOption.get_key(): RetryHandlerOption(delay=0, max_retries=0)},
        )
        auth = (
            AzureIdentityAuthenticationProvider(
                FakeCredential(token), scopes=["https://graph.microsoft.com/.default"]
            )
            if token
            else AnonymousAuthenticationProvider()
        )
        adapter = GraphRequestAdapter(auth, client=http)
        adapter.base_url = base_url
        return GraphServiceClient(request_adapter=adapter)

    return build


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


async def get_json(session: aiohttp.ClientSession, url: str, **headers: str) -> tuple[int, Any, Any]:
    async with session.get(url, headers=headers) as response:
        return response.status, await response.json(content_type=None), response.headers


def ids(messages: list[Any]) -> list[str]:
    return [m.id if isinstance(m, ChatMessage) else m["id"] for m in messages]


def quoted(channel_id: str) -> str:
    return channel_id.replace(":", "%3A").replace("@", "%40")


# --- people ---


async def test_users_page_with_select_and_expanded_manager(fake_graph: StartFakeGraph, sdk: Any) -> None:
    graph = await fake_graph(tenant(), NOW)
    client = sdk(graph.base_url)
    query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
        select=["id", "displayName", "accountEnabled"], top=3, expand=["manager($select=id)"]
    )
    page = await client.users.get(RequestConfiguration(query_parameters=query))
    assert page.odata_next_link.startswith(graph.base_url + "/users?")
    assert "$skiptoken=" in page.odata_next_link
    assert "$top=3" in page.odata_next_link
    users = list(page.value)
    while page.odata_next_link:
        page = await client.users.with_url(page.odata_next_link).get()
        users += page.value
    assert [u.display_name for u in users] == [ANNA[1], BEN[1], CAROL[1], DAVE[1]]
    assert all(isinstance(u, User) for u in users)
    assert {u.odata_type for u in users} == {"#microsoft.graph.user"}
    assert users[0].manager is None
    assert [u.manager.id for u in users[1:]] == [ANNA[0], ANNA[0], BEN[0]]
    assert users[3].account_enabled is False, "only $select-ed fields"
    assert users[3].job_title is None, "only $select-ed fields"


async def test_profile_fields_come_only_with_a_single_user(
    fake_graph: StartFakeGraph, sdk: Any, session: aiohttp.ClientSession
) -> None:
    graph = await fake_graph(tenant(), NOW)
    client = sdk(graph.base_url)
    query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
        select=["displayName", "aboutMe", "skills", "interests", "pastProjects"]
    )
    anna = await client.users.by_user_id(ANNA[0]).get(RequestConfiguration(query_parameters=query))
    assert anna.about_me == "I run the Kubernetes platform."
    assert (anna.skills, anna.interests, anna.past_projects) == (["kubernetes", "helm"], [], [])

    status, body, _ = await get_json(session, f"{graph.base_url}/users?$select=id,aboutMe")
    assert status == 501
    assert body["error"]["code"] == "NotImplemented"
    assert set(body["error"]["innerError"]) == {"date", "request-id", "client-request-id"}
    collection = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(select=["id", "skills"])
    with pytest.raises(APIError) as raised:
        await client.users.get(RequestConfiguration(query_parameters=collection))
    assert raised.value.response_status_code == 501


async def test_manager_and_direct_reports_are_typed_users(fake_graph: StartFakeGraph, sdk: Any) -> None:
    graph = await fake_graph(tenant(), NOW)
    client = sdk(graph.base_url)
    manager = await client.users.by_user_id(DAVE[0]).manager.get()
    assert isinstance(manager, User)
    assert manager.display_name == BEN[1]
    reports = await client.users.by_user_id(ANNA[0]).direct_reports.get()
    assert [(type(r), r.display_name) for r in reports.value] == [(User, BEN[1]), (User, CAROL[1])]
    with pytest.raises(APIError) as raised:
        await client.users.by_user_id(ANNA[0]).manager.get()
    assert raised.value.response_status_code == 404


async def test_added_and_edited_users_are_served(fake_graph: StartFakeGraph, sdk: Any) -> None:
    graph = await fake_graph(tenant(), NOW)
    graph.add_user(user(ERIN[0], ERIN[1], manager=CAROL[0]))
    graph.edit_user(BEN[0], jobTitle="Principal Engineer", manager=None, skills=["terraform"])
    client = sdk(graph.base_url)
    assert (await client.users.by_user_id(ERIN[0]).manager.get()).id == CAROL[0]
    query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=["jobTitle", "skills"])
    ben = await client.users.by_user_id(BEN[0]).get(RequestConfiguration(query_parameters=query))
    assert (ben.job_title, ben.skills) == ("Principal Engineer", ["terraform"])
    with pytest.raises(APIError):
        await client.users.by_user_id(BEN[0]).manager.get()
    assert graph.expected_stats()["people"] == 5


# --- teams and channels ---


async def test_teams_and_standard_channels(fake_graph: StartFakeGraph, sdk: Any) -> None:
    graph = await fake_graph(tenant(), NOW)
    client = sdk(graph.base_url)
    teams = await client.teams.get()
    assert [t.display_name for t in teams.value] == ["Platform Engineering", "Sales"]
    assert (await client.teams.by_team_id(SALES_TEAM).get()).display_name == "Sales"
    query = ChannelsRequestBuilder.ChannelsRequestBuilderGetQueryParameters(
        filter="membershipType eq 'standard'"
    )
    sales = await client.teams.by_team_id(SALES_TEAM).channels.get(
        RequestConfiguration(query_parameters=query)
    )
    assert sales.value == []
    everything = await client.teams.by_team_id(SALES_TEAM).channels.get()
    assert [(c.id, c.membership_type.value) for c in everything.value] == [(PRIVATE, "private")]
    platform = await client.teams.by_team_id(TEAM).channels.get()
    assert [c.display_name for c in platform.value] == ["Kubernetes", "Terraform"]
    with pytest.raises(APIError) as raised:
        await client.teams.by_team_id("no-such-team").channels.get()
    assert raised.value.response_status_code == 404


# --- messages and replies ---


async def test_messages_page_newest_first_with_replies_inline_then_by_link(
    fake_graph: StartFakeGraph, sdk: Any
) -> None:
    graph = await fake_graph(tenant(), NOW, inline_replies=3, page_size_default=2)
    messages = sdk(graph.base_url).teams.by_team_id(TEAM).channels.by_channel_id(CHANNEL).messages
    query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(top=4, expand=["replies"])
    page = await messages.get(RequestConfiguration(query_parameters=query))
    roots = list(page.value)
    while page.odata_next_link:
        assert f"/channels/{CHANNEL}/messages?$skiptoken=" in page.odata_next_link, "raw channel id in links"
        page = await messages.with_url(page.odata_next_link).get()
        roots += page.value
    assert ids(roots) == ["600", "500", "200", "100", "400", "300"], "newest root first"
    long_thread = roots[3]
    assert ids(long_thread.replies) == ["105", "104", "103"], "the newest replies inline"
    link = long_thread.additional_data["replies@odata.nextLink"]
    assert link.startswith(f"{graph.base_url}/teams/{TEAM}/channels/{CHANNEL}/messages/100/replies?")
    assert long_thread.additional_data["replies@odata.context"].endswith("/messages('100')/replies")
    rest = []
    while link:
        replies = await messages.by_chat_message_id("100").replies.with_url(link).get()
        rest += replies.value
        link = replies.odata_next_link
    assert ids(rest) == ["102", "101"]
    assert "replies@odata.nextLink" not in roots[2].additional_data
    assert ids(roots[2].replies) == ["201"]
    assert roots[2].replies[0].deleted_date_time is not None


async def test_single_messages_and_replies(fake_graph: StartFakeGraph, sdk: Any) -> None:
    graph = await fake_graph(tenant(), NOW)
    messages = sdk(graph.base_url).teams.by_team_id(TEAM).channels.by_channel_id(CHANNEL).messages
    root = await messages.by_chat_message_id("100").get()
    assert (root.id, root.subject, root.reply_to_id) == ("100", "Pods", None)
    replies = await messages.by_chat_message_id("100").replies.get()
    assert ids(replies.value) == ["105", "104", "103", "102", "101"]
    reply = await messages.by_chat_message_id("100").replies.by_chat_message_id1("101").get()
    assert reply.reply_to_id == "100"
    assert len(reply.reactions) == 2
    with pytest.raises(APIError) as raised:
        await messages.by_chat_message_id("101").get()  # a reply is not a channel's message
    assert raised.value.response_status_code == 404


async def test_system_events_need_the_prefer_header(
    fake_graph: StartFakeGraph, session: aiohttp.ClientSession
) -> None:
    graph = await fake_graph(tenant(), NOW)
    url = f"{graph.base_url}/teams/{TEAM}/channels/{quoted(CHANNEL)}/messages/500"
    _, plain, _ = await get_json(session, url)
    _, preferred, _ = await get_json(session, url, Prefer="include-unknown-enum-members")
    assert (plain["messageType"], preferred["messageType"]) == ("unknownFutureValue", "systemEventMessage")


# --- delta ---


async def delta_round(session: aiohttp.ClientSession, url: str) -> tuple[list[list[str]], str]:
    """Follow nextLinks to the deltaLink; the root ids of each page, and the deltaLink."""
    pages: list[list[str]] = []
    while True:
        status, body, _ = await get_json(session, url)
        assert status == 200, body
        assert body["@odata.context"].endswith("/$metadata#Collection(chatMessage)")
        pages.append(ids(body["value"]))
        if "@odata.nextLink" in body:
            assert "@odata.deltaLink" not in body
            url = body["@odata.nextLink"]
            continue
        return pages, body["@odata.deltaLink"]


async def test_delta_initial_round_serves_the_last_eight_months_in_pages(
    fake_graph: StartFakeGraph, sdk: Any, session: aiohttp.ClientSession
) -> None:
    graph = await fake_graph(tenant(), NOW)
    messages = sdk(graph.base_url).teams.by_team_id(TEAM).channels.by_channel_id(CHANNEL).messages
    query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(top=2, expand=["replies"])
    page = await messages.delta.get(RequestConfiguration(query_parameters=query))
    assert graph.requests[-1].path.endswith("/messages/delta()"), "the SDK calls the function form"
    pages = [page.value]
    while page.odata_next_link:
        assert "$skiptoken=" in page.odata_next_link
        assert page.odata_delta_link is None
        page = await messages.delta.with_url(page.odata_next_link).get()
        pages.append(page.value)
    assert "$deltatoken=" in page.odata_delta_link
    assert [ids(p) for p in pages] == [["400", "100"], ["200", "500"], ["600"]], "thread 300 is too old"
    assert ids(pages[0][0].replies) == ["401"], "an old root with a new reply comes with its thread"

    # The same round through the path without parentheses, and with a $filter.
    since = (START + timedelta(minutes=150)).strftime(GRAPH_TIME)
    base = f"{graph.base_url}/teams/{TEAM}/channels/{quoted(CHANNEL)}/messages/delta"
    filtered, _ = await delta_round(session, f"{base}?$top=50&$filter=lastModifiedDateTime gt {since}")
    assert filtered == [["400", "200", "500", "600"]]
    assert graph.served_pages(CHANNEL) == 4


async def test_following_a_delta_link_returns_exactly_the_changed_threads(
    fake_graph: StartFakeGraph, sdk: Any, session: aiohttp.ClientSession
) -> None:
    graph = await fake_graph(tenant(), NOW)
    base = f"{graph.base_url}/teams/{TEAM}/channels/{quoted(CHANNEL)}/messages/delta()"
    _, delta_link = await delta_round(session, f"{base}?$top=2&$expand=replies")
    before = {m["id"]: m for m in (await get_json(session, f"{base}?$top=50&$expand=replies"))[1]["value"]}

    graph.add_message(chat_message(900, ANNA, "<p>New question</p>", at=NOW))
    graph.add_message(chat_message(202, BEN, "<p>late answer</p>", reply_to=200, at=NOW))
    graph.edit_message(CHANNEL, "600", "<p>Meetup moved to Friday</p>")
    graph.delete_message(CHANNEL, "103")
    graph.add_reaction(CHANNEL, "401", BEN[0], "💯")
    graph.add_reaction(CHANNEL, "300", DAVE[0])  # an old thread comes back when it changes
    graph.remove_reaction(CHANNEL, "101", DAVE[0])
    graph.add_message(chat_message(702, CAROL, "<p>elsewhere</p>", reply_to=700, channel_id=SECOND, at=NOW))

    messages = sdk(graph.base_url).teams.by_team_id(TEAM).channels.by_channel_id(CHANNEL).messages
    page = await messages.delta.with_url(delta_link).get()
    changed = list(page.value)
    while page.odata_next_link:
        page = await messages.delta.with_url(page.odata_next_link).get()
        changed += page.value
    assert ids(changed) == ["300", "400", "100", "200", "600", "900"], "each changed thread once, in 2-pages"
    threads = {m.id: m for m in changed}
    edited = threads["600"]
    assert edited.body.content == "<p>Meetup moved to Friday</p>"
    assert edited.last_edited_date_time == edited.last_modified_date_time
    reacted = next(r for r in threads["400"].replies if r.id == "401")
    assert reacted.last_edited_date_time is None
    assert reacted.last_modified_date_time > datetime.fromisoformat(
        before["400"]["replies"][0]["lastModifiedDateTime"]
    )
    assert [r.reaction_type for r in reacted.reactions] == ["💯"]
    deleted = next(r for r in threads["100"].replies if r.id == "103")
    assert deleted.deleted_date_time is not None
    assert deleted.body.content == ""
    assert [r.user.user.id for r in next(r for r in threads["100"].replies if r.id == "101").reactions] == [
        BEN[0]
    ]
    assert ids(threads["200"].replies) == ["202", "201"]

    again, _ = await delta_round(session, page.odata_delta_link)
    assert again == [[]], "nothing changed since the new deltaLink"


async def test_next_links_are_idempotent_and_delta_links_outlive_the_server(
    fake_graph: StartFakeGraph, session: aiohttp.ClientSession
) -> None:
    graph = await fake_graph(tenant(), NOW)
    base = f"{graph.base_url}/teams/{TEAM}/channels/{quoted(CHANNEL)}/messages/delta?$top=2&$expand=replies"
    _, first, _ = await get_json(session, base)
    next_link = first["@odata.nextLink"]
    async with session.get(next_link) as response:
        once = await response.read()
    async with session.get(next_link) as response:
        twice = await response.read()
    assert once == twice
    pages, delta_link = await delta_round(session, base)
    graph.add_reaction(CHANNEL, "600", CAROL[0])
    changed, _ = await delta_round(session, delta_link)
    assert changed == [["600"]]

    port = int(graph.base_url.rsplit(":", 1)[1].split("/")[0])
    await graph.close()
    restarted = FakeGraph(tenant(), NOW)  # the same data (without the reaction) on the same port
    await restarted.start(port=port)
    try:
        assert await delta_round(session, base) == (pages, delta_link), "tokens are stable"
        assert await delta_round(session, delta_link) == ([[]], delta_link)
    finally:
        await restarted.close()


# --- faults and limits ---


async def test_throttling_answers_429_with_a_fractional_retry_after(
    fake_graph: StartFakeGraph, sdk: Any, session: aiohttp.ClientSession
) -> None:
    graph = await fake_graph(tenant(), NOW)
    graph.fail_next(1, where="/messages")
    status, _, _ = await get_json(session, f"{graph.base_url}/users")
    assert status == 200, "only requests whose path matches `where` fail"
    status, body, headers = await get_json(
        session, f"{graph.base_url}/teams/{TEAM}/channels/{quoted(CHANNEL)}/messages"
    )
    assert (status, headers["Retry-After"], body["error"]["code"]) == (429, "2.128", "TooManyRequests")
    graph.fail_next(2, status=503, retry_after=None)
    client = sdk(graph.base_url)
    for _ in range(2):
        with pytest.raises(APIError) as raised:
            await client.teams.get()
        assert raised.value.response_status_code == 503
    assert len((await client.teams.get()).value) == 2
    assert [r.status for r in graph.requests] == [200, 429, 503, 503, 200]
    assert graph.status_counts[503] == 2


async def test_limits_throttle_per_channel_over_a_sliding_second(
    fake_graph: StartFakeGraph, session: aiohttp.ClientSession
) -> None:
    graph = await fake_graph(tenant(), NOW)
    graph.limits(per_channel_rps=4)
    kubernetes = f"{graph.base_url}/teams/{TEAM}/channels/{quoted(CHANNEL)}/messages"
    terraform = f"{graph.base_url}/teams/{TEAM}/channels/{quoted(SECOND)}/messages"
    answers = [await get_json(session, kubernetes) for _ in range(6)]
    assert [status for status, _, _ in answers] == [200, 200, 200, 200, 429, 429]
    assert (await get_json(session, terraform))[0] == 200, "another channel has its own budget"
    wait = float(answers[-1][2]["Retry-After"])
    assert 0 < wait <= 1.0
    assert graph.throttled == 2
    await asyncio.sleep(wait + 0.02)
    assert (await get_json(session, kubernetes))[0] == 200

    graph.limits(global_rps=2)
    statuses = [(await get_json(session, f"{graph.base_url}/teams"))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]


async def test_a_truncated_body_breaks_the_json_parse(
    fake_graph: StartFakeGraph, sdk: Any, session: aiohttp.ClientSession
) -> None:
    graph = await fake_graph(tenant(), NOW)
    graph.truncate_next(2)
    async with session.get(f"{graph.base_url}/users") as response:
        body = await response.read()
        assert response.status == 200
        assert response.content_length == len(body)
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    with pytest.raises(json.JSONDecodeError):  # msgraph-sdk lets the parse error out as it is
        await sdk(graph.base_url).users.get()
    assert (await get_json(session, f"{graph.base_url}/users"))[0] == 200


async def test_a_delayed_answer_times_the_client_out(
    fake_graph: StartFakeGraph, session: aiohttp.ClientSession
) -> None:
    graph = await fake_graph(tenant(), NOW)
    graph.delay_next(1, seconds=30)
    with pytest.raises(TimeoutError):
        await session.get(f"{graph.base_url}/teams", timeout=aiohttp.ClientTimeout(total=0.2))
    assert (await get_json(session, f"{graph.base_url}/teams"))[0] == 200


async def test_a_token_is_required_when_configured(
    fake_graph: StartFakeGraph, sdk: Any, session: aiohttp.ClientSession
) -> None:
    graph = await fake_graph(tenant(), NOW, token="s3cret")
    status, body, _ = await get_json(session, f"{graph.base_url}/users")
    assert (status, body["error"]["code"]) == (401, "InvalidAuthenticationToken")
    with pytest.raises(APIError) as raised:
        await sdk(graph.base_url, token="wrong").users.get()
    assert raised.value.response_status_code == 401
    assert len((await sdk(graph.base_url, token="s3cret").users.get()).value) == 4


# --- removed channels and the statistics an import should reach ---


@pytest.mark.parametrize("status", [404, 403])
async def test_a_removed_channel_answers_its_status_everywhere(
    fake_graph: StartFakeGraph, sdk: Any, session: aiohttp.ClientSession, status: int
) -> None:
    graph = await fake_graph(tenant(), NOW)
    graph.remove_channel(SECOND, status=status)
    base = f"{graph.base_url}/teams/{TEAM}/channels/{quoted(SECOND)}"
    for path in ("", "/messages", "/messages/delta()", "/messages/700/replies", "/messages/700"):
        answer, body, _ = await get_json(session, base + path)
        assert answer == status, path
        assert body["error"]["code"] in ("NotFound", "Forbidden"), path
    listed = await sdk(graph.base_url).teams.by_team_id(TEAM).channels.get()
    expected = ["Kubernetes"] if status == 404 else ["Kubernetes", "Terraform"]
    assert [c.display_name for c in listed.value] == expected
    stats = graph.expected_stats()
    assert stats["channels"] == len(expected)
    assert stats["messages"]["roots"] == 5, "the removed channel's messages are no longer served"


def test_expected_stats_count_what_is_served() -> None:
    graph = FakeGraph(tenant(), NOW)
    assert graph.expected_stats() == {
        "people": 4,
        "teams": 2,
        "channels": 2,
        "messages": {"roots": 6, "replies": 8, "deleted": 1, "system_and_bots": 1},
        "reactions": 3,
    }
    assert graph.expected_stats(delta_only=True)["messages"] == {
        "roots": 5,
        "replies": 7,
        "deleted": 1,
        "system_and_bots": 1,
    }, "the system event (500) is nobody's writing"
    graph.delete_message(CHANNEL, "101")
    stats = graph.expected_stats()
    assert (stats["messages"]["deleted"], stats["reactions"]) == (2, 1)


async def test_a_full_delta_sync_of_the_demo_tenant_matches_expected_stats(
    fake_graph: StartFakeGraph, session: aiohttp.ClientSession
) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    graph = await fake_graph(generate_demo_tenant(now=now), now, record_requests=False)
    _, teams, _ = await get_json(session, f"{graph.base_url}/teams")
    roots = replies = deleted = reactions = others = 0
    channels = 0
    for team_id in ids(teams["value"]):
        url = f"{graph.base_url}/teams/{team_id}/channels?$filter=membershipType eq 'standard'"
        _, listed, _ = await get_json(session, url)
        for channel_id in ids(listed["value"]):
            channels += 1
            link = f"{graph.base_url}/teams/{team_id}/channels/{quoted(channel_id)}/messages/delta()"
            link += "?$top=50&$expand=replies"
            while link:
                _, page, _ = await get_json(session, link)
                for root in page["value"]:
                    assert "replies@odata.nextLink" not in root
                    for message in (root, *root["replies"]):
                        if message["deletedDateTime"]:
                            deleted += 1
                            continue
                        if message["messageType"] != "message" or not (message["from"] or {}).get("user"):
                            others += 1
                            continue
                        reactions += len(message["reactions"])
                        roots, replies = (roots + 1, replies) if root is message else (roots, replies + 1)
                link = page.get("@odata.nextLink")
    expected = graph.expected_stats(delta_only=True)
    assert (channels, reactions) == (expected["channels"], expected["reactions"])
    assert {"roots": roots, "replies": replies, "deleted": deleted, "system_and_bots": others} == expected[
        "messages"
    ]
    assert others, "the demo's system events are served"
    assert expected["messages"]["roots"] < graph.expected_stats()["messages"]["roots"], "a year > 8 months"
    assert graph.served_messages == roots + replies + deleted + others


def test_a_json_lines_tenant_loads(tmp_path: Path) -> None:
    path = tmp_path / "tenant.jsonl"
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n\n" for o in tenant()), encoding="utf-8")
    assert FakeGraph(read_json_lines(path), NOW).expected_stats() == FakeGraph(tenant(), NOW).expected_stats()
