"""Turn Microsoft Graph v1.0 JSON (users, teams, members, channels, chatMessages) into Seula's records.

This is the one way data enters the store: `python app.py import FILE`, the demo tenant and Graph sync all
hand Graph-shaped objects to `GraphObjectImporter`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import orjson

from bot.model import Channel, Message, MessageFields, Person, Reaction, Team, TeamMember
from bot.store import Store
from bot.store.message_rows import MessageRowEncoder, MessageRows
from bot.text import html_to_text

logger = logging.getLogger(__name__)

_BATCH_OBJECTS = 2000
_PROFILE_FIELDS = ("aboutMe", "skills", "interests", "responsibilities", "pastProjects")


class GraphObjectError(ValueError):
    """A Graph object is missing something Seula needs; the message says what."""


@dataclass
class ImportReport:
    """What an import took in, skipped and refused, for the CLI and logs."""

    people: int = 0
    teams: int = 0
    team_members: int = 0
    channels: int = 0
    messages: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def fail(self, where: str, problem: str) -> None:
        self.error_count += 1
        if len(self.errors) < 20:  # the first few are enough to find the fault; the count tells the rest
            self.errors.append(f"{where}: {problem}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "people": self.people,
            "teams": self.teams,
            "team_members": self.team_members,
            "channels": self.channels,
            "messages": self.messages,
            "skipped": dict(sorted(self.skipped.items())),
            "errors": self.error_count,
            "first_errors": list(self.errors),
        }


ParsedObject = Person | Team | TeamMember | Channel | Message

# Graph's member of a team; `conversationMember` is the base type its lists name in `@odata.context`.
_MEMBER_KINDS = frozenset({"aadUserConversationMember", "conversationMember"})


def parse_graph_object(obj: Mapping[str, Any]) -> list[ParsedObject]:
    """Parse one Graph object; a root message with `$expand=replies` yields the root and its replies."""
    kind = _kind(obj)
    if kind == "user":
        return [parse_user(obj)]
    if kind == "team":
        return [
            Team(
                id=_required(obj, "id"),
                display_name=obj.get("displayName") or "",
                description=obj.get("description"),
                visibility=obj.get("visibility") or None,
            )
        ]
    if kind in _MEMBER_KINDS:
        return [parse_team_member(obj)]
    if kind == "channel":
        team_id = obj.get("teamId") or (obj.get("channelIdentity") or {}).get("teamId")
        if not team_id:
            raise GraphObjectError(
                "a channel needs `teamId` (Graph's channel object has no team: add it on export)"
            )
        return [
            Channel(
                id=_required(obj, "id"),
                team_id=team_id,
                display_name=obj.get("displayName") or "",
                membership_type=obj.get("membershipType") or "standard",
            )
        ]
    if kind == "chatMessage":
        return [Message(*fields) for fields in read_thread(obj)]
    raise GraphObjectError(f"unsupported @odata.type {obj.get('@odata.type')!r}")


def parse_user(obj: Mapping[str, Any]) -> Person:
    """A Graph `user` (with `$expand=manager` and the profile fields when present) as a Person."""
    manager = obj.get("manager") or {}
    return Person(
        id=_required(obj, "id"),
        display_name=obj.get("displayName") or obj.get("userPrincipalName") or obj["id"],
        user_principal_name=obj.get("userPrincipalName"),
        mail=obj.get("mail"),
        job_title=obj.get("jobTitle"),
        department=obj.get("department"),
        office_location=obj.get("officeLocation"),
        preferred_language=obj.get("preferredLanguage"),
        manager_id=manager.get("id") if isinstance(manager, Mapping) else None,
        account_enabled=obj.get("accountEnabled") is not False,
        about_me=html_to_text(obj["aboutMe"]) if obj.get("aboutMe") else None,
        skills=_strings(obj.get("skills")),
        interests=_strings(obj.get("interests")),
        responsibilities=_strings(obj.get("responsibilities")),
        past_projects=_strings(obj.get("pastProjects")),
        has_profile=any(field in obj for field in _PROFILE_FIELDS),
    )


def parse_team_member(obj: Mapping[str, Any]) -> TeamMember:
    """A Graph `aadUserConversationMember` of a team; like a channel, it needs `teamId` added on export."""
    team_id = obj.get("teamId")
    if not team_id or not isinstance(team_id, str):
        raise GraphObjectError(
            "a team member needs `teamId` (Graph's conversationMember has no team: add it on export)"
        )
    return TeamMember(team_id=team_id, person_id=_required(obj, "userId"))


def parse_chat_message(obj: Mapping[str, Any], default_channel: tuple[str, str] | None = None) -> Message:
    """A Graph channel `chatMessage` as a Message; refuses chat (non-channel) messages."""
    return Message(*read_chat_message(obj, default_channel))


def read_thread(obj: Mapping[str, Any]) -> list[MessageFields]:
    """A root `chatMessage` and the replies inlined with `$expand=replies`, which take its channel."""
    root = read_chat_message(obj)
    thread = [root]
    for reply in obj.get("replies") or ():
        thread.append(read_chat_message(reply, default_channel=(root.team_id, root.channel_id)))
    return thread


def read_chat_message(
    obj: Mapping[str, Any], default_channel: tuple[str, str] | None = None
) -> MessageFields:
    """`parse_chat_message`'s fields, without building the Message (Graph sync only encodes them)."""
    message_id = _required(obj, "id")
    identity = obj.get("channelIdentity") or {}
    team_id, channel_id = identity.get("teamId"), identity.get("channelId")
    if not (team_id and channel_id) and default_channel:
        team_id, channel_id = default_channel
    if not (team_id and channel_id):
        raise GraphObjectError("not a channel message (no channelIdentity): Seula reads channels only")
    sender = obj.get("from") or {}
    user = sender.get("user") or {}
    application = sender.get("application")
    body = obj.get("body") or {}
    content = body.get("content") or ""
    text = html_to_text(content) if (body.get("contentType") or "text").lower() == "html" else content.strip()
    return MessageFields(
        id=message_id,
        team_id=team_id,
        channel_id=channel_id,
        reply_to_id=obj.get("replyToId") or None,
        author_id=user.get("id") or None,
        author_name=user.get("displayName") or (application or {}).get("displayName"),
        created_at=_datetime(_required(obj, "createdDateTime")),
        last_modified_at=_optional_datetime(obj.get("lastModifiedDateTime")),
        deleted_at=_optional_datetime(obj.get("deletedDateTime")),
        subject=(obj.get("subject") or None),
        text=text,
        web_url=obj.get("webUrl"),
        message_type=obj.get("messageType") or "message",
        from_application=bool(application) and not user,
        mentions=tuple(
            mentioned_user["id"]
            for mention in obj.get("mentions") or ()
            if (mentioned_user := ((mention.get("mentioned") or {}).get("user") or {})).get("id")
        ),
        reactions=tuple(
            Reaction(
                user_id=reactor["id"],
                reaction_type=reaction.get("reactionType") or "like",
                created_at=_optional_datetime(reaction.get("createdDateTime")),
            )
            for reaction in obj.get("reactions") or ()
            if (reactor := ((reaction.get("user") or {}).get("user") or {})).get("id")
        ),
    )


