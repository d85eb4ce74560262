"""Seula's Teams activity handler: turns Bot Framework activities into Assistant calls and cards back."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import (
    Activity,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    Attachment,
    ChannelAccount,
)
from botbuilder.schema.teams import TeamInfo
from msrest.serialization import Model

from bot.assistant import Assistant, Incoming, Reply
from bot.graph_import import import_live_message
from bot.model import ConversationRecord, TeamMember
from bot.send_time import is_timezone
from bot.store import Store
from cards.elements import CARD_CONTENT_TYPE, Element
from cards.notice_card import build_notice_card

logger = logging.getLogger(__name__)


class SeulaActivityHandler(TeamsActivityHandler):  # type: ignore[misc]
    """Routes Teams activities: messages, installs and uninstalls, and card actions."""

    def __init__(self, assistant: Assistant, store: Store) -> None:
        super().__init__()
        self._assistant = assistant
        self._store = store

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        # What every message leaves in the store (how to reach its conversation, the sender's time zone) is
        # written while the answer is worked out and sent, and awaited before the turn ends whatever happens
        # to the answer: Teams gets its 200 only once it is stored; a failed answer or send loses none of it.
        remembered = asyncio.ensure_future(self._remember_conversation(activity, _timezone(activity)))
        try:
            await self._answer(turn_context)
        finally:
            await remembered

    async def _answer(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        text, mentioned = _without_bot_mention(activity)
        value = activity.value if isinstance(activity.value, dict) else None
        personal = activity.conversation.conversation_type in (None, "personal")
        if not (personal or mentioned or value is not None):
            # With the RSC permission Teams sends every channel message: Seula keeps it (the next Graph
            # delta round reconciles it), but only answers those that @mention it.
            await self._keep_channel_message(activity)
            return
        if not text.strip() and value is None:
            return  # a reaction-only or attachment-only message: nothing was asked
        incoming = Incoming(
            text=_plain(text),
            locale=_locale(activity),
            user_id=_user_id(activity),
            value=value,
        )
        reply = await self._assistant.on_message(incoming)
        await turn_context.send_activity(_to_activity(reply))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._welcome_once(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        removed = await self._store.delete_conversation(turn_context.activity.conversation.id)
        logger.info(
            "Uninstalled from a %s conversation (reference held: %s)",
            turn_context.activity.conversation.conversation_type,
            removed,
        )

    async def on_teams_members_added_dispatch(
        self, members_added: list[ChannelAccount], team_info: TeamInfo | None, turn_context: TurnContext
    ) -> None:
        # botbuilder would fetch every added member from the connector, one request each, and fail the turn
        # if one failed; what Seula needs (the bot's id, people's aadObjectId) is in the activity.
        await self.on_teams_members_added(members_added, team_info, turn_context)

    async def on_teams_members_added(
        self, teams_members_added: list[ChannelAccount], team_info: TeamInfo | None, turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id
        if any(member.id == bot_id for member in teams_members_added):
            await self._welcome_once(turn_context)
        joined = _team_members(teams_members_added, team_info, bot_id)
        if joined:
            await self._store.add_team_members(joined)

    async def on_teams_members_removed(
        self,
        teams_members_removed: list[ChannelAccount],
        team_info: TeamInfo | None,
        turn_context: TurnContext,
    ) -> None:
        bot_id = turn_context.activity.recipient.id
        if any(member.id == bot_id for member in teams_members_removed):
            await self._store.delete_conversation(turn_context.activity.conversation.id)
        left = _team_members(teams_members_removed, team_info, bot_id)
        if left:
            await self._store.remove_team_members(left)

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        activity = turn_context.activity
        action: dict[str, Any] = invoke_value.action or {}
        data: dict[str, Any] = action["data"] if isinstance(action.get("data"), dict) else {}
        verb = action.get("verb") or data.get("verb") or ""
        reply = await self._assistant.on_card_action(str(verb), data, _user_id(activity), _locale(activity))
        # The invoke answer replaces the card the button was on, so a sentence becomes a one-line card.
        card = reply.card if reply.card is not None else build_notice_card(reply.text or "")
        return AdaptiveCardInvokeResponse(status_code=200, type=CARD_CONTENT_TYPE, value=card)

    async def _keep_channel_message(self, activity: Activity) -> None:
        channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        channel_id = (channel_data.get("channel") or {}).get("id")
        if activity.conversation.conversation_type != "channel" or not channel_id:
            return
        team_id = await self._store.channel_team(channel_id) or (channel_data.get("team") or {}).get(
            "aadGroupId"
        )
        if not team_id:
            logger.debug("A message from a channel Seula doesn't know yet; the next Graph round brings it")
            return
        await import_live_message(self._store, _as_graph_message(activity, team_id, channel_id))

    async def _welcome_once(self, turn_context: TurnContext) -> None:
        # Teams announces one install twice (installationUpdate and conversationUpdate), possibly at once:
        # the store decides atomically which of the two greets.
        activity = turn_context.activity
        await self._remember_conversation(activity)
        if await self._store.mark_welcomed(activity.conversation.id):
            language = self._assistant.language_for("", _locale(activity))
            await turn_context.send_activity(_to_activity(self._assistant.welcome(language)))

    async def _remember_conversation(self, activity: Activity, timezone: str | None = None) -> None:
        # Weekly messages go out at a local hour: a message's `timezone` (the zone its sender's Teams client
        # reports) is kept with the conversation.
        reference = TurnContext.get_conversation_reference(activity)
        channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        conversation = activity.conversation
        await self._store.save_conversation(
            ConversationRecord(
                id=conversation.id,
                conversation_type=conversation.conversation_type or "personal",
                service_url=activity.service_url,
                reference=reference.serialize(),
                updated_at=datetime.now(UTC),
                tenant_id=conversation.tenant_id or (channel_data.get("tenant") or {}).get("id"),
                user_id=_user_id(activity) if conversation.conversation_type == "personal" else None,
                team_id=(channel_data.get("team") or {}).get("id"),
                channel_id=(channel_data.get("channel") or {}).get("id"),
            ),
            sender_id=_user_id(activity),
            timezone=timezone,
        )


def _team_members(
    members: list[ChannelAccount], team_info: TeamInfo | None, bot_id: str | None
) -> list[TeamMember]:
    """The people (by Entra object id) a team membership event names, in the team's group id.

    Teams names the group in `channelData.team.aadGroupId`; an event without it, or a member without
    `aadObjectId`, says nothing Seula can key by: the next Graph pass's full member list settles it.
    """
    group_id = getattr(team_info, "aad_group_id", None) if team_info is not None else None
    if not group_id:
        return []
    return [
        TeamMember(team_id=group_id, person_id=member.aad_object_id)
        for member in members
        if member.id != bot_id and getattr(member, "aad_object_id", None)
    ]


def _as_graph_message(activity: Activity, team_id: str, channel_id: str) -> dict[str, Any]:
    """A channel message activity in Graph's chatMessage shape, so it enters through the one import path."""
    conversation_id = activity.conversation.id or ""
    root_id = conversation_id.split(";messageid=", 1)[1] if ";messageid=" in conversation_id else None
    html = next(
        (
            a.content
            for a in activity.attachments or ()
            if a.content_type == "text/html" and isinstance(a.content, str)
        ),
        None,
    )
    created = activity.timestamp or datetime.now(UTC)
    created = created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)
    stamp = created.isoformat().replace("+00:00", "Z")
    thread = root_id or activity.id
    tenant = activity.conversation.tenant_id or ""
    link = (
        f"https://teams.microsoft.com/l/message/{quote(channel_id)}/{activity.id}?groupId={team_id}"
        f"&tenantId={tenant}&createdTime={int(created.timestamp() * 1000)}&parentMessageId={thread}"
    )
    sender = activity.from_property
    return {
        "@odata.type": "#microsoft.graph.chatMessage",
        "id": activity.id,
        "replyToId": root_id if root_id and root_id != activity.id else None,
        "messageType": "message",
        "createdDateTime": stamp,
        "lastModifiedDateTime": stamp,
        "deletedDateTime": None,
        "subject": None,
        "body": {"contentType": "html", "content": html}
        if html
        else {"contentType": "text", "content": activity.text or ""},
        "channelIdentity": {"teamId": team_id, "channelId": channel_id},
        "from": {
            "application": None,
            "user": {
                "id": getattr(sender, "aad_object_id", None),
                "displayName": getattr(sender, "name", None),
            },
        },
        "webUrl": link,
        "mentions": [],
        "reactions": [],
    }


