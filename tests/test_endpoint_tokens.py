"""Bot Framework tokens, checked for real: a loopback OpenID endpoint publishes the signing key, and forged,
expired, wrong-audience, wrong-service-URL and unknown-key tokens are all refused with 401.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient
from botframework.connector.auth import ChannelValidation
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.bootstrap import open_services
from bot.web import create_app
from tests.conftest import make_settings
from tests.test_teams_turns import personal_message

APP_ID = "0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"
KEY_ID = "seula-test-key"
SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def openid_metadata_url() -> Iterator[str]:
    """OpenID metadata and its key set, served from a thread (botbuilder fetches them with blocking calls)."""
    jwk = json.loads(RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
    jwk.update({"kid": KEY_ID, "use": "sig", "endorsements": ["msteams"]})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            body = (
                {"jwks_uri": f"{base}/keys", "issuer": "https://api.botframework.com"}
                if self.path.startswith("/.well-known")
                else {"keys": [jwk]}
            )
            payload = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/openidconfiguration"
    server.shutdown()
    server.server_close()


def token(key: Any = SIGNING_KEY, kid: str = KEY_ID, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": "https://api.botframework.com",
        "aud": APP_ID,
        "serviceurl": SERVICE_URL,
        "nbf": now - 60,
        "exp": now + 3600,
        **claims,
    }
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
async def secured(
    aiohttp_client: Any, tmp_path: Path, openid_metadata_url: str, monkeypatch: pytest.MonkeyPatch
) -> TestClient:  # type: ignore[type-arg]
    # botbuilder's own hook for where channel signing keys are published; the production path is unchanged.
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", openid_metadata_url)
    settings = make_settings(
        DATABASE_URL=f"sqlite:///{tmp_path / 'seula.db'}",
        MicrosoftAppId=APP_ID,
        MicrosoftAppPassword="not-a-real-secret",
        MicrosoftAppTenantId=TENANT,
    )
    resources = AsyncExitStack()
    app = create_app(await resources.enter_async_context(open_services(settings)))

    async def close(_: Any) -> None:
        await resources.aclose()

    app.on_cleanup.append(close)
    client: TestClient = await aiohttp_client(app)  # type: ignore[type-arg]
    return client


def activity() -> dict[str, Any]:
    return {**personal_message("help"), "serviceUrl": SERVICE_URL, "type": "conversationUpdate"}


async def test_a_token_signed_by_the_published_key_is_accepted(secured: TestClient) -> None:  # type: ignore[type-arg]
    # A conversationUpdate needs no reply, so no outbound token (which would need Entra) is fetched.
    response = await secured.post(
        "/api/messages", json=activity(), headers={"Authorization": f"Bearer {token()}"}
    )
    assert response.status == 200


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda: token(key=OTHER_KEY), id="forged-signature"),
        pytest.param(lambda: token(exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200), id="expired"),
        pytest.param(lambda: token(aud="11111111-2222-3333-4444-555555555555"), id="wrong-audience"),
        pytest.param(lambda: token(serviceurl="https://evil.example/"), id="wrong-service-url"),
        pytest.param(lambda: token(iss="https://sts.windows.net/evil/"), id="wrong-issuer"),
        pytest.param(lambda: token(kid="unknown-key"), id="unknown-key"),
        pytest.param(lambda: jwt.encode({"aud": APP_ID}, "s" * 32, algorithm="HS256"), id="symmetric"),
    ],
)
async def test_a_bad_token_is_refused(secured: TestClient, bad: Any) -> None:  # type: ignore[type-arg]
    response = await secured.post(
        "/api/messages", json=activity(), headers={"Authorization": f"Bearer {bad()}"}
    )
    assert response.status == 401
