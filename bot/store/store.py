"""The store: every read and write Seula makes to its database, on SQLite or PostgreSQL alike."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.erasure import StopList
from bot.model import (
    Channel,
    ChannelSync,
    ConversationRecord,
    DeliveryStatus,
    Message,
    OutboxItem,
    Person,
    Reaction,
    Team,
    TeamMember,
)
from bot.nudge_records import NudgeOutcomes, NudgeSettings, OfferedPrompt, PlannedPrompt, PromptOutcome
from bot.store import schema
from bot.store.expertise_index import ExpertiseIndexStore
from bot.store.message_rows import (
    MessageRowEncoder,
    MessageRows,
    channel_sync_values,
    merge_message_rows,
    message_from_row,
    message_statements,
    storable,
)
from bot.store.migrations import apply_migrations
from bot.visibility import PersonVisibility, TeamAccess

logger = logging.getLogger(__name__)

_BATCH_ROWS = 500
_PROFILE_COLUMNS = frozenset(
    {"about_me", "skills", "interests", "responsibilities", "past_projects"}
)  # keeps every statement well under both engines' bound-parameter limits


@dataclass(eq=False)
class _QueuedWrite:
    """A page of message rows waiting for the SQLite writer, and how its transaction ended."""

    rows: MessageRows
    sync_state: ChannelSync | None
    outcome: bool | BaseException | None = None  # True once committed


class StoreError(RuntimeError):
    """The database could not be opened or used; the message says which and why."""


@dataclass(frozen=True)
class ChannelSyncState:
    team: str
    team_id: str
    channel: str
    channel_id: str
    last_sync: datetime | None
    messages: int
    state: str | None = None
    rounds: int = 0
    pages: int = 0
    resuming: bool = False
    last_error: str | None = None


@dataclass(frozen=True)
class StoreStats:
    people: int
    teams: int
    channels: int
    roots: int  # live messages people wrote (not system events or apps' messages), like `replies`
    replies: int
    deleted: int
    reactions: int  # on the live messages people wrote
    conversations: int
    sync: tuple[ChannelSyncState, ...]
    system_and_bots: int = 0  # live system events and apps' messages: kept in their threads, nobody's writing

    def counts(self) -> dict[str, Any]:
        """People, teams, channels, messages and reactions, as `stats --json` prints them."""
        return {
            "people": self.people,
            "teams": self.teams,
            "channels": self.channels,
            "messages": {
                "roots": self.roots,
                "replies": self.replies,
                "deleted": self.deleted,
                "system_and_bots": self.system_and_bots,
            },
            "reactions": self.reactions,
        }


def async_database_url(url: str) -> str:
    """Translate a plain `sqlite:///` or `postgresql://` URL to the async driver SQLAlchemy should use."""
    scheme, rest = url.split(":", 1)
    base = scheme.split("+", 1)[0].lower()
    if base == "sqlite":
        return f"sqlite+aiosqlite:{rest}"
    if base in {"postgresql", "postgres"}:
        return f"postgresql+asyncpg:{rest}"
    raise StoreError(f"unsupported database URL scheme {scheme!r}: use sqlite:/// or postgresql://")


class Store:
    """Seula's persistent state: people, teams, channels, messages, reactions and conversation references."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.stop_list: StopList | None = None
        # SQLite has one writer at a time (concurrent transactions would sleep in its busy handler): message
        # writes queue here, and whoever takes the lock writes everything queued meanwhile in one transaction
        # (group commit). PostgreSQL writes each on its own connection.
        self._message_writes = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._queued_writes: list[_QueuedWrite] = []
        self.expertise = ExpertiseIndexStore(engine, self._message_writes)
        # Counts this process's writes to teams and memberships: a reader holding the teams' visibility
        # (ExpertFinder) rereads it at once after one (other processes' within its 10 s recheck).
        self.team_writes = 0

    async def load_stop_list(self, key: bytes) -> StopList:
        """Read the erased people's hashes; from now on nothing about them is stored again."""
        async with self._engine.connect() as connection:
            rows = await connection.execute(sa.select(schema.erased_people.c.person_hash))
            self.stop_list = StopList(key, (row.person_hash for row in rows))
        return self.stop_list

    def _blocked(self, person_id: str | None) -> bool:
        return self.stop_list is not None and self.stop_list.blocks(person_id)

    def _without_erased(self, message: Message) -> Message:
        """A colleague's message as stored: reactions and mentions of erased people left out."""
        if self.stop_list is None or not len(self.stop_list):
            return message
        return replace(
            message,
            reactions=tuple(r for r in message.reactions if not self._blocked(r.user_id)),
            mentions=tuple(person for person in message.mentions if not self._blocked(person)),
        )

    @classmethod
    async def open(cls, database_url: str) -> Store:
        """Connect, creating the SQLite file's folder if needed, and migrate to the newest schema."""
        url = async_database_url(database_url)
        if url.startswith("sqlite+aiosqlite:///") and ":memory:" not in url:
            database = sa.make_url(url).database or ""
            await asyncio.to_thread(_make_parent_folder, database)
        engine = create_async_engine(url, pool_pre_ping=True)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine.sync_engine, "connect", _configure_sqlite)
        store = cls(engine)
        try:
            async with engine.begin() as connection:
                applied = await connection.run_sync(apply_migrations)
        except (OSError, sa.exc.SQLAlchemyError) as error:
            await engine.dispose()
            raise StoreError(f"cannot open the database at {_safe_url(database_url)}: {error}") from error
        if applied:
            logger.info("Database migrated to schema version %d", applied[-1])
        return store

    async def close(self) -> None:
        await self._engine.dispose()

    def connection_url(self) -> str:
        """The database URL with its credentials, for a child process to open the same store: never log it."""
        return self._engine.url.render_as_string(hide_password=False)

    @property
    def engine_name(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._engine.dialect.name

    # --- writes -------------------------------------------------------------------------------------------

    async def upsert_people(self, people: Iterable[Person]) -> int:
        """Insert or update people by Entra object id; return how many were written."""
        now = datetime.now(UTC)
        batch = [
            replace(person, manager_id=None) if self._blocked(person.manager_id) else person
            for person in people
            if not self._blocked(person.id)
        ]
        with_profile = [_person_row(p, now) for p in batch if p.has_profile]
        without_profile = [_person_row(p, now) for p in batch if not p.has_profile]
        async with self._engine.begin() as connection:
            await self._upsert(connection, schema.people, with_profile, ["id"])
            # A directory listing carries no profile fields (Graph gives them per user only): keep those held.
            await self._upsert(connection, schema.people, without_profile, ["id"], keep=_PROFILE_COLUMNS)
        return len(batch)

    async def upsert_teams(self, teams: Iterable[Team]) -> int:
        """Insert or update teams by group id; a team that comes without `visibility` keeps the one held."""
        self.team_writes += 1
        batch = list(teams)
        told = [_team_row(t) | {"visibility": t.visibility} for t in batch if t.visibility is not None]
        untold = [_team_row(t) for t in batch if t.visibility is None]
        async with self._engine.begin() as connection:
            await self._upsert(connection, schema.teams, told, ["id"])
            await self._upsert(connection, schema.teams, untold, ["id"])
        return len(batch)

    async def add_team_members(self, members: Iterable[TeamMember]) -> int:
        """Record memberships (kept if already held); erased people are never recorded again."""
        self.team_writes += 1
        now = datetime.now(UTC)
        rows = [
            {"team_id": m.team_id, "person_id": m.person_id, "updated_at": now}
            for m in members
            if not self._blocked(m.person_id)
        ]
        async with self._engine.begin() as connection:
            await self._upsert(connection, schema.team_members, rows, ["team_id", "person_id"])
        return len(rows)

    async def remove_team_members(self, members: Iterable[TeamMember]) -> int:
        """Forget memberships (someone left a team); return how many were held."""
        self.team_writes += 1
        t = schema.team_members
        removed = 0
        async with self._engine.begin() as connection:
            for member in members:
                result = await connection.execute(
                    sa.delete(t).where(t.c.team_id == member.team_id, t.c.person_id == member.person_id)
                )
                removed += result.rowcount
        return removed

    async def replace_team_members(self, team_id: str, person_ids: Iterable[str]) -> int:
        """Make a team's recorded members exactly these (a full listing from Graph); return how many."""
        self.team_writes += 1
        now = datetime.now(UTC)
        wanted = sorted({p for p in person_ids if not self._blocked(p)})
        t = schema.team_members
        async with self._engine.begin() as connection:
            held = {
                row.person_id
                for row in await connection.execute(sa.select(t.c.person_id).where(t.c.team_id == team_id))
            }
            gone = sorted(held - set(wanted))
            for chunk in _chunks(gone, _BATCH_ROWS):
                await connection.execute(sa.delete(t).where(t.c.team_id == team_id, t.c.person_id.in_(chunk)))
            rows = [{"team_id": team_id, "person_id": p, "updated_at": now} for p in wanted if p not in held]
            if rows:
                await connection.execute(self._insert(t).on_conflict_do_nothing(), rows)
        return len(wanted)

    async def team_access(self, viewer_id: str | None, teams: TeamAccess | None = None) -> TeamAccess:
        """What decides which teams' messages `viewer_id` may see: visibilities and memberships, as held.

        `teams` (from an earlier call) reuses its visibilities and which teams have members recorded, so a
        query reads only the viewer's own memberships.
        """
        members = schema.team_members
        async with self._engine.connect() as connection:
            if teams is None:
                visibility = {
                    row.id: row.visibility
                    for row in await connection.execute(
                        sa.select(schema.teams.c.id, schema.teams.c.visibility)
                    )
                }
                with_members = frozenset(
                    row.team_id for row in await connection.execute(sa.select(members.c.team_id).distinct())
                )
            else:
                visibility, with_members = dict(teams.visibility), teams.with_members
            member_of: frozenset[str] = frozenset()
            if viewer_id:
                member_of = frozenset(
                    row.team_id
                    for row in await connection.execute(
                        sa.select(members.c.team_id).where(members.c.person_id == viewer_id)
                    )
                )
        return TeamAccess(visibility=visibility, with_members=with_members, member_of=member_of)

    async def upsert_channels(self, channels: Iterable[Channel]) -> int:
        rows = [
            {
                "id": c.id,
                "team_id": c.team_id,
                "display_name": c.display_name,
                "membership_type": c.membership_type,
            }
            for c in channels
        ]
        async with self._engine.begin() as connection:
            await self._upsert(connection, schema.channels, rows, ["id"])
        return len(rows)

    async def ensure_channels(self, team_by_channel: Mapping[str, str]) -> None:
        """Record channels that messages name but no channel object described (kept if already known)."""
        rows = [
            {"id": channel, "team_id": team, "display_name": channel, "membership_type": "standard"}
            for channel, team in sorted(team_by_channel.items())
        ]
        async with self._engine.begin() as connection:
            if rows:
                await connection.execute(self._insert(schema.channels).on_conflict_do_nothing(), rows)

    async def upsert_messages(
        self, messages: Iterable[Message], sync_state: ChannelSync | None = None
    ) -> int:
        """Insert or replace messages by (channel, id) with their reactions; deleted ones keep no text.

        With `sync_state`, the channel's sync state is saved in the same transaction, so a saved round link
        never points past messages that are not in the store.
        """
        return await self.write_message_rows(self.message_encoder().encode(messages), sync_state)

    def message_encoder(self) -> MessageRowEncoder:
        """An encoder of messages into rows for this store (picklable: Graph sync runs it in its parsers)."""
        return MessageRowEncoder(self.engine_name, self.stop_list)

    async def write_message_rows(self, rows: MessageRows, sync_state: ChannelSync | None = None) -> int:
        """Write encoded messages (see `upsert_messages`) in one transaction; return how many were written.

        On SQLite, writes that arrive while another is in progress are written together in the next
        transaction, each page with its channel's sync state, so a state is never saved without its page.
        """
        if rows.engine_name != self.engine_name:
            raise StoreError(f"rows encoded for {rows.engine_name} cannot be written to {self.engine_name}")
        if self.stop_list is not None and len(self.stop_list) != rows.stop_list_size:
            rows = rows.without(self.stop_list)  # someone was erased while these were being encoded
        if self._message_writes is None:
            async with self._engine.begin() as connection:
                await self._write_message_rows(connection, rows, [sync_state] if sync_state else [])
            return len(rows.messages)
        write = _QueuedWrite(rows, sync_state)
        self._queued_writes.append(write)
        try:
            async with self._message_writes:
                if write.outcome is None:  # no earlier writer took it: write all that is queued
                    batch, self._queued_writes = self._queued_writes, []
                    await self._write_batch(batch)
        except asyncio.CancelledError:
            if write in self._queued_writes:
                self._queued_writes.remove(write)
            raise
        if isinstance(write.outcome, BaseException):
            raise StoreError(f"the transaction writing these messages failed: {write.outcome!r}")
        return len(rows.messages)

    async def _write_batch(self, batch: list[_QueuedWrite]) -> None:
        try:
            rows = merge_message_rows([write.rows for write in batch])
            if self.stop_list is not None and len(self.stop_list) != rows.stop_list_size:
                rows = rows.without(self.stop_list)  # someone was erased while these waited
            sync_states = [write.sync_state for write in batch if write.sync_state is not None]
            async with self._engine.begin() as connection:
                await self._write_message_rows(connection, rows, sync_states)
        except BaseException as error:
            for write in batch:
                write.outcome = error
            raise
        for write in batch:
            write.outcome = True

    async def _write_message_rows(
        self, connection: AsyncConnection, rows: MessageRows, sync_states: list[ChannelSync]
    ) -> None:
        statements = message_statements(self._engine.dialect)
        # Plain tuples through the driver's executemany: SQLAlchemy's per-row work was most of the cost.
        if rows.messages:
            await connection.exec_driver_sql(statements.upsert_message, rows.messages)
            await connection.exec_driver_sql(statements.delete_reactions, rows.message_keys())
        if rows.reactions:
            await connection.exec_driver_sql(statements.insert_reaction, rows.reactions)
        # The last state of each channel: pages of one channel are written in the order they came.
        latest = {state.channel_id: state for state in sync_states}
        if latest:
            values = [channel_sync_values(self.engine_name, state) for state in latest.values()]
            await connection.exec_driver_sql(statements.upsert_channel_sync, values)
        for state in latest.values():
            if state.last_round_at is not None:
                await self._mark_synced(connection, state)

    async def save_conversation(
        self, record: ConversationRecord, *, sender_id: str | None = None, timezone: str | None = None
    ) -> None:
        """Remember how to reach a conversation (stored on install and on every message); with `sender_id`
        and `timezone`, also the IANA zone the sender's Teams reported (as `record_timezone`), in one
        transaction."""
        if self._blocked(record.user_id):
            return
        row = {
            "id": record.id,
            "conversation_type": record.conversation_type,
            "tenant_id": record.tenant_id,
            "user_id": record.user_id,
            "team_id": record.team_id,
            "channel_id": record.channel_id,
            "service_url": record.service_url,
            "reference": record.reference,
            "updated_at": record.updated_at,
        }
        async with self._engine.begin() as connection:
            await self._upsert(connection, schema.conversations, [row], ["id"])
            if record.user_id and record.conversation_type == "personal":
                # They installed Seula again or wrote to it: proactive messages reach them again.
                r = schema.delivery_recipients
                await connection.execute(
                    sa.update(r)
                    .where(r.c.person_id == record.user_id, r.c.unreachable_at.is_not(None))
                    .values(unreachable_at=None, updated_at=record.updated_at)
                )
            if sender_id and timezone and not self._blocked(sender_id):
                await self._save_timezone(connection, sender_id, timezone, record.updated_at)

    async def forget_person(self, person_id: str) -> dict[str, int]:
        """Erase everything held about a person and put them on the stop-list; return what went, by kind.

        Their user record, their messages (text, reactions on them, mentions in them), the reactions they
        gave, their settings, team memberships and conversation references go; colleagues' messages stay,
        without the mention of them, and colleagues' records no longer name them as manager. What remains is
        the keyed hash on the stop-list and an audit entry that an erasure happened, naming no one.
        """
        if self.stop_list is None:
            raise StoreError("the stop-list is not loaded: call load_stop_list first")
        person_hash = self.stop_list.hash(person_id)
        m, r, c = schema.messages, schema.reactions, schema.conversations
        counts: dict[str, int] = {}
        async with self._engine.begin() as connection:
            own = (
                await connection.execute(sa.select(m.c.channel_id, m.c.id).where(m.c.author_id == person_id))
            ).all()
            await self.expertise.remove_person(connection, person_id)
            self.team_writes += 1  # their memberships go too
            # Colleagues' messages they reacted to are indexed again without their reaction.
            reacted = sa.select(r.c.channel_id, r.c.message_id).where(r.c.user_id == person_id)
            await connection.execute(
                sa.update(m).where(sa.tuple_(m.c.channel_id, m.c.id).in_(reacted)).values(indexed=False)
            )
            removed_reactions = 0
            for chunk in _chunks([tuple(row) for row in own], _BATCH_ROWS):
                result = await connection.execute(
                    sa.delete(r).where(sa.tuple_(r.c.channel_id, r.c.message_id).in_(chunk))
                )
                removed_reactions += result.rowcount
            counts["messages"] = (
                await connection.execute(sa.delete(m).where(m.c.author_id == person_id))
            ).rowcount
            counts["reactions_on_their_messages"] = removed_reactions
            counts["reactions_given"] = (
                await connection.execute(sa.delete(r).where(r.c.user_id == person_id))
            ).rowcount
            mentioning = await connection.execute(
                sa.select(m.c.channel_id, m.c.id, m.c.mentions).where(
                    sa.cast(m.c.mentions, sa.Text).like(f"%{person_id}%")
                )
            )
            mentions = 0
            for row in mentioning.all():
                kept = [mentioned for mentioned in row.mentions if mentioned != person_id]
                if len(kept) != len(row.mentions):
                    mentions += 1
                    await connection.execute(
                        sa.update(m)
                        .where(m.c.channel_id == row.channel_id, m.c.id == row.id)
                        .values(mentions=kept)
                    )
            counts["mentions"] = mentions
            counts["conversations"] = (
                await connection.execute(sa.delete(c).where(c.c.user_id == person_id))
            ).rowcount
            counts["deliveries"] = (
                await connection.execute(
                    sa.delete(schema.outbox).where(schema.outbox.c.recipient_id == person_id)
                )
            ).rowcount
            await connection.execute(
                sa.delete(schema.delivery_recipients).where(
                    schema.delivery_recipients.c.person_id == person_id
                )
            )
            counts["suggestions"] = (
                await connection.execute(
                    sa.delete(schema.suggestions).where(schema.suggestions.c.person_id == person_id)
                )
            ).rowcount
            counts["nudges"] = 0
            for table in (schema.nudge_settings, schema.nudge_log, schema.nudge_prompts):
                counts["nudges"] += (
                    await connection.execute(sa.delete(table).where(table.c.person_id == person_id))
                ).rowcount
            counts["summary_subscriptions"] = (
                await connection.execute(
                    sa.delete(schema.summary_subscriptions).where(
                        schema.summary_subscriptions.c.manager_id == person_id
                    )
                )
            ).rowcount
            counts["team_memberships"] = (
                await connection.execute(
                    sa.delete(schema.team_members).where(schema.team_members.c.person_id == person_id)
                )
            ).rowcount
            counts["settings"] = (
                await connection.execute(
                    sa.delete(schema.person_settings).where(schema.person_settings.c.person_id == person_id)
                )
            ).rowcount
            counts["hidden_topics"] = (
                await connection.execute(
                    sa.delete(schema.person_hidden_topics).where(
                        schema.person_hidden_topics.c.person_id == person_id
                    )
                )
            ).rowcount
            await connection.execute(
                sa.update(schema.people)
                .where(schema.people.c.manager_id == person_id)
                .values(manager_id=None)
            )
            counts["person"] = (
                await connection.execute(sa.delete(schema.people).where(schema.people.c.id == person_id))
            ).rowcount
            now = datetime.now(UTC)
            await self._upsert(
                connection,
                schema.erased_people,
                [{"person_hash": person_hash, "erased_at": now}],
                ["person_hash"],
            )
            await connection.execute(
                sa.insert(schema.audit_log).values(at=now, action="erasure", detail={"removed": counts})
            )
        self.stop_list.add(person_hash)
        await self._flush_deleted_pages()
        return counts

    async def record_suggestions(self, person_ids: Iterable[str], topic: str, at: datetime) -> None:
        """Remember that these people were suggested for `topic` (who asked is not kept)."""
        rows = [
            _without_nul({"at": at, "person_id": pid, "topic": topic[:200]})
            for pid in person_ids
            if not self._blocked(pid)
        ]
        if rows:
            async with self._engine.begin() as connection:
                await connection.execute(sa.insert(schema.suggestions), rows)

    async def suggestion_counts(self, since: datetime, other_than: str | None = None) -> dict[str, int]:
        """How many times each person was suggested since `since`, leaving out suggestions for `other_than`.

        People never suggested are absent.
        """
        # The table keeps every answer's suggestions; only the last week's are read, by the date index.
        # SQLite is told (`INDEXED BY`): with no statistics for this table it would rather walk the person
        # index whole, which gives the grouping's order for free.
        async with self._engine.connect() as connection:
            hint = "INDEXED BY ix_suggestions_at " if connection.dialect.name == "sqlite" else ""
            other = "AND topic != :topic " if other_than is not None else ""
            query = sa.text(
                f"SELECT person_id, count(*) AS times FROM suggestions {hint}WHERE at >= :since {other}"
                "GROUP BY person_id"
            ).bindparams(sa.bindparam("since", type_=schema.suggestions.c.at.type))
            values: dict[str, Any] = {"since": since}
            if other_than is not None:
                values["topic"] = other_than[:200]
            rows = (await connection.execute(query, values)).all()
        return {row.person_id: int(row.times) for row in rows}

    async def suggestions_of(self, person_id: str, since: datetime) -> list[tuple[str, int, datetime]]:
        """(topic, times, last time) a person was suggested since `since`, most frequent first."""
        s = schema.suggestions
        query = (
            sa.select(s.c.topic, sa.func.count().label("times"), sa.func.max(s.c.at).label("last"))
            .where(s.c.person_id == person_id, s.c.at >= since)
            .group_by(s.c.topic)
            .order_by(sa.func.count().desc(), s.c.topic)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [(row.topic, int(row.times), row.last) for row in rows]

    async def purge_before(self, cutoff: datetime) -> int:
        """Delete messages created before `cutoff`, their reactions and older suggestions; return how many."""
        m, r = schema.messages, schema.reactions
        async with self._engine.begin() as connection:
            old = (
                await connection.execute(sa.select(m.c.channel_id, m.c.id).where(m.c.created_at < cutoff))
            ).all()
            by_channel: dict[str, list[str]] = defaultdict(list)
            for channel_id, message_id in old:
                by_channel[channel_id].append(message_id)
            await self.expertise.remove_messages(connection, [tuple(row) for row in old])
            for channel_id, ids in by_channel.items():
                for chunk in _chunks(ids, _BATCH_ROWS):
                    await connection.execute(
                        sa.delete(r).where(r.c.channel_id == channel_id, r.c.message_id.in_(chunk))
                    )
            await connection.execute(sa.delete(m).where(m.c.created_at < cutoff))
            await connection.execute(sa.delete(schema.suggestions).where(schema.suggestions.c.at < cutoff))
        if old:
            await self._flush_deleted_pages()
        return len(old)

    async def audit_entries(self, action: str | None = None) -> list[tuple[datetime, str, dict[str, Any]]]:
        """The audit log, oldest first (erasures, and later summary requests)."""
        query = sa.select(schema.audit_log).order_by(schema.audit_log.c.id)
        if action:
            query = query.where(schema.audit_log.c.action == action)
        async with self._engine.connect() as connection:
            return [(row.at, row.action, dict(row.detail)) for row in await connection.execute(query)]

    async def record_audit(self, action: str, detail: Mapping[str, Any], at: datetime) -> None:
        """Append an entry to the audit log (e.g. a team summary request, granted or refused)."""
        async with self._engine.begin() as connection:
            await connection.execute(
                sa.insert(schema.audit_log).values(at=at, action=action, detail=dict(detail))
            )

    async def subscribe_summary(self, manager_id: str, language: str, at: datetime) -> None:
        """Send this manager their team summary monthly, in `language` (subscribing again keeps one row)."""
        if self._blocked(manager_id):
            return
        row = {"manager_id": manager_id, "language": language, "subscribed_at": at}
        async with self._engine.begin() as connection:
            await self._upsert(connection, schema.summary_subscriptions, [row], ["manager_id"])

    async def unsubscribe_summary(self, manager_id: str) -> bool:
        """Stop the monthly summary; return whether there was a subscription."""
        s = schema.summary_subscriptions
        async with self._engine.begin() as connection:
            result = await connection.execute(sa.delete(s).where(s.c.manager_id == manager_id))
        return bool(result.rowcount)

    async def summary_subscriptions(self) -> dict[str, str]:
        """Every manager subscribed to the monthly summary, with the language they asked in."""
        s = schema.summary_subscriptions
        async with self._engine.connect() as connection:
            rows = await connection.execute(sa.select(s.c.manager_id, s.c.language).order_by(s.c.manager_id))
            return {row.manager_id: row.language for row in rows}

    async def _flush_deleted_pages(self) -> None:
        if self.engine_name != "sqlite":
            return  # PostgreSQL: the deleted rows are gone from every query; VACUUM reclaims their space
        # secure_delete zeroes the freed pages; checkpointing empties the WAL, which still held copies.
        async with self._engine.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def mark_welcomed(self, conversation_id: str) -> bool:
        """Record that the welcome card went to this conversation; False if it already had (atomic)."""
        c = schema.conversations
        async with self._engine.begin() as connection:
            result = await connection.execute(
                sa.update(c)
                .where(c.c.id == conversation_id, c.c.welcomed_at.is_(None))
                .values(welcomed_at=datetime.now(UTC))
            )
        return result.rowcount == 1

    async def delete_conversation(self, conversation_id: str) -> bool:
        """Forget a conversation reference (the bot was uninstalled); return whether one was held."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                sa.delete(schema.conversations).where(schema.conversations.c.id == conversation_id)
            )
        return bool(result.rowcount)

    async def save_channel_sync(self, state: ChannelSync) -> None:
        """Record where ingestion stands for a channel (after every page, so a restart resumes there)."""
        async with self._engine.begin() as connection:
            await self._save_channel_sync(connection, state)

    async def _save_channel_sync(self, connection: AsyncConnection, state: ChannelSync) -> None:
        row = {name: getattr(state, name) for name in ChannelSync.__slots__}
        await self._upsert(connection, schema.channel_sync, [row], ["channel_id"])
        if state.last_round_at is not None:
            await self._mark_synced(connection, state)

    async def _mark_synced(self, connection: AsyncConnection, state: ChannelSync) -> None:
        await connection.execute(
            sa.update(schema.channels)
            .where(schema.channels.c.id == state.channel_id)
            .values(last_synced_at=state.last_round_at)
        )

    async def channel_sync(self, channel_id: str) -> ChannelSync | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(schema.channel_sync).where(schema.channel_sync.c.channel_id == channel_id)
                )
            ).first()
        return None if row is None else ChannelSync(**row._asdict())

    async def has_message(self, channel_id: str, message_id: str) -> bool:
        m = schema.messages
        async with self._engine.connect() as connection:
            found = await connection.execute(
                sa.select(m.c.id).where(m.c.channel_id == channel_id, m.c.id == message_id).limit(1)
            )
            return found.first() is not None

    async def channel_team(self, channel_id: str) -> str | None:
        """The team (group id) a known channel belongs to."""
        async with self._engine.connect() as connection:
            return (
                await connection.execute(
                    sa.select(schema.channels.c.team_id).where(schema.channels.c.id == channel_id)
                )
            ).scalar_one_or_none()

    async def cursor(self, name: str) -> datetime | None:
        """When the named periodic job last completed (e.g. the profile refresh)."""
        async with self._engine.connect() as connection:
            return (
                await connection.execute(
                    sa.select(schema.sync_cursors.c.at).where(schema.sync_cursors.c.name == name)
                )
            ).scalar_one_or_none()

    async def set_cursor(self, name: str, at: datetime) -> None:
        async with self._engine.begin() as connection:
            await self._upsert(connection, schema.sync_cursors, [{"name": name, "at": at}], ["name"])

    async def set_hidden(self, person_id: str, hidden: bool) -> None:
        """Hide a person from every suggestion ("hide me"), or show them again and record their consent."""
        await self._set_choices(person_id, hidden=hidden, opted_in=not hidden)

    async def set_team_only(self, person_id: str, team_only: bool) -> None:
        """Show a person only to their own team, or to everyone their other choices allow."""
        await self._set_choices(person_id, team_only=team_only)

    async def hide_topic(self, person_id: str, topic: str) -> None:
        """Never suggest a person for `topic` (kept as written, lowercased)."""
        if self._blocked(person_id):
            return
        now = datetime.now(UTC)
        row = {"person_id": person_id, "topic": _topic_key(topic), "hidden_at": now}
        async with self._engine.begin() as connection:
            await self._upsert(connection, schema.person_hidden_topics, [row], ["person_id", "topic"])
            await self._touch_choices(connection, person_id, now)

    async def show_topic(self, person_id: str, topic: str) -> bool:
        """Undo `hide_topic`; False when the topic was not hidden."""
        h = schema.person_hidden_topics
        async with self._engine.begin() as connection:
            removed = await connection.execute(
                sa.delete(h).where(h.c.person_id == person_id, h.c.topic == _topic_key(topic))
            )
            if removed.rowcount:
                await self._touch_choices(connection, person_id, datetime.now(UTC))
        return bool(removed.rowcount)

    async def _set_choices(self, person_id: str, **choices: bool) -> None:
        if self._blocked(person_id):
            return
        row = {"person_id": person_id, "hidden": False, "updated_at": datetime.now(UTC), **choices}
        # A new row starts from no choices; an existing one changes only the choices given.
        keep = frozenset({"hidden", "opted_in", "team_only"}) - choices.keys()
        async with self._engine.begin() as connection:
            await self._upsert(connection, schema.person_settings, [row], ["person_id"], keep=keep)

    async def _touch_choices(self, connection: AsyncConnection, person_id: str, now: datetime) -> None:
        # The settings row's updated_at is what other replicas watch (directory_version) to pick up a change.
        row = {"person_id": person_id, "hidden": False, "updated_at": now}
        keep = frozenset({"hidden", "opted_in", "team_only"})
        await self._upsert(connection, schema.person_settings, [row], ["person_id"], keep=keep)

    # --- proactive delivery: the outbox ------------------------------------------------------------------

    async def enqueue_deliveries(self, items: Iterable[OutboxItem], now: datetime) -> int:
        """Add the items not yet held under their (kind, recipient, period); return how many were new.

        An item already held is left exactly as it is, whatever its status: a period planned twice sends once.
        """
        rows = [
            {
                "kind": item.kind,
                "recipient_id": item.recipient_id,
                "period": item.period,
                "card": item.card,
                "summary": item.summary,
                "due_at": item.due_at,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": item.due_at,
                "created_at": now,
            }
            for item in items
            if not self._blocked(item.recipient_id)
        ]
        o = schema.outbox
        added = 0
        async with self._engine.begin() as connection:
            for chunk in _chunks(_last_per_key(rows, ["kind", "recipient_id", "period"]), _BATCH_ROWS):
                statement = self._insert(o).on_conflict_do_nothing(
                    index_elements=["kind", "recipient_id", "period"]
                )
                result = await connection.execute(statement.returning(o.c.id), chunk)
                added += len(result.all())
        return added

    async def claim_due_deliveries(
        self, owner: str, now: datetime, limit: int, lease_seconds: float
    ) -> list[OutboxItem]:
        """Lease up to `limit` pending items due by `now` to `owner`, soonest first; safe across replicas.

        An item whose lease ran out while an attempt was in flight (its sender died between the HTTP call
        and recording it) is not resent: it becomes `uncertain` (see docs/architecture.md).
        """
        o = schema.outbox
        until = now + timedelta(seconds=lease_seconds)
        claimable = sa.and_(
            o.c.status == "pending",
            o.c.next_attempt_at <= now,
            o.c.sending_since.is_(None),
            sa.or_(o.c.lease_until.is_(None), o.c.lease_until <= now),
        )
        candidates = sa.select(o.c.id).where(claimable).order_by(o.c.next_attempt_at, o.c.id).limit(limit)
        if self.engine_name == "postgresql":
            # Replicas claiming together skip each other's rows instead of waiting for them.
            candidates = candidates.with_for_update(skip_locked=True)
        async with self._engine.begin() as connection:
            await connection.execute(
                sa.update(o)
                .where(o.c.status == "pending", o.c.sending_since.is_not(None), o.c.lease_until <= now)
                .values(
                    status="uncertain",
                    lease_owner=None,
                    lease_until=None,
                    last_error="interrupted while sending: not resent, it may or may not have arrived",
                )
            )
            # The outer condition is checked again on the row itself, so a row another replica took
            # between the subquery and the update is left alone (READ COMMITTED re-evaluates it).
            result = await connection.execute(
                sa.update(o)
                .where(o.c.id.in_(candidates.scalar_subquery()), claimable)
                .values(lease_owner=owner, lease_until=until)
                .returning(*o.c)
            )
            rows = result.all()
        return sorted(
            (_outbox_item(row) for row in rows), key=lambda i: (i.next_attempt_at or now, i.id or 0)
        )

    async def begin_delivery_attempt(
        self, item_id: int, owner: str, now: datetime, lease_seconds: float
    ) -> bool:
        """Record that an attempt is about to go out (before the HTTP call); False if the lease was lost."""
        o = schema.outbox
        async with self._engine.begin() as connection:
            result = await connection.execute(
                sa.update(o)
                .where(
                    o.c.id == item_id,
                    o.c.status == "pending",
                    o.c.lease_owner == owner,
                    o.c.lease_until > now,
                    o.c.sending_since.is_(None),
                )
                .values(
                    sending_since=now,
                    attempts=o.c.attempts + 1,
                    lease_until=now + timedelta(seconds=lease_seconds),
                )
            )
        return result.rowcount == 1

    async def mark_delivered(self, item_id: int, owner: str, now: datetime) -> None:
        """The attempt in flight arrived: the item is sent, for good."""
        await self._finish_attempt(item_id, owner, status="sent", sent_at=now, last_error=None)

    async def mark_retry(self, item_id: int, owner: str, next_attempt_at: datetime, error: str) -> None:
        """The attempt did not arrive and may be repeated from `next_attempt_at`."""
        await self._finish_attempt(
            item_id, owner, status="pending", next_attempt_at=next_attempt_at, last_error=error[:500]
        )

    async def mark_unreachable(
        self, item_id: int, owner: str, recipient_id: str, now: datetime, error: str
    ) -> None:
        """Teams refused (403): the person blocked or uninstalled Seula; remember it until they come back."""
        await self._finish_attempt(item_id, owner, status="unreachable", last_error=error[:500])
        r = schema.delivery_recipients
        async with self._engine.begin() as connection:
            await self._upsert(
                connection,
                r,
                [{"person_id": recipient_id, "unreachable_at": now, "updated_at": now}],
                ["person_id"],
            )

    async def mark_failed(self, item_id: int, owner: str, error: str) -> None:
        """Given up after retries: the item stays, failed, for the report."""
        await self._finish_attempt(item_id, owner, status="failed", last_error=error[:500])

    async def release_deliveries(self, item_ids: Iterable[int], owner: str) -> None:
        """Give back leases on items not yet attempted (a graceful stop), so others may send them at once."""
        ids = list(item_ids)
        o = schema.outbox
        async with self._engine.begin() as connection:
            for chunk in _chunks(ids, _BATCH_ROWS):
                await connection.execute(
                    sa.update(o)
                    .where(o.c.id.in_(chunk), o.c.lease_owner == owner, o.c.sending_since.is_(None))
                    .values(lease_owner=None, lease_until=None)
                )

    async def next_delivery_attempt_at(self) -> datetime | None:
        """When the earliest pending item (not in flight) may next be claimed, or None if none is pending."""
        o = schema.outbox
        async with self._engine.connect() as connection:
            # An item leased to a replica that died becomes claimable when the lease runs out.
            claimable_at = sa.case(
                (o.c.lease_until > o.c.next_attempt_at, o.c.lease_until), else_=o.c.next_attempt_at
            )
            earliest: datetime | None = (
                await connection.execute(
                    sa.select(sa.func.min(claimable_at)).where(
                        o.c.status == "pending", o.c.sending_since.is_(None)
                    )
                )
            ).scalar_one_or_none()
        return earliest

    async def delivery_counts(self, kind: str | None = None, period: str | None = None) -> dict[str, int]:
        """How many outbox items are in each status (optionally of one kind and period)."""
        o = schema.outbox
        query = sa.select(o.c.status, sa.func.count()).group_by(o.c.status)
        if kind is not None:
            query = query.where(o.c.kind == kind)
        if period is not None:
            query = query.where(o.c.period == period)
        async with self._engine.connect() as connection:
            return {status: int(n) for status, n in (await connection.execute(query)).all()}

    async def deliveries(
        self, kind: str | None = None, period: str | None = None, status: DeliveryStatus | None = None
    ) -> list[OutboxItem]:
        """Outbox items, oldest first, optionally filtered."""
        o = schema.outbox
        query = sa.select(o).order_by(o.c.id)
        for column, value in ((o.c.kind, kind), (o.c.period, period), (o.c.status, status)):
            if value is not None:
                query = query.where(column == value)
        async with self._engine.connect() as connection:
            return [_outbox_item(row) for row in (await connection.execute(query)).all()]

    async def unreachable_people(self) -> frozenset[str]:
        """People Teams refused a message to (403) who haven't written to or reinstalled Seula since."""
        r = schema.delivery_recipients
        async with self._engine.connect() as connection:
            rows = await connection.execute(sa.select(r.c.person_id).where(r.c.unreachable_at.is_not(None)))
            return frozenset(row.person_id for row in rows)

    async def record_timezone(self, person_id: str, timezone: str, now: datetime) -> None:
        """Remember the IANA timezone Teams reported with a person's message (for send times)."""
        if self._blocked(person_id):
            return
        async with self._engine.begin() as connection:
            await self._save_timezone(connection, person_id, timezone, now)

    async def _save_timezone(
        self, connection: AsyncConnection, person_id: str, timezone: str, now: datetime
    ) -> None:
        row = {"person_id": person_id, "timezone": timezone, "updated_at": now}
        await self._upsert(connection, schema.delivery_recipients, [row], ["person_id"])

    async def timezones(self) -> dict[str, str]:
        """Each person's last reported IANA timezone, by Entra object id."""
        r = schema.delivery_recipients
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                sa.select(r.c.person_id, r.c.timezone).where(r.c.timezone.is_not(None))
            )
            return {row.person_id: row.timezone for row in rows}

    async def personal_conversation(self, person_id: str) -> ConversationRecord | None:
        """The most recent 1:1 conversation with a person, if Seula has one (one query: it is per message)."""
        c = schema.conversations
        query = (
            sa.select(c)
            .where(c.c.user_id == person_id, c.c.conversation_type == "personal")
            .order_by(c.c.updated_at.desc())
            .limit(1)
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else _conversation_from_row(row)

    async def latest_conversation(self, tenant_id: str | None = None) -> ConversationRecord | None:
        """The conversation Teams last reached Seula in (in `tenant_id` if given): its service URL and bot."""
        c = schema.conversations
        query = sa.select(c.c.id).order_by(c.c.updated_at.desc()).limit(1)
        if tenant_id is not None:
            query = query.where(c.c.tenant_id == tenant_id)
        async with self._engine.connect() as connection:
            conversation_id = (await connection.execute(query)).scalar_one_or_none()
        return None if conversation_id is None else await self.get_conversation(conversation_id)

    async def _finish_attempt(self, item_id: int, owner: str, **values: Any) -> None:
        o = schema.outbox
        async with self._engine.begin() as connection:
            await connection.execute(
                sa.update(o)
                .where(o.c.id == item_id, o.c.lease_owner == owner)
                .values(sending_since=None, lease_owner=None, lease_until=None, **values)
            )

    # --- nudges -------------------------------------------------------------------------------------------

    async def nudge_settings(self) -> dict[str, NudgeSettings]:
        """Everyone's own nudge settings (people who never changed theirs are absent)."""
        async with self._engine.connect() as connection:
            rows = await connection.execute(sa.select(schema.nudge_settings))
            return {row.person_id: _nudge_settings_from_row(row) for row in rows}

    async def nudge_settings_of(self, person_id: str) -> NudgeSettings:
        n = schema.nudge_settings
        async with self._engine.connect() as connection:
            row = (await connection.execute(sa.select(n).where(n.c.person_id == person_id))).first()
        return NudgeSettings() if row is None else _nudge_settings_from_row(row)

    async def update_nudge_settings(self, person_id: str, **changes: Any) -> None:
        """Change some of a person's nudge settings (`enabled`, `snoozed_until`, `goal_days`)."""
        unknown = set(changes) - {"enabled", "snoozed_until", "goal_days"}
        if unknown:
            raise ValueError(f"unknown nudge settings: {sorted(unknown)}")
        if self._blocked(person_id):
            return
        row = {"person_id": person_id, **changes, "updated_at": datetime.now(UTC)}
        async with self._engine.begin() as connection:
            await self._upsert(connection, schema.nudge_settings, [row], ["person_id"])

    async def nudged_people(self, week: str) -> frozenset[str]:
        """Who already has this ISO week's nudge (planned to send, queued or sent)."""
        log = schema.nudge_log
        async with self._engine.connect() as connection:
            rows = await connection.execute(sa.select(log.c.person_id).where(log.c.week == week))
            return frozenset(row.person_id for row in rows)

    async def record_nudge(
        self, person_id: str, week: str, status: str, at: datetime, prompts: Sequence[PlannedPrompt]
    ) -> list[int] | None:
        """Claim this week's nudge for a person and record its prompts; None if it was claimed before.

        The claim is the log row's primary key, so two replicas (or a rerun) never nudge anyone twice a week.
        """
        if self._blocked(person_id):
            return None
        log, p = schema.nudge_log, schema.nudge_prompts
        async with self._engine.begin() as connection:
            claimed = await connection.execute(
                self._insert(log)
                .values(person_id=person_id, week=week, status=status, at=at)
                .on_conflict_do_nothing()
            )
            if claimed.rowcount != 1:
                return None
            ids: list[int] = []
            for prompt in prompts:
                await connection.execute(
                    self._insert(p)
                    .values(
                        person_id=person_id,
                        week=week,
                        channel_id=prompt.channel_id,
                        message_id=prompt.message_id,
                        terms=sorted(prompt.terms),
                        status="offered",
                        offered_at=at,
                        outcome_reactions=0,
                    )
                    .on_conflict_do_nothing()
                )
                found = await connection.execute(
                    sa.select(p.c.id).where(
                        p.c.person_id == person_id,
                        p.c.channel_id == prompt.channel_id,
                        p.c.message_id == prompt.message_id,
                    )
                )
                ids.append(int(found.scalar_one()))
        return ids

    async def set_nudge_status(self, person_id: str, week: str, status: str) -> None:
        log = schema.nudge_log
        async with self._engine.begin() as connection:
            await connection.execute(
                sa.update(log).where(log.c.person_id == person_id, log.c.week == week).values(status=status)
            )

    async def offered_questions(self) -> dict[str, frozenset[tuple[str, str]]]:
        """Per person, the questions (channel id, message id) their nudges already offered."""
        p = schema.nudge_prompts
        found: dict[str, set[tuple[str, str]]] = defaultdict(set)
        async with self._engine.connect() as connection:
            for row in await connection.execute(sa.select(p.c.person_id, p.c.channel_id, p.c.message_id)):
                found[row.person_id].add((row.channel_id, row.message_id))
        return {person: frozenset(questions) for person, questions in found.items()}

    async def decide_prompt(
        self, person_id: str, prompt_id: int, status: str, at: datetime, remind_at: datetime | None = None
    ) -> bool:
        """Accept or dismiss one of the person's own prompts; False if they hold no such prompt."""
        if status not in ("accepted", "dismissed"):
            raise ValueError(f"a prompt is accepted or dismissed, not {status!r}")
        p = schema.nudge_prompts
        async with self._engine.begin() as connection:
            result = await connection.execute(
                sa.update(p)
                .where(p.c.id == prompt_id, p.c.person_id == person_id)
                .values(status=status, decided_at=at, remind_at=remind_at)
            )
        return result.rowcount == 1

    async def open_prompts(self) -> list[OfferedPrompt]:
        """Prompts not dismissed: the ones whose outcome (a later post on the topic) is watched."""
        p = schema.nudge_prompts
        async with self._engine.connect() as connection:
            rows = await connection.execute(sa.select(p).where(p.c.status != "dismissed").order_by(p.c.id))
            return [_offered_prompt_from_row(row) for row in rows]

    async def due_reminders(self, now: datetime) -> list[OfferedPrompt]:
        """Accepted prompts whose reminder time has come and that led to no post yet."""
        p = schema.nudge_prompts
        query = (
            sa.select(p)
            .where(
                p.c.status == "accepted",
                p.c.remind_at.is_not(None),
                p.c.remind_at <= now,
                p.c.outcome_message_id.is_(None),
            )
            .order_by(p.c.id)
        )
        async with self._engine.connect() as connection:
            return [_offered_prompt_from_row(row) for row in await connection.execute(query)]

    async def claim_reminder(self, prompt_id: int) -> bool:
        """Take a prompt's reminder for sending (it is cleared); False if someone else took it first."""
        p = schema.nudge_prompts
        async with self._engine.begin() as connection:
            result = await connection.execute(
                sa.update(p).where(p.c.id == prompt_id, p.c.remind_at.is_not(None)).values(remind_at=None)
            )
        return result.rowcount == 1

    async def directory_version(self) -> tuple[object, ...]:
        """A cheap fingerprint of people and their visibility choices: it changes whenever either does."""
        p, s = schema.people, schema.person_settings
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(
                        sa.select(sa.func.count()).select_from(p).scalar_subquery(),
                        sa.select(sa.func.max(p.c.updated_at)).scalar_subquery(),
                        sa.select(sa.func.count()).select_from(s).scalar_subquery(),
                        sa.select(sa.func.max(s.c.updated_at)).scalar_subquery(),
                    )
                )
            ).one()
        return tuple(row)

    async def recent_texts(self, limit: int) -> list[tuple[str, str]]:
        """(channel id, subject and text) of the `limit` latest messages people wrote, of those the expertise
        index holds: they are read in the order of its date index (messages have none: sorting them all
        took 8 s at a million messages, and the synonyms are learned from this daily)."""
        m, d = schema.messages, schema.index_docs
        query = (
            sa.select(m.c.channel_id, m.c.subject, m.c.text)
            .select_from(d.join(m, sa.and_(m.c.channel_id == d.c.channel_id, m.c.id == d.c.message_id)))
            .where(m.c.deleted_at.is_(None), _people_writing(m))
            .order_by(d.c.created.desc())
            .limit(limit)
        )
        async with self._engine.connect() as connection:
            rows = await connection.execute(query)
            return [(row.channel_id, f"{row.subject or ''} {row.text}") for row in rows]

    async def messages_by_key(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Message]:
        """Stored messages (without reactions) by (channel id, message id); deleted ones left out."""
        m = schema.messages
        found: dict[tuple[str, str], Message] = {}
        async with self._engine.connect() as connection:
            for chunk in _chunks(sorted(set(keys)), 100):
                # An OR of primary keys: one indexed lookup each on both engines (SQLite plans a row-value IN
                # as a scan).
                # The values go with the execution, not into the statement: `bindparams` clones the clause
                # once per value (2.5 ms for 50 evidence messages, more than reading them).
                query = sa.select(m).where(_key_condition("id", len(chunk)), m.c.deleted_at.is_(None))
                rows = await connection.execute(query, _key_values(chunk))
                found.update(((row.channel_id, row.id), message_from_row(row, ())) for row in rows)
        return found

    async def message(self, channel_id: str, message_id: str) -> Message | None:
        """One stored message (without its reactions), if it is held and not deleted."""
        m = schema.messages
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(m).where(
                        m.c.channel_id == channel_id, m.c.id == message_id, m.c.deleted_at.is_(None)
                    )
                )
            ).first()
        return None if row is None else message_from_row(row, ())

    async def record_prompt_outcomes(self, outcomes: Iterable[PromptOutcome]) -> int:
        """Record the post each prompt led to and how many reactions it has now; return how many."""
        p = schema.nudge_prompts
        written = 0
        async with self._engine.begin() as connection:
            for outcome in outcomes:
                await connection.execute(
                    sa.update(p)
                    .where(p.c.id == outcome.prompt_id)
                    .values(
                        outcome_channel_id=outcome.channel_id,
                        outcome_message_id=outcome.message_id,
                        outcome_at=outcome.at,
                        outcome_reactions=outcome.reactions,
                    )
                )
                written += 1
        return written

    async def nudge_outcomes(self) -> NudgeOutcomes:
        """Totals over everyone (never per person): nudged, prompts offered, accepted, posted, reactions."""
        log, p = schema.nudge_log, schema.nudge_prompts
        sent = log.c.status != "planned"
        async with self._engine.connect() as connection:

            async def count(query: sa.Select[Any]) -> int:
                return int((await connection.execute(query)).scalar_one() or 0)

            nudges = await count(sa.select(sa.func.count()).select_from(log).where(sent))
            people = await count(sa.select(sa.func.count(sa.distinct(log.c.person_id))).where(sent))
            offered = await count(sa.select(sa.func.count()).select_from(p))
            accepted = await count(sa.select(sa.func.count()).where(p.c.status == "accepted"))
            dismissed = await count(sa.select(sa.func.count()).where(p.c.status == "dismissed"))
            posted = p.c.outcome_message_id.is_not(None)
            posts = await count(sa.select(sa.func.count()).where(posted))
            accepted_posts = await count(sa.select(sa.func.count()).where(posted, p.c.status == "accepted"))
            reactions = await count(sa.select(sa.func.sum(p.c.outcome_reactions)).where(posted))
        return NudgeOutcomes(
            nudges=nudges,
            people_nudged=people,
            prompts_offered=offered,
            prompts_accepted=accepted,
            prompts_dismissed=dismissed,
            posted=posts,
            posted_after_accepting=accepted_posts,
            reactions_on_posts=reactions,
        )

    async def personal_conversation_people(self) -> frozenset[str]:
        """People Seula can message 1:1: those with a personal conversation (the bot installed)."""
        c = schema.conversations
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                sa.select(c.c.user_id).where(c.c.conversation_type == "personal", c.c.user_id.is_not(None))
            )
            return frozenset(row.user_id for row in rows)

    async def public_channel_ids(self) -> frozenset[str]:
        """Standard (public) channels: the only ones whose content a nudge may quote or link."""
        c = schema.channels
        async with self._engine.connect() as connection:
            rows = await connection.execute(sa.select(c.c.id).where(c.c.membership_type == "standard"))
            return frozenset(row.id for row in rows)

    # --- reads --------------------------------------------------------------------------------------------

    async def get_conversation(self, conversation_id: str) -> ConversationRecord | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(schema.conversations).where(schema.conversations.c.id == conversation_id)
                )
            ).first()
        return None if row is None else _conversation_from_row(row)

    async def is_empty(self) -> bool:
        """True when no person and no message is held yet."""
        async with self._engine.connect() as connection:
            people = await connection.execute(sa.select(schema.people.c.id).limit(1))
            if people.first() is not None:
                return False
            message = await connection.execute(sa.select(schema.messages.c.id).limit(1))
            return message.first() is None

    async def people(self, ids: Iterable[str] | None = None) -> dict[str, Person]:
        """People by id: all of them, or only those asked for."""
        query = sa.select(schema.people)
        wanted = None if ids is None else sorted(set(ids))
        found: dict[str, Person] = {}
        async with self._engine.connect() as connection:
            if wanted is None:
                rows = (await connection.execute(query)).all()
            else:
                rows = []
                for chunk in _chunks(wanted, _BATCH_ROWS):
                    rows.extend((await connection.execute(query.where(schema.people.c.id.in_(chunk)))).all())
        for row in rows:
            found[row.id] = _person_from_row(row)
        return found

    async def iter_messages(
        self, include_deleted: bool = False, since: datetime | None = None
    ) -> AsyncIterator[Message]:
        """Every stored message (written at or after `since`, if given) with its reactions, streamed."""
        reactions_by_message: dict[tuple[str, str], list[Reaction]] = defaultdict(list)
        async with self._engine.connect() as connection:
            reactions = sa.select(schema.reactions)
            if since is not None:
                reactions = reactions.join(
                    schema.messages,
                    sa.and_(
                        schema.messages.c.channel_id == schema.reactions.c.channel_id,
                        schema.messages.c.id == schema.reactions.c.message_id,
                    ),
                ).where(schema.messages.c.created_at >= since)
            for row in await connection.execute(reactions):
                reactions_by_message[(row.channel_id, row.message_id)].append(_reaction_from_row(row))
            query = sa.select(schema.messages).order_by(schema.messages.c.channel_id, schema.messages.c.id)
            if not include_deleted:
                query = query.where(schema.messages.c.deleted_at.is_(None))
            if since is not None:
                query = query.where(schema.messages.c.created_at >= since)
            result = await connection.stream(query.execution_options(yield_per=2000))
            async for row in result:
                yield message_from_row(row, tuple(reactions_by_message.get((row.channel_id, row.id), ())))

    async def threads_of(self, authors: Iterable[str], since: datetime, until: datetime) -> list[Message]:
        """Every message (with its reactions) written from `since` to before `until` in a thread one of
        `authors` wrote in over that time: a team's threads, read by author instead of by date."""
        m = schema.messages
        keys: set[tuple[str, str]] = set()
        async with self._engine.connect() as connection:
            for chunk in _chunks(sorted(set(authors)), _BATCH_ROWS):
                rows = await connection.execute(
                    sa.select(m.c.channel_id, m.c.reply_to_id, m.c.id).where(
                        m.c.author_id.in_(chunk),
                        m.c.created_at >= since,
                        m.c.created_at < until,
                        m.c.deleted_at.is_(None),
                        _people_writing(m),
                    )
                )
                keys.update((row.channel_id, row.reply_to_id or row.id) for row in rows)
        return await self.threads(keys, since, until)

    async def threads(
        self, keys: Iterable[tuple[str, str]], since: datetime, until: datetime | None
    ) -> list[Message]:
        """The messages (with their reactions, deleted ones left out) written from `since` to before `until`
        (or since, when None) in the threads given by (channel id, root id), ordered by (channel id, id)."""
        m = schema.messages
        found: dict[tuple[str, str], Any] = {}
        window = [m.c.created_at >= since] + ([] if until is None else [m.c.created_at < until])
        async with self._engine.connect() as connection:
            # ORs of (channel, id) pairs, values passed with the execution (as `messages_by_key` does): an
            # indexed lookup each on both engines, whatever their statistics (the primary key for roots,
            # ix_messages_thread for replies). A row-value IN is a scan on SQLite, and a VALUES list joined
            # to the table a nested scan on PostgreSQL before ANALYZE.
            for chunk in _chunks(sorted(set(keys)), 100):
                values = _key_values(chunk)
                for column in ("id", "reply_to_id"):
                    rows = await connection.execute(
                        sa.select(m).where(
                            _key_condition(column, len(chunk)), m.c.deleted_at.is_(None), *window
                        ),
                        values,
                    )
                    found.update(((row.channel_id, row.id), row) for row in rows)
            reactions = await _reactions_of(connection, found)
        return [message_from_row(found[key], tuple(reactions.get(key, ()))) for key in sorted(found)]

    async def messages_of(self, authors: Iterable[str], since: datetime) -> list[Message]:
        """Everything `authors` wrote (people's writing, not deleted) from `since` on, with its reactions,
        ordered by (channel id, id): read through the author index, one person's year at a time."""
        m, r = schema.messages, schema.reactions
        found: dict[tuple[str, str], Any] = {}
        reactions: dict[tuple[str, str], list[Reaction]] = defaultdict(list)
        async with self._engine.connect() as connection:
            for chunk in _chunks(sorted(set(authors)), _BATCH_ROWS):
                written = (
                    m.c.author_id.in_(chunk),
                    m.c.created_at >= since,
                    m.c.deleted_at.is_(None),
                    _people_writing(m),
                )
                rows = await connection.execute(sa.select(m).where(*written))
                found.update(((row.channel_id, row.id), row) for row in rows)
                on_message = sa.and_(m.c.channel_id == r.c.channel_id, m.c.id == r.c.message_id)
                for row in await connection.execute(
                    sa.select(r).select_from(r.join(m, on_message)).where(*written)
                ):
                    reactions[(row.channel_id, row.message_id)].append(_reaction_from_row(row))
        return [message_from_row(found[key], tuple(reactions.get(key, ()))) for key in sorted(found)]

    async def iter_thread_roots(
        self, since: datetime, active_since: datetime, until: datetime
    ) -> AsyncIterator[tuple[str, str, str | None, str]]:
        """(channel id, id, subject, text) of people's thread roots written from `since` to before `until`
        that were written, or replied to, from `active_since` on: the threads of a window's messages."""
        m = schema.messages
        reply = schema.messages.alias("reply")
        recent_reply = sa.exists(
            sa.select(reply.c.id).where(
                reply.c.channel_id == m.c.channel_id,
                reply.c.reply_to_id == m.c.id,
                reply.c.created_at >= active_since,
            )
        )
        query = sa.select(m.c.channel_id, m.c.id, m.c.subject, m.c.text).where(
            m.c.reply_to_id.is_(None),
            m.c.created_at >= since,
            m.c.created_at < until,
            m.c.deleted_at.is_(None),
            _people_writing(m),
            sa.or_(m.c.created_at >= active_since, recent_reply),
        )
        async with self._engine.connect() as connection:
            result = await connection.stream(query.execution_options(yield_per=2000))
            async for row in result:
                yield row.channel_id, row.id, row.subject, row.text

    async def iter_writing(
        self, since: datetime, until: datetime
    ) -> AsyncIterator[tuple[str, str, str | None, str, datetime, str | None, str]]:
        """(channel id, id, reply-to id, author id, created, subject, text) of every message a person wrote
        (not deleted) from `since` to before `until`, streamed: the columns word counts need, no more."""
        m = schema.messages
        query = sa.select(
            m.c.channel_id, m.c.id, m.c.reply_to_id, m.c.author_id, m.c.created_at, m.c.subject, m.c.text
        ).where(m.c.created_at >= since, m.c.created_at < until, m.c.deleted_at.is_(None), _people_writing(m))
        async with self._engine.connect() as connection:
            result = await connection.stream(query.execution_options(yield_per=2000))
            async for row in result:
                yield (
                    row.channel_id,
                    row.id,
                    row.reply_to_id,
                    row.author_id,
                    row.created_at,
                    row.subject,
                    row.text,
                )

    async def iter_written(
        self, since: datetime, until: datetime
    ) -> AsyncIterator[tuple[str, datetime, str | None]]:
        """(author id, created, thread starter) of every message a person wrote (not deleted) from `since` to
        before `until`, streamed: what a contribution counts, without the text. The starter is who wrote the
        root a reply is in, when that root is held, not deleted and written from `since` on; else None."""
        m = schema.messages
        root = schema.messages.alias("root")
        joined = m.outerjoin(
            root,
            sa.and_(
                root.c.channel_id == m.c.channel_id,
                root.c.id == m.c.reply_to_id,
                root.c.reply_to_id.is_(None),
                root.c.deleted_at.is_(None),
                root.c.created_at >= since,
            ),
        )
        query = (
            sa.select(m.c.author_id, m.c.created_at, root.c.author_id.label("starter"))
            .select_from(joined)
            .where(
                m.c.created_at >= since, m.c.created_at < until, m.c.deleted_at.is_(None), _people_writing(m)
            )
        )
        async with self._engine.connect() as connection:
            result = await connection.stream(query.execution_options(yield_per=5000))
            async for row in result:
                yield row.author_id, row.created_at, row.starter

    async def iter_reactions_received(
        self, since: datetime, until: datetime
    ) -> AsyncIterator[tuple[str, datetime, str]]:
        """(author id, created, reactor id), once per colleague and message, for every reaction from someone
        else to a message a person wrote (not deleted) from `since` to before `until`, streamed."""
        m, r = schema.messages, schema.reactions
        query = (
            sa.select(m.c.channel_id, m.c.id, m.c.author_id, m.c.created_at, r.c.user_id)
            .distinct()
            .select_from(r.join(m, sa.and_(m.c.channel_id == r.c.channel_id, m.c.id == r.c.message_id)))
            .where(
                m.c.created_at >= since,
                m.c.created_at < until,
                m.c.deleted_at.is_(None),
                _people_writing(m),
                r.c.user_id != m.c.author_id,
            )
        )
        async with self._engine.connect() as connection:
            result = await connection.stream(query.execution_options(yield_per=5000))
            async for row in result:
                yield row.author_id, row.created_at, row.user_id

    async def hidden_people(self) -> frozenset[str]:
        """Ids of everyone who asked not to be suggested."""
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                sa.select(schema.person_settings.c.person_id).where(schema.person_settings.c.hidden.is_(True))
            )
            return frozenset(row.person_id for row in rows)

    async def visibility_choices(self) -> dict[str, PersonVisibility]:
        """Everyone's own visibility choices, by person id (people who made none are left out)."""
        s, h = schema.person_settings, schema.person_hidden_topics
        async with self._engine.connect() as connection:
            settings = (await connection.execute(sa.select(s))).all()
            topics = (await connection.execute(sa.select(h).order_by(h.c.person_id, h.c.topic))).all()
        hidden_topics: dict[str, list[str]] = defaultdict(list)
        for row in topics:
            hidden_topics[row.person_id].append(row.topic)
        return {
            row.person_id: PersonVisibility(
                hidden=bool(row.hidden),
                opted_in=bool(row.opted_in),
                hidden_topics=tuple(hidden_topics.get(row.person_id, ())),
                team_only=bool(row.team_only),
            )
            for row in settings
        }

    async def stats(self) -> StoreStats:
        """What the store holds, for `stats --json` and the health check."""
        m = schema.messages
        async with self._engine.connect() as connection:

            async def count(query: sa.Select[Any]) -> int:
                return int((await connection.execute(query)).scalar_one())

            people = await count(sa.select(sa.func.count()).select_from(schema.people))
            teams = await count(sa.select(sa.func.count()).select_from(schema.teams))
            channels = await count(sa.select(sa.func.count()).select_from(schema.channels))
            live = m.c.deleted_at.is_(None)
            writing = sa.and_(live, _people_writing(m))
            roots = await count(sa.select(sa.func.count()).where(writing, m.c.reply_to_id.is_(None)))
            replies = await count(sa.select(sa.func.count()).where(writing, m.c.reply_to_id.is_not(None)))
            deleted = await count(sa.select(sa.func.count()).where(m.c.deleted_at.is_not(None)))
            system_and_bots = await count(sa.select(sa.func.count()).where(live, sa.not_(_people_writing(m))))
            r = schema.reactions
            reactions = await count(
                sa.select(sa.func.count())
                .select_from(r.join(m, sa.and_(m.c.channel_id == r.c.channel_id, m.c.id == r.c.message_id)))
                .where(writing)
            )
            conversations = await count(sa.select(sa.func.count()).select_from(schema.conversations))
            per_channel = (
                sa.select(m.c.channel_id, sa.func.count().label("messages"))
                .where(writing)
                .group_by(m.c.channel_id)
                .subquery()
            )
            c, t, s = schema.channels, schema.teams, schema.channel_sync
            rows = (
                await connection.execute(
                    sa.select(
                        c.c.id,
                        c.c.display_name,
                        c.c.last_synced_at,
                        c.c.team_id,
                        t.c.display_name.label("team_name"),
                        sa.func.coalesce(per_channel.c.messages, 0).label("messages"),
                        s.c.state,
                        s.c.rounds,
                        s.c.pages,
                        s.c.round_link,
                        s.c.last_error,
                    )
                    .select_from(c.outerjoin(t, t.c.id == c.c.team_id))
                    .outerjoin(per_channel, per_channel.c.channel_id == c.c.id)
                    .outerjoin(s, s.c.channel_id == c.c.id)
                    .order_by(t.c.display_name, c.c.display_name)
                )
            ).all()
        sync = tuple(
            ChannelSyncState(
                team=row.team_name or row.team_id or "",
                team_id=row.team_id or "",
                channel=row.display_name,
                channel_id=row.id,
                last_sync=row.last_synced_at,
                messages=int(row.messages),
                state=row.state,
                rounds=row.rounds or 0,
                pages=row.pages or 0,
                resuming=row.round_link is not None,
                last_error=row.last_error,
            )
            for row in rows
        )
        return StoreStats(
            people, teams, channels, roots, replies, deleted, reactions, conversations, sync, system_and_bots
        )

    # --- internals ----------------------------------------------------------------------------------------

    def _insert(self, table: sa.Table) -> Any:
        """An INSERT with the engine's ON CONFLICT clause (both dialects spell it the same way)."""
        return postgresql.insert(table) if self.engine_name == "postgresql" else sqlite.insert(table)

    async def _upsert(
        self,
        connection: AsyncConnection,
        table: sa.Table,
        rows: Sequence[dict[str, Any]],
        keys: list[str],
        keep: frozenset[str] = frozenset(),
    ) -> None:
        """Insert rows, or update the existing ones except for their `keys` and the `keep` columns."""
        if not rows:
            return
        unique = _last_per_key([_without_nul(row) for row in rows], keys)
        statement = self._insert(table)
        # Only the columns given are updated: others (e.g. `welcomed_at`) keep what the row had.
        updates = {
            name: statement.excluded[name] for name in unique[0] if name not in keys and name not in keep
        }
        # One statement for all rows: SQLAlchemy compiles it once and batches the rows ("insertmanyvalues").
        await connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates), unique)


