"""The Graph connection: msgraph-sdk's adapter with Seula's credentials, rate limiter and retries."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from azure.core.credentials import AccessToken
from azure.identity.aio import CertificateCredential, ClientSecretCredential, ManagedIdentityCredential
from kiota_abstractions.api_error import APIError
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.middleware import BaseMiddleware, ParametersNameDecodingHandler, UserAgentHandler
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory
from msgraph_core.middleware import GraphTelemetryHandler

from bot.graph.aiohttp_transport import AiohttpTransport
from bot.graph.throttle import RETRYABLE_STATUSES, RateLimiter, RetryPolicy, Sleep
from bot.settings import Settings

logger = logging.getLogger(__name__)

_ERRORS: dict[str, Any] = {"XXX": ODataError}

T = TypeVar("T")
Decode = Callable[[bytes], Awaitable[T]]


class GraphError(RuntimeError):
    """A Graph request failed for good; the message says which request and why."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GraphResourceGone(GraphError):
    """The team or channel is gone (404) or Seula may no longer read it (403)."""


@dataclass
class GraphCounters:
    """What the connection did: for progress output and the sync summary."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0


class _StaticToken:
    """An azure-core async credential handing out one fixed token (loopback Graph-compatible servers only)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> _StaticToken:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None


class GraphConnection:
    """Graph requests through msgraph-sdk, answered in JSON, within the rate limits, retrying transients."""

    def __init__(
        self,
        service: GraphServiceClient,
        limiter: RateLimiter,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        seed: int = 0,
    ) -> None:
        self.service = service
        self._limiter = limiter
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = random.Random(seed)
        self.counters = GraphCounters()
        self.closing: list[Callable[[], Awaitable[None]]] = []

    async def get_json(self, url: str, scope: str | None) -> dict[str, Any]:
        """The JSON object at `url` (absolute, as built by the SDK or returned as a next/delta link)."""
        return await self.get(url, scope, _json_object)

    async def get(self, url: str, scope: str | None, decode: Decode[T]) -> T:
        """The body at `url` as `decode` reads it; a body it cannot read is retried like a network fault.

        `decode` raises `json.JSONDecodeError` or `UnicodeDecodeError` for an unreadable (e.g. truncated)
        body. Graph sync decodes message pages in its parser processes, off the event loop.
        """
        return await self._send(lambda: _get(url), _describe(url), scope, decode)

    async def post_json(self, build: Callable[[], RequestInformation], scope: str | None) -> dict[str, Any]:
        """The JSON object a POST answers; `build` makes the request (an SDK builder's) for each attempt."""
        return await self._send(build, _describe(str(build().url), "POST"), scope, _json_object)

    async def _send(
        self, build: Callable[[], RequestInformation], described: str, scope: str | None, decode: Decode[T]
    ) -> T:
        # kiota types send_primitive_async as returning nothing; for "bytes" it returns the body.
        send: Any = self.service.request_adapter.send_primitive_async
        last_problem = ""
        for attempt in range(1, self._retry.max_attempts + 1):
            await self._limiter.acquire(scope)
            self.counters.requests += 1
            retry_after: str | None = None
            try:
                body = await send(build(), "bytes", _ERRORS)
                if not isinstance(body, bytes):
                    raise json.JSONDecodeError("empty response", "", 0)
                return await decode(body)
            except APIError as error:
                status = error.response_status_code or 0
                if status in (403, 404):
                    raise GraphResourceGone(f"{described}: {status} {_message(error)}", status) from None
                if status not in RETRYABLE_STATUSES:
                    raise GraphError(f"{described}: {status} {_message(error)}", status) from None
                headers = error.response_headers or {}
                retry_after = headers.get("Retry-After") or headers.get("retry-after")
                last_problem = f"{status} {_message(error)}"
                if status == 429:
                    self.counters.throttled += 1
            except (httpx.TimeoutException, httpx.TransportError) as error:
                last_problem = f"{type(error).__name__} (network)"
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                last_problem = f"unreadable response ({error})"
            if attempt == self._retry.max_attempts:
                break
            delay = self._retry.delay(attempt, retry_after, self._rng)
            if retry_after is not None:
                self._limiter.pause(scope or "", delay)
            self.counters.retries += 1
            logger.info("Retrying %s in %.2f s after %s", described, delay, last_problem)
            await self._sleep(delay)
        raise GraphError(f"{described}: gave up after {self._retry.max_attempts} attempts ({last_problem})")

    async def close(self) -> None:
        """Close the HTTP client, its transport (msgraph's wrapper does not) and the credential."""
        for close in self.closing:
            await close()
        self.closing.clear()


