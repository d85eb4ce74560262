"""Real Teams activities posted to the real aiohttp endpoint; replies read from a loopback connector."""

from __future__ import annotations

import asyncio
import copy
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.assistant import Assistant, Incoming, Reply
from bot.bootstrap import Services, open_services, utc_now
from bot.graph_import import import_json_lines
from bot.web import create_app
from tests.conftest import LoopbackConnector, make_settings, shared_path
from tests.graph_objects import ANNA, BEN, CAROL, DAVE, small_tenant

Post = Callable[[dict[str, Any]], Awaitable[Any]]

BOT = {"id": "28:0b6fe6d1-fece-44f7-9a48-56465e2d5ab8", "name": "Seula"}


def personal_message(
    text: str, user: tuple[str, str] = CAROL, locale: str = "en-US", **extra: Any
) -> dict[str, Any]:
    """A 1:1 message shaped as Teams sends it (../shared/fixtures/teams/message_personal_rich_text.json)."""
    return {
        "type": "message",
        "id": f"m-{abs(hash(text)) % 10**8}",
        "channelId": "msteams",
        "serviceUrl": "",
        "timestamp": "2026-11-27T10:00:00.000Z",
        "locale": locale,
        "text": text,
        "textFormat": "plain",
        "from": {"id": f"29:{user[0]}", "name": user[1], "aadObjectId": user[0]},
        "recipient": BOT,
        "conversation": {
            "id": f"a:personal-{user[0]}",
            "conversationType": "personal",
            "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        },
        "channelData": {"tenant": {"id": "72f988bf-86f1-41af-91ab-2d7cd011db47"}},
        "entities": [{"type": "clientInfo", "locale": locale, "timezone": "Europe/Helsinki"}],
        **extra,
    }


@pytest.fixture
async def services(database_url: str) -> AsyncIterator[Services]:
    settings = make_settings(DATABASE_URL=database_url, SEULA_DEMO_TENANT="off")
    async with open_services(settings) as opened:
        await import_json_lines(
            opened.store, io.StringIO("".join(json.dumps(o) + "\n" for o in small_tenant()))
        )
        yield opened


@pytest.fixture
async def client(services: Services, aiohttp_client: Any) -> TestClient:  # type: ignore[type-arg]
    test_client: TestClient = await aiohttp_client(create_app(services))  # type: ignore[type-arg]
    return test_client


@pytest.fixture
def post(client: TestClient, connector: LoopbackConnector) -> Post:  # type: ignore[type-arg]
    async def send(activity: dict[str, Any]) -> Any:
        activity = {**activity, "serviceUrl": connector.url}
        return await client.post("/api/messages", json=activity)

    return send


def card_text(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


async def test_who_knows_in_a_personal_chat_answers_with_an_expert_card(
    post: Post, connector: LoopbackConnector
) -> None:
    response = await post(personal_message("who knows kubernetes"))
    assert response.status == 200
    [card] = connector.cards()
    text = card_text(card)
    assert card["version"] == "1.5"
    assert "kubernetes" in card["body"][0]["text"]
    assert ANNA[1] in text
    assert "https://teams.microsoft.com/l/message/" in text, "evidence links to the expert's own message"
    assert "https://teams.microsoft.com/l/chat/0/0?users=anna.virtanen%40contoso.com" in text
    assert CAROL[1] not in text, "the asker is never suggested"
    assert len(text.encode()) < 28_000


async def test_anna_ranks_above_the_kubernetes_meetup_poster(
    post: Post, connector: LoopbackConnector
) -> None:
    await post(personal_message("who knows kubernetes", user=CAROL))
    text = card_text(connector.cards()[0])
    assert text.index(ANNA[1]) < text.index(BEN[1])


async def test_finnish_question_gets_a_finnish_card(post: Post, connector: LoopbackConnector) -> None:
    await post(personal_message("kuka osaa kubernetesin?", locale="fi-FI"))
    [card] = connector.cards()
    assert card["body"][0]["text"].startswith("Nämä kollegat")
    assert ANNA[1] in card_text(card)


async def test_the_locale_decides_when_the_message_cannot(post: Post, connector: LoopbackConnector) -> None:
    await post(personal_message("apua", locale="en-US"))
    await post(personal_message("help", locale="fi-FI"))
    finnish_help, english_help = connector.cards()
    assert "Seula löytää" in card_text(finnish_help)
    assert "Seula finds" in card_text(english_help)


async def test_unknown_input_gets_a_short_help_card(post: Post, connector: LoopbackConnector) -> None:
    response = await post(personal_message("hello there, nice weather"))
    assert response.status == 200
    [card] = connector.cards()
    assert "didn't understand" in card_text(card)
    assert "who knows" in card_text(card)


async def test_the_card_reaches_teams_exactly_as_the_assistant_built_it(
    post: Post, connector: LoopbackConnector, services: Services
) -> None:
    # The edge hands botbuilder the card whole (CardContent), not for msrest to walk value by value.
    await post(personal_message("who knows kubernetes"))
    reply = await services.assistant.on_message(
        Incoming(text="who knows kubernetes", locale="en-US", user_id=CAROL[0])
    )
    assert connector.cards() == [reply.card]


async def test_a_channel_mention_is_answered_in_its_thread(post: Post, connector: LoopbackConnector) -> None:
    activity = json.loads(
        shared_path("fixtures", "teams", "message_channel_mention_bot_captured.json").read_text()
    )
    activity["text"] = "<at>ridotest</at> who knows terraform"
    response = await post(activity)
    assert response.status == 200
    [sent] = connector.sent
    assert sent["conversation"]["id"] == activity["conversation"]["id"]
    assert sent["replyToId"] == activity["id"]
    assert BEN[1] in card_text(connector.cards()[0])


async def test_install_greets_once_and_uninstall_forgets_the_conversation(
    post: Post, connector: LoopbackConnector, services: Services
) -> None:
    install = json.loads(shared_path("fixtures", "teams", "installation_update_add.json").read_text())
    added = json.loads(
        shared_path("fixtures", "teams", "conversation_update_bot_added_to_team.json").read_text()
    )
    added["conversation"]["id"] = install["conversation"]["id"]
    added["recipient"] = install["recipient"]
    added["membersAdded"] = [{"id": install["recipient"]["id"]}]
    assert (await post(install)).status == 200
    assert (await post(added)).status == 200
    [welcome] = connector.cards()
    assert "What I read" in card_text(welcome)
    assert "hide me" in card_text(welcome)
    assert await services.store.get_conversation(install["conversation"]["id"]) is not None
    remove = {**copy.deepcopy(install), "action": "remove"}
    assert (await post(remove)).status == 200
    assert await services.store.get_conversation(install["conversation"]["id"]) is None


async def test_every_message_keeps_the_conversation_reference(post: Post, services: Services) -> None:
    await post(personal_message("who knows helm", user=CAROL))
    stored = await services.store.get_conversation(f"a:personal-{CAROL[0]}")
    assert stored is not None
    assert stored.user_id == CAROL[0]
    assert stored.reference["conversation"]["id"] == f"a:personal-{CAROL[0]}"


async def test_hide_me_removes_a_person_from_answers(post: Post, connector: LoopbackConnector) -> None:
    await post(personal_message("hide me", user=ANNA))
    assert "won't suggest you" in connector.texts()[0]
    await post(personal_message("who knows kubernetes", user=CAROL))
    assert ANNA[1] not in card_text(connector.cards()[0])
    await post(personal_message("show me", user=ANNA))
    await post(personal_message("who knows kubernetes", user=CAROL))
    assert ANNA[1] in card_text(connector.cards()[1])


async def test_hiding_a_topic_hides_its_inflections_and_the_profile_card_undoes_it(
    post: Post, connector: LoopbackConnector
) -> None:
    await post(personal_message("piilota minut aiheesta kubernetes", user=ANNA, locale="fi-FI"))
    assert "en ehdota sinua aiheesta **kubernetes**" in connector.texts()[0]
    await post(personal_message("who knows Kubernetesin", user=CAROL))
    assert ANNA[1] not in card_text(connector.cards()[0]), "hidden for every form of the word"
    await post(personal_message("who knows helm", user=CAROL))
    assert ANNA[1] in card_text(connector.cards()[1]), "but not for other topics"

    await post(personal_message("what do you know about me", user=ANNA))
    profile = connector.cards()[2]
    assert "Not suggested for **kubernetes**" in card_text(profile)
    [undo] = [
        action
        for action in _actions(profile)
        if action.get("verb") == "seula.visibility" and action["data"].get("topic") == "kubernetes"
    ]
    # The button works for the person who presses it (here as the Submit fallback older clients send).
    await post(personal_message("", user=ANNA, value=undo["data"]))
    assert "Not suggested for" not in card_text(connector.cards()[3]), "the card refreshes without it"
    await post(personal_message("who knows kubernetes", user=CAROL))
    assert ANNA[1] in card_text(connector.cards()[4])


async def test_team_only_people_are_suggested_to_their_own_department_only(
    post: Post, connector: LoopbackConnector, services: Services
) -> None:
    people = await services.store.people()
    await services.store.upsert_people([replace(people[CAROL[0]], department="Finance")])
    await post(personal_message("show me only to my team", user=ANNA))
    assert "only to your own team" in connector.texts()[0]
    await post(personal_message("who knows kubernetes", user=CAROL))
    assert ANNA[1] not in card_text(connector.cards()[0]), "Carol is in another department"
    await post(personal_message("who knows kubernetes", user=BEN))
    assert ANNA[1] in card_text(connector.cards()[1]), "Ben is on her team"
    await post(personal_message("what do you know about me", user=ANNA))
    assert "Suggested only to your own team" in card_text(connector.cards()[2])
    await post(personal_message("show me to everyone", user=ANNA))
    await post(personal_message("who knows kubernetes", user=CAROL))
    assert ANNA[1] in card_text(connector.cards()[3])


def _actions(element: Any) -> list[dict[str, Any]]:
    """Every action anywhere in a card."""
    found: list[dict[str, Any]] = []
    if isinstance(element, dict):
        if str(element.get("type", "")).startswith("Action."):
            found.append(element)
        for value in element.values():
            found += _actions(value)
    elif isinstance(element, list):
        for item in element:
            found += _actions(item)
    return found


async def test_show_more_is_an_universal_action_answered_with_a_new_card(
    client: TestClient, connector: LoopbackConnector
) -> None:  # type: ignore[type-arg]
    invoke = json.loads(
        shared_path("fixtures", "teams", "invoke_adaptivecard_action_captured.json").read_text()
    )
    invoke["serviceUrl"] = connector.url
    invoke["value"]["action"] = {
        "type": "Action.Execute",
        "verb": "seula.more",
        "data": {"topic": "kubernetes", "query": "who knows kubernetes", "offset": 1, "language": "en"},
    }
    response = await client.post("/api/messages", json=invoke)
    assert response.status == 200
    body = await response.json()
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["type"] == "AdaptiveCard"


async def test_an_unknown_card_action_is_answered_not_failed(
    client: TestClient, connector: LoopbackConnector
) -> None:  # type: ignore[type-arg]
    invoke = json.loads(
        shared_path("fixtures", "teams", "invoke_adaptivecard_action_captured.json").read_text()
    )
    invoke["serviceUrl"] = connector.url
    response = await client.post("/api/messages", json=invoke)
    assert response.status == 200
    body = await response.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "older card" in card_text(body["value"])


async def test_the_submit_fallback_of_show_more_works_too(post: Post, connector: LoopbackConnector) -> None:
    value = {"verb": "seula.more", "topic": "kubernetes", "query": "who knows kubernetes", "offset": 0}
    await post(personal_message("", value=value))
    assert ANNA[1] in card_text(connector.cards()[0])


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[]", "application/json", 400),
        (b'{"type": "message"}', "application/json", 400),
        (b'{"type": "message", "serviceUrl": "x", "conversation": "nope"}', "application/json", 400),
        (b"type=message", "application/x-www-form-urlencoded", 415),
        (b'{"type": "message", "text": "' + b"a" * 300_000 + b'"}', "application/json", 413),
        (b"\xff\xfe", "application/json", 400),
    ],
)
async def test_malformed_requests_get_a_4xx_never_a_500(
    client: TestClient,
    body: bytes,
    content_type: str,
    status: int,  # type: ignore[type-arg]
) -> None:
    response = await client.post("/api/messages", data=body, headers={"Content-Type": content_type})
    assert response.status == status
    assert "error" in await response.json()