@dataclass(frozen=True)
class MessagePage:
    """One page of a channel's messages, parsed and encoded for the store, with where the round goes next."""

    rows: MessageRows
    messages: int  # the page's messages as read: roots, inlined replies and those fetched beyond them
    next_link: str | None
    delta_link: str | None
    replies_links: tuple[tuple[int, str], ...]  # (root's index, link) for threads beyond the inlined replies
    channels: tuple[tuple[str, str], ...]  # (channel id, team id) of every message held
    cpu_seconds: float  # spent parsing and encoding, wherever that ran


def parse_message_page(
    body: bytes,
    encoder: MessageRowEncoder,
    beyond: Mapping[int, Sequence[Mapping[str, Any]]] | None = None,
) -> MessagePage:
    """Parse a page of Graph chatMessages (JSON bytes) into rows for the store; pure, so it runs anywhere.

    `beyond` adds replies fetched from roots' `replies@odata.nextLink` (by the root's index in the page);
    they take the root's `channelIdentity`. Objects that are not channel messages or are malformed are
    left out, as the importer leaves them out. Raises `json.JSONDecodeError` for a body that is not JSON.
    """
    started = time.thread_time()
    document = _json_loads(body)
    if not isinstance(document, dict):
        raise json.JSONDecodeError("not a JSON object", "", 0)
    values = document.get("value")
    items = [item for item in values if isinstance(item, dict)] if isinstance(values, list) else []
    messages: list[MessageFields] = []
    count = 0
    links: list[tuple[int, str]] = []
    for index, item in enumerate(items):
        count += 1 + len(item.get("replies") or ())
        messages.extend(_messages_in(item))
        if link := item.get("replies@odata.nextLink"):
            links.append((index, link))
        identity = item.get("channelIdentity")
        for reply in (beyond or {}).get(index, ()):
            count += 1
            messages.extend(_messages_in({"channelIdentity": identity, **reply} if identity else reply))
    channels = {(m.channel_id, m.team_id) for m in messages}
    return MessagePage(
        rows=encoder.encode(messages),
        messages=count,
        next_link=document.get("@odata.nextLink") or None,
        delta_link=document.get("@odata.deltaLink") or None,
        replies_links=tuple(links),
        channels=tuple(sorted(channels)),
        cpu_seconds=time.thread_time() - started,
    )


