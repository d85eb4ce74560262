"""`POST /api/messages`: checks and authenticates a request, then runs its turn on the CloudAdapter."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from msrest.serialization import Model

from bot.assistant import Assistant
from bot.settings import Settings
from bot.store import Store
from bot.teams.activity_handler import SeulaActivityHandler
from cards.strings import say

logger = logging.getLogger(__name__)

MAX_ACTIVITY_BYTES = 256 * 1024  # Teams caps messages at about 100 KB; anything far larger is not an activity


class _BotFrameworkConfig:
    """Seula's settings under the attribute names botbuilder reads (APP_ID, APP_PASSWORD, ...)."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.bot_app_id or ""
        self.APP_PASSWORD = settings.bot_app_password or ""
        self.APP_TYPE = settings.bot_app_type if settings.bot_app_id else "MultiTenant"
        self.APP_TENANTID = settings.bot_app_tenant_id or ""


class TeamsEndpoint:
    """The Bot Framework messaging endpoint."""

    def __init__(self, settings: Settings, assistant: Assistant, store: Store) -> None:
        self._allowed_tenants = settings.allowed_tenant_ids
        self._auth = ConfigurationBotFrameworkAuthentication(_BotFrameworkConfig(settings))
        self._adapter = CloudAdapter(self._auth)
        self._adapter.on_turn_error = self._on_turn_error
        self._handler = SeulaActivityHandler(assistant, store)
        self._assistant = assistant

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one activity: 4xx for what isn't one, 401 for a bad token, 403 for a foreign tenant."""
        if request.content_type != "application/json":
            return _problem(415, "expected Content-Type: application/json")
        if request.content_length is not None and request.content_length > MAX_ACTIVITY_BYTES:
            return _problem(413, "activity too large")
        body = await request.content.read(MAX_ACTIVITY_BYTES + 1)
        if len(body) > MAX_ACTIVITY_BYTES:
            return _problem(413, "activity too large")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _problem(400, "the body is not valid JSON")
        activity = _parse_activity(payload)
        if activity is None:
            return _problem(
                400, "the body is not a Bot Framework activity (needs type, serviceUrl, conversation)"
            )
        tenant = _tenant_id(activity)
        if self._allowed_tenants and tenant not in self._allowed_tenants:
            logger.warning("Refused an activity from a tenant outside ALLOWED_TENANT_IDS")
            return _problem(403, "this tenant is not served by this Seula")
        try:
            authentication = await self._auth.authenticate_request(
                activity, request.headers.get("Authorization", "")
            )
        except PermissionError as error:  # botbuilder's "not authenticated" (a subclass of OSError)
            logger.warning("Refused an unauthenticated activity: %s", error)
            return _problem(401, "missing or invalid Bot Framework token")
        except OSError as error:
            # botbuilder fetches the channel's signing keys on demand: their outage is ours, not the caller's.
            logger.error("Cannot verify a Bot Framework token now: %s", type(error).__name__)
            return _problem(503, "cannot verify the token right now; try again")
        except Exception as error:
            logger.warning("Refused an unauthenticated activity: %s", type(error).__name__)
            return _problem(401, "missing or invalid Bot Framework token")
        invoke_response = await self._adapter.process_activity(
            authentication, activity, self._handler.on_turn
        )
        if invoke_response is not None:
            return web.json_response(_invoke_body(invoke_response.body), status=invoke_response.status)
        return web.Response(status=200)

    async def _on_turn_error(self, turn_context: TurnContext, error: Exception) -> None:
        logger.error("Turn failed for a %s activity", turn_context.activity.type, exc_info=error)
        if turn_context.activity.type == "message":
            language = self._assistant.language_for("", turn_context.activity.locale)
            try:
                await turn_context.send_activity(say(language, "error.generic"))
            except Exception:
                logger.exception("Could not send the error message")


def _parse_activity(payload: Any) -> Activity | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return None
    if not isinstance(payload.get("serviceUrl"), str) or not isinstance(payload.get("conversation"), dict):
        return None
    try:
        activity = Activity().deserialize(payload)
    except Exception:
        return None
    if activity.conversation is None or not activity.conversation.id:
        return None
    return activity


def _tenant_id(activity: Activity) -> str | None:
    if activity.conversation and activity.conversation.tenant_id:
        return str(activity.conversation.tenant_id).lower()
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (channel_data.get("tenant") or {}).get("id")
    return str(tenant).lower() if tenant else None


def _invoke_body(body: object) -> object:
    """An invoke response body as JSON.

    botbuilder answers a malformed `adaptiveCard/action` invoke with an unserialised model whose value is an
    Exception (found by tests/test_endpoint_fuzz.py): that becomes the Universal Actions error shape rather
    than a 500.
    """
    if not isinstance(body, Model):
        return body
    try:
        return serializer_helper(body)
    except Exception:
        value = getattr(body, "value", None)
        message = " ".join(str(part) for part in value.args) if isinstance(value, BaseException) else ""
        return {
            "statusCode": int(getattr(body, "status_code", None) or 400),
            "type": "application/vnd.microsoft.error",
            "value": {"code": "BadRequest", "message": message or "malformed invoke"},
        }


def _problem(status: int, detail: str) -> web.Response:
    return web.json_response({"error": detail}, status=status)