async def test_health_reports_ready_once_startup_work_is_done(client: TestClient) -> None:  # type: ignore[type-arg]
    for _ in range(100):
        response = await client.get("/healthz")
        if response.status == 200:
            break
        await asyncio.sleep(0.05)
    assert response.status == 200
    assert (await response.json())["people"] == 4


async def test_two_install_events_at_once_still_greet_once(post: Post, connector: LoopbackConnector) -> None:
    install = json.loads(shared_path("fixtures", "teams", "installation_update_add.json").read_text())
    added = {
        **copy.deepcopy(install),
        "type": "conversationUpdate",
        "membersAdded": [{"id": install["recipient"]["id"]}],
    }
    del added["action"]
    responses = await asyncio.gather(post(install), post(added))
    assert [r.status for r in responses] == [200, 200]
    assert len(connector.cards()) == 1


async def test_channel_messages_not_addressed_to_seula_get_no_answer(
    post: Post, connector: LoopbackConnector
) -> None:
    # With RSC, Teams delivers every channel message; a colleague's question to colleagues is not for Seula.
    activity = json.loads(
        shared_path("fixtures", "teams", "message_channel_mention_bot_captured.json").read_text()
    )
    activity["text"] = "who knows terraform? asking for a friend"
    activity["entities"] = [e for e in activity["entities"] if e["type"] != "mention"]
    response = await post(activity)
    assert response.status == 200
    assert connector.sent == []