def connect(
    settings: Settings,
    limiter: RateLimiter,
    retry: RetryPolicy | None = None,
    timeout_seconds: float = 60.0,
) -> GraphConnection:
    """A connection to the Graph that the settings name, with the credentials they give."""
    credential = _credential(settings)
    host = urlsplit(settings.graph_base_url).hostname or "graph.microsoft.com"
    scopes = (
        [f"https://{host}/.default"] if not settings.graph_token else ["https://graph.microsoft.com/.default"]
    )
    allowed = [host]  # the token goes to this host only, never to a host a next link might name
    auth = AzureIdentityAuthenticationProvider(credential, scopes=scopes, allowed_hosts=allowed)
    transport = AiohttpTransport()
    timeout = httpx.Timeout(timeout_seconds, connect=min(10.0, timeout_seconds))
    http_client = GraphClientFactory.create_with_custom_middleware(
        _middleware(), client=httpx.AsyncClient(transport=transport, timeout=timeout)
    )
    adapter = GraphRequestAdapter(auth, client=http_client)
    adapter.base_url = settings.graph_base_url
    connection = GraphConnection(GraphServiceClient(request_adapter=adapter), limiter, retry)
    connection.closing.extend([http_client.aclose, transport.aclose, _closer(credential)])
    return connection


def _middleware() -> list[BaseMiddleware]:
    """The handlers of msgraph's default chain that Seula uses, in their order.

    Left out: retry (Seula retries itself, and msgraph's cannot read fractional Retry-After values),
    redirect (Graph's JSON endpoints answer without one; a 3xx fails like any other error), URL replace,
    headers and body inspection (no-ops without options that Seula never sets). Each handler costs the
    event loop per request, for every page of messages.
    """
    return [ParametersNameDecodingHandler(), UserAgentHandler(), GraphTelemetryHandler()]


def _closer(credential: Any) -> Callable[[], Awaitable[None]]:
    async def close() -> None:
        await credential.close()

    return close


def _credential(settings: Settings) -> Any:
    if settings.graph_token:
        return _StaticToken(settings.graph_token)
    if not (settings.azure_tenant_id and settings.azure_client_id):
        raise GraphError("Graph is not configured: set AZURE_TENANT_ID and AZURE_CLIENT_ID (and a secret)")
    if settings.azure_client_secret:
        return ClientSecretCredential(
            settings.azure_tenant_id, settings.azure_client_id, settings.azure_client_secret
        )
    if settings.azure_client_certificate_path:
        return CertificateCredential(
            settings.azure_tenant_id,
            settings.azure_client_id,
            certificate_path=str(settings.azure_client_certificate_path),
        )
    return ManagedIdentityCredential(client_id=settings.azure_client_id)


async def _json_object(body: bytes) -> dict[str, Any]:
    parsed = json.loads(body)
    if not isinstance(parsed, dict):
        raise json.JSONDecodeError("not a JSON object", "", 0)
    return parsed


def _get(url: str) -> RequestInformation:
    request = RequestInformation(Method.GET)
    request.url = url
    request.headers.try_add("Accept", "application/json")
    # Without it Graph reports system event messages as `unknownFutureValue` (PLATFORM.md A.1).
    request.headers.try_add("Prefer", "include-unknown-enum-members")
    return request


def _describe(url: str, method: str = "GET") -> str:
    """The request without its query: tokens in next/delta links are not for logs."""
    parts = urlsplit(url)
    return f"{method} {parts.path}"


def _message(error: APIError) -> str:
    inner = getattr(error, "error", None)
    return str(getattr(inner, "message", None) or error.message or type(error).__name__)
