"""Proactive messages over the Bot Framework REST protocol: the Teams `Sender` that delivery sends through.

`POST {serviceUrl}/v3/conversations/{id}/activities` to a stored 1:1 conversation; for someone Seula has no
conversation with yet, `POST {serviceUrl}/v3/conversations` opens one first (PLATFORM.md D.2) and the new
reference is stored. botbuilder provides only the outgoing token; the HTTP is ours, so every status and its
`Retry-After` reach the retry policy (botbuilder's connector retries nothing and hides the headers).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
from botbuilder.integration.aiohttp import ConfigurationServiceClientCredentialFactory
from botframework.connector.auth import AuthenticationConstants

from bot.delivery import SendOutcome
from bot.model import ConversationRecord, OutboxItem
from bot.settings import Settings
from bot.store import Store
from bot.teams.endpoint import _BotFrameworkConfig
from cards.elements import CARD_CONTENT_TYPE

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({412, 429, 502, 504})  # Teams' guidance (PLATFORM.md D.3)
SEND_TIMEOUT_SECONDS = 30.0  # well inside the outbox lease (DeliveryOptions.lease_seconds)
_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


class TokenSource(Protocol):
    async def authorization(self) -> str | None:
        """The Authorization header value for the connector, or None to send without one."""


class NoToken:
    """No MicrosoftAppId (local runs, the Agents Playground, tests): requests carry no token."""

    async def authorization(self) -> str | None:
        return None


class BotFrameworkToken:
    """The bot's own token for the Bot Connector service, from botbuilder's credentials (MSAL caches it)."""

    def __init__(self, settings: Settings) -> None:
        self._factory = ConfigurationServiceClientCredentialFactory(_BotFrameworkConfig(settings))
        self._app_id = settings.bot_app_id or ""
        self._tenant = settings.bot_app_tenant_id or "botframework.com"
        self._credentials: Any = None

    async def authorization(self) -> str | None:
        if self._credentials is None:
            self._credentials = await self._factory.create_credentials(
                self._app_id,
                AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
                AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX + self._tenant,
                True,
            )
        # MSAL is synchronous (and fetches a token over HTTP when its cache is empty): off the event loop.
        token = await asyncio.to_thread(self._credentials.get_access_token)
        return f"Bearer {token}"


def token_source(settings: Settings) -> TokenSource:
    """botbuilder's credentials when MicrosoftAppId is set; no token otherwise."""
    return BotFrameworkToken(settings) if settings.bot_app_id else NoToken()