async def test_channel_messages_seula_receives_are_kept_once(
    post: Post, connector: LoopbackConnector, services: Services
) -> None:
    activity = json.loads(
        shared_path("fixtures", "teams", "message_channel_mention_bot_captured.json").read_text()
    )
    channel_id = activity["channelData"]["channel"]["id"]
    await services.store.ensure_channels({channel_id: "team-group-id"})
    activity["text"] = "Helm rollback fixed our kubernetes release"
    activity["entities"] = [e for e in activity["entities"] if e["type"] != "mention"]
    assert (await post(activity)).status == 200
    assert (await post(activity)).status == 200
    kept = [m async for m in services.store.iter_messages() if m.channel_id == channel_id]
    assert len(kept) == 1
    [message] = kept
    assert message.author_id == activity["from"]["aadObjectId"]
    assert message.reply_to_id == "1759881511856", "a reply in a thread keeps its root"
    assert message.team_id == "team-group-id"
    assert (message.web_url or "").startswith("https://teams.microsoft.com/l/message/")
    assert connector.sent == []


async def test_forget_me_asks_first_then_erases_only_the_person_who_confirms(
    client: TestClient,  # type: ignore[type-arg]
    post: Post,
    connector: LoopbackConnector,
    services: Services,
) -> None:
    await post(personal_message("forget me", user=ANNA))
    [confirm] = connector.cards()
    [button] = confirm["actions"]
    assert button["verb"] == "seula.forget"
    assert ANNA[0] in await services.store.people(), "nothing is erased before the person confirms"

    invoke = json.loads(
        shared_path("fixtures", "teams", "invoke_adaptivecard_action_captured.json").read_text()
    )
    invoke["serviceUrl"] = connector.url
    invoke["from"]["aadObjectId"] = ANNA[0]
    # A forged card naming someone else changes nothing: only the sender is forgotten.
    invoke["value"]["action"] = {**button, "data": {**button["data"], "person": BEN[0]}}
    response = await client.post("/api/messages", json=invoke)
    assert response.status == 200
    assert "erased" in card_text((await response.json())["value"])
    people = await services.store.people()
    assert ANNA[0] not in people
    assert BEN[0] in people
    await post(personal_message("who knows kubernetes", user=CAROL))
    assert ANNA[1] not in card_text(connector.cards()[-1])