def _json_loads(body: bytes) -> Any:
    """`json.loads`, a third of the time: orjson, falling back to `json` for what orjson refuses."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        # orjson refuses lone surrogates (`"\\ud83d"`, half an emoji cut short), which `json` keeps; an
        # unreadable body raises `json.JSONDecodeError` here, as before.
        return json.loads(body)


def _messages_in(obj: Mapping[str, Any]) -> list[MessageFields]:
    """What `parse_graph_object` makes of `obj` that is a message (one malformed one drops its thread)."""
    if _kind(obj) != "chatMessage":
        return []  # parse_graph_object would refuse it or make something else of it
    try:
        return read_thread(obj)
    except (GraphObjectError, KeyError, TypeError, ValueError, AttributeError):
        return []


class GraphObjectImporter:
    """Stores Graph objects in batches, creating channel and team records that messages imply."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.report = ImportReport()
        self._pending: list[ParsedObject] = []
        self._known_channels: set[str] = set()
        self._implied_channels: dict[str, str] = {}

    async def add(self, obj: Mapping[str, Any], where: str = "object") -> None:
        """Parse and queue one Graph object; a bad one is counted and reported, never fatal."""
        if not isinstance(obj, Mapping):
            self.report.fail(where, "expected a JSON object")
            return
        try:
            parsed = parse_graph_object(obj)
        except GraphObjectError as error:
            if str(error).startswith("not a channel message"):
                self.report.skip("chat message (not a channel)")
            else:
                self.report.fail(where, str(error))
            return
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            self.report.fail(where, f"malformed {obj.get('@odata.type') or 'object'}: {error!r}")
            return
        self._pending.extend(parsed)
        if len(self._pending) >= _BATCH_OBJECTS:
            await self.flush()

    async def add_all(self, objects: Iterable[Mapping[str, Any]]) -> ImportReport:
        """Import every object and flush; return the report."""
        for number, obj in enumerate(objects, start=1):
            await self.add(obj, where=f"object {number}")
        await self.flush()
        return self.report

    async def flush(self) -> None:
        """Write what is queued, in dependency order."""
        pending, self._pending = self._pending, []
        people = [o for o in pending if isinstance(o, Person)]
        teams = [o for o in pending if isinstance(o, Team)]
        members = [o for o in pending if isinstance(o, TeamMember)]
        channels = [o for o in pending if isinstance(o, Channel)]
        messages = [o for o in pending if isinstance(o, Message)]
        if people:
            self.report.people += await self._store.upsert_people(people)
        if teams:
            self.report.teams += await self._store.upsert_teams(teams)
        if members:
            self.report.team_members += await self._store.add_team_members(members)
        if channels:
            self.report.channels += await self._store.upsert_channels(channels)
            self._known_channels.update(c.id for c in channels)
        if messages:
            for message in messages:
                if message.channel_id not in self._known_channels:
                    self._implied_channels.setdefault(message.channel_id, message.team_id)
            self.report.messages += await self._store.upsert_messages(messages)
        implied = {c: t for c, t in self._implied_channels.items() if c not in self._known_channels}
        if implied:
            await self._store.ensure_channels(implied)
            self._known_channels.update(implied)
            self._implied_channels.clear()


async def import_json_lines(store: Store, lines: TextIO, source: str = "input") -> ImportReport:
    """Import a JSON Lines stream of Graph objects; bad lines are reported with their line number."""
    importer = GraphObjectImporter(store)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as error:
            importer.report.fail(
                f"{source}:{number}", f"not valid JSON ({error.msg} at column {error.colno})"
            )
            continue
        await importer.add(obj, where=f"{source}:{number}")
    await importer.flush()
    logger.info("Imported %s: %s", source, importer.report.as_dict())
    return importer.report


async def import_file(store: Store, path: Path) -> ImportReport:
    """Import a JSON Lines file of Graph objects."""
    with path.open(encoding="utf-8") as lines:
        return await import_json_lines(store, lines, source=path.name)


def _kind(obj: Mapping[str, Any]) -> str:
    odata_type = str(obj.get("@odata.type") or "")
    if odata_type:
        return odata_type.rsplit(".", 1)[-1]
    # Graph omits @odata.type in homogeneous lists: recognise the common shapes.
    if "body" in obj and "createdDateTime" in obj:
        return "chatMessage"
    if "userPrincipalName" in obj or "jobTitle" in obj:
        return "user"
    return ""


def _required(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not value or not isinstance(value, str):
        raise GraphObjectError(f"`{key}` is missing")
    return value


def _strings(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(str(v).strip() for v in values if isinstance(v, str) and v.strip())


def _datetime(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise GraphObjectError(f"timestamp without a time zone: {value!r}")
    return parsed


def _optional_datetime(value: Any) -> datetime | None:
    return _datetime(value) if isinstance(value, str) and value else None


async def import_live_message(store: Store, obj: Mapping[str, Any]) -> bool:
    """Store a channel message as the bot received it, unless Graph's version is already held.

    Graph's copy (from a delta round) is the complete one, with reactions and mentions; a live copy only
    fills the gap until the next round, which then replaces it under the same key.
    """
    message = parse_chat_message(obj)
    if await store.has_message(message.channel_id, message.id):
        return False
    await store.upsert_messages([message])
    return True
