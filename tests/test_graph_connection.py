"""The Graph connection's HTTP edge: msgraph-sdk over aiohttp, through the proxy the environment names."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.graph.client import connect
from bot.graph.throttle import RateLimiter
from tests.conftest import make_settings

GRAPH = "http://127.0.0.1:9/v1.0"  # nothing listens there: only the proxy can answer for it


@pytest.fixture
async def proxy(monkeypatch: pytest.MonkeyPatch) -> list[web.Request]:
    """A loopback HTTP proxy that answers every request itself and records what it was asked."""
    seen: list[web.Request] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request)
        return web.json_response({"value": [{"id": "t1"}], "servedBy": "proxy"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")
    yield seen
    await server.close()


async def test_graph_requests_go_through_the_proxy_the_environment_names(proxy: list[web.Request]) -> None:
    connection = connect(
        make_settings(GRAPH_TOKEN="token", GRAPH_BASE_URL=GRAPH), RateLimiter(global_rps=100, scope_rps=100)
    )
    try:
        first = await connection.get_json(f"{GRAPH}/teams", None)
        second = await connection.get_json(f"{GRAPH}/teams?$top=5", None)
    finally:
        await connection.close()
    assert first["servedBy"] == second["servedBy"] == "proxy"
    assert [str(request.url) for request in proxy] == [f"{GRAPH}/teams", f"{GRAPH}/teams?$top=5"]
    assert all(request.headers["Authorization"] == "Bearer token" for request in proxy)


async def test_a_netrc_entry_for_the_graph_host_does_not_break_requests(
    proxy: list[web.Request], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Regression: with aiohttp's trust_env, a ~/.netrc entry for the host became basic auth beside the
    # bearer token, and aiohttp refused every request ("Cannot combine AUTHORIZATION header ...").
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    connection = connect(
        make_settings(GRAPH_TOKEN="token", GRAPH_BASE_URL=GRAPH), RateLimiter(global_rps=100, scope_rps=100)
    )
    try:
        teams = await connection.get_json(f"{GRAPH}/teams", None)
    finally:
        await connection.close()
    assert teams["value"] == [{"id": "t1"}]
    assert proxy[0].headers["Authorization"] == "Bearer token"
