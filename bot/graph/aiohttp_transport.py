"""An httpx transport over aiohttp: msgraph-sdk keeps its httpx client and middleware, aiohttp the wire.

httpx's own transport (httpcore, h11, anyio) cost about 1.6 ms of event-loop time to read one 280 KB page
of messages from a loopback server, aiohttp about 0.4 ms, and Graph sync reads hundreds of such pages.
Bodies are read whole and left encoded (`auto_decompress=False`): httpx decodes them as its own transport's
would, and kiota sees an ordinary `httpx.Response`. aiohttp's errors become httpx's, which
`GraphConnection` retries.

The proxy settings (HTTPS_PROXY, NO_PROXY, as httpx honours them) are read once per host, not by aiohttp's
`trust_env`: that reads them, and `~/.netrc`, on a thread of the default executor for every request, two
thread hops a page (and a netrc entry for the Graph host would clash with the bearer token).
"""

from __future__ import annotations

import aiohttp
import httpx
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

Proxy = tuple[URL | None, dict[str, str] | None]  # the proxy, and its Proxy-Authorization header if any


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests with one aiohttp session, opened on the first request (inside the event loop)."""

    def __init__(self, connections: int = 100) -> None:
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], Proxy] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        timeouts = request.extensions.get("timeout") or {}
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeouts.get("connect"),
            sock_read=timeouts.get("read"),
        )
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw]
        body = await request.aread()
        proxy, proxy_headers = self._proxy(request.url)
        try:
            async with self._session.request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=timeout,
                proxy=proxy,
                proxy_headers=proxy_headers,
            ) as response:
                content = await response.read()
                return httpx.Response(
                    response.status,
                    headers=[
                        (name.decode("latin-1"), value.decode("latin-1"))
                        for name, value in response.raw_headers
                    ],
                    content=content,
                    request=request,
                )
        except aiohttp.ClientConnectorError as error:
            raise httpx.ConnectError(str(error), request=request) from error
        except TimeoutError as error:
            raise httpx.ReadTimeout(str(error) or "timed out", request=request) from error
        except aiohttp.ClientError as error:
            raise httpx.ReadError(str(error) or type(error).__name__, request=request) from error

    def _proxy(self, url: httpx.URL) -> Proxy:
        """The proxy the environment names for `url`'s scheme and host (None for none or NO_PROXY)."""
        key = (url.scheme, url.host)
        if key not in self._proxies:
            try:
                proxy, auth = get_env_proxy_for_url(URL(str(url)))
                self._proxies[key] = (proxy, {"Proxy-Authorization": auth.encode()} if auth else None)
            except LookupError:
                self._proxies[key] = (None, None)
        return self._proxies[key]

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()
