"""A Microsoft Graph v1.0 look-alike on loopback: users, teams, members, channels, messages, delta; faults.

The real msgraph-sdk (or plain aiohttp) talks to it as it would to graph.microsoft.com: the JSON has Graph's
shapes, links are absolute and point back at this server, errors carry Graph's error object. Messages are
kept as pre-serialised JSON bytes and pages are cut from sorted indexes, so a 200,000-message tenant is served
quickly and without holding 200,000 dicts.

Every mutation bumps a global change sequence and appends (sequence, root id) to its channel's change log.
Link state lives in opaque tokens, unpadded base64url of a small sorted-key JSON (see `_encode_token`):
- an initial delta round's `$skiptoken`: threshold ms (8-month window or `$filter`), `$top`, `$expand`, the
  sequence when the round began and a cursor, the (createdDateTime ms, id) of the last root served;
- an incremental round's `$skiptoken`: the sequence range (since, until] and an offset into the roots changed
  in that range, which never changes once `until` has passed;
- a `$deltatoken`: the sequence the round began at, `$top` and `$expand`;
- `/messages` and `/replies` cursors, and `/users`, `/teams` and `/teams/{id}/members` offsets.
So following the same link twice gives the same page, and a saved deltaLink keeps working on a restarted
server that holds the same data (on the same port, as links are absolute).

Run `python -m tests.fake_graph --tenant demo-tenant.jsonl --port 8765 --token dev` to serve a tenant by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import bisect
import calendar
import contextlib
import itertools
import json
import logging
import re
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

import pytest
from aiohttp import web

logger = logging.getLogger(__name__)

MESSAGES_MAX_TOP = 50
PRESENCE_MAX_IDS = 650  # getPresencesByUserId
USERS_MAX_TOP = 999
USERS_DEFAULT_TOP = 100
DELTA_WINDOW_MONTHS = 8  # "Delta will only return messages within the last eight months."
# Returned only for a single user: asking for them on the collection is 501 (user-list.md).
PROFILE_FIELDS = frozenset(
    {
        "aboutMe",
        "skills",
        "interests",
        "responsibilities",
        "pastProjects",
        "schools",
        "mySite",
        "birthday",
        "hireDate",
        "preferredName",
        "mailboxSettings",
    }
)
DEFAULT_USER_FIELDS = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)
_LIST_FIELDS = frozenset(
    {"businessPhones", "skills", "interests", "responsibilities", "pastProjects", "schools", "otherMails"}
)
_CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
)
_USER_TYPE = "#microsoft.graph.user"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ERROR_CODES = {
    400: ("BadRequest", "Bad request."),
    401: ("InvalidAuthenticationToken", "Access token is empty."),
    403: ("Forbidden", "Forbidden"),
    404: ("NotFound", "Resource not found."),
    405: ("MethodNotAllowed", "The HTTP method is not allowed on this resource."),
    429: ("TooManyRequests", "Please retry again later."),
    500: ("InternalServerError", "An internal server error occurred."),
    501: ("NotImplemented", "This operation target is not yet supported."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable. Please retry later."),
    504: ("GatewayTimeout", "The gateway did not receive a timely response from the upstream server."),
}
_LEGACY_REACTIONS = {
    "like": "Like",
    "heart": "Heart",
    "laugh": "Laugh",
    "surprised": "Surprised",
    "sad": "Sad",
    "angry": "Angry",
}
_EQ_CLAUSE = re.compile(r"^\s*(\w+)\s+eq\s+('(?:[^']|'')*'|true|false|null|-?\d+)\s*$", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_DELTA_FILTER = re.compile(r"^\s*lastModifiedDateTime\s+gt\s+'?([^']+?)'?\s*$", re.IGNORECASE)
_DECODED_PLUS = re.compile(r"(T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$")
_LINK_SAFE = "$,()=;:'@*"
_EXPAND = re.compile(r"^\s*(\w+)\s*(?:\((.*)\))?\s*$")


class UnknownObjectError(LookupError):
    """A mutation named a user, channel, message or reaction this server does not hold."""


class GraphError(Exception):
    """An error answered in Graph's shape: status, code and message (and Retry-After for throttling)."""

    def __init__(self, status: int, message: str | None = None, code: str | None = None) -> None:
        default_code, default_message = _ERROR_CODES.get(status, ("UnknownError", "An error occurred."))
        self.status = status
        self.code = code or default_code
        self.message = message or default_message
        super().__init__(f"{status} {self.code}: {self.message}")


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the server saw it: decoded path, query, the status it answered, monotonic time."""

    method: str
    path: str
    query: Mapping[str, str]
    status: int
    time: float
    channel_id: str | None = None


# --- the data ---


def _written_by_a_person(obj: Mapping[str, Any]) -> bool:
    """A message a person wrote: not a system event (`from` null) nor an app's (`from.application`)."""
    sender = obj.get("from") or {}
    return (
        obj.get("messageType") == "message"
        and bool((sender.get("user") or {}).get("id"))
        and not sender.get("application")
    )


@dataclass(slots=True)
class _Message:
    """One chatMessage, kept as compact JSON bytes plus what the indexes and statistics need."""

    id: str
    key: tuple[int, str]  # (createdDateTime in ms, id): the stable sort key
    reply_to: str | None
    modified_ms: int
    deleted: bool
    reactions: int
    people: bool  # a person wrote it (stats count no system event or app's message as anyone's writing)
    json: bytes
    unknown_enum_json: bytes | None  # the bytes a client gets without `Prefer: include-unknown-enum-members`

    @classmethod
    def from_object(cls, obj: Mapping[str, Any]) -> _Message:
        message_id = str(obj["id"])
        created_ms = _ms(obj.get("createdDateTime")) if obj.get("createdDateTime") else int(message_id)
        modified = obj.get("lastModifiedDateTime")
        payload = _dumps(obj)
        unknown = None
        if obj.get("messageType") == "systemEventMessage":
            unknown = payload.replace(
                b'"messageType":"systemEventMessage"', b'"messageType":"unknownFutureValue"', 1
            )
        return cls(
            id=message_id,
            key=(created_ms, message_id),
            reply_to=str(obj["replyToId"]) if obj.get("replyToId") else None,
            modified_ms=_ms(modified) if modified else created_ms,
            deleted=bool(obj.get("deletedDateTime")),
            reactions=len(obj.get("reactions") or ()),
            people=_written_by_a_person(obj),
            json=payload,
            unknown_enum_json=unknown,
        )

    def body(self, include_unknown_enum: bool) -> bytes:
        if self.unknown_enum_json is not None and not include_unknown_enum:
            return self.unknown_enum_json
        return self.json


@dataclass(slots=True)
class _Thread:
    root_id: str
    root: _Message | None = None
    replies: list[_Message] = field(default_factory=list)  # ascending by key
    modified_ms: int = 0  # the latest lastModifiedDateTime of the root and its replies
    seq: int = 0  # the change sequence at which the thread last changed

    @property
    def root_key(self) -> tuple[int, str]:
        return self.root.key if self.root is not None else (0, self.root_id)

    def touch(self, modified_ms: int, seq: int) -> None:
        self.modified_ms = max(self.modified_ms, modified_ms)
        self.seq = max(self.seq, seq)


