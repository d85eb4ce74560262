"""A loopback Bot Framework connector that enforces Teams' rate limits and can be told to misbehave.

It serves the two calls proactive messages make (PLATFORM.md D.2): `POST /v3/conversations` (open a 1:1
chat, shapes per fixtures create_conversation_request/response.json) and
`POST /v3/conversations/{id}/activities`. It records every activity it accepts, per conversation, and answers
429 with a fractional `Retry-After` when the bot goes over the per-tenant rate (30/s by default) or a
conversation's (7 in 1 s, 8 in 2 s; D.3). Faults can be queued per conversation or member (429, 412, 502, 504,
403 with the fixture body, "timeout": no answer for a while and nothing recorded) or drawn at random.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Fault = int | str  # an HTTP status, or "timeout"

_BLOCKED_BODY = {
    "errorCode": 209,
    "message": '{\r\n  "subCode": "MessageWritesBlocked",\r\n  "details": "Thread is blocked from message '
    'writes.",\r\n  "errorCode": null,\r\n  "errorSubCode": null\r\n}',
}  # the same as ../shared/fixtures/teams/error_403_message_writes_blocked.json


@dataclass
class _Window:
    seconds: float
    limit: int
    stamps: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        while self.stamps and now - self.stamps[0] >= self.seconds:
            self.stamps.popleft()
        return 0.0 if len(self.stamps) < self.limit else self.seconds - (now - self.stamps[0])


@dataclass
class FakeConnector:
    """The connector's state: what it received, what it refused, and what it is told to do next."""

    tenant_rps: int = 30
    conversation_limits: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8))
    timeout_stall_seconds: float = 1.0
    random_429_rate: float = 0.0
    random_retry_after: str = "0.1"
    seed: int = 1
    clock: Callable[[], float] = time.monotonic
    url: str = ""
    activities: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    created: dict[str, str] = field(default_factory=dict)  # member id → the conversation opened for them
    create_requests: list[dict[str, Any]] = field(default_factory=list)
    faults: dict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    blocked: set[str] = field(default_factory=set)  # conversation ids that answer 403 MessageWritesBlocked
    authorizations: list[str | None] = field(default_factory=list)
    requests: int = 0
    accepted: int = 0  # activities recorded, in all
    throttled: int = 0  # 429s for going over a limit
    injected: int = 0  # faults served
    _tenant: _Window = field(init=False)
    _conversations: dict[str, list[_Window]] = field(default_factory=dict)
    _rng: random.Random = field(init=False)
    _runner: web.AppRunner | None = None

    def __post_init__(self) -> None:
        self._tenant = _Window(1.0, self.tenant_rps)
        self._rng = random.Random(self.seed)

    def inject(self, key: str, *faults: Fault) -> None:
        """Answer the next requests for conversation (or member) `key` with these faults, in order."""
        self.faults[key].extend(faults)

    def delivered(self) -> dict[str, int]:
        """How many activities each conversation received."""
        return {conversation: len(sent) for conversation, sent in self.activities.items() if sent}

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sockets = self._runner.addresses
        self.url = f"http://127.0.0.1:{sockets[0][1]}/"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        members = body.get("members") or [{}]
        member = str(members[0].get("id", ""))
        tenant = (body.get("channelData") or {}).get("tenant", {}).get("id") or body.get("tenantId")
        if not member or not tenant or not (body.get("bot") or {}).get("id"):
            return web.json_response({"error": {"code": "BadArgument", "message": "bad request"}}, status=400)
        refused = await self._admit(request, member, member)
        if refused is not None:
            return refused
        self.create_requests.append(body)
        conversation = self.created.setdefault(member, f"a:created-{len(self.created) + 1}")
        return web.json_response({"id": conversation})

    async def _send(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        activity = await request.json()
        refused = await self._admit(request, conversation, conversation)
        if refused is not None:
            return refused
        if conversation in self.blocked:
            return web.json_response(_BLOCKED_BODY, status=403)
        self.activities[conversation].append(activity)
        self.accepted += 1
        return web.json_response({"id": f"{conversation}-{len(self.activities[conversation])}"}, status=201)

    async def _admit(self, request: web.Request, fault_key: str, conversation: str) -> web.Response | None:
        """Count the request against the limits; a refusal (429, a fault) if it must not go through."""
        self.requests += 1
        self.authorizations.append(request.headers.get("Authorization"))
        if self.faults.get(fault_key):
            return await self._fault(self.faults[fault_key].popleft())
        if self.random_429_rate and self._rng.random() < self.random_429_rate:
            self.injected += 1
            return _throttled(self.random_retry_after)
        now = self.clock()
        windows = self._conversations.setdefault(
            conversation, [_Window(seconds, limit) for seconds, limit in self.conversation_limits]
        )
        wait = max(self._tenant.wait(now), *(w.wait(now) for w in windows))
        if wait > 0:
            self.throttled += 1
            return _throttled(f"{wait:.3f}")
        self._tenant.stamps.append(now)
        for window in windows:
            window.stamps.append(now)
        return None

    async def _fault(self, fault: Fault) -> web.Response:
        self.injected += 1
        if fault == "timeout":
            await asyncio.sleep(self.timeout_stall_seconds)
            return web.json_response({"error": {"code": "GatewayTimeout"}}, status=504)
        if fault == 403:
            return web.json_response(_BLOCKED_BODY, status=403)
        if fault == 429:
            return _throttled("0.05")
        assert isinstance(fault, int)
        return web.json_response({"error": {"code": f"Status{fault}", "message": "injected"}}, status=fault)


def _throttled(retry_after: str) -> web.Response:
    return web.json_response(
        {"error": {"code": "TooManyRequests", "message": "throttled"}},
        status=429,
        headers={"Retry-After": retry_after},
    )


def blocked_fixture_body() -> dict[str, Any]:
    """The 403 body this connector sends for a blocked or uninstalled bot."""
    return dict(_BLOCKED_BODY)