async def test_what_do_you_know_about_me_shows_topics_evidence_and_suggestions(
    post: Post, connector: LoopbackConnector
) -> None:
    await post(personal_message("who knows kubernetes", user=CAROL))
    await post(personal_message("what do you know about me", user=ANNA))
    profile = card_text(connector.cards()[-1])
    assert "What I know about you" in profile
    assert "kubectl" in profile or "kubernetes" in profile, "a topic from her own answers"
    assert "https://teams.microsoft.com/l/message/" in profile, "each topic links to her message"
    assert "kubernetes (1×)" in profile, "she sees where she was suggested"
    assert CAROL[0] not in profile, "but not who asked"
    assert CAROL[1] not in profile


async def test_miksi_minut_listataan_answers_in_finnish(post: Post, connector: LoopbackConnector) -> None:
    await post(personal_message("mitä tiedät minusta", user=BEN, locale="fi-FI"))
    assert "Mitä tiedän sinusta" in card_text(connector.cards()[-1])


async def test_the_timezone_teams_reports_is_kept_for_send_times(post: Post, services: Services) -> None:
    await post(personal_message("help"))  # clientInfo says Europe/Helsinki
    assert await services.store.timezones() == {CAROL[0]: "Europe/Helsinki"}
    await post(personal_message("help", localTimezone="America/New_York"))
    assert await services.store.timezones() == {CAROL[0]: "America/New_York"}
    await post(personal_message("help", localTimezone="Not/A_Zone", entities=[]))
    assert await services.store.timezones() == {CAROL[0]: "America/New_York"}  # nothing valid: kept