@dataclass(slots=True)
class _Channel:
    id: str
    team_id: str
    obj: dict[str, Any]
    removed_status: int | None = None
    messages: dict[str, _Message] = field(default_factory=dict)
    threads: dict[str, _Thread] = field(default_factory=dict)
    root_keys: list[tuple[int, str]] = field(default_factory=list)  # ascending, roots only
    change_seqs: list[int] = field(default_factory=list)  # the change log, ascending
    change_roots: list[str] = field(default_factory=list)

    @property
    def standard(self) -> bool:
        return (self.obj.get("membershipType") or "standard") == "standard"

    def add(self, message: _Message) -> _Thread:
        self.messages[message.id] = message
        root_id = message.reply_to or message.id
        thread = self.threads.get(root_id)
        if thread is None:
            thread = self.threads[root_id] = _Thread(root_id)
        if message.reply_to is None:
            thread.root = message
        else:
            thread.replies.append(message)
        thread.touch(message.modified_ms, 0)
        return thread

    def reindex(self) -> None:
        """Sort the indexes once after a bulk load (inserting one by one would be quadratic)."""
        self.root_keys = sorted(t.root.key for t in self.threads.values() if t.root is not None)
        for thread in self.threads.values():
            thread.replies.sort(key=lambda m: m.key)

    def thread_of(self, message_id: str) -> _Thread:
        message = self.messages.get(message_id)
        if message is None:
            raise UnknownObjectError(f"channel {self.id} has no message {message_id}")
        return self.threads[message.reply_to or message.id]


@dataclass(slots=True)
class _Fault:
    remaining: int
    where: str | None
    status: int = 0
    retry_after: str | None = None
    seconds: float = 0.0
    after: int = 0  # matching requests to let pass first


@dataclass(slots=True)
class _Window:
    """A sliding window limiter: at most `capacity` accepted requests in any `seconds`."""

    capacity: int
    seconds: float
    accepted: deque[float] = field(default_factory=deque)

    @classmethod
    def per_second(cls, rps: float) -> _Window:
        capacity = max(1, int(rps))
        return cls(capacity=capacity, seconds=capacity / rps)

    def wait(self, now: float) -> float:
        """Seconds until a slot frees (0 when one is free now)."""
        while self.accepted and self.accepted[0] <= now - self.seconds:
            self.accepted.popleft()
        if len(self.accepted) < self.capacity:
            return 0.0
        return self.accepted[0] + self.seconds - now


# --- tokens ---


def _encode_token(state: Mapping[str, Any]) -> str:
    """Opaque to clients, readable to us: `{"v": 1, "c": channel id, …}` as unpadded base64url."""
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, channel_id: str | None = None) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        state = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise GraphError(400, f"The token '{token[:40]}' is not valid.") from error
    if not isinstance(state, dict) or state.get("v") != 1:
        raise GraphError(400, f"The token '{token[:40]}' is not valid.")
    if channel_id is not None and state.get("c") != channel_id:
        raise GraphError(400, "The token was issued for another channel.")
    return state


# --- the server ---