class TeamsSender:
    """Sends an outbox item's card to the recipient's 1:1 chat with Seula, opening the chat if needed."""

    def __init__(
        self,
        store: Store,
        session: aiohttp.ClientSession,
        settings: Settings,
        clock: Callable[[], datetime],
        tokens: TokenSource | None = None,
        timeout_seconds: float = SEND_TIMEOUT_SECONDS,
    ) -> None:
        self._store = store
        self._session = session
        self._tokens = tokens or token_source(settings)
        self._tenant_id = settings.bot_app_tenant_id
        self._bot_id = f"28:{settings.bot_app_id}" if settings.bot_app_id else None
        self._default_service_url = settings.teams_service_url
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def send(self, item: OutboxItem) -> SendOutcome:
        try:
            conversation = await self._store.personal_conversation(item.recipient_id)
            if conversation is None:
                opened = await self._open_conversation(item.recipient_id)
                if isinstance(opened, SendOutcome):
                    return opened
                conversation = opened
            url = _join(
                conversation.service_url, f"v3/conversations/{quote(conversation.id, safe='')}/activities"
            )
            status, headers, body = await self._post(url, _card_activity(item, conversation))
        except (TimeoutError, aiohttp.ClientError) as error:
            # Connection refused or reset, or no answer in time: Teams may or may not have it (see docs).
            return SendOutcome.retry(type(error).__name__)
        except PermissionError:  # botbuilder's "could not get a token"
            return SendOutcome.error("no Bot Framework token")
        return _outcome(status, headers, body)

    async def _open_conversation(self, person_id: str) -> ConversationRecord | SendOutcome:
        """Create the 1:1 chat with a person Seula knows only by Entra id, and store its reference."""
        template = await self._store.latest_conversation(self._tenant_id)
        tenant_id = self._tenant_id or (template.tenant_id if template else None)
        if tenant_id is None:
            return SendOutcome.error("no tenant known to open a chat in")
        service_url = template.service_url if template else self._default_service_url
        bot = (template.reference.get("bot") if template else None) or {}
        bot_id = self._bot_id or (bot.get("id") if isinstance(bot, dict) else None)
        if not bot_id:
            return SendOutcome.error("no bot id known to open a chat with")
        request = {
            "bot": {"id": bot_id},
            "members": [{"id": person_id}],
            "channelData": {"tenant": {"id": tenant_id}},
            "tenantId": tenant_id,
            "isGroup": False,
        }
        status, headers, body = await self._post(_join(service_url, "v3/conversations"), request)
        if not 200 <= status < 300:
            return _outcome(status, headers, body)
        conversation_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(conversation_id, str) or not conversation_id:
            return SendOutcome.error(f"HTTP {status} without a conversation id")
        service_url = str(body.get("serviceUrl") or service_url)
        record = ConversationRecord(
            id=conversation_id,
            conversation_type="personal",
            service_url=service_url,
            reference={
                "bot": {"id": bot_id},
                "user": {"id": person_id, "aadObjectId": person_id},
                "conversation": {
                    "id": conversation_id,
                    "conversationType": "personal",
                    "tenantId": tenant_id,
                },
                "channelId": "msteams",
                "serviceUrl": service_url,
            },
            updated_at=self._clock(),
            tenant_id=tenant_id,
            user_id=person_id,
        )
        await self._store.save_conversation(record)
        logger.info("Opened a 1:1 chat for an outbox item (conversation created)")
        return record

    async def _post(self, url: str, payload: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        headers = {"Content-Type": "application/json"}
        authorization = await self._tokens.authorization()
        if authorization:
            headers["Authorization"] = authorization
        async with self._session.post(url, json=payload, headers=headers, timeout=self._timeout) as response:
            text = await response.text()
            try:
                body = json.loads(text) if text else None
            except json.JSONDecodeError:
                body = None
            return response.status, dict(response.headers), body


def _card_activity(item: OutboxItem, conversation: ConversationRecord) -> dict[str, Any]:
    reference = conversation.reference
    activity: dict[str, Any] = {
        "type": "message",
        "summary": item.summary,  # the notification preview, and what clients without cards show
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": item.card}],
        "conversation": {"id": conversation.id},
    }
    for ours, theirs in (("from", "bot"), ("recipient", "user")):
        account = reference.get(theirs)
        if isinstance(account, dict) and account.get("id"):
            activity[ours] = {"id": account["id"]}
    return activity


def _outcome(status: int, headers: dict[str, str], body: Any) -> SendOutcome:
    """An HTTP answer as the delivery core's outcome; the detail names the status and error code only."""
    if 200 <= status < 300:
        return SendOutcome.delivered()
    code = _error_code(body)
    detail = f"HTTP {status}" + (f" {code}" if code else "")
    if status == 403:
        return SendOutcome.unreachable(detail)
    if status in RETRY_STATUSES:
        return SendOutcome.retry(detail, headers.get("Retry-After"), throttled=status == 429)
    return SendOutcome.error(detail)


def _error_code(body: Any) -> str | None:
    """The error's code (`MessageWritesBlocked`, `BadArgument`), never its free text."""
    if not isinstance(body, dict):
        return None
    candidates: list[Any] = []
    error = body.get("error")
    if isinstance(error, dict):
        candidates.append(error.get("code"))
    message = body.get("message")
    if isinstance(message, str) and message.lstrip().startswith("{"):
        try:  # Teams nests its own error as JSON text in `message` (fixture error_403_message_writes_blocked)
            inner = json.loads(message)
        except json.JSONDecodeError:
            inner = None
        if isinstance(inner, dict):
            candidates.append(inner.get("subCode"))
    candidates.append(body.get("errorCode"))
    for candidate in candidates:
        if candidate is not None and _CODE.match(str(candidate)):
            return str(candidate)
    return None


def _join(service_url: str, path: str) -> str:
    return service_url.rstrip("/") + "/" + path