class _FailingAssistant(Assistant):
    """Seula's assistant, failing every message as a bug or a lost database connection would."""

    async def on_message(self, incoming: Incoming) -> Reply:
        raise RuntimeError("the answer failed")


async def test_a_message_whose_answer_fails_still_keeps_its_conversation_and_time_zone(
    services: Services, connector: LoopbackConnector, aiohttp_client: Any
) -> None:
    # The conversation reference and the time zone are written while the answer is worked out (so they
    # cost the reply no time): they must land whatever happens to the answer.
    failing = _FailingAssistant(
        services.store, services.finder, services.summaries, 5, "en", clock=utc_now, nudger=services.nudger
    )
    client = await aiohttp_client(create_app(replace(services, assistant=failing)))
    message = {**personal_message("who knows kubernetes"), "serviceUrl": connector.url}
    assert (await client.post("/api/messages", json=message)).status == 200
    assert connector.cards() == []
    assert "went wrong" in connector.texts()[0]
    assert await services.store.get_conversation(f"a:personal-{CAROL[0]}") is not None
    assert await services.store.timezones() == {CAROL[0]: "Europe/Helsinki"}


async def test_a_reply_the_connector_refuses_still_keeps_the_conversation_and_time_zone(
    client: TestClient,  # type: ignore[type-arg]
    services: Services,
) -> None:
    refused = {**personal_message("who knows kubernetes"), "serviceUrl": "http://127.0.0.1:9/"}
    await client.post("/api/messages", json=refused)
    assert await services.store.get_conversation(f"a:personal-{CAROL[0]}") is not None
    assert await services.store.timezones() == {CAROL[0]: "Europe/Helsinki"}


async def test_team_membership_events_update_who_may_see_the_team(
    post: Post, connector: LoopbackConnector, services: Services
) -> None:
    added = json.loads(
        shared_path("fixtures", "teams", "conversation_update_bot_added_to_team.json").read_text()
    )
    group_id = added["channelData"]["team"]["aadGroupId"]
    # Teams' teamMemberAdded for a person (not the bot) carries their aadObjectId.
    added["membersAdded"] = [{"id": f"29:{DAVE[0]}", "aadObjectId": DAVE[0]}]
    assert (await post(added)).status == 200
    assert connector.cards() == [], "a colleague joining is not an install: no welcome"
    assert (await services.store.team_access(DAVE[0])).member_of == {group_id}

    removed = json.loads(
        shared_path("fixtures", "teams", "conversation_update_members_removed.json").read_text()
    )
    assert (await post(removed)).status == 200, "no aadGroupId, no aadObjectId: nothing to key by"
    assert (await services.store.team_access(DAVE[0])).member_of == {group_id}

    removed["channelData"]["team"]["aadGroupId"] = group_id
    removed["membersRemoved"] = [{"id": f"29:{DAVE[0]}", "aadObjectId": DAVE[0]}]
    assert (await post(removed)).status == 200
    assert (await services.store.team_access(DAVE[0])).member_of == frozenset()
