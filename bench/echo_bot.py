"""The yardstick for Seula's end-to-end time: a botbuilder echo bot on the same aiohttp + CloudAdapter stack.

It is Microsoft's echo sample reduced to its parts (an `ActivityHandler` that sends the text back, served by
`CloudAdapter.process`), built by a factory rather than at import, and unauthenticated like Seula without a
MicrosoftAppId. Its reply goes to the activity's `serviceUrl`, as Seula's does.
"""

from __future__ import annotations

from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication


class _NoCredentials:
    """botbuilder's configuration names, empty: no token is checked or sent (as Seula without an app id)."""

    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


class EchoBot(ActivityHandler):  # type: ignore[misc]
    """Sends every message's text back."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))


def create_echo_app() -> web.Application:
    """An aiohttp app serving the echo bot on `POST /api/messages`."""
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_NoCredentials()))
    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        response = await adapter.process(request, bot)
        return response if response is not None else web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app