def _people_writing(m: sa.Table) -> sa.ColumnElement[bool]:
    """`Message.is_people_writing` of a row, deletion aside: not a system event nor an app's message."""
    return sa.and_(m.c.author_id.is_not(None), m.c.message_type == "message", m.c.from_application.is_(False))


def _make_parent_folder(database: str) -> None:
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


_WAL_CHECKPOINT_PAGES = 10_000  # 40 MB of WAL at SQLite's 4 KB pages


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the bot answer while an import writes; the timeout waits out a writer instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A checkpoint runs on the committing writer and syncs the database file; at SQLite's default (every
    # 1000 pages, 4 MB of WAL) a sync pass spent half its write time in them (bench/README.md).
    cursor.execute(f"PRAGMA wal_autocheckpoint={_WAL_CHECKPOINT_PAGES}")
    # Erased data must not linger in free pages of the file (see Store.forget_person).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


async def _reactions_of(
    connection: AsyncConnection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[Reaction]]:
    """The reactions to the messages given by (channel id, message id)."""
    r = schema.reactions
    found: dict[tuple[str, str], list[Reaction]] = defaultdict(list)
    for chunk in _chunks(sorted(keys), 100):
        rows = await connection.execute(
            sa.select(r).where(_key_condition("message_id", len(chunk))), _key_values(chunk)
        )
        for row in rows:
            found[(row.channel_id, row.message_id)].append(_reaction_from_row(row))
    return found


