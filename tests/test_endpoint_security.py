"""The endpoint with Bot Framework credentials set: no token, no turn; foreign tenants refused."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.bootstrap import open_services
from bot.web import create_app
from tests.conftest import LoopbackConnector, make_settings
from tests.test_teams_turns import personal_message

APP_ID = "0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TENANT = "50612dbb-0237-4969-b378-8d42590f9c00"


async def client_for(aiohttp_client: Any, tmp_path: Any, **environ: str) -> TestClient:  # type: ignore[type-arg]
    settings = make_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'seula.db'}", **environ)
    resources = AsyncExitStack()
    app = create_app(await resources.enter_async_context(open_services(settings)))

    async def close(_: Any) -> None:
        await resources.aclose()

    app.on_cleanup.append(close)
    client: TestClient = await aiohttp_client(app)  # type: ignore[type-arg]
    return client


@pytest.fixture
async def secured(aiohttp_client: Any, tmp_path: Any) -> TestClient:  # type: ignore[type-arg]
    return await client_for(
        aiohttp_client,
        tmp_path,
        MicrosoftAppId=APP_ID,
        MicrosoftAppPassword="not-a-real-secret",
        MicrosoftAppTenantId=TENANT,
    )


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer not.a.jwt", "Basic dXNlcjpwYXNz"])
async def test_a_missing_or_malformed_token_is_refused(
    secured: TestClient,
    connector: LoopbackConnector,
    authorization: str | None,  # type: ignore[type-arg]
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    activity = {**personal_message("who knows kubernetes"), "serviceUrl": connector.url}
    response = await secured.post("/api/messages", json=activity, headers=headers)
    assert response.status == 401
    assert connector.sent == [], "nothing is answered without a valid token"


async def test_a_tenant_outside_the_allow_list_is_refused(
    aiohttp_client: Any, tmp_path: Any, connector: LoopbackConnector
) -> None:
    client = await client_for(aiohttp_client, tmp_path, ALLOWED_TENANT_IDS=OTHER_TENANT)
    activity = {**personal_message("who knows kubernetes"), "serviceUrl": connector.url}
    response = await client.post("/api/messages", json=activity)
    assert response.status == 403
    assert connector.sent == []


async def test_an_allowed_tenant_is_served(
    aiohttp_client: Any, tmp_path: Any, connector: LoopbackConnector
) -> None:
    client = await client_for(aiohttp_client, tmp_path, ALLOWED_TENANT_IDS=f"{OTHER_TENANT},{TENANT}")
    activity = {**personal_message("help"), "serviceUrl": connector.url}
    response = await client.post("/api/messages", json=activity)
    assert response.status == 200
    assert connector.cards()
