"""The real endpoint under random input: never a 500, still answering afterwards, no valid message lost."""

from __future__ import annotations

import copy
import json
from typing import Any

from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bootstrap import Services
from bot.teams.endpoint import MAX_ACTIVITY_BYTES
from tests.conftest import LoopbackConnector
from tests.graph_objects import ANNA, BEN, CAROL
from tests.test_teams_turns import client, personal_message, services  # noqa: F401 - fixtures

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=16,
)

TRICKY_TEXT = [
    "**who knows** [click](https://evil.example/)",
    '{"type": "AdaptiveCard", "body": [{"type": "Action.OpenUrl", "url": "https://evil.example"}]}',
    "<at>Seula</at> who knows <b>kubernetes</b>",
    "who knows \x00\x01\x1b[31m\u202e\ufeff kubernetes",
    "who knows {{DATE(2017-02-14T06:08:39Z, SHORT)}}",
    "hide me from ![x](https://evil.example/x.png)",
    "show me for " + "ä" * 300,
    "kuka osaa \\ ` * _ # > | ~ kubernetes",
]
texts = st.one_of(
    st.text(max_size=200),
    st.sampled_from(TRICKY_TEXT),
    # Long, repetitive text under the size limit: the worst case for the parser's patterns.
    st.builds(
        lambda part, times: (part * times)[:60_000], st.text(min_size=1, max_size=8), st.integers(1, 20_000)
    ),
)
activity_types = st.sampled_from(
    ["message", "conversationUpdate", "installationUpdate", "invoke", "messageReaction", "event", "typing"]
) | st.text(max_size=20)


@st.composite
def activities(draw: st.DrawFn) -> dict[str, Any]:
    """A Teams-like activity with any field swapped for random JSON, or dropped."""
    user = draw(st.sampled_from([ANNA, BEN, CAROL]))
    activity = personal_message(
        draw(texts), user=user, locale=draw(st.sampled_from(["en-US", "fi-FI", "", "xx"]))
    )
    activity["type"] = draw(activity_types)
    activity["conversation"]["conversationType"] = draw(
        st.sampled_from(["personal", "channel", "groupChat", None]) | st.text(max_size=10)
    )
    if activity["type"] == "invoke":
        activity["name"] = draw(st.sampled_from(["adaptiveCard/action", "task/fetch"]) | st.text(max_size=20))
        activity["value"] = draw(
            st.fixed_dictionaries(
                {
                    "action": st.fixed_dictionaries(
                        {"type": st.just("Action.Execute"), "verb": st.text(max_size=20), "data": json_values}
                    )
                }
            )
            | json_values
        )
    for key in draw(
        st.lists(
            st.sampled_from(
                [
                    "from",
                    "value",
                    "entities",
                    "channelData",
                    "attachments",
                    "locale",
                    "textFormat",
                    "recipient",
                    "id",
                    "timestamp",
                    "membersAdded",
                    "action",
                ]
            ),
            max_size=4,
            unique=True,
        )
    ):
        if draw(st.booleans()):
            activity.pop(key, None)
        else:
            activity[key] = draw(json_values)
    return activity


async def answers_who_knows(http: TestClient, connector: LoopbackConnector) -> bool:  # type: ignore[type-arg]
    before = len(connector.cards())
    activity = {**personal_message("who knows kubernetes"), "serviceUrl": connector.url}
    response = await http.post("/api/messages", json=activity)
    return (
        response.status == 200
        and len(connector.cards()) == before + 1
        and ANNA[1] in json.dumps(connector.cards()[-1], ensure_ascii=False)
    )


@FUZZ
@given(body=json_values)
async def test_random_json_bodies_get_an_answer_below_500(
    client: TestClient,  # type: ignore[type-arg]  # noqa: F811
    connector: LoopbackConnector,
    body: Any,
) -> None:
    if isinstance(body, dict) and "serviceUrl" in body:
        body["serviceUrl"] = connector.url  # never let a test reach a real host
    response = await client.post("/api/messages", json=body)
    assert response.status < 500