class FakeGraph:
    """Serves Graph-shaped users, teams, channels and channel messages; tests change and break them."""

    def __init__(
        self,
        objects: Iterable[Mapping[str, Any]],
        now: datetime,
        token: str | None = None,
        inline_replies: int = 1000,
        page_size_default: int = 20,
        *,
        record_requests: bool = True,
    ) -> None:
        self._now_ms = _datetime_ms(now)
        self._last_change_ms = 0
        self.token = token
        self.inline_replies = inline_replies
        self.page_size_default = page_size_default
        self.record_requests = record_requests
        self.requests: list[RequestRecord] = []
        self.status_counts: Counter[int] = Counter()
        self.throttled = 0
        self.served_messages = 0
        self._pages: Counter[str] = Counter()
        self._seq = 0
        self._users: dict[str, dict[str, Any]] = {}
        self._users_by_upn: dict[str, str] = {}
        self._managers: dict[str, str] = {}
        self._teams: dict[str, dict[str, Any]] = {}
        self._members: dict[str, dict[str, dict[str, Any]]] = {}  # team id -> user id -> member
        self._channels: dict[str, _Channel] = {}
        self._presences: dict[str, dict[str, str]] = {}  # user id -> {"availability": …, "activity": …}
        self._failures: list[_Fault] = []
        self._delta_generation = 0  # delta links of an older generation answer 410 (`expire_delta_links`)
        self._delays: list[_Fault] = []
        self._truncations: list[_Fault] = []
        self._channel_limit: float | None = None
        self._global_limit: float | None = None
        self._windows: dict[str, _Window] = {}
        self._changed_cache: dict[tuple[str, int, int], list[str]] = {}
        self._request_ids = itertools.count(1)
        self._closing: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        pending: list[Mapping[str, Any]] = []
        for obj in objects:
            kind = _kind(obj)
            if kind == "user":
                self._put_user(obj)
            elif kind == "team":
                self._teams[str(obj["id"])] = {k: v for k, v in obj.items() if k != "@odata.type"}
            elif kind in ("aadUserConversationMember", "conversationMember"):
                self._put_member(obj)
            elif kind == "channel":
                self._put_channel(obj)
            elif kind == "chatMessage":
                pending.append(obj)  # channels may come after their messages
            else:
                raise ValueError(f"cannot tell what kind of Graph object this is: {sorted(obj)[:8]}")
        for message in pending:
            self._put_message(message)
        for channel in self._channels.values():
            channel.reindex()
        logger.info(
            "fake Graph holds %d users, %d teams, %d channels, %d messages",
            len(self._users),
            len(self._teams),
            len(self._channels),
            sum(len(c.messages) for c in self._channels.values()),
        )

    # --- lifecycle ---

    def make_app(self) -> web.Application:
        """The aiohttp application (for `aiohttp_client`); `start()` serves it on a port."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 = any free port); return the base URL, e.g. http://127.0.0.1:PORT/v1.0."""
        self._closing = asyncio.Event()
        runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_port = runner.addresses[0][1]
        shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self.base_url = f"http://{_url_host(shown)}:{bound_port}/v1.0"
        logger.info("fake Graph serving at %s", self.base_url)
        return self.base_url

    async def close(self) -> None:
        """Stop serving; stalled (`delay_next`) requests are released first."""
        if self._closing is not None:
            self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- time ---

    @property
    def now(self) -> datetime:
        """The server's present: the delta window ends here and mutations are stamped from here on."""
        return _EPOCH + timedelta(milliseconds=self._now_ms)

    @now.setter
    def now(self, moment: datetime) -> None:
        self._now_ms = _datetime_ms(moment)

    def _change_ms(self, at: datetime | None) -> int:
        """When a mutation happens: `at`, or now but always after the previous mutation (clocks tick)."""
        ms = _datetime_ms(at) if at is not None else max(self._now_ms, self._last_change_ms + 1)
        self._last_change_ms = max(self._last_change_ms, ms)
        return ms

    # --- loading ---

    def _put_user(self, obj: Mapping[str, Any]) -> None:
        user = {k: v for k, v in obj.items() if k not in ("@odata.type", "manager")}
        user_id = str(user["id"])
        self._users[user_id] = user
        if user.get("userPrincipalName"):
            self._users_by_upn[str(user["userPrincipalName"]).lower()] = user_id
        self._set_manager(user_id, obj.get("manager"))

    def _set_manager(self, user_id: str, manager: Any) -> None:
        manager_id = manager.get("id") if isinstance(manager, Mapping) else manager
        if manager_id:
            self._managers[user_id] = str(manager_id)
        else:
            self._managers.pop(user_id, None)

    def _put_member(self, obj: Mapping[str, Any]) -> None:
        team_id = obj.get("teamId")
        if not team_id:
            raise ValueError(f"member {obj.get('userId')} needs `teamId` to say which team it belongs to")
        user_id = str(obj["userId"])
        served = {k: v for k, v in obj.items() if k != "teamId"}
        served.setdefault("@odata.type", "#microsoft.graph.aadUserConversationMember")
        served.setdefault("id", base64.urlsafe_b64encode(f"{team_id}##{user_id}".encode()).decode())
        served.setdefault("roles", [])
        self._members.setdefault(str(team_id), {})[user_id] = served

    def _put_channel(self, obj: Mapping[str, Any]) -> None:
        team_id = obj.get("teamId") or (obj.get("channelIdentity") or {}).get("teamId")
        if not team_id:
            raise ValueError(f"channel {obj.get('id')} needs `teamId` to say which team it belongs to")
        channel_id = str(obj["id"])
        served = {k: v for k, v in obj.items() if k not in ("teamId", "@odata.type")}
        self._channels[channel_id] = _Channel(channel_id, str(team_id), served)

    def _put_message(self, obj: Mapping[str, Any]) -> tuple[_Channel, _Thread, _Message]:
        channel_id = (obj.get("channelIdentity") or {}).get("channelId")
        if not channel_id:
            raise ValueError(f"message {obj.get('id')} has no channelIdentity.channelId")
        channel = self._channels.get(channel_id)
        if channel is None:
            raise ValueError(
                f"message {obj.get('id')} is in channel {channel_id}, which is not in the tenant"
            )
        inline = obj.get("replies")
        if inline:  # a root served with $expand=replies: keep its replies as messages of their own
            obj = {k: v for k, v in obj.items() if not k.startswith("replies")}
        if str(obj["id"]) in channel.messages:
            raise ValueError(f"message {obj['id']} is already in channel {channel_id}")
        message = _Message.from_object(obj)
        thread = channel.add(message)
        for reply in inline or ():
            self._put_message(reply)
        return channel, thread, message

    # --- mutations ---

    def add_message(self, obj: Mapping[str, Any]) -> None:
        """Post a root or a reply (Graph-shaped, with channelIdentity); delta will report its thread."""
        obj = dict(obj)
        if not obj.get("createdDateTime"):
            obj["createdDateTime"] = _iso(self._change_ms(None))
        obj.setdefault("lastModifiedDateTime", obj["createdDateTime"])
        channel, thread, message = self._put_message(obj)
        if message.reply_to is None:
            bisect.insort(channel.root_keys, message.key)
        thread.replies.sort(key=lambda m: m.key)  # appended by _put_message; one thread is cheap to sort
        self._record_change(channel, thread, message.modified_ms)

    def edit_message(self, channel_id: str, message_id: str, html: str, at: datetime | None = None) -> None:
        """Edit a message's body: sets lastEditedDateTime and lastModifiedDateTime."""

        def edit(obj: dict[str, Any], stamp: str) -> None:
            if obj.get("deletedDateTime"):
                raise ValueError(f"message {message_id} is deleted and cannot be edited")
            obj["body"] = {"contentType": "html", "content": html}
            obj["lastEditedDateTime"] = stamp

        self._mutate(channel_id, message_id, at, edit)

    def delete_message(self, channel_id: str, message_id: str, at: datetime | None = None) -> None:
        """Soft-delete like Teams: deletedDateTime set, body emptied, still served (and in delta)."""

        def delete(obj: dict[str, Any], stamp: str) -> None:
            obj["deletedDateTime"] = stamp
            obj["body"] = {"contentType": (obj.get("body") or {}).get("contentType") or "html", "content": ""}
            obj["mentions"] = []
            obj["reactions"] = []
            obj["attachments"] = []

        self._mutate(channel_id, message_id, at, delete)

    def add_reaction(
        self,
        channel_id: str,
        message_id: str,
        user_id: str,
        reaction_type: str = "like",
        at: datetime | None = None,
    ) -> None:
        """React to a message: lastModifiedDateTime moves, lastEditedDateTime does not."""

        def react(obj: dict[str, Any], stamp: str) -> None:
            if obj.get("deletedDateTime"):
                raise ValueError(f"message {message_id} is deleted and cannot get reactions")
            reactions = obj.setdefault("reactions", [])
            if any(_reaction_matches(r, user_id, reaction_type) for r in reactions):
                raise ValueError(f"{user_id} already reacted {reaction_type!r} to message {message_id}")
            tenant = ((obj.get("from") or {}).get("user") or {}).get("tenantId")
            reaction = {
                "reactionType": reaction_type,
                "displayName": _LEGACY_REACTIONS.get(reaction_type),
                "reactionContentUrl": None,
                "createdDateTime": stamp,
                "user": {
                    "application": None,
                    "device": None,
                    "user": {
                        "@odata.type": "#microsoft.graph.teamworkUserIdentity",
                        "id": user_id,
                        "displayName": None,
                        "userIdentityType": "aadUser",
                        "tenantId": tenant,
                    },
                },
            }
            reactions.append(reaction)
            obj.setdefault("messageHistory", []).append(
                {"modifiedDateTime": stamp, "actions": "reactionAdded", "reaction": reaction}
            )

        self._mutate(channel_id, message_id, at, react)

    def remove_reaction(
        self,
        channel_id: str,
        message_id: str,
        user_id: str,
        reaction_type: str = "like",
        at: datetime | None = None,
    ) -> None:
        """Take a reaction back: lastModifiedDateTime moves."""

        def unreact(obj: dict[str, Any], stamp: str) -> None:
            reactions = obj.get("reactions") or []
            for index, reaction in enumerate(reactions):
                if _reaction_matches(reaction, user_id, reaction_type):
                    del reactions[index]
                    obj.setdefault("messageHistory", []).append(
                        {"modifiedDateTime": stamp, "actions": "reactionRemoved", "reaction": reaction}
                    )
                    return
            raise UnknownObjectError(f"{user_id} has no {reaction_type!r} reaction on message {message_id}")

        self._mutate(channel_id, message_id, at, unreact)

    def remove_channel(self, channel_id: str, status: int = 404) -> None:
        """The channel vanishes (404: deleted, also gone from the list) or is closed to the app (403)."""
        if status not in (403, 404):
            raise ValueError(f"a removed channel answers 403 or 404, not {status}")
        self._channel(channel_id).removed_status = status

    def expire_delta_links(self) -> None:
        """Every delta link served so far answers 410 Gone: Graph's synchronization reset, for a delta state
        it no longer keeps (the next links of rounds under way still work)."""
        self._delta_generation += 1

    def add_user(self, obj: Mapping[str, Any]) -> None:
        """Add a person (Graph user shape; `manager` may be an id or a directoryObject)."""
        if str(obj["id"]) in self._users:
            raise ValueError(f"user {obj['id']} already exists")
        self._put_user(obj)

    def edit_user(self, user_id: str, **fields: Any) -> None:
        """Change a user's properties by their Graph names, e.g. `jobTitle="CTO"`, `manager="<id>"|None`."""
        user = self._users.get(user_id)
        if user is None:
            raise UnknownObjectError(f"no user {user_id}")
        if "manager" in fields:
            self._set_manager(user_id, fields.pop("manager"))
        user.update(fields)

    def add_team_member(self, team_id: str, user_id: str, roles: Iterable[str] = ()) -> None:
        """Someone joins a team (as Graph lists them: an `aadUserConversationMember`)."""
        self._team(team_id)
        user = self._users.get(user_id) or {}
        self._put_member(
            {
                "teamId": team_id,
                "userId": user_id,
                "displayName": user.get("displayName"),
                "email": user.get("mail"),
                "roles": list(roles),
            }
        )

    def remove_team_member(self, team_id: str, user_id: str) -> None:
        """Someone leaves a team."""
        if self._members.get(team_id, {}).pop(user_id, None) is None:
            raise UnknownObjectError(f"{user_id} is not a member of team {team_id}")

    def set_team_visibility(self, team_id: str, visibility: str) -> None:
        """A team turns public or private (Graph's `visibility`)."""
        self._team(team_id)["visibility"] = visibility

    def set_presence(self, user_id: str, availability: str, activity: str | None = None) -> None:
        """A user's Teams presence as `getPresencesByUserId` reports it (users not set are Offline)."""
        self._user(user_id)
        self._presences[user_id] = {"availability": availability, "activity": activity or availability}

    def _channel(self, channel_id: str) -> _Channel:
        channel = self._channels.get(channel_id)
        if channel is None:
            raise UnknownObjectError(f"no channel {channel_id}")
        return channel

    def _mutate(
        self,
        channel_id: str,
        message_id: str,
        at: datetime | None,
        change: Callable[[dict[str, Any], str], None],
    ) -> None:
        channel = self._channel(channel_id)
        thread = channel.thread_of(message_id)
        old = channel.messages[message_id]
        obj = json.loads(old.json)
        ms = self._change_ms(at)
        stamp = _iso(ms)
        change(obj, stamp)
        obj["lastModifiedDateTime"] = stamp
        obj["etag"] = str(ms)
        new = _Message.from_object(obj)
        channel.messages[message_id] = new
        if new.reply_to is None:
            thread.root = new
        else:
            thread.replies[thread.replies.index(old)] = new
        self._record_change(channel, thread, new.modified_ms)

    def _record_change(self, channel: _Channel, thread: _Thread, modified_ms: int) -> None:
        self._seq += 1
        thread.touch(modified_ms, self._seq)
        channel.change_seqs.append(self._seq)
        channel.change_roots.append(thread.root_id)

    # --- faults and limits ---

    def fail_next(
        self, count: int, status: int = 429, retry_after: str | None = "2.128", where: str | None = None
    ) -> None:
        """The next `count` requests (whose path contains `where`, if given) fail with `status`."""
        self._failures.append(_Fault(count, where, status=status, retry_after=retry_after))

    def delay_next(self, count: int, seconds: float, where: str | None = None, after: int = 0) -> None:
        """The next `count` requests, after `after` others, stall `seconds` (until `close()`) unanswered."""
        self._delays.append(_Fault(count, where, seconds=seconds, after=after))

    def truncate_next(self, count: int, where: str | None = None) -> None:
        """The next `count` 200 responses carry only the first half of their JSON (Content-Length matches)."""
        self._truncations.append(_Fault(count, where))

    def limits(self, per_channel_rps: float | None = None, global_rps: float | None = None) -> None:
        """Throttle like Graph: per team or channel (Graph: 4 rps) and overall, over a sliding window."""
        self._channel_limit = per_channel_rps
        self._global_limit = global_rps
        self._windows.clear()

    def served_pages(self, channel_id: str) -> int:
        """How many pages of messages, delta or replies this channel has answered with 200."""
        return self._pages[channel_id]

    # --- what a full import should find ---

    def expected_stats(
        self, *, delta_only: bool = False, modified_after: datetime | None = None
    ) -> dict[str, Any]:
        """What `stats --json` should report after importing everything served now (standard channels).

        `delta_only` counts only the threads an initial delta round serves (the last eight months);
        `modified_after` only threads changed after that moment (a delta `$filter`). A channel removed
        with 403 is still listed (so counted) but none of its messages can be read.
        """
        threshold = _datetime_ms(modified_after) if modified_after is not None else None
        if delta_only:
            window = self._delta_window_ms()
            threshold = window if threshold is None else max(threshold, window)
        listed = [c for c in self._channels.values() if c.standard and c.removed_status != 404]
        roots = replies = deleted = reactions = others = 0
        for channel in listed:
            if channel.removed_status is not None:
                continue
            for thread in channel.threads.values():
                if thread.root is None or (threshold is not None and thread.modified_ms <= threshold):
                    continue
                for message in (thread.root, *thread.replies):
                    if message.deleted:
                        deleted += 1
                        continue
                    if not message.people:
                        others += 1
                        continue
                    reactions += message.reactions
                    if message.reply_to is None:
                        roots += 1
                    else:
                        replies += 1
        return {
            "people": len(self._users),
            "teams": len(self._teams),
            "channels": len(listed),
            "messages": {"roots": roots, "replies": replies, "deleted": deleted, "system_and_bots": others},
            "reactions": reactions,
        }

    # --- HTTP ---

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        segments = _segments(path)
        channel_id = _channel_of(segments)
        try:
            delay = _take(self._delays, path)
            if delay is not None:
                if self._closing is None:  # served through make_app(), not start()
                    self._closing = asyncio.Event()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), delay.seconds)
            self._authorize(request)
            failure = _take(self._failures, path)
            if failure is not None:
                raise _Throttle(failure.status, failure.retry_after)
            self._admit(segments)
            if [p.lower() for p in segments] == ["v1.0", "communications", "getpresencesbyuserid"]:
                body = await self._presences_by_user_id(request)
            elif request.method != "GET":
                raise GraphError(405)
            else:
                body = self._route(request, segments)
            if _take(self._truncations, path) is not None:
                body = body[: len(body) // 2]  # a 200 whose JSON stops half-way; Content-Length agrees
            response = web.Response(body=body, headers={"Content-Type": _CONTENT_TYPE})
        except _Throttle as throttle:
            response = self._error_response(request, GraphError(throttle.status), throttle.retry_after)
        except GraphError as error:
            response = self._error_response(request, error, None)
        except Exception:
            logger.exception("fake Graph failed on %s %s", request.method, path)
            response = self._error_response(request, GraphError(500), None)
        self._log(request, response.status, channel_id)
        return response

    def _authorize(self, request: web.Request) -> None:
        if self.token is None:
            return
        header = request.headers.get("Authorization", "")
        if not header:
            raise GraphError(401, "Access token is empty.")
        if header != f"Bearer {self.token}":
            raise GraphError(401, "Access token validation failure. Invalid audience.")

    def _admit(self, segments: list[str]) -> None:
        """Apply `limits()`: a request over a window's capacity gets 429 and how long until a slot frees."""
        if self._channel_limit is None and self._global_limit is None:
            return
        now = time.monotonic()
        windows: list[_Window] = []
        if self._global_limit is not None:
            windows.append(self._window("*", self._global_limit))
        scope = _channel_of(segments) or _team_of(segments)
        if self._channel_limit is not None and scope is not None:
            windows.append(self._window(scope, self._channel_limit))
        wait = max((w.wait(now) for w in windows), default=0.0)
        if wait > 0:
            self.throttled += 1
            raise _Throttle(429, f"{max(wait, 0.001):.3f}")
        for window in windows:
            window.accepted.append(now)

    def _window(self, scope: str, rps: float) -> _Window:
        window = self._windows.get(scope)
        if window is None:
            window = self._windows[scope] = _Window.per_second(rps)
        return window

    def _error_response(
        self, request: web.Request, error: GraphError, retry_after: str | None
    ) -> web.Response:
        request_id = f"00000000-0000-4000-8000-{next(self._request_ids):012d}"
        client_request_id = request.headers.get("client-request-id", request_id)
        body = {
            "error": {
                "code": error.code,
                "message": error.message,
                "innerError": {
                    "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                    "request-id": request_id,
                    "client-request-id": client_request_id,
                },
            }
        }
        headers = {
            "Content-Type": _CONTENT_TYPE,
            "request-id": request_id,
            "client-request-id": client_request_id,
        }
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return web.Response(status=error.status, body=_dumps(body), headers=headers)

    def _log(self, request: web.Request, status: int, channel_id: str | None) -> None:
        self.status_counts[status] += 1
        if self.record_requests:
            self.requests.append(
                RequestRecord(
                    request.method, request.path, dict(request.query), status, time.monotonic(), channel_id
                )
            )

    def _route(self, request: web.Request, segments: list[str]) -> bytes:
        if not segments or segments[0] != "v1.0":
            raise GraphError(400, "Invalid version: only /v1.0 is served here.", "BadRequest")
        parts = segments[1:]
        lowered = [p.lower() for p in parts]
        ctx = _Context(request, f"{request.scheme}://{request.host}/v1.0")
        match lowered:
            case ["users"]:
                return self._list_users(ctx)
            case ["users", _]:
                return self._get_user(ctx, parts[1])
            case ["users", _, "manager"]:
                return self._get_manager(ctx, parts[1])
            case ["users", _, "directreports"]:
                return self._direct_reports(ctx, parts[1])
            case ["teams"]:
                return self._list_teams(ctx)
            case ["teams", _]:
                return self._get_team(ctx, parts[1])
            case ["teams", _, "members"]:
                return self._list_members(ctx, parts[1])
            case ["teams", _, "channels" | "allchannels"]:
                return self._list_channels(ctx, parts[1])
            case ["teams", _, "channels" | "allchannels", _, *rest]:
                channel = self._served_channel(parts[1], parts[3])
                return self._route_channel(ctx, channel, parts[4:], rest)
        raise GraphError(
            400, f"Resource not found for the segment '{parts[-1] if parts else ''}'.", "BadRequest"
        )

    def _route_channel(self, ctx: _Context, channel: _Channel, parts: list[str], lowered: list[str]) -> bytes:
        match lowered:
            case []:
                return _dumps(
                    {"@odata.context": f"{ctx.base}/$metadata#{_channel_context(channel)}/$entity"}
                    | channel.obj
                )
            case ["messages"]:
                return self._list_messages(ctx, channel)
            case ["messages", "delta" | "delta()"]:
                return self._delta(ctx, channel)
            case ["messages", _]:
                return self._get_message(ctx, channel, parts[1], None)
            case ["messages", _, "replies"]:
                return self._list_replies(ctx, channel, parts[1])
            case ["messages", _, "replies", _]:
                return self._get_message(ctx, channel, parts[3], parts[1])
        raise GraphError(400, f"Resource not found for the segment '{parts[-1]}'.", "BadRequest")

    # --- users ---

    def _list_users(self, ctx: _Context) -> bytes:
        select = _select(ctx.param("$select"))
        if select is not None:
            asked = PROFILE_FIELDS.intersection(select)
            if asked:
                raise GraphError(
                    501,
                    f"This operation target is not yet supported: {sorted(asked)} on the users collection.",
                )
        top = ctx.top(USERS_DEFAULT_TOP, USERS_MAX_TOP)
        expand = _expand(ctx.param("$expand"))
        predicate = _eq_filter(ctx.param("$filter"))
        users = [u for u in self._users.values() if predicate(u)]
        offset = int(_decode_token(ctx.param("$skiptoken")).get("o", 0)) if ctx.param("$skiptoken") else 0
        page = users[offset : offset + top]
        items = [_dumps(self._user_json(u, select, expand, typed=True)) for u in page]
        context = f"{ctx.base}/$metadata#users{_select_suffix(select)}"
        links: dict[str, Any] = {}
        if ctx.param("$count") == "true":
            links["@odata.count"] = len(users)
        if offset + top < len(users):
            links["@odata.nextLink"] = ctx.link(
                "users", _encode_token({"v": 1, "o": offset + top}), keep=True
            )
        return _page(context, links, items)

    def _user(self, key: str) -> dict[str, Any]:
        user = self._users.get(key) or self._users.get(self._users_by_upn.get(key.lower(), ""))
        if user is None:
            raise GraphError(
                404,
                f"Resource '{key}' does not exist or one of its queried reference-property objects "
                "are not present.",
                "Request_ResourceNotFound",
            )
        return user

    def _get_user(self, ctx: _Context, key: str) -> bytes:
        user = self._user(key)
        select = _select(ctx.param("$select"))
        body = {"@odata.context": f"{ctx.base}/$metadata#users{_select_suffix(select)}/$entity"}
        body.update(self._user_json(user, select, _expand(ctx.param("$expand")), typed=False))
        return _dumps(body)

    def _get_manager(self, ctx: _Context, key: str) -> bytes:
        user = self._user(key)
        manager_id = self._managers.get(str(user["id"]))
        if manager_id is None or manager_id not in self._users:
            raise GraphError(
                404,
                "Resource 'manager' does not exist or one of its queried reference-property objects "
                "are not present.",
                "Request_ResourceNotFound",
            )
        body = {"@odata.context": f"{ctx.base}/$metadata#directoryObjects/$entity"}
        body.update(self._user_json(self._users[manager_id], _select(ctx.param("$select")), {}, typed=True))
        return _dumps(body)

    def _direct_reports(self, ctx: _Context, key: str) -> bytes:
        user_id = str(self._user(key)["id"])
        select = _select(ctx.param("$select"))
        reports = [u for uid, u in self._users.items() if self._managers.get(uid) == user_id]
        items = [_dumps(self._user_json(u, select, {}, typed=True)) for u in reports]
        return _page(f"{ctx.base}/$metadata#directoryObjects", {}, items)

    def _user_json(
        self,
        user: Mapping[str, Any],
        select: list[str] | None,
        expand: Mapping[str, Mapping[str, str]],
        *,
        typed: bool,
        depth: int = 0,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"@odata.type": _USER_TYPE} if typed else {}
        for name in select if select is not None else DEFAULT_USER_FIELDS:
            out[name] = user.get(name, [] if name in _LIST_FIELDS else None)
        if "manager" in expand:
            options = expand["manager"]
            manager = self._users.get(self._managers.get(str(user["id"]), ""))
            if manager is not None:
                levels = options.get("$levels", "1")
                deeper = (
                    {"manager": options}
                    if (levels == "max" or int(levels) > depth + 1) and depth < 100
                    else {}
                )
                out["manager"] = self._user_json(
                    manager, _select(options.get("$select")), deeper, typed=True, depth=depth + 1
                )
        return out

    # --- presence ---

    async def _presences_by_user_id(self, request: web.Request) -> bytes:
        """`POST /communications/getPresencesByUserId` with `{"ids": [...]}`: at most 650 ids (A.8)."""
        if request.method != "POST":
            raise GraphError(405)
        try:
            ids = (await request.json()).get("ids")
        except (ValueError, AttributeError):
            raise GraphError(400, "The request body is not a JSON object.") from None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise GraphError(400, "ids must be a non-empty list of user ids.")
        if len(ids) > PRESENCE_MAX_IDS:
            raise GraphError(400, f"At most {PRESENCE_MAX_IDS} ids can be asked for at once.")
        items = []
        for user_id in ids:
            user = self._users.get(user_id)
            if user is None:
                continue
            presence = self._presences.get(user_id, {"availability": "Offline", "activity": "Offline"})
            items.append(_dumps({"id": str(user["id"]), **presence}))
        context = f"{request.scheme}://{request.host}/v1.0/$metadata#Collection(microsoft.graph.presence)"
        return _page(context, {}, items)

    # --- teams and channels ---

    def _list_teams(self, ctx: _Context) -> bytes:
        top = ctx.top(USERS_DEFAULT_TOP, USERS_MAX_TOP)
        predicate = _eq_filter(ctx.param("$filter"))
        teams = [t for t in self._teams.values() if predicate(t)]
        offset = int(_decode_token(ctx.param("$skiptoken")).get("o", 0)) if ctx.param("$skiptoken") else 0
        items = [
            _dumps({k: t.get(k) for k in ("id", "displayName", "description", "visibility")})
            for t in teams[offset : offset + top]
        ]
        links = {}
        if offset + top < len(teams):
            links["@odata.nextLink"] = ctx.link(
                "teams", _encode_token({"v": 1, "o": offset + top}), keep=True
            )
        return _page(f"{ctx.base}/$metadata#teams", links, items)

    def _team(self, team_id: str) -> dict[str, Any]:
        team = self._teams.get(team_id)
        if team is None:
            raise GraphError(404, f"No team found with Group Id {team_id}", "NotFound")
        return team

    def _get_team(self, ctx: _Context, team_id: str) -> bytes:
        return _dumps({"@odata.context": f"{ctx.base}/$metadata#teams/$entity"} | self._team(team_id))

    def _list_members(self, ctx: _Context, team_id: str) -> bytes:
        self._team(team_id)
        top = ctx.top(self.page_size_default, USERS_MAX_TOP)
        members = sorted(self._members.get(team_id, {}).values(), key=lambda m: str(m["id"]))
        offset = int(_decode_token(ctx.param("$skiptoken")).get("o", 0)) if ctx.param("$skiptoken") else 0
        items = [_dumps(member) for member in members[offset : offset + top]]
        links = {}
        if offset + top < len(members):
            links["@odata.nextLink"] = ctx.link(
                f"teams/{team_id}/members", _encode_token({"v": 1, "o": offset + top}), keep=True
            )
        return _page(f"{ctx.base}/$metadata#teams('{team_id}')/members", links, items)

    def _list_channels(self, ctx: _Context, team_id: str) -> bytes:
        self._team(team_id)
        predicate = _eq_filter(ctx.param("$filter"))
        select = _select(ctx.param("$select"))
        items = [
            _dumps(c.obj if select is None else {k: c.obj.get(k) for k in select})
            for c in self._channels.values()
            if c.team_id == team_id and c.removed_status != 404 and predicate(c.obj)
        ]
        return _page(f"{ctx.base}/$metadata#teams('{team_id}')/channels", {}, items)

    def _served_channel(self, team_id: str, channel_id: str) -> _Channel:
        self._team(team_id)
        channel = self._channels.get(channel_id)
        if channel is None or channel.team_id != team_id or channel.removed_status == 404:
            raise GraphError(404, f"Channel {channel_id} was not found in team {team_id}.", "NotFound")
        if channel.removed_status is not None:
            raise GraphError(channel.removed_status, "Forbidden: the app has no access to this channel.")
        return channel

    # --- messages ---

    def _messages_json(
        self, ctx: _Context, channel: _Channel, threads: Iterable[_Thread], expand: bool
    ) -> list[bytes]:
        items: list[bytes] = []
        unknown = ctx.include_unknown_enum
        for thread in threads:
            assert thread.root is not None
            root = thread.root.body(unknown)
            self.served_messages += 1
            if not expand:
                items.append(root)
                continue
            inline = thread.replies[::-1][: self.inline_replies]
            self.served_messages += len(inline)
            parts = [
                root[:-1],
                b',"replies@odata.context":',
                _json_string(
                    f"{ctx.base}/$metadata#{_channel_context(channel)}/messages('{thread.root_id}')/replies"
                ),
                b',"replies@odata.count":',
                str(len(inline)).encode(),
            ]
            if len(inline) < len(thread.replies):
                before = list(inline[-1].key) if inline else [2**53, ""]  # inline_replies=0: from the newest
                state = {"v": 1, "c": channel.id, "r": thread.root_id, "b": before}
                state["t"] = min(self.page_size_default, MESSAGES_MAX_TOP)
                link = ctx.channel_link(channel, f"messages/{thread.root_id}/replies", _encode_token(state))
                parts += [b',"replies@odata.nextLink":', _json_string(link)]
            parts += [b',"replies":[', b",".join(m.body(unknown) for m in inline), b"]}"]
            items.append(b"".join(parts))
        return items

    def _list_messages(self, ctx: _Context, channel: _Channel) -> bytes:
        """Root messages, newest first, cut by a (createdDateTime, id) cursor: inserts never shift a page."""
        token = ctx.param("$skiptoken")
        if token:
            state = _decode_token(token, channel.id)
            top, expand, before = int(state["t"]), bool(state["x"]), tuple(state["b"])
            end = bisect.bisect_left(channel.root_keys, before)
        else:
            top = ctx.top(self.page_size_default, MESSAGES_MAX_TOP)
            expand = _expands_replies(ctx.param("$expand"))
            end = len(channel.root_keys)
        keys = channel.root_keys[max(0, end - top) : end][::-1]
        links = {}
        if end - top > 0:
            state = {"v": 1, "c": channel.id, "t": top, "x": int(expand), "b": list(keys[-1])}
            links["@odata.nextLink"] = ctx.channel_link(channel, "messages", _encode_token(state))
        items = self._messages_json(ctx, channel, (channel.threads[k[1]] for k in keys), expand)
        self._pages[channel.id] += 1
        return _page(f"{ctx.base}/$metadata#{_channel_context(channel)}/messages", links, items)

    def _get_message(self, ctx: _Context, channel: _Channel, message_id: str, root_id: str | None) -> bytes:
        message = channel.messages.get(message_id)
        if message is None or message.reply_to != root_id:
            raise GraphError(404, f"Message {message_id} was not found.", "NotFound")
        entity = f"messages('{root_id}')/replies" if root_id else "messages"
        context = _json_string(f"{ctx.base}/$metadata#{_channel_context(channel)}/{entity}/$entity")
        self.served_messages += 1
        return b'{"@odata.context":' + context + b"," + message.body(ctx.include_unknown_enum)[1:]

    def _list_replies(self, ctx: _Context, channel: _Channel, root_id: str) -> bytes:
        """A thread's replies, newest first, cut by a (createdDateTime, id) cursor."""
        thread = channel.threads.get(root_id)
        if thread is None or thread.root is None:
            raise GraphError(404, f"Message {root_id} was not found.", "NotFound")
        token = ctx.param("$skiptoken")
        if token:
            state = _decode_token(token, channel.id)
            if state.get("r") != root_id:
                raise GraphError(400, "The token was issued for another message.")
            top = int(state["t"])
            end = bisect.bisect_left(thread.replies, tuple(state["b"]), key=lambda m: m.key)
        else:
            top = ctx.top(self.page_size_default, MESSAGES_MAX_TOP)
            end = len(thread.replies)
        page = thread.replies[max(0, end - top) : end][::-1]
        links = {}
        if end - top > 0:
            state = {"v": 1, "c": channel.id, "r": root_id, "t": top, "b": list(page[-1].key)}
            links["@odata.nextLink"] = ctx.channel_link(
                channel, f"messages/{root_id}/replies", _encode_token(state)
            )
        self.served_messages += len(page)
        self._pages[channel.id] += 1
        unknown = ctx.include_unknown_enum
        context = f"{ctx.base}/$metadata#{_channel_context(channel)}/messages('{root_id}')/replies"
        return _page(context, links, [m.body(unknown) for m in page])

    # --- delta ---

    def _delta_window_ms(self) -> int:
        return _datetime_ms(_months_before(self.now, DELTA_WINDOW_MONTHS))

    def _delta(self, ctx: _Context, channel: _Channel) -> bytes:
        skiptoken, deltatoken = ctx.param("$skiptoken"), ctx.param("$deltatoken")
        if skiptoken:
            state = _decode_token(skiptoken, channel.id)
        elif deltatoken:
            # A new incremental round: the threads changed after the token's sequence, up to now's.
            previous = _decode_token(deltatoken, channel.id)
            if previous.get("g", 0) != self._delta_generation:
                raise GraphError(
                    410, "The delta token is expired and data must be synchronized again.", "resyncRequired"
                )
            state = {"v": 1, "c": channel.id, "m": "c", "s": previous["s"], "e": self._seq, "o": 0}
            state |= {"t": previous["t"], "x": previous["x"]}
        else:
            threshold = self._delta_window_ms()
            condition = ctx.param("$filter")
            if condition:
                matched = _DELTA_FILTER.match(condition)
                if matched is None:
                    raise GraphError(
                        400, "Only $filter=lastModifiedDateTime gt <dateTime> is supported on delta."
                    )
                threshold = max(threshold, _ms(_repair_decoded_plus(matched.group(1))))
            top = ctx.top(self.page_size_default, MESSAGES_MAX_TOP)
            expand = _expands_replies(ctx.param("$expand"))
            state = {
                "v": 1,
                "c": channel.id,
                "m": "i",
                "f": threshold,
                "e": self._seq,
                "t": top,
                "x": int(expand),
            }
        top, expand = int(state["t"]), bool(state["x"])
        following: dict[str, Any] | None = None
        if state["m"] == "i":
            threads, cursor = self._initial_page(channel, state, top)
            if cursor is not None:
                following = {**state, "a": list(cursor)}
        else:
            changed = self._changed_roots(channel, int(state["s"]), int(state["e"]))
            offset = int(state["o"])
            threads = [channel.threads[root_id] for root_id in changed[offset : offset + top]]
            if offset + top < len(changed):
                following = {**state, "o": offset + top}
        links: dict[str, Any] = {}
        if following is not None:
            links["@odata.nextLink"] = ctx.channel_link(
                channel, "messages/delta", _encode_token(following), "$skiptoken"
            )
        else:
            final = {"v": 1, "c": channel.id, "s": state["e"], "t": top, "x": int(expand)}
            if self._delta_generation:
                final["g"] = self._delta_generation
            links["@odata.deltaLink"] = ctx.channel_link(
                channel, "messages/delta", _encode_token(final), "$deltatoken"
            )
        items = self._messages_json(ctx, channel, threads, expand)
        self._pages[channel.id] += 1
        return _page(f"{ctx.base}/$metadata#Collection(chatMessage)", links, items)

    def _initial_page(
        self, channel: _Channel, state: Mapping[str, Any], top: int
    ) -> tuple[list[_Thread], tuple[int, str] | None]:
        """The next `top` threads after the cursor changed since the threshold, and the cursor if more follow.

        Scanning from a root key (not an offset) keeps pages stable when roots are added, and the whole round
        costs one pass over the channel's roots however the matching ones are spread.
        """
        keys = channel.root_keys
        index = bisect.bisect_right(keys, tuple(state["a"])) if "a" in state else 0
        threshold = int(state["f"])
        found: list[_Thread] = []
        while index < len(keys):
            key = keys[index]
            index += 1
            thread = channel.threads[key[1]]
            if thread.modified_ms > threshold:
                if len(found) == top:
                    return found, found[-1].root_key
                found.append(thread)
        return found, None

    def _changed_roots(self, channel: _Channel, since: int, until: int) -> list[str]:
        """Roots of the threads changed in (since, until], oldest first; fixed once `until` has passed."""
        cache_key = (channel.id, since, until)
        cached = self._changed_cache.get(cache_key)
        if cached is not None:
            return cached
        start = bisect.bisect_right(channel.change_seqs, since)
        stop = bisect.bisect_right(channel.change_seqs, until)
        roots = {r for r in channel.change_roots[start:stop] if channel.threads[r].root is not None}
        ordered = sorted(roots, key=lambda r: channel.threads[r].root_key)
        if len(self._changed_cache) > 1024:
            self._changed_cache.clear()
        self._changed_cache[cache_key] = ordered
        return ordered


class _Throttle(Exception):
    def __init__(self, status: int, retry_after: str | None) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after = retry_after


@dataclass(slots=True)
class _Context:
    """What a handler needs of a request: its query and the absolute base its links point at."""

    request: web.Request
    base: str

    def param(self, name: str) -> str:
        query = self.request.query
        return query.get(name) or query.get(name.lstrip("$")) or ""

    def top(self, default: int, maximum: int) -> int:
        raw = self.param("$top")
        if not raw:
            return default
        try:
            top = int(raw)
        except ValueError:
            raise GraphError(400, f"Invalid page size specified: '{raw}'.") from None
        if not 1 <= top <= maximum:
            raise GraphError(
                400, f"Invalid page size specified: '{raw}'. Must be between 1 and {maximum} inclusive."
            )
        return top

    @property
    def include_unknown_enum(self) -> bool:
        return "include-unknown-enum-members" in self.request.headers.get("Prefer", "")

    def link(self, path: str, token: str, *, keep: bool) -> str:
        """An absolute link to `path` with `$skiptoken`; `keep` repeats the request's other parameters."""
        params = (
            [(k, v) for k, v in self.request.query.items() if k.lstrip("$") != "skiptoken"] if keep else []
        )
        params.append(("$skiptoken", token))
        query = "&".join(f"{k}={quote(v, safe=_LINK_SAFE)}" for k, v in params)
        return f"{self.base}/{path}?{query}"

    def channel_link(self, channel: _Channel, path: str, token: str, name: str = "$skiptoken") -> str:
        """Graph's links name the channel raw (`19:…@thread.tacv2`), as clients follow them verbatim."""
        return f"{self.base}/teams/{channel.team_id}/channels/{channel.id}/{path}?{name}={token}"


# --- small helpers ---


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _json_string(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False).encode()


def _page(context: str, links: Mapping[str, Any], items: list[bytes]) -> bytes:
    head = [b'{"@odata.context":', _json_string(context)]
    for name, value in links.items():
        head += [b',"', name.encode(), b'":', _dumps(value)]
    return b"".join(head) + b',"value":[' + b",".join(items) + b"]}"


def _channel_context(channel: _Channel) -> str:
    return f"teams('{channel.team_id}')/channels('{quote(channel.id, safe='')}')"


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _channel_of(segments: list[str]) -> str | None:
    if (
        len(segments) >= 5
        and segments[1].lower() == "teams"
        and segments[3].lower() in ("channels", "allchannels")
    ):
        return segments[4]
    return None


def _team_of(segments: list[str]) -> str | None:
    if len(segments) >= 3 and segments[1].lower() == "teams":
        return segments[2]
    return None


def _take(faults: list[_Fault], path: str) -> _Fault | None:
    for fault in faults:
        if fault.where is None or fault.where in path:
            if fault.after > 0:
                fault.after -= 1
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.remove(fault)
            return fault
    return None


def _kind(obj: Mapping[str, Any]) -> str:
    odata_type = str(obj.get("@odata.type") or "")
    if odata_type:
        return odata_type.rsplit(".", 1)[-1]
    if "body" in obj and "createdDateTime" in obj:
        return "chatMessage"
    if "membershipType" in obj:
        return "channel"
    if "userPrincipalName" in obj or "jobTitle" in obj:
        return "user"
    return ""


def _reaction_matches(reaction: Mapping[str, Any], user_id: str, reaction_type: str) -> bool:
    who = ((reaction.get("user") or {}).get("user") or {}).get("id")
    return who == user_id and reaction.get("reactionType") == reaction_type


def _select(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    return [name.strip() for name in raw.split(",") if name.strip()]


def _select_suffix(select: list[str] | None) -> str:
    return f"({','.join(select)})" if select else ""


def _expand(raw: str | None) -> dict[str, dict[str, str]]:
    """`manager($levels=max;$select=id,displayName)` → {"manager": {"$levels": "max", "$select": "id,…"}}."""
    expanded: dict[str, dict[str, str]] = {}
    if not raw:
        return expanded
    matched = _EXPAND.match(raw)
    if matched is None:
        raise GraphError(400, f"Parsing OData Select and Expand failed: {raw}")
    name, inner = matched.group(1), matched.group(2) or ""
    options = {}
    for option in filter(None, (o.strip() for o in inner.split(";"))):
        key, _, value = option.partition("=")
        options["$" + key.strip().lstrip("$")] = value.strip()
    levels = options.get("$levels", "1")
    if levels != "max" and not (levels.isdigit() and 1 <= int(levels) <= 1000):
        raise GraphError(400, f"$levels must be max or 1 to 1000, not '{levels}'.")
    if name.lower() not in ("manager", "replies"):
        raise GraphError(400, f"Could not find a property named '{name}' to expand.")
    expanded[name.lower()] = options
    return expanded


def _expands_replies(raw: str | None) -> bool:
    if not raw:
        return False
    if _expand(raw).keys() != {"replies"}:
        raise GraphError(400, "Only $expand=replies is supported on channel messages.")
    return True


def _eq_filter(raw: str | None) -> Callable[[Mapping[str, Any]], bool]:
    """A tiny OData `$filter`: `prop eq literal` clauses joined by `and` (enough for users and channels)."""
    if not raw:
        return lambda _: True
    clauses: list[tuple[str, Any]] = []
    for clause in _AND.split(raw):
        matched = _EQ_CLAUSE.match(clause)
        if matched is None:
            raise GraphError(400, f"Unsupported query: $filter={raw}", "Request_UnsupportedQuery")
        literal = matched.group(2)
        quoted = literal.startswith("'")
        value: Any = literal[1:-1].replace("''", "'") if quoted else json.loads(literal.lower())
        clauses.append((matched.group(1), value))
    return lambda obj: all(obj.get(name) == value for name, value in clauses)


def _repair_decoded_plus(moment: str) -> str:
    """An unencoded `+02:00` in a query reaches us as ` 02:00`; put the plus back."""
    return _DECODED_PLUS.sub(r"\1+\2", moment.strip())


def _ms(iso: Any) -> int:
    text = str(iso).strip()
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise GraphError(400, f"'{iso}' is not a valid dateTimeOffset.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _datetime_ms(moment)


def _datetime_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware, e.g. datetime(2026, 11, 1, tzinfo=UTC)")
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _iso(ms: int) -> str:
    """Graph's form: UTC, milliseconds with trailing zeros dropped ("…:36.26Z", "…:36Z")."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    fraction = f"{ms % 1000:03d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def _months_before(moment: datetime, months: int) -> datetime:
    years, month_index = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + years, month_index + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


# --- pytest and the command line ---

StartFakeGraph = Callable[..., Awaitable[FakeGraph]]


@pytest.fixture
async def fake_graph() -> AsyncIterator[StartFakeGraph]:
    """A starter: `graph = await fake_graph(objects, now, token=…)` serves on loopback until the test ends."""
    started: list[FakeGraph] = []

    async def start(objects: Iterable[Mapping[str, Any]], now: datetime, **options: Any) -> FakeGraph:
        graph = FakeGraph(objects, now, **options)
        await graph.start()
        started.append(graph)
        return graph

    yield start
    for graph in started:
        await graph.close()


def read_json_lines(path: Path) -> Iterator[dict[str, Any]]:
    """The objects of a JSON Lines tenant file (blank lines skipped)."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path}:{number}: {error}") from error


async def _serve(arguments: argparse.Namespace) -> None:
    if arguments.tenant:
        objects: Iterable[Mapping[str, Any]] = read_json_lines(Path(arguments.tenant))
    else:
        from bot.demo import generate_demo_tenant

        objects = generate_demo_tenant(arguments.demo_seed)
    now = datetime.fromisoformat(arguments.now) if arguments.now else datetime.now(UTC)
    graph = FakeGraph(
        objects,
        now,
        token=arguments.token,
        inline_replies=arguments.inline_replies,
        record_requests=False,
    )
    if arguments.channel_rps or arguments.global_rps:
        graph.limits(arguments.channel_rps, arguments.global_rps)
    await graph.start(arguments.host, arguments.port)
    logger.info("expected stats after a full import: %s", json.dumps(graph.expected_stats()))
    logger.info("after a delta-only import: %s", json.dumps(graph.expected_stats(delta_only=True)))
    try:
        await asyncio.Event().wait()
    finally:
        await graph.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_graph", description="Serve a tenant as Graph."
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--tenant", help="a JSON Lines file of Graph objects (e.g. the demo tenant)")
    source.add_argument("--demo-seed", type=int, help="serve generate_demo_tenant(SEED) directly")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", help="require `Authorization: Bearer TOKEN`")
    parser.add_argument("--now", help="the server's present, ISO 8601 with offset (default: the clock)")
    parser.add_argument("--inline-replies", type=int, default=1000, help="replies inlined by $expand=replies")
    parser.add_argument("--channel-rps", type=float, help="throttle each team or channel (Graph: 4)")
    parser.add_argument("--global-rps", type=float, help="throttle all requests")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(arguments))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
