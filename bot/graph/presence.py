"""People's availability from Microsoft Graph presence: `POST /communications/getPresencesByUserId`.

Needs the application permission `Presence.Read.All`; without it Graph answers 403 and cards show no
availability. The request is built with msgraph-sdk's request builder and sent through `GraphConnection`
(its rate limiter and retries); the answer is read as raw JSON, like every other Graph page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.communications.get_presences_by_user_id.get_presences_by_user_id_post_request_body import (  # noqa: E501
    GetPresencesByUserIdPostRequestBody,
)

from bot.graph.client import GraphConnection, GraphError
from bot.presence import Availability, PresenceUnavailable

MAX_IDS_PER_REQUEST = 650  # Graph's limit (PLATFORM.md A.8)
# Graph's `availability` values; `PresenceUnknown` (and anything new) shows nothing.
_AVAILABILITY: dict[str, Availability] = {
    "Available": "available",
    "AvailableIdle": "available",
    "Busy": "busy",
    "BusyIdle": "busy",
    "DoNotDisturb": "do_not_disturb",
    "Away": "away",
    "BeRightBack": "be_right_back",
    "Offline": "offline",
}
# Graph refuses the whole request (400) for an id that is not an object id; imported data may hold others.
_OBJECT_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SCOPE = None  # presence has its own Graph limit; this connection's limiter is for presence alone


def availability_of(presence: Mapping[str, object]) -> Availability | None:
    """A Graph `presence` object's availability in Seula's terms, or None when Graph does not know."""
    return _AVAILABILITY.get(str(presence.get("availability") or ""))


class GraphPresence:
    """A `PresenceSource` reading Microsoft Graph presence, up to 650 people per request."""

    def __init__(self, connection: GraphConnection) -> None:
        self._connection = connection

    async def availability(self, person_ids: Sequence[str]) -> dict[str, Availability]:
        """The availability Graph reports for these people (Entra object ids); others are left out."""
        ids = [p for p in dict.fromkeys(person_ids) if _OBJECT_ID.match(p)]
        found: dict[str, Availability] = {}
        for start in range(0, len(ids), MAX_IDS_PER_REQUEST):
            found.update(await self._read(ids[start : start + MAX_IDS_PER_REQUEST]))
        return found

    async def _read(self, ids: list[str]) -> dict[str, Availability]:
        service = self._connection.service
        body = GetPresencesByUserIdPostRequestBody(ids=ids)

        def request() -> RequestInformation:
            built = service.communications.get_presences_by_user_id.to_post_request_information(body)
            built.path_parameters["baseurl"] = service.request_adapter.base_url
            return built

        try:
            answer = await self._connection.post_json(request, _SCOPE)
        except GraphError as error:
            hint = " (does the app have the Presence.Read.All permission?)" if error.status == 403 else ""
            raise PresenceUnavailable(f"{error}{hint}") from None
        asked = {person_id.lower(): person_id for person_id in ids}  # Graph answers ids in lower case
        items = answer.get("value")
        found: dict[str, Availability] = {}
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                availability = availability_of(item)
                person_id = asked.get(item["id"].lower())
                if availability is not None and person_id is not None:
                    found[person_id] = availability
        return found
