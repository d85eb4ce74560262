"""Nudge commands and the nudge card's buttons, as real Teams activities through the real endpoint."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from bot.bootstrap import Services, utc_now
from bot.nudge_records import NudgeSettings, PlannedPrompt
from cards.nudge_card import GOAL_VERB, SKIP_VERB, SNOOZE_VERB, STOP_VERB, WRITE_VERB
from tests.conftest import LoopbackConnector
from tests.graph_objects import ANNA, BEN
from tests.test_teams_turns import BOT, Post, client, personal_message, post, services  # noqa: F401

QUESTION = PlannedPrompt("19:c@thread.tacv2", "100", frozenset({"helm"}))


async def press(
    client: TestClient,  # type: ignore[type-arg]  # noqa: F811
    connector: LoopbackConnector,
    user: tuple[str, str],
    data: dict[str, Any],
) -> str:
    """Press a nudge card button as `user` (an `adaptiveCard/action` invoke as Teams sends it, see
    ../shared/fixtures/teams/invoke_adaptivecard_action_captured.json); return the answer's text."""
    invoke = {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "channelId": "msteams",
        "id": "f:nudge-button",
        "serviceUrl": connector.url,
        "timestamp": "2026-11-27T10:00:00.000Z",
        "locale": "en-US",
        "from": {"id": f"29:{user[0]}", "name": user[1], "aadObjectId": user[0]},
        "recipient": BOT,
        "conversation": {
            "id": f"a:personal-{user[0]}",
            "conversationType": "personal",
            "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        },
        "channelData": {
            "tenant": {"id": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
            "source": {"name": "message"},
        },
        "value": {
            "action": {"type": "Action.Execute", "verb": data["verb"], "data": data},
            "trigger": "manual",
        },
    }
    response = await client.post("/api/messages", json=invoke)
    assert response.status == 200
    return json.dumps((await response.json())["value"], ensure_ascii=False)


async def test_stop_and_start_nudges_change_only_the_senders_setting(
    post: Post,  # noqa: F811
    connector: LoopbackConnector,
    services: Services,  # noqa: F811
) -> None:
    await post(personal_message("stop nudges", user=ANNA))
    assert "nudges are off" in connector.sent[-1]["text"]
    assert (await services.store.nudge_settings_of(ANNA[0])).enabled is False
    assert (await services.store.nudge_settings_of(BEN[0])).enabled is None
    await post(personal_message("aloita muistutukset", user=ANNA, locale="fi-FI"))
    assert "muistutukset ovat päällä" in connector.sent[-1]["text"]
    assert (await services.store.nudge_settings_of(ANNA[0])).enabled is True


async def test_ill_write_it_and_not_this_one_act_only_on_the_pressers_own_prompts(
    client: TestClient,  # type: ignore[type-arg]  # noqa: F811
    connector: LoopbackConnector,
    services: Services,  # noqa: F811
) -> None:
    other = PlannedPrompt("19:c@thread.tacv2", "200", frozenset({"ingress"}))
    ids = await services.store.record_nudge(ANNA[0], "2026-W48", "sent", utc_now(), [QUESTION, other])
    assert ids is not None
    # Ben presses buttons carrying Anna's prompt ids (a forged card): nothing of hers changes.
    answer = await press(client, connector, BEN, {"verb": SKIP_VERB, "prompt": ids[0], "language": "en"})
    assert "no longer" in answer
    assert [p.status for p in await services.store.open_prompts()] == ["offered", "offered"]

    answer = await press(
        client, connector, ANNA, {"verb": WRITE_VERB, "prompt": ids[0], "remind_days": 3, "language": "en"}
    )
    assert "remind you in 3 days" in answer
    answer = await press(client, connector, ANNA, {"verb": SKIP_VERB, "prompt": ids[1], "language": "fi"})
    assert "en ehdota" in answer
    [accepted] = await services.store.open_prompts()
    assert (accepted.id, accepted.status) == (ids[0], "accepted")
    assert accepted.remind_at is not None
    assert accepted.remind_at > datetime.now(UTC) + timedelta(days=2)


async def test_snooze_goal_and_stop_buttons_use_the_cards_inputs(
    client: TestClient,  # type: ignore[type-arg]  # noqa: F811
    connector: LoopbackConnector,
    services: Services,  # noqa: F811
) -> None:
    day = (utc_now() + timedelta(days=10)).date()
    answer = await press(
        client, connector, ANNA, {"verb": SNOOZE_VERB, "snooze_until": day.isoformat(), "language": "en"}
    )
    assert "paused until" in answer
    settings = await services.store.nudge_settings_of(ANNA[0])
    assert settings.snoozed_until == datetime(day.year, day.month, day.day, tzinfo=UTC)
    past = await press(client, connector, ANNA, {"verb": SNOOZE_VERB, "snooze_until": "2020-01-01"})
    assert "coming year" in past
    answer = await press(client, connector, ANNA, {"verb": GOAL_VERB, "goal_days": "28", "language": "en"})
    assert "every 28 days" in answer
    odd = await press(client, connector, ANNA, {"verb": GOAL_VERB, "goal_days": "3", "language": "en"})
    assert "older card" in odd
    answer = await press(client, connector, ANNA, {"verb": STOP_VERB, "language": "en"})
    assert "nudges are off" in answer
    # Stopping ends the snooze too (starting again starts now); the goal is kept for then.
    assert await services.store.nudge_settings_of(ANNA[0]) == NudgeSettings(enabled=False, goal_days=28)


async def test_the_submit_fallback_of_a_nudge_button_works_too(
    post: Post,  # noqa: F811
    connector: LoopbackConnector,
    services: Services,  # noqa: F811
) -> None:
    await post(personal_message("", user=ANNA, value={"verb": STOP_VERB, "language": "en"}))
    assert "nudges are off" in connector.sent[-1]["text"]
    assert (await services.store.nudge_settings_of(ANNA[0])).enabled is False