def _reaction_from_row(row: Any) -> Reaction:
    return Reaction(user_id=row.user_id, reaction_type=row.reaction_type, created_at=row.created_at)


@functools.lru_cache(maxsize=512)
def _key_condition(column: str, count: int) -> sa.TextClause:
    """`((channel_id = :c0 AND column = :m0) OR …)` for `count` (channel id, id) keys (`_key_values`).

    In parentheses of its own: SQLAlchemy puts a text clause into an AND as it is, and without them the
    statement's other conditions (not deleted, the window) would bind to the last key only. Made once per
    shape: parsing the text anew for each read made `messages_by_key` 15 % slower (1.75 against 1.5 ms for 5
    keys, 5.2 against 4.5 ms for 50, on a 200,000-message store).
    """
    return sa.text(
        "(" + " OR ".join(f"(channel_id = :c{i} AND {column} = :m{i})" for i in range(count)) + ")"
    )


def _key_values(keys: Sequence[tuple[str, str]]) -> dict[str, str]:
    return {f"{kind}{i}": key[k] for i, key in enumerate(keys) for k, kind in enumerate("cm")}


def _chunks(items: Sequence[Any], size: int) -> Iterable[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _last_per_key(rows: Sequence[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    # One statement may not touch a row twice (PostgreSQL refuses): the last version of a row wins.
    latest = {tuple(row[k] for k in keys): row for row in rows}
    return list(latest.values())


def _topic_key(topic: str) -> str:
    return " ".join(topic.replace("\x00", "").split()).casefold()[:200]


def _without_nul(row: dict[str, Any]) -> dict[str, Any]:
    """The row's text as both engines store it (`storable`: no NUL, no lone surrogate)."""
    return {key: storable(value) if isinstance(value, str) else value for key, value in row.items()}


def _safe_url(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable URL>"


def _person_row(person: Person, now: datetime) -> dict[str, Any]:
    return {
        "id": person.id,
        "display_name": person.display_name,
        "user_principal_name": person.user_principal_name,
        "mail": person.mail,
        "job_title": person.job_title,
        "department": person.department,
        "office_location": person.office_location,
        "preferred_language": person.preferred_language,
        "manager_id": person.manager_id,
        "account_enabled": person.account_enabled,
        "about_me": person.about_me,
        "skills": list(person.skills),
        "interests": list(person.interests),
        "responsibilities": list(person.responsibilities),
        "past_projects": list(person.past_projects),
        "updated_at": now,
    }


def _team_row(team: Team) -> dict[str, Any]:
    return {"id": team.id, "display_name": team.display_name, "description": team.description}


def _person_from_row(row: Any) -> Person:
    return Person(
        id=row.id,
        display_name=row.display_name,
        user_principal_name=row.user_principal_name,
        mail=row.mail,
        job_title=row.job_title,
        department=row.department,
        office_location=row.office_location,
        preferred_language=row.preferred_language,
        manager_id=row.manager_id,
        account_enabled=bool(row.account_enabled),
        about_me=row.about_me,
        skills=tuple(row.skills),
        interests=tuple(row.interests),
        responsibilities=tuple(row.responsibilities),
        past_projects=tuple(row.past_projects),
    )


def _nudge_settings_from_row(row: Any) -> NudgeSettings:
    return NudgeSettings(
        enabled=None if row.enabled is None else bool(row.enabled),
        snoozed_until=row.snoozed_until,
        goal_days=row.goal_days,
    )


def _offered_prompt_from_row(row: Any) -> OfferedPrompt:
    return OfferedPrompt(
        id=int(row.id),
        person_id=row.person_id,
        week=row.week,
        channel_id=row.channel_id,
        message_id=row.message_id,
        terms=frozenset(row.terms),
        status=row.status,
        offered_at=row.offered_at,
        remind_at=row.remind_at,
        outcome_channel_id=row.outcome_channel_id,
        outcome_message_id=row.outcome_message_id,
        outcome_reactions=int(row.outcome_reactions),
    )


def _outbox_item(row: Any) -> OutboxItem:
    return OutboxItem(
        kind=row.kind,
        recipient_id=row.recipient_id,
        period=row.period,
        due_at=row.due_at,
        card=dict(row.card),
        summary=row.summary,
        id=row.id,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
    )


def _conversation_from_row(row: Any) -> ConversationRecord:
    return ConversationRecord(
        id=row.id,
        conversation_type=row.conversation_type,
        service_url=row.service_url,
        reference=dict(row.reference),
        updated_at=row.updated_at,
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        team_id=row.team_id,
        channel_id=row.channel_id,
    )
