"""The store's tables as SQLAlchemy Core objects: the shape the newest migration leaves behind."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every engine (SQLite keeps no zone, so it is added back on read)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


metadata = sa.MetaData()

people = sa.Table(
    "people",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.Text, nullable=False),
    sa.Column("user_principal_name", sa.Text),
    sa.Column("mail", sa.Text),
    sa.Column("job_title", sa.Text),
    sa.Column("department", sa.Text),
    sa.Column("office_location", sa.Text),
    sa.Column("preferred_language", sa.String(16)),
    sa.Column("manager_id", sa.String(64), index=True),
    sa.Column("account_enabled", sa.Boolean, nullable=False),
    sa.Column("about_me", sa.Text),
    sa.Column("skills", sa.JSON, nullable=False),
    sa.Column("interests", sa.JSON, nullable=False),
    sa.Column("responsibilities", sa.JSON, nullable=False),
    sa.Column("past_projects", sa.JSON, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

teams = sa.Table(
    "teams",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("visibility", sa.String(32)),  # public, private, hiddenMembership; NULL: never told
)

team_members = sa.Table(
    "team_members",
    metadata,
    sa.Column("team_id", sa.String(64), primary_key=True),
    sa.Column("person_id", sa.String(64), primary_key=True),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_team_members_person", "person_id"),
)

channels = sa.Table(
    "channels",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("team_id", sa.String(64), nullable=False, index=True),
    sa.Column("display_name", sa.Text, nullable=False),
    sa.Column("membership_type", sa.String(32), nullable=False),
    sa.Column("last_synced_at", UTCDateTime),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("channel_id", sa.String(128), primary_key=True),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("team_id", sa.String(64), nullable=False),
    sa.Column("reply_to_id", sa.String(64)),
    sa.Column("author_id", sa.String(64), index=True),
    sa.Column("author_name", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_modified_at", UTCDateTime),
    sa.Column("deleted_at", UTCDateTime),
    sa.Column("subject", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("web_url", sa.Text),
    sa.Column("message_type", sa.String(32), nullable=False),
    sa.Column("from_application", sa.Boolean, nullable=False),
    sa.Column("mentions", sa.JSON, nullable=False),
    sa.Index("ix_messages_thread", "channel_id", "reply_to_id"),
)

reactions = sa.Table(
    "reactions",
    metadata,
    sa.Column("channel_id", sa.String(128), primary_key=True),
    sa.Column("message_id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("reaction_type", sa.String(64), primary_key=True),
    sa.Column("created_at", UTCDateTime),
    sa.Index("ix_reactions_user", "user_id"),
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.String(512), primary_key=True),
    sa.Column("conversation_type", sa.String(32), nullable=False),
    sa.Column("tenant_id", sa.String(64)),
    sa.Column("user_id", sa.String(64), index=True),
    sa.Column("team_id", sa.String(128)),
    sa.Column("channel_id", sa.String(128)),
    sa.Column("service_url", sa.Text, nullable=False),
    sa.Column("reference", sa.JSON, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("welcomed_at", UTCDateTime),
)

channel_sync = sa.Table(
    "channel_sync",
    metadata,
    sa.Column("channel_id", sa.String(128), primary_key=True),
    sa.Column("team_id", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("round_kind", sa.String(16)),
    sa.Column("round_link", sa.Text),
    sa.Column("round_started_at", UTCDateTime),
    sa.Column("delta_link", sa.Text),
    sa.Column("last_round_at", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("rounds", sa.Integer, nullable=False),
    sa.Column("pages", sa.Integer, nullable=False),
    sa.Column("messages", sa.Integer, nullable=False),
)

sync_cursors = sa.Table(
    "sync_cursors",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
)

erased_people = sa.Table(
    "erased_people",
    metadata,
    sa.Column("person_hash", sa.String(64), primary_key=True),
    sa.Column("erased_at", UTCDateTime, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
)

suggestions = sa.Table(
    "suggestions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("person_id", sa.String(64), nullable=False, index=True),
    sa.Column("topic", sa.Text, nullable=False),
)

person_settings = sa.Table(
    "person_settings",
    metadata,
    sa.Column("person_id", sa.String(64), primary_key=True),
    sa.Column("hidden", sa.Boolean, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("opted_in", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("team_only", sa.Boolean, nullable=False, server_default=sa.false()),
)

person_hidden_topics = sa.Table(
    "person_hidden_topics",
    metadata,
    sa.Column("person_id", sa.String(64), primary_key=True),
    sa.Column("topic", sa.String(200), primary_key=True),
    sa.Column("hidden_at", UTCDateTime, nullable=False),
)


outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("recipient_id", sa.String(64), nullable=False),
    sa.Column("period", sa.String(32), nullable=False),
    sa.Column("card", sa.JSON, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("lease_owner", sa.String(128)),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("sending_since", UTCDateTime),  # an attempt is in flight: after a crash, never resent blindly
    sa.Column("last_error", sa.Text),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("kind", "recipient_id", "period", name="uq_outbox_item"),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
    sa.Index("ix_outbox_recipient", "recipient_id"),
)

delivery_recipients = sa.Table(
    "delivery_recipients",
    metadata,
    sa.Column("person_id", sa.String(64), primary_key=True),
    sa.Column("timezone", sa.String(64)),  # IANA name Teams reported with the person's last message
    sa.Column("unreachable_at", UTCDateTime),  # a 403: blocked or uninstalled; cleared when they come back
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

nudge_settings = sa.Table(
    "nudge_settings",
    metadata,
    sa.Column("person_id", sa.String(64), primary_key=True),
    sa.Column("enabled", sa.Boolean),
    sa.Column("snoozed_until", UTCDateTime),
    sa.Column("goal_days", sa.Integer),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

nudge_log = sa.Table(
    "nudge_log",
    metadata,
    sa.Column("person_id", sa.String(64), primary_key=True),
    sa.Column("week", sa.String(8), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

nudge_prompts = sa.Table(
    "nudge_prompts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("person_id", sa.String(64), nullable=False),
    sa.Column("week", sa.String(8), nullable=False),
    sa.Column("channel_id", sa.String(128), nullable=False),
    sa.Column("message_id", sa.String(64), nullable=False),
    sa.Column("terms", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # offered, accepted, dismissed
    sa.Column("offered_at", UTCDateTime, nullable=False),
    sa.Column("remind_at", UTCDateTime),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("outcome_channel_id", sa.String(128)),
    sa.Column("outcome_message_id", sa.String(64)),
    sa.Column("outcome_at", UTCDateTime),
    sa.Column("outcome_reactions", sa.Integer, nullable=False),
    sa.UniqueConstraint("person_id", "channel_id", "message_id", name="uq_nudge_prompts_question"),
)

summary_subscriptions = sa.Table(
    "summary_subscriptions",
    metadata,
    sa.Column("manager_id", sa.String(64), primary_key=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("subscribed_at", UTCDateTime, nullable=False),
)
