"""The store on both engines: migrations, idempotent upserts, deletions, conversation references."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects.sqlite import aiosqlite
from sqlalchemy.ext.asyncio import create_async_engine

from bot.model import ChannelSync, ConversationRecord, Message, Person, Reaction
from bot.store import Store, StoreError, async_database_url, message_rows
from bot.store import schema as current_schema
from bot.store.migrations import MIGRATIONS, schema_version

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def message(
    id: str, reply_to: str | None = None, author: str = "alice", text: str = "kubernetes helm", **kw: object
) -> Message:
    values: dict[str, object] = {
        "id": id,
        "team_id": "team-1",
        "channel_id": "19:c1@thread.tacv2",
        "reply_to_id": reply_to,
        "author_id": author,
        "author_name": author.title(),
        "created_at": T0,
        "last_modified_at": T0,
        "deleted_at": None,
        "subject": None,
        "text": text,
        "web_url": f"https://teams.microsoft.com/l/message/19:c1@thread.tacv2/{id}",
    }
    values.update(kw)
    return Message(**values)  # type: ignore[arg-type]


async def test_migrated_database_matches_the_declared_schema(store: Store, database_url: str) -> None:
    engine = create_async_engine(async_database_url(database_url))
    async with engine.connect() as connection:
        version = await connection.run_sync(schema_version)
        tables = await connection.run_sync(
            lambda c: {
                t: {col["name"] for col in sa.inspect(c).get_columns(t)}
                for t in sa.inspect(c).get_table_names()
            }
        )
    await engine.dispose()
    assert version == len(MIGRATIONS)
    for table in current_schema.metadata.tables.values():
        assert tables[table.name] == {column.name for column in table.columns}, table.name


async def test_reopening_a_migrated_database_changes_nothing(store: Store, database_url: str) -> None:
    await store.upsert_people([Person(id="alice", display_name="Alice")])
    again = await Store.open(database_url)
    assert set(await again.people()) == {"alice"}
    await again.close()


async def test_upserting_the_same_messages_twice_leaves_one_copy(store: Store) -> None:
    batch = [
        message("1", reactions=(Reaction("bob", "like"), Reaction("bob", "like"), Reaction("cy", "heart"))),
        message("2", reply_to="1", author="bob"),
    ]
    await store.upsert_messages(batch)
    await store.upsert_messages(batch)
    stats = await store.stats()
    assert (stats.roots, stats.replies, stats.reactions) == (1, 1, 2)


async def test_an_edit_replaces_text_and_reactions(store: Store) -> None:
    await store.upsert_messages([message("1", reactions=(Reaction("bob", "like"),))])
    edited = message(
        "1",
        text="terraform modules",
        last_modified_at=T0 + timedelta(hours=1),
        reactions=(Reaction("cy", "heart"),),
    )
    await store.upsert_messages([edited])
    [stored] = [m async for m in store.iter_messages()]
    assert stored.text == "terraform modules"
    assert stored.reactions == (Reaction("cy", "heart", None),)


async def test_a_deleted_message_keeps_no_text_and_no_reactions(store: Store) -> None:
    await store.upsert_messages([message("1", subject="Secret plans", reactions=(Reaction("bob", "like"),))])
    await store.upsert_messages(
        [message("1", deleted_at=T0 + timedelta(days=1), reactions=(Reaction("bob", "like"),))]
    )
    assert [m async for m in store.iter_messages()] == []
    [gone] = [m async for m in store.iter_messages(include_deleted=True)]
    assert (gone.text, gone.subject) == ("", None)
    stats = await store.stats()
    assert (stats.roots, stats.deleted, stats.reactions) == (0, 1, 0)


async def test_pages_written_at_once_end_as_written_one_by_one(store: Store) -> None:
    # On SQLite the pages that queue behind a write go in together: a message in two of them (a thread
    # changed between pages) keeps its last version and only that version's reactions, and every
    # channel's last state is saved with its page.
    encode = store.message_encoder().encode
    pages = [
        (encode([message("1", reactions=(Reaction("bob", "like"),))]), "19:c1@thread.tacv2", "page-2"),
        (encode([message("2", channel_id="19:c2@thread.tacv2")]), "19:c2@thread.tacv2", "page-2"),
        (
            encode([message("1", text="terraform", reactions=(Reaction("cy", "heart"),))]),
            "19:c1@thread.tacv2",
            "page-3",
        ),
    ]
    writes = [
        store.write_message_rows(rows, ChannelSync(channel_id, "team-1", round_link=link))
        for rows, channel_id, link in pages
    ]
    if store.engine_name == "postgresql":
        # PostgreSQL has no group commit: concurrent transactions commit in no set order, and the sync
        # writes a channel's pages one after another, so that is what is tested there (a flaky race before).
        written = [await write for write in writes]
    else:
        written = list(await asyncio.gather(*writes))
    assert written == [1, 1, 1]
    stored = {m.id: m async for m in store.iter_messages()}
    assert (stored["1"].text, stored["1"].reactions) == ("terraform", (Reaction("cy", "heart", None),))
    states = [await store.channel_sync(f"19:c{n}@thread.tacv2") for n in (1, 2)]
    assert [state.round_link if state else None for state in states] == ["page-3", "page-2"]


def test_merged_rows_keep_the_last_version_of_a_message_with_its_reactions() -> None:
    encoder = message_rows.MessageRowEncoder("sqlite", None)
    first = encoder.encode([message("1", reactions=(Reaction("bob", "like"),)), message("2")])
    last = encoder.encode([message("1", text="edited", reactions=(Reaction("cy", "heart"),))])
    merged = message_rows.merge_message_rows([first, last])
    text = message_rows.MESSAGE_COLUMNS.index("text")
    assert [(row[1], row[text]) for row in merged.messages] == [("2", "kubernetes helm"), ("1", "edited")]
    assert [row[1:4] for row in merged.reactions] == [("1", "cy", "heart")]


async def test_timestamps_come_back_timezone_aware(store: Store) -> None:
    await store.upsert_messages([message("1")])
    [stored] = [m async for m in store.iter_messages()]
    assert stored.created_at == T0
    assert stored.created_at.tzinfo is not None


async def test_naive_timestamps_are_refused(store: Store) -> None:
    # Messages are encoded before any statement runs (see bot/store/message_rows.py).
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.upsert_messages([message("1", created_at=datetime(2026, 1, 1))])  # noqa: DTZ001


async def test_conversation_references_are_saved_updated_and_removed(store: Store) -> None:
    record = ConversationRecord(
        id="a:1",
        conversation_type="personal",
        service_url="https://smba.example/",
        reference={"x": 1},
        updated_at=T0,
        user_id="alice",
    )
    await store.save_conversation(record)
    await store.save_conversation(replace(record, reference={"x": 2}))
    stored = await store.get_conversation("a:1")
    assert stored is not None
    assert stored.reference == {"x": 2}
    assert await store.delete_conversation("a:1") is True
    assert await store.get_conversation("a:1") is None
    assert await store.delete_conversation("a:1") is False


async def test_hidden_people_and_the_directory_fingerprint(store: Store) -> None:
    before = await store.directory_version()
    await store.set_hidden("alice", True)
    assert await store.hidden_people() == {"alice"}
    assert await store.directory_version() != before
    await store.set_hidden("alice", False)
    assert await store.hidden_people() == frozenset()


async def test_stats_list_channels_with_their_team_and_message_count(store: Store) -> None:
    await store.upsert_messages([message("1"), message("2", reply_to="1")])
    await store.ensure_channels({"19:c1@thread.tacv2": "team-1"})
    stats = await store.stats()
    [channel] = stats.sync
    assert (channel.channel_id, channel.team_id, channel.messages, channel.last_sync) == (
        "19:c1@thread.tacv2",
        "team-1",
        2,
        None,
    )


async def test_a_large_batch_is_written_in_chunks(store: Store) -> None:
    await store.upsert_messages([message(str(i), reactions=(Reaction("bob", "like"),)) for i in range(1200)])
    stats = await store.stats()
    assert (stats.roots, stats.reactions) == (1200, 1200)


async def test_an_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot open the database"):
        await Store.open("postgresql://nobody:secret@127.0.0.1:1/none")


def test_urls_map_to_async_drivers() -> None:
    assert async_database_url("sqlite:///data/seula.db") == "sqlite+aiosqlite:///data/seula.db"
    assert async_database_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    with pytest.raises(StoreError):
        async_database_url("mysql://u@h/db")


async def test_a_conversation_is_welcomed_once_until_it_is_forgotten(store: Store) -> None:
    record = ConversationRecord(
        id="a:1",
        conversation_type="personal",
        service_url="https://smba.example/",
        reference={},
        updated_at=T0,
    )
    await store.save_conversation(record)
    assert await store.mark_welcomed("a:1") is True
    await store.save_conversation(replace(record, reference={"updated": True}))
    assert await store.mark_welcomed("a:1") is False, "a later message does not reset the welcome"
    await store.delete_conversation("a:1")
    await store.save_conversation(record)
    assert await store.mark_welcomed("a:1") is True, "a reinstall is welcomed again"


async def test_retention_deletes_old_messages_their_reactions_and_old_suggestions(store: Store) -> None:
    old = message("1", created_at=T0 - timedelta(days=800), reactions=(Reaction("bob", "like"),))
    recent = message("2", reactions=(Reaction("bob", "like"),))
    await store.upsert_messages([old, recent])
    await store.record_suggestions(["alice"], "helm", T0 - timedelta(days=800))
    await store.record_suggestions(["alice"], "kubernetes", T0)
    assert await store.purge_before(T0 - timedelta(days=730)) == 1
    assert [m.id async for m in store.iter_messages()] == ["2"]
    assert (await store.stats()).reactions == 1
    assert [topic for topic, _, _ in await store.suggestions_of("alice", T0 - timedelta(days=3650))] == [
        "kubernetes"
    ]


async def test_messages_since_a_date_come_with_their_own_reactions_only(store: Store) -> None:
    await store.upsert_messages(
        [
            message("old", created_at=T0 - timedelta(days=40), reactions=(Reaction("bob", "like"),)),
            message("new", created_at=T0, reactions=(Reaction("carol", "heart"),)),
        ]
    )
    recent = [m async for m in store.iter_messages(since=T0 - timedelta(days=30))]
    assert [(m.id, [r.user_id for r in m.reactions]) for m in recent] == [("new", ["carol"])]


async def test_reads_by_key_or_author_leave_out_deleted_and_out_of_window_messages(
    store: Store,
) -> None:
    day = timedelta(days=1)
    await store.upsert_messages(
        [
            message("1", deleted_at=T0 + day),
            message("2", created_at=T0 - 40 * day),
            message("2r", reply_to="2", created_at=T0 - 40 * day),
            message("2s", reply_to="2", author="bob"),
            message("3"),
            message("3r", reply_to="3", author="bob", deleted_at=T0 + day),
            message("4", reactions=(Reaction("bob", "like"),)),
        ]
    )
    channel = "19:c1@thread.tacv2"
    keys = [(channel, id) for id in ("1", "2", "3", "4")]
    assert sorted(id for _, id in await store.messages_by_key(keys)) == ["2", "3", "4"]
    in_window = await store.threads(keys, T0 - 30 * day, T0 + day)
    assert [m.id for m in in_window] == ["2s", "3", "4"]
    assert [m.id for m in await store.threads(keys, T0 - 30 * day, None)] == ["2s", "3", "4"]
    alices = await store.messages_of(["alice"], T0 - 30 * day)
    assert [(m.id, [r.user_id for r in m.reactions]) for m in alices] == [("3", []), ("4", ["bob"])]


async def test_text_with_nul_characters_is_stored_on_both_engines(store: Store) -> None:
    # Regression (found by tests/test_endpoint_fuzz.py): PostgreSQL text can't hold NUL, and a live channel
    # message carrying one was lost and its turn failed.
    await store.upsert_people([Person(id="alice", display_name="Al\x00ice")])
    await store.upsert_messages([message("1", text="kube\x00rnetes", subject="S\x00")])
    await store.record_suggestions(["alice"], "kube\x00rnetes", T0)
    await store.hide_topic("alice", "ter\x00raform")
    [stored] = [m async for m in store.iter_messages()]
    assert (stored.text, stored.subject) == ("kubernetes", "S")
    assert (await store.people())["alice"].display_name == "Alice"
    assert (await store.visibility_choices())["alice"].hidden_topics == ("terraform",)
    assert await store.show_topic("alice", "ter\x00raform")


async def test_half_an_emoji_is_stored_without_losing_the_page(store: Store) -> None:
    # Regression: a lone surrogate (half an emoji, as a Graph page or a live message can carry) made both
    # drivers refuse the whole page's write.
    half = "\ud83d"
    await store.upsert_people([Person(id="alice", display_name=f"Alice {half}")])
    await store.upsert_messages(
        [message("1", text=f"kubernetes {half} upgrade", subject=f"S{half}"), message("2", text="fine")]
    )
    stored = {m.id: m async for m in store.iter_messages()}
    assert (stored["1"].text, stored["1"].subject, stored["2"].text) == (
        "kubernetes \ufffd upgrade",
        "S\ufffd",
        "fine",
    )
    assert (await store.people())["alice"].display_name == "Alice \ufffd"


async def test_suggestion_counts_count_each_person_since_a_date_leaving_out_one_topic(store: Store) -> None:
    await store.record_suggestions(["alice", "bob"], "helm", T0 - timedelta(days=10))
    await store.record_suggestions(["alice"], "helm", T0 - timedelta(days=2))
    await store.record_suggestions(["alice", "carol"], "kubernetes", T0 - timedelta(days=1))
    since = T0 - timedelta(days=7)
    assert await store.suggestion_counts(since) == {"alice": 2, "carol": 1}
    assert await store.suggestion_counts(since, other_than="kubernetes") == {"alice": 1}


@given(st.datetimes(timezones=st.timezones()))
def test_message_rows_bind_timestamps_as_sqlalchemy_does(moment: datetime) -> None:
    # The encoder's own SQLite formatting of UTCDateTime must give what SQLAlchemy writes and reads back.
    dialect = aiosqlite.dialect()  # type: ignore[no-untyped-call]
    expected = current_schema.UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert expected is not None
    fast = message_rows._processors("sqlite", "messages")[message_rows.MESSAGE_COLUMNS.index("created_at")]
    assert fast is not None
    assert fast(moment) == expected(moment)
