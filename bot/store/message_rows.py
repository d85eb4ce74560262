"""Messages as rows bound for one engine, and the statements that write them.

Encoding is pure and picklable, so Graph sync runs it in its parser processes next to the parsing, and the
event loop only hands finished tuples to the driver's `executemany`. The values are exactly what
SQLAlchemy would bind (its own type processors, for the engine's dialect), so rows written either way read
back the same.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.dialects.sqlite import aiosqlite
from sqlalchemy.engine import Dialect

from bot.erasure import StopList
from bot.model import ChannelSync, Message, MessageFields, Reaction
from bot.store import schema

MESSAGE_COLUMNS = tuple(column.name for column in schema.messages.columns)
REACTION_COLUMNS = tuple(column.name for column in schema.reactions.columns)
CHANNEL_SYNC_COLUMNS = tuple(column.name for column in schema.channel_sync.columns)
_AUTHOR = MESSAGE_COLUMNS.index("author_id")
_MENTIONS = MESSAGE_COLUMNS.index("mentions")
_REACTOR = REACTION_COLUMNS.index("user_id")

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class MessageRows:
    """Messages and their reactions as value tuples in table column order, ready for `executemany`."""

    messages: list[tuple[Any, ...]]
    reactions: list[tuple[Any, ...]]
    engine_name: str
    stop_list_size: int  # the stop-list's size when encoded: if it has grown since, filter again

    def message_keys(self) -> list[tuple[Any, ...]]:
        """(channel_id, id) of every message: their reactions are replaced."""
        return [row[:2] for row in self.messages]

    def without(self, stop_list: StopList) -> MessageRows:
        """These rows less what `stop_list` blocks: erased authors' messages, their reactions and mentions."""
        mentions = _processors(self.engine_name, "messages")[_MENTIONS]
        messages: list[tuple[Any, ...]] = []
        for row in self.messages:
            if stop_list.blocks(row[_AUTHOR]):
                continue
            held = json.loads(row[_MENTIONS]) if isinstance(row[_MENTIONS], str) else row[_MENTIONS]
            kept = [person for person in held if not stop_list.blocks(person)]
            if len(kept) != len(held):
                row = (*row[:_MENTIONS], mentions(kept) if mentions else kept, *row[_MENTIONS + 1 :])
            messages.append(row)
        written = {row[:2] for row in messages}
        reactions = [r for r in self.reactions if r[:2] in written and not stop_list.blocks(r[_REACTOR])]
        return MessageRows(messages, reactions, self.engine_name, len(stop_list))


def merge_message_rows(parts: Sequence[MessageRows]) -> MessageRows:
    """Several pages' rows as one batch; a message in more than one keeps its last version and reactions."""
    if len(parts) == 1:
        return parts[0]
    latest: dict[tuple[Any, ...], int] = {}
    for index, part in enumerate(parts):
        for row in part.messages:
            latest[row[:2]] = index
    messages = [row for at, part in enumerate(parts) for row in part.messages if latest[row[:2]] == at]
    reactions = [row for at, part in enumerate(parts) for row in part.reactions if latest[row[:2]] == at]
    # The oldest stop-list any part was filtered with: the store filters again if it has grown since.
    return MessageRows(messages, reactions, parts[0].engine_name, min(part.stop_list_size for part in parts))


class MessageRowEncoder:
    """Turns messages into `MessageRows` for one engine, leaving out what the stop-list blocks."""

    def __init__(self, engine_name: str, stop_list: StopList | None) -> None:
        self.engine_name = engine_name
        self.stop_list = stop_list

    def encode(self, messages: Iterable[Message | MessageFields]) -> MessageRows:
        """Rows for `messages`; a message twice in one batch (a page overlap, an edit): the last wins."""
        stop_list = self.stop_list if self.stop_list is not None and len(self.stop_list) else None
        message_values = _bind(_processors(self.engine_name, "messages"))
        reaction_values = _bind(_processors(self.engine_name, "reactions"))
        latest = {(m.channel_id, m.id): m for m in messages}
        message_rows: list[tuple[Any, ...]] = []
        reaction_rows: list[tuple[Any, ...]] = []
        for message in latest.values():
            if stop_list is not None and stop_list.blocks(message.author_id):
                continue
            mentions: Iterable[str] = message.mentions
            reactions: Iterable[Reaction] = message.reactions
            if stop_list is not None:
                mentions = [person for person in mentions if not stop_list.blocks(person)]
                reactions = [r for r in reactions if not stop_list.blocks(r.user_id)]
            message_rows.append(message_values(_message_values(message, mentions)))
            if message.deleted_at is None:
                key = (message.channel_id, message.id)
                reaction_rows.extend(
                    reaction_values((*key, r.user_id, r.reaction_type, r.created_at))
                    for r in _unique_reactions(reactions)
                )
        return MessageRows(
            message_rows, reaction_rows, self.engine_name, len(self.stop_list) if self.stop_list else 0
        )


@dataclass(frozen=True)
class MessageStatements:
    """The SQL that writes `MessageRows`, in the engine's own parameter style."""

    upsert_message: str
    delete_reactions: str
    insert_reaction: str
    upsert_channel_sync: str


