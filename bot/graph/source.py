"""What Seula reads from Microsoft Graph, as pages of Graph JSON: teams, members, channels, people, messages.

URLs are built with msgraph-sdk's request builders and fetched as raw JSON through `GraphConnection`:
parsing pages into SDK models costs far more than the whole rest of ingestion, and the importer reads
Graph's JSON itself (the same path as `import`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.teams.item.channels.item.messages.delta.delta_request_builder import (
    DeltaRequestBuilder,
)
from msgraph.generated.teams.item.channels.item.messages.messages_request_builder import (
    MessagesRequestBuilder,
)
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder

from bot.graph.client import Decode, GraphConnection

PAGE_SIZE = 50  # Graph's maximum for channel messages, replies and delta
USER_FIELDS = [
    "id",
    "displayName",
    "userPrincipalName",
    "mail",
    "jobTitle",
    "department",
    "officeLocation",
    "preferredLanguage",
    "accountEnabled",
]
# Graph returns these only for a single user, never in a collection (PLATFORM.md A.8).
PROFILE_FIELDS = ["id", "aboutMe", "skills", "interests", "responsibilities", "pastProjects"]
USERS_SCOPE = None  # directory reads count against the global rate only

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    """One page of a Graph collection: its items and where the next page or the delta link is."""

    items: list[dict[str, Any]]
    next_link: str | None
    delta_link: str | None


class GraphSource:
    """Reads Graph collections page by page."""

    def __init__(self, connection: GraphConnection) -> None:
        self._connection = connection
        self._service = connection.service

    async def teams(self) -> list[dict[str, Any]]:
        """Every team in the organization (id, displayName, description, visibility)."""
        return await self._all(self._url(self._service.teams.to_get_request_information()), USERS_SCOPE)

    async def team_members(self, team_id: str) -> list[dict[str, Any]]:
        """A team's members (`aadUserConversationMember` with `userId`), every page, each with `teamId`."""
        url = self._url(self._service.teams.by_team_id(team_id).members.to_get_request_information())
        members = await self._all(url, team_id)
        return [{**member, "teamId": team_id} for member in members]

    async def channels(self, team_id: str) -> list[dict[str, Any]]:
        """A team's channels; the team id is added to each, as Graph's channel object lacks it."""
        url = self._url(self._service.teams.by_team_id(team_id).channels.to_get_request_information())
        channels = await self._all(url, team_id)
        return [{**channel, "teamId": team_id} for channel in channels]

    async def users(self) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of users with their manager's id."""
        query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            select=USER_FIELDS, expand=["manager($select=id)"], top=999
        )
        url = self._url(
            self._service.users.to_get_request_information(RequestConfiguration(query_parameters=query))
        )
        async for page in self.pages(url, USERS_SCOPE):
            yield [{**user, "@odata.type": "#microsoft.graph.user"} for user in page.items]

    async def profile(self, user_id: str) -> dict[str, Any]:
        """A user's self-written profile fields (one request per user, as Graph requires)."""
        query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=PROFILE_FIELDS)
        builder = self._service.users.by_user_id(user_id)
        url = self._url(builder.to_get_request_information(RequestConfiguration(query_parameters=query)))
        return await self._connection.get_json(url, USERS_SCOPE)

    def messages_url(self, team_id: str, channel_id: str) -> str:
        """The first page of a channel's root messages with their replies (the full history)."""
        query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
            top=PAGE_SIZE, expand=["replies"]
        )
        builder = self._service.teams.by_team_id(team_id).channels.by_channel_id(channel_id).messages
        return self._url(builder.to_get_request_information(RequestConfiguration(query_parameters=query)))

    def delta_url(self, team_id: str, channel_id: str, modified_after: datetime | None) -> str:
        """The first page of a delta round: threads changed after `modified_after` (Graph keeps 8 months)."""
        query = DeltaRequestBuilder.DeltaRequestBuilderGetQueryParameters(
            top=PAGE_SIZE,
            expand=["replies"],
            filter=f"lastModifiedDateTime gt {_graph_time(modified_after)}" if modified_after else None,
        )
        builder = self._service.teams.by_team_id(team_id).channels.by_channel_id(channel_id).messages.delta
        return self._url(builder.to_get_request_information(RequestConfiguration(query_parameters=query)))

    async def page(self, url: str, scope: str | None) -> Page:
        """One page at `url`."""
        body = await self._connection.get_json(url, scope)
        items = body.get("value")
        return Page(
            items=[item for item in items if isinstance(item, dict)] if isinstance(items, list) else [],
            next_link=body.get("@odata.nextLink") or None,
            delta_link=body.get("@odata.deltaLink") or None,
        )

    async def pages(self, url: str, scope: str | None) -> AsyncIterator[Page]:
        """Every page from `url` on."""
        next_url: str | None = url
        while next_url:
            page = await self.page(next_url, scope)
            yield page
            next_url = page.next_link

    async def decoded_page(self, url: str, scope: str | None, decode: Decode[T]) -> T:
        """The page at `url` as `decode` reads its bytes (Graph sync parses message pages off the loop)."""
        return await self._connection.get(url, scope, decode)

    async def replies_at(self, link: str, scope: str) -> list[dict[str, Any]]:
        """A thread's replies from a root's `replies@odata.nextLink` on (Graph inlines up to 1000)."""
        replies: list[dict[str, Any]] = []
        async for page in self.pages(link, scope):
            replies.extend(page.items)
        return replies

    def _url(self, request: RequestInformation) -> str:
        """The absolute URL the SDK would call for `request`."""
        request.path_parameters["baseurl"] = self._service.request_adapter.base_url
        return str(request.url)

    async def _all(self, url: str, scope: str | None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        async for page in self.pages(url, scope):
            items.extend(page.items)
        return items


def _graph_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