class CardContent(Model):
    """A built Adaptive Card as botbuilder sends it: serialised as it is, never walked or copied.

    A card is plain JSON data, built afresh for each reply and never changed after. As a plain dict,
    msrest serialised it value by value and `TurnContext.send_activities` deep-copied it first (for a 17 KB
    expert card each took about 20 times as long as now: bench/README.md, "The turn's own cost"); as
    msrest's "additional properties" it goes into the request body whole, and a copy of the activity shares
    it. Card actions' invoke responses keep a plain dict: msrest types that value as a dict.
    """

    # how msrest sends a model's extra properties as they are (see Model.enable_additional_properties_sending)
    _attribute_map = {"additional_properties": {"key": "", "type": "{object}"}}  # noqa: RUF012

    def __init__(self, card: Element) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.additional_properties = card

    def __deepcopy__(self, memo: dict[int, object]) -> CardContent:
        return self


def _to_activity(reply: Reply) -> Activity:
    if reply.card is not None:
        return MessageFactory.attachment(
            Attachment(content_type=CARD_CONTENT_TYPE, content=CardContent(reply.card))
        )
    return MessageFactory.text(reply.text or "")


def _user_id(activity: Activity) -> str | None:
    sender = activity.from_property
    if sender is None:
        return None
    return getattr(sender, "aad_object_id", None) or None


