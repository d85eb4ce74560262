"""Plain domain records shared by the store, the importers and the expertise engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple

Language = Literal["en", "fi"]


@dataclass(frozen=True, slots=True)
class Person:
    """A colleague as Microsoft Graph describes them (`user`)."""

    id: str  # Entra object id
    display_name: str
    user_principal_name: str | None = None
    mail: str | None = None
    job_title: str | None = None
    department: str | None = None
    office_location: str | None = None
    preferred_language: str | None = None
    manager_id: str | None = None
    account_enabled: bool = True
    about_me: str | None = None
    skills: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    responsibilities: tuple[str, ...] = ()
    past_projects: tuple[str, ...] = ()
    has_profile: bool = True  # False when read from a list that carries no self-written profile fields


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    display_name: str
    description: str | None = None
    visibility: str | None = None  # Graph's `public`, `private` or `hiddenMembership`; None: not told


@dataclass(frozen=True, slots=True)
class TeamMember:
    """A person's membership of a Teams team (Graph's `aadUserConversationMember`)."""

    team_id: str  # the team's group id
    person_id: str  # Entra object id


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    team_id: str
    display_name: str
    membership_type: str = "standard"


@dataclass(frozen=True, slots=True)
class Reaction:
    user_id: str
    reaction_type: str
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A channel message (root post or reply) reduced to what Seula uses."""

    id: str
    team_id: str
    channel_id: str
    reply_to_id: str | None
    author_id: str | None  # None for system events and messages from applications
    author_name: str | None
    created_at: datetime
    last_modified_at: datetime | None
    deleted_at: datetime | None
    subject: str | None
    text: str  # clean text derived from the HTML body
    web_url: str | None
    message_type: str = "message"
    from_application: bool = False
    mentions: tuple[str, ...] = ()  # user ids mentioned
    reactions: tuple[Reaction, ...] = field(default=())

    @property
    def is_root(self) -> bool:
        return self.reply_to_id is None

    @property
    def is_people_writing(self) -> bool:
        """True for messages a person wrote (not system events, bots, or deleted ones)."""
        return (
            self.message_type == "message"
            and not self.from_application
            and self.author_id is not None
            and self.deleted_at is None
        )


# Graph sync reads hundreds of thousands of messages only to encode them as rows, and a frozen dataclass costs
# four times as much to build as a named tuple.
class MessageFields(NamedTuple):
    """A `Message`'s fields, in the same order (`Message(*fields)`), as a named tuple."""

    id: str
    team_id: str
    channel_id: str
    reply_to_id: str | None
    author_id: str | None
    author_name: str | None
    created_at: datetime
    last_modified_at: datetime | None
    deleted_at: datetime | None
    subject: str | None
    text: str
    web_url: str | None
    message_type: str
    from_application: bool
    mentions: tuple[str, ...]
    reactions: tuple[Reaction, ...]


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """How to reach a Teams conversation later: kept on install and on every message, dropped on uninstall."""

    id: str
    conversation_type: str  # personal, channel or groupChat
    service_url: str
    reference: dict[str, object]  # the Bot Framework conversation reference, as JSON
    updated_at: datetime
    tenant_id: str | None = None
    user_id: str | None = None  # Entra object id, for personal conversations
    team_id: str | None = None
    channel_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelSync:
    """Where Graph ingestion stands for one channel: the round in progress and the saved delta link."""

    channel_id: str
    team_id: str
    state: str = "new"  # new, syncing, ok, gone (404), forbidden (403), failed
    round_kind: str | None = None  # backfill (full history) or delta
    round_link: str | None = None  # the next page of the round in progress: where a restart resumes
    round_started_at: datetime | None = None
    delta_link: str | None = None  # saved after each completed round
    last_round_at: datetime | None = None
    last_error: str | None = None
    rounds: int = 0
    pages: int = 0
    messages: int = 0


DeliveryStatus = Literal["pending", "sent", "unreachable", "failed", "uncertain"]


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One proactive message to one person, keyed by (kind, recipient, period): sent at most once."""

    kind: str  # nudge, summary, ...
    recipient_id: str  # Entra object id
    period: str  # e.g. 2026-W48: the same kind, person and period is never sent twice
    due_at: datetime
    card: dict[str, object]  # the Adaptive Card
    summary: str  # plain text: the notification preview and the fallback where cards don't render
    id: int | None = None
    status: DeliveryStatus = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None  # a status code and error code, never a secret or a message body
    sent_at: datetime | None = None
