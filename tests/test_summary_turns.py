"""Team summaries through the real Teams endpoint: the card for a manager, a refusal for anyone else, and
the subscribe button as a Universal Action."""

from __future__ import annotations

import io
import json

from aiohttp.test_utils import TestClient

from bot.bootstrap import Services
from bot.graph_import import import_json_lines
from tests.conftest import LoopbackConnector
from tests.graph_objects import ANNA, BEN, CAROL, DAVE, user
from tests.test_teams_turns import (
    Post,
    card_text,
    client,  # noqa: F401 - a fixture
    personal_message,
    post,  # noqa: F401 - a fixture
    services,  # noqa: F401 - a fixture
)


async def make_anna_a_manager(services: Services) -> None:  # noqa: F811 - the fixture's value
    lines = [user(p[0], p[1], manager={"id": ANNA[0]}) for p in (BEN, DAVE)]
    await import_json_lines(services.store, io.StringIO("".join(json.dumps(line) + "\n" for line in lines)))


async def test_a_manager_gets_the_summary_card_and_subscribes_with_its_button(
    client: TestClient,  # type: ignore[type-arg]  # noqa: F811
    post: Post,  # noqa: F811
    connector: LoopbackConnector,
    services: Services,  # noqa: F811
) -> None:
    await make_anna_a_manager(services)
    await post(personal_message("team summary", user=ANNA))
    [summary] = connector.cards()
    assert "Your team this month" in card_text(summary)
    assert "Your team is small" in card_text(summary), "two reports: only what singles no one out"
    [button] = summary["actions"]
    # An adaptiveCard/action invoke as Teams sends it for an Action.Execute button.
    invoke = personal_message("", user=ANNA)
    invoke |= {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "serviceUrl": connector.url,
        "value": {
            "action": {"type": "Action.Execute", "verb": button["verb"], "data": button["data"]},
            "trigger": "manual",
        },
    }
    response = await client.post("/api/messages", json=invoke)
    assert response.status == 200
    assert "every month" in card_text((await response.json())["value"])
    assert await services.store.summary_subscriptions() == {ANNA[0]: "en"}
    assert [detail["granted"] for _, _, detail in await services.store.audit_entries("team_summary")] == [
        True
    ]


async def test_someone_who_manages_no_one_gets_a_polite_refusal_in_their_language(
    post: Post,  # noqa: F811
    connector: LoopbackConnector,
    services: Services,  # noqa: F811
) -> None:
    await post(personal_message("tiimin yhteenveto", user=CAROL, locale="fi-FI"))
    [text] = connector.texts()
    assert "esihenkilöille" in text
    assert connector.cards() == []
    [(_, _, detail)] = await services.store.audit_entries("team_summary")
    assert detail == {"requester": CAROL[0], "granted": False, "reason": "manages_no_one"}
