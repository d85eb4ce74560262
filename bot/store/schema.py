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
    # False until this version of the message is in the expertise index (every write sets it false).
    sa.Column("indexed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_messages_thread", "channel_id", "reply_to_id"),
    sa.Index(
        "ix_messages_unindexed",
        "channel_id",
        "id",
        sqlite_where=sa.text("NOT indexed"),
        postgresql_where=sa.text("NOT indexed"),
    ),
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
    # Each answer records whom it suggested; each query counts the last week's by person (covering).
    sa.Index("ix_suggestions_at", "at", "person_id", "topic"),
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

# The expertise index (migration 0010): what "who knows X" reads, kept in step with `messages` by the
# indexer (`messages.indexed` is false until a message's current version is in it). Words and people are
# numbered so the postings stay small; the postings are keyed the way queries read them.
index_terms = sa.Table(
    "index_terms",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("term", sa.Text, nullable=False, unique=True),
    sa.Column("prefix", sa.String(8), nullable=False),  # the first 5 characters: longer forms of a word
    sa.Column("df", sa.Integer, nullable=False),  # indexed messages holding it
    sa.Index("ix_index_terms_prefix", "prefix"),
)

index_people = sa.Table(
    "index_people",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("person_id", sa.String(64), nullable=False, unique=True),
    sa.Column("answers", sa.Integer, nullable=False, server_default="0"),  # replies in others' threads
)

index_docs = sa.Table(
    "index_docs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("channel_id", sa.String(128), nullable=False),
    sa.Column("message_id", sa.String(64), nullable=False),
    sa.Column("person", sa.Integer, nullable=False),
    sa.Column("thread_id", sa.String(64), nullable=False),  # the root's id: one thread counts once
    sa.Column("team_id", sa.String(64), nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),  # Unix seconds: read in bulk by every query
    sa.Column("is_answer", sa.Boolean, nullable=False),
    sa.Column("reactions", sa.Integer, nullable=False),
    sa.Column("length", sa.Integer, nullable=False),
    sa.Column("terms", sa.Text, nullable=False),  # "term id:count ...": what to take out when it changes
    sa.Column("fingerprint", sa.String(32), nullable=False),  # of what it was indexed from
    sa.UniqueConstraint("channel_id", "message_id", name="uq_index_docs_message"),
    sa.Index("ix_index_docs_person", "person", "created"),
    # Narrow (id, created) pairs: a query's window over a person's postings of a word orders them by date,
    # and looking dates up here instead of in the wide rows (their words, ids as text) takes a third off.
    sa.Index("ix_index_docs_created", "id", "created"),
    # The latest messages first, for learning synonyms (the messages table has no index by date).
    sa.Index("ix_index_docs_recent", "created"),
)

# No primary key but a unique index: a first build appends the postings and creates the index afterwards
# (one sort instead of a random insert per posting). The index holds `tf` too, so a query reads it alone.
index_postings = sa.Table(
    "index_postings",
    metadata,
    sa.Column("term", sa.Integer, nullable=False),
    sa.Column("person", sa.Integer, nullable=False),
    sa.Column("doc", sa.Integer, nullable=False),
    sa.Column("tf", sa.Integer, nullable=False),
    sa.Index("ix_index_postings_key", "term", "person", "doc", "tf", unique=True),
)

index_person_terms = sa.Table(
    "index_person_terms",
    metadata,
    sa.Column("term", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("person", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("docs", sa.Integer, nullable=False),
    sa.Column("weight", sa.Float, nullable=False),  # the sum of their messages' BM25 term parts: a bound
    sa.Index("ix_index_person_terms_weight", "term", "weight"),
    sqlite_with_rowid=False,
)

index_stats = sa.Table(
    "index_stats",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
)

index_synonyms = sa.Table(
    "index_synonyms",
    metadata,
    sa.Column("term", sa.Text, primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),  # synonym (k8s → kubernetes), abbreviation
    sa.Column("phrase", sa.Text, primary_key=True),  # space-separated terms
    sa.Column("learned_at", UTCDateTime, nullable=False),
)