@FUZZ
@given(activity=activities())
async def test_random_activities_never_crash_the_endpoint(
    client: TestClient,  # type: ignore[type-arg]  # noqa: F811
    connector: LoopbackConnector,
    activity: dict[str, Any],
) -> None:
    activity["serviceUrl"] = connector.url
    body = json.dumps(activity).encode()
    response = await client.post("/api/messages", data=body, headers={"Content-Type": "application/json"})
    unsupported_invoke = activity["type"] == "invoke" and activity.get("name") != "adaptiveCard/action"
    if len(body) > MAX_ACTIVITY_BYTES:
        # Refused before anything reads it, whatever it is (an invoke's text escaped as JSON grows 12-fold).
        assert response.status == 413
    elif unsupported_invoke:
        # Bot Framework's answer to an invoke the bot has no handler for (Teams shows nothing).
        assert response.status in (200, 400, 501)
    else:
        assert response.status < 500, (activity["type"], activity.get("name"), len(body))
    assert await answers_who_knows(client, connector), "the bot still answers after it"


@settings(max_examples=15, deadline=None, suppress_health_check=list(FUZZ.suppress_health_check))
@given(
    text=texts.filter(lambda text: len(json.dumps(text)) < 100_000),  # Teams' own cap is about 28 KB
    author=st.sampled_from([ANNA, BEN, CAROL]),
    ids=st.lists(st.integers(1_700_000_000_000, 1_800_000_000_000), min_size=1, max_size=4, unique=True),
)
async def test_every_valid_channel_message_is_stored(
    client: TestClient,  # type: ignore[type-arg]  # noqa: F811
    services: Services,  # noqa: F811
    connector: LoopbackConnector,
    text: str,
    author: tuple[str, str],
    ids: list[int],
) -> None:
    channel_id = "19:6848757105754c8981c67612732d9aa7@thread.tacv2"
    await services.store.ensure_channels({channel_id: "team-group-id"})
    # Shaped as ../shared/fixtures/teams/message_channel_mention_bot_captured.json, without the mention.
    template = {
        "type": "message",
        "channelId": "msteams",
        "serviceUrl": connector.url,
        "timestamp": "2025-10-08T17:33:01.4953744Z",
        "textFormat": "plain",
        "from": {"id": f"29:{author[0]}", "name": author[1], "aadObjectId": author[0]},
        "recipient": {"id": "28:0b6fe6d1-fece-44f7-9a48-56465e2d5ab8", "name": "Seula"},
        "conversation": {
            "id": f"{channel_id};messageid=1759881511856",
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": "50612dbb-0237-4969-b378-8d42590f9c00",
        },
        "channelData": {
            "teamsChannelId": channel_id,
            "channel": {"id": channel_id},
            "tenant": {"id": "50612dbb-0237-4969-b378-8d42590f9c00"},
        },
        "entities": [{"type": "clientInfo", "locale": "en-US"}],
    }
    for message_id in ids:
        activity = copy.deepcopy(template)
        activity["id"] = str(message_id)
        activity["text"] = text
        response = await client.post("/api/messages", json=activity)
        assert response.status == 200
    assert all([await services.store.has_message(channel_id, str(message_id)) for message_id in ids])
    assert connector.sent == [], "a channel message not addressed to Seula gets no answer"


async def test_a_malformed_universal_action_gets_an_error_card_response_not_a_500(
    client: TestClient,  # type: ignore[type-arg]  # noqa: F811
    connector: LoopbackConnector,
) -> None:
    # Regression: botbuilder answers these with a model holding an Exception, which aiohttp could not
    # serialise (found by the fuzz test above).
    for value in (None, {}, {"action": None}, {"action": {"type": "Action.Submit"}}, {"unknown": 1}):
        activity = {
            **personal_message(""),
            "type": "invoke",
            "name": "adaptiveCard/action",
            "value": value,
            "serviceUrl": connector.url,
        }
        response = await client.post("/api/messages", json=activity)
        assert response.status == 400, value
        body = await response.json()
        assert body["type"] == "application/vnd.microsoft.error"
        assert body["statusCode"] == 400
