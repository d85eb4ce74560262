"""Numbered schema migrations, applied in order and recorded in `seula_schema_version`.

Each migration is frozen once released: a later change to the schema is a new migration plus the matching
change in `schema.py` (a test checks that the migrated database and `schema.py` agree on both engines).
Alembic's `Operations` give DDL that works on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from bot.store.schema import UTCDateTime

Migration = Callable[[Operations], None]

_version_table = sa.Table(
    "seula_schema_version",
    sa.MetaData(),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)


def _0001_initial(op: Operations) -> None:
    op.create_table(
        "people",
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
    op.create_table(
        "teams",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("team_id", sa.String(64), nullable=False, index=True),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("membership_type", sa.String(32), nullable=False),
        sa.Column("last_synced_at", UTCDateTime),
    )
    op.create_table(
        "messages",
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
    )
    op.create_index("ix_messages_thread", "messages", ["channel_id", "reply_to_id"])
    op.create_table(
        "reactions",
        sa.Column("channel_id", sa.String(128), primary_key=True),
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("reaction_type", sa.String(64), primary_key=True),
        sa.Column("created_at", UTCDateTime),
    )
    op.create_index("ix_reactions_user", "reactions", ["user_id"])
    op.create_table(
        "conversations",
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
    op.create_table(
        "person_settings",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def _0002_graph_sync(op: Operations) -> None:
    op.create_table(
        "channel_sync",
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
    op.create_table(
        "sync_cursors",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
    )


def _0003_erasure(op: Operations) -> None:
    op.create_table(
        "erased_people",
        sa.Column("person_hash", sa.String(64), primary_key=True),
        sa.Column("erased_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )


def _0004_suggestions(op: Operations) -> None:
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False, index=True),
        sa.Column("topic", sa.Text, nullable=False),
    )


def _0005_outbox(op: Operations) -> None:
    op.create_table(
        "outbox",
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
        sa.Column("sending_since", UTCDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("sent_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("kind", "recipient_id", "period", name="uq_outbox_item"),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_recipient", "outbox", ["recipient_id"])
    op.create_table(
        "delivery_recipients",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("timezone", sa.String(64)),
        sa.Column("unreachable_at", UTCDateTime),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def _0006_visibility(op: Operations) -> None:
    # Who said "show me" (consent under the opt-in default) and who limited themselves to their team.
    op.add_column(
        "person_settings", sa.Column("opted_in", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.add_column(
        "person_settings", sa.Column("team_only", sa.Boolean, nullable=False, server_default=sa.false())
    )
    # Before this migration a settings row said "hide me" or "show me": an unhidden row was a "show me".
    op.execute(
        sa.text("UPDATE person_settings SET opted_in = :yes WHERE hidden = :no").bindparams(
            yes=True, no=False
        )
    )
    op.create_table(
        "person_hidden_topics",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("topic", sa.String(200), primary_key=True),
        sa.Column("hidden_at", UTCDateTime, nullable=False),
    )


def _0007_nudges(op: Operations) -> None:
    op.create_table(
        "nudge_settings",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("enabled", sa.Boolean),  # NULL: the admin's default (NUDGES_DEFAULT)
        sa.Column("snoozed_until", UTCDateTime),
        sa.Column("goal_days", sa.Integer),  # NULL: the default goal
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "nudge_log",
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("week", sa.String(8), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "nudge_prompts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("offered_at", UTCDateTime, nullable=False),
        sa.Column("remind_at", UTCDateTime),
        sa.Column("decided_at", UTCDateTime),
        sa.Column("outcome_channel_id", sa.String(128)),
        sa.Column("outcome_message_id", sa.String(64)),
        sa.Column("outcome_at", UTCDateTime),
        sa.Column("outcome_reactions", sa.Integer, nullable=False),
        sa.UniqueConstraint("person_id", "channel_id", "message_id", name="uq_nudge_prompts_question"),
    )


def _0008_summaries(op: Operations) -> None:
    op.create_table(
        "summary_subscriptions",
        sa.Column("manager_id", sa.String(64), primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("subscribed_at", UTCDateTime, nullable=False),
    )


def _0009_team_access(op: Operations) -> None:
    # Who may see a team's channels: its visibility, and its members (for private teams).
    op.add_column("teams", sa.Column("visibility", sa.String(32)))
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.String(64), primary_key=True),
        sa.Column("person_id", sa.String(64), primary_key=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_team_members_person", "team_members", ["person_id"])


def _0010_expertise_index(op: Operations) -> None:
    # The expertise index lives in the database, so replicas share it and it is kept up to date message by
    # message. Every message starts unindexed: the indexer builds the index from what is already stored.
    op.add_column("messages", sa.Column("indexed", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_index(
        "ix_messages_unindexed",
        "messages",
        ["channel_id", "id"],
        sqlite_where=sa.text("NOT indexed"),
        postgresql_where=sa.text("NOT indexed"),
    )
    op.create_table(
        "index_terms",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("term", sa.Text, nullable=False, unique=True),
        sa.Column("prefix", sa.String(8), nullable=False),
        sa.Column("df", sa.Integer, nullable=False),
    )
    op.create_index("ix_index_terms_prefix", "index_terms", ["prefix"])
    op.create_table(
        "index_people",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("person_id", sa.String(64), nullable=False, unique=True),
        sa.Column("answers", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "index_docs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("person", sa.Integer, nullable=False),
        sa.Column("thread_id", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("created", sa.BigInteger, nullable=False),
        sa.Column("is_answer", sa.Boolean, nullable=False),
        sa.Column("reactions", sa.Integer, nullable=False),
        sa.Column("length", sa.Integer, nullable=False),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.UniqueConstraint("channel_id", "message_id", name="uq_index_docs_message"),
    )
    op.create_index("ix_index_docs_person", "index_docs", ["person", "created"])
    op.create_table(
        "index_postings",
        sa.Column("term", sa.Integer, nullable=False),
        sa.Column("person", sa.Integer, nullable=False),
        sa.Column("doc", sa.Integer, nullable=False),
        sa.Column("tf", sa.Integer, nullable=False),
    )
    op.create_index("ix_index_postings_key", "index_postings", ["term", "person", "doc", "tf"], unique=True)
    op.create_table(
        "index_person_terms",
        sa.Column("term", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("person", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("docs", sa.Integer, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_index_person_terms_weight", "index_person_terms", ["term", "weight"])
    op.create_table(
        "index_stats",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
    )
    op.create_table(
        "index_synonyms",
        sa.Column("term", sa.Text, primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("phrase", sa.Text, primary_key=True),
        sa.Column("learned_at", UTCDateTime, nullable=False),
    )


def _0011_query_path_indexes(op: Operations) -> None:
    """Indexes only, no rows rewritten: messages' dates beside their ids (the postings' latest-first window)
    and by date alone (the synonyms' read of the latest messages); suggestions by date (a query counts the
    last week's, and the table keeps every answer's)."""
    op.create_index("ix_index_docs_created", "index_docs", ["id", "created"])
    op.create_index("ix_index_docs_recent", "index_docs", ["created"])
    op.create_index("ix_suggestions_at", "suggestions", ["at", "person_id", "topic"])


MIGRATIONS: tuple[Migration, ...] = (
    _0001_initial,
    _0002_graph_sync,
    _0003_erasure,
    _0004_suggestions,
    _0005_outbox,
    _0006_visibility,
    _0007_nudges,
    _0008_summaries,
    _0009_team_access,
    _0010_expertise_index,
    _0011_query_path_indexes,
)


def schema_version(connection: sa.Connection) -> int:
    """The number of migrations applied to this database (0 for a new one)."""
    if not sa.inspect(connection).has_table(_version_table.name):
        return 0
    return int(
        connection.execute(sa.select(sa.func.coalesce(sa.func.max(_version_table.c.version), 0))).scalar_one()
    )


def apply_migrations(connection: sa.Connection) -> list[int]:
    """Bring the database up to the newest schema inside the caller's transaction; return what ran."""
    _version_table.create(connection, checkfirst=True)
    if connection.dialect.name == "postgresql":
        # Two replicas starting together must not both migrate: the second waits, then finds nothing to do.
        connection.execute(sa.text("LOCK TABLE seula_schema_version IN EXCLUSIVE MODE"))
    current = schema_version(connection)
    if current > len(MIGRATIONS):
        raise RuntimeError(
            f"the database is at schema version {current}, newer than this Seula ({len(MIGRATIONS)}): "
            "upgrade Seula before starting it on this database"
        )
    operations = Operations(MigrationContext.configure(connection))
    applied: list[int] = []
    for number, migration in enumerate(MIGRATIONS[current:], start=current + 1):
        migration(operations)
        connection.execute(sa.insert(_version_table).values(version=number, applied_at=datetime.now(UTC)))
        applied.append(number)
    return applied
