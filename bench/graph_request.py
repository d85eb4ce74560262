"""What one page GET costs the event loop through msgraph-sdk (`GraphConnection.get`) and with aiohttp alone.

A 227 KB page of messages from an aiohttp server in the same process (its CPU counts on both sides), 4
requests at a time like the sync's channels, the two ways interleaved. Run by hand from the repository root:
`python -m bench.graph_request`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

from bot.graph.client import connect
from bot.graph.throttle import RateLimiter
from bot.settings import load_settings

PAGE = json.dumps(
    {
        "value": [{"id": str(i), "body": {"contentType": "html", "content": "x" * 4400}} for i in range(50)],
        "@odata.nextLink": "http://127.0.0.1/next",
    }
).encode()


async def measure(requests: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Medians over `rounds` of µs a request: (event-loop thread CPU, whole process CPU), per way."""
    app = web.Application()

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=PAGE, content_type="application/json")

    app.router.add_get("/v1.0/teams/{team}/channels/{channel}/messages", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}/v1.0"
    settings = load_settings(environ={"GRAPH_TOKEN": "t", "GRAPH_BASE_URL": base, "SEULA_DEMO_TENANT": "off"})
    connection = connect(settings, RateLimiter(global_rps=1_000_000, scope_rps=1_000_000))
    url = f"{base}/teams/t/channels/c/messages?%24expand=replies&%24top=50"
    session = aiohttp.ClientSession()

    async def raw(body: bytes) -> bytes:
        return body

    async def with_aiohttp() -> bytes:
        async with session.get(url, headers={"Authorization": "Bearer t"}) as response:
            return await response.read()

    async def with_msgraph() -> bytes:
        return await connection.get(url, "c", raw)

    ways: dict[str, Callable[[], Awaitable[bytes]]] = {"aiohttp": with_aiohttp, "msgraph": with_msgraph}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    try:
        for _ in range(rounds):
            for name, get in ways.items():
                await asyncio.gather(*(get() for _ in range(8)))  # warm connections
                thread, process = time.thread_time(), time.process_time()
                for _ in range(requests // 4):
                    await asyncio.gather(*(get() for _ in range(4)))
                samples[name].append(
                    (
                        1e6 * (time.thread_time() - thread) / requests,
                        1e6 * (time.process_time() - process) / requests,
                    )
                )
    finally:
        await session.close()
        await connection.close()
        await runner.cleanup()
    return {
        name: (statistics.median(s[0] for s in runs), statistics.median(s[1] for s in runs))
        for name, runs in samples.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args(argv)
    for name, (loop, process) in asyncio.run(measure(arguments.requests, arguments.rounds)).items():
        print(f"{name:8s} event loop {loop:6.0f} µs a request, whole process {process:6.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