@functools.cache
def message_statements(dialect: Dialect) -> MessageStatements:
    """The statements for `dialect`, compiled once."""
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    m, r = schema.messages, schema.reactions
    upsert = insert(m)
    keys = [column.name for column in m.primary_key.columns]
    upsert = upsert.on_conflict_do_update(
        index_elements=keys,
        set_={name: upsert.excluded[name] for name in MESSAGE_COLUMNS if name not in keys},
    )
    delete = sa.delete(r).where(
        r.c.channel_id == sa.bindparam("channel_id"), r.c.message_id == sa.bindparam("message_id")
    )
    s = schema.channel_sync
    upsert_sync = insert(s)
    upsert_sync = upsert_sync.on_conflict_do_update(
        index_elements=[s.c.channel_id],
        set_={name: upsert_sync.excluded[name] for name in CHANNEL_SYNC_COLUMNS if name != "channel_id"},
    )
    return MessageStatements(
        upsert_message=_positional(upsert, dialect, MESSAGE_COLUMNS),
        delete_reactions=_positional(delete, dialect, ("channel_id", "message_id")),
        insert_reaction=_positional(sa.insert(r), dialect, REACTION_COLUMNS),
        upsert_channel_sync=_positional(upsert_sync, dialect, CHANNEL_SYNC_COLUMNS),
    )


def channel_sync_values(engine_name: str, state: ChannelSync) -> tuple[Any, ...]:
    """A channel's sync state as one row for `upsert_channel_sync`."""
    return _bind(_processors(engine_name, "channel_sync"))(
        tuple(getattr(state, name) for name in CHANNEL_SYNC_COLUMNS)
    )


def _positional(statement: Any, dialect: Dialect, order: tuple[str, ...]) -> str:
    compiled = statement.compile(dialect=dialect, column_keys=list(order))
    if tuple(compiled.positiontup or ()) != order:
        raise RuntimeError(f"unexpected parameter order {compiled.positiontup} for {order}")
    return str(compiled)


@functools.cache
def _processors(engine_name: str, table: str) -> tuple[Processor | None, ...]:
    """SQLAlchemy's own bind processors for each column of `table` on `engine_name`'s async driver."""
    dialect: Dialect = asyncpg.dialect() if engine_name == "postgresql" else aiosqlite.dialect()  # type: ignore[no-untyped-call]
    columns = schema.metadata.tables[table].columns
    return tuple(
        _sqlite_utc
        if engine_name == "sqlite" and isinstance(column.type, schema.UTCDateTime)
        else column.type.dialect_impl(dialect).bind_processor(dialect)
        for column in columns
    )


def _sqlite_utc(moment: datetime) -> str:
    """What `UTCDateTime` binds on SQLite ("2026-11-01 10:00:00.000000", UTC), at a third of the cost."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not stored: give a timezone-aware one")
    return moment.astimezone(UTC).isoformat(" ", "microseconds")[:26]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` as both engines can store it, alike.

    Teams delivers whatever a person typed (found by the endpoint fuzz test and a Graph page with half an
    emoji): PostgreSQL text can't hold NUL, so NULs are dropped; neither driver encodes a lone surrogate, so
    each becomes U+FFFD (the page's other messages would be lost with it otherwise).
    """
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = _LONE_SURROGATE.sub("\ufffd", text)
    return text


def _bind(processors: tuple[Processor | None, ...]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    active = [(index, process) for index, process in enumerate(processors) if process is not None]

    def bind(values: tuple[Any, ...]) -> tuple[Any, ...]:
        row = [storable(v) if isinstance(v, str) else v for v in values]
        for index, process in active:
            if row[index] is not None:
                row[index] = process(row[index])
        return tuple(row)

    return bind


def _message_values(message: Message | MessageFields, mentions: Iterable[str]) -> tuple[Any, ...]:
    deleted = message.deleted_at is not None
    # In MESSAGE_COLUMNS order. A deleted message keeps its place in the thread but nothing of what it said.
    return (
        message.channel_id,
        message.id,
        message.team_id,
        message.reply_to_id,
        message.author_id,
        message.author_name,
        message.created_at,
        message.last_modified_at,
        message.deleted_at,
        None if deleted else message.subject,
        "" if deleted else message.text,
        message.web_url,
        message.message_type,
        message.from_application,
        [] if deleted else list(mentions),
        False,  # indexed: this version is not in the expertise index yet
    )


def message_from_row(row: Any, reactions: tuple[Reaction, ...]) -> Message:
    """A `messages` row (as SQLAlchemy reads it) back as a Message, with the reactions given."""
    return Message(
        id=row.id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        reply_to_id=row.reply_to_id,
        author_id=row.author_id,
        author_name=row.author_name,
        created_at=row.created_at,
        last_modified_at=row.last_modified_at,
        deleted_at=row.deleted_at,
        subject=row.subject,
        text=row.text,
        web_url=row.web_url,
        message_type=row.message_type,
        from_application=bool(row.from_application),
        mentions=tuple(row.mentions),
        reactions=reactions,
    )


def _unique_reactions(reactions: Iterable[Reaction]) -> Iterator[Reaction]:
    seen: set[tuple[str, str]] = set()
    for reaction in reactions:
        key = (reaction.user_id, reaction.reaction_type)
        if key not in seen:
            seen.add(key)
            yield reaction