def _without_bot_mention(activity: Activity) -> tuple[str, bool]:
    """The message text without the bot's @mention, and whether the bot was mentioned."""
    # botbuilder's remove_recipient_mention treats the bot's name as a regex; this removes the literal tag.
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    mentioned_bot = False
    for entity in activity.entities or ():
        properties = getattr(entity, "additional_properties", None) or {}
        mentioned = properties.get("mentioned") or {}
        if getattr(entity, "type", None) == "mention" and mentioned.get("id") == bot_id:
            mentioned_bot = True
            tag = properties.get("text") or f"<at>{mentioned.get('name', '')}</at>"
            text = text.replace(str(tag), " ")
    return text, mentioned_bot


def _locale(activity: Activity) -> str | None:
    if activity.locale:
        return str(activity.locale)
    for entity in activity.entities or ():
        properties = getattr(entity, "additional_properties", None) or {}
        if getattr(entity, "type", None) == "clientInfo" and properties.get("locale"):
            return str(properties["locale"])
    return None


def _timezone(activity: Activity) -> str | None:
    """The IANA timezone Teams reports with a message (`localTimezone`, or the clientInfo entity's)."""
    candidates: list[object] = [getattr(activity, "local_timezone", None)]
    for entity in activity.entities or ():
        properties = getattr(entity, "additional_properties", None) or {}
        if getattr(entity, "type", None) == "clientInfo":
            candidates.append(properties.get("timezone"))
    return next((c for c in candidates if isinstance(c, str) and is_timezone(c)), None)


def _plain(text: str) -> str:
    # Teams may still carry mention tags for other people and non-breaking spaces.
    return " ".join(text.replace("\u00a0", " ").split())
