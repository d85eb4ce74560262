"""Importing Graph v1.0 JSON: real fixtures parse, bad lines are reported, imports are idempotent."""

from __future__ import annotations

import dataclasses
import functools
import io
import json
from pathlib import Path
from typing import Any

import pytest

from bot.demo import generate_demo_tenant
from bot.graph_import import (
    GraphObjectError,
    import_file,
    import_json_lines,
    parse_graph_object,
    parse_message_page,
)
from bot.model import Message, MessageFields, Person
from bot.store import Store
from bot.store.message_rows import MESSAGE_COLUMNS, MessageRowEncoder, MessageRows
from tests.conftest import shared_path
from tests.graph_objects import ANNA, CAROL, CHANNEL, chat_message, small_tenant


def jsonl(objects: list[Any]) -> io.StringIO:
    return io.StringIO("".join(json.dumps(o) + "\n" for o in objects))


def test_a_verbatim_graph_message_with_replies_parses() -> None:
    page = json.loads(
        shared_path("fixtures", "graph", "list_channel_messages_expand_replies.json").read_text()
    )
    parsed = [obj for item in page["value"] for obj in parse_graph_object(item)]
    messages = [m for m in parsed if isinstance(m, Message)]
    assert messages, "the fixture holds messages"
    assert all(m.channel_id and m.team_id for m in messages)
    replies = [m for m in messages if not m.is_root]
    assert all(r.reply_to_id for r in replies)
    assert all("<" not in m.text for m in messages), "HTML is turned into text"


def test_a_verbatim_graph_user_parses() -> None:
    [person] = parse_graph_object(json.loads(shared_path("fixtures", "graph", "user_get.json").read_text()))
    assert isinstance(person, Person)
    assert person.display_name


def test_reactions_and_mentions_are_kept() -> None:
    raw = json.loads(
        shared_path("fixtures", "graph", "chatmessage_v1_custom_emoji_and_reactions.json").read_text()
    )
    raw["channelIdentity"] = raw.get("channelIdentity") or {"teamId": "t", "channelId": "c"}
    [message] = parse_graph_object(raw)
    assert isinstance(message, Message)
    assert {r.reaction_type for r in message.reactions}


def test_system_events_are_not_peoples_writing() -> None:
    page = json.loads(shared_path("fixtures", "graph", "list_channel_messages.json").read_text())
    parsed = [m for item in page["value"] for m in parse_graph_object(item) if isinstance(m, Message)]
    assert any(not m.is_people_writing for m in parsed)


def test_a_chat_message_outside_a_channel_is_refused() -> None:
    raw = chat_message(1, ANNA, "<p>hi</p>")
    del raw["channelIdentity"]
    with pytest.raises(GraphObjectError, match="not a channel message"):
        parse_graph_object(raw)


async def test_importing_twice_leaves_the_same_store(store: Store) -> None:
    objects = small_tenant()
    first = await import_json_lines(store, jsonl(objects))
    before = await store.stats()
    second = await import_json_lines(store, jsonl(objects))
    assert first.as_dict() == second.as_dict()
    assert await store.stats() == before
    assert (before.people, before.teams, before.channels, before.roots, before.replies) == (4, 1, 1, 4, 4)


async def test_bad_lines_are_reported_with_their_line_number_and_the_rest_is_kept(store: Store) -> None:
    text = "\n".join(
        [
            json.dumps(chat_message(1, ANNA, "<p>kubernetes</p>")),
            "{not json",
            json.dumps({"@odata.type": "#microsoft.graph.chatMessage", "body": {}}),
            json.dumps([1, 2]),
            json.dumps({"@odata.type": "#microsoft.graph.driveItem", "id": "x"}),
            json.dumps(chat_message(2, CAROL, "<p>thanks</p>", reply_to=1)),
        ]
    )
    report = await import_json_lines(store, io.StringIO(text), source="dump.jsonl")
    assert report.messages == 2
    assert report.error_count == 4
    assert report.errors[0].startswith("dump.jsonl:2: not valid JSON")
    assert any("dump.jsonl:3" in e and "`id` is missing" in e for e in report.errors)


async def test_a_deletion_in_a_later_import_removes_the_text(store: Store, tmp_path: Path) -> None:
    await import_json_lines(store, jsonl([chat_message(1, ANNA, "<p>secret kubernetes plan</p>")]))
    path = tmp_path / "later.jsonl"
    path.write_text(json.dumps(chat_message(1, ANNA, "", deleted=True)) + "\n", encoding="utf-8")
    await import_file(store, path)
    assert [m async for m in store.iter_messages()] == []
    assert (await store.stats()).deleted == 1


async def test_channels_named_only_by_messages_are_recorded(store: Store) -> None:
    await import_json_lines(store, jsonl([chat_message(1, ANNA, "<p>hello</p>")]))
    stats = await store.stats()
    assert [s.channel_id for s in stats.sync] == [CHANNEL]


def test_a_page_with_half_an_emoji_parses_as_json_reads_it() -> None:
    # orjson refuses a lone surrogate escape, which Graph can send for an emoji cut short; the parser falls
    # back to `json` rather than calling the page unreadable, and the row holds U+FFFD in its place (neither
    # database driver would store the surrogate).
    body = json.dumps({"value": [chat_message(1, ANNA, "<p>Cut short \ud83d</p>")]}).encode()
    assert b"\\ud83d" in body
    page = parse_message_page(body, MessageRowEncoder("sqlite", None))
    assert page.messages == 1
    assert "Cut short \ufffd" in page.rows.messages[0][MESSAGE_COLUMNS.index("text")]


def test_a_page_that_is_not_json_raises_json_decode_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        parse_message_page(b'{"value": [', MessageRowEncoder("sqlite", None))


def _encoded_as_imported(items: list[dict[str, Any]], encoder: MessageRowEncoder) -> MessageRows:
    """What the importer's way gives for a page's items: `parse_graph_object`, Messages, `encode`."""
    messages: list[Message] = []
    for item in items:
        try:
            messages.extend(o for o in parse_graph_object(item) if isinstance(o, Message))
        except (GraphObjectError, KeyError, TypeError, ValueError, AttributeError):
            continue  # the importer reports it; a page leaves it out
    return encoder.encode(messages)


@functools.cache
def _demo_messages() -> list[dict[str, Any]]:
    return [o for o in generate_demo_tenant(7) if o["@odata.type"].endswith("chatMessage")]


def _odd_items() -> list[dict[str, Any]]:
    thread = {**chat_message(10, ANNA, "<p>root &amp; <at id='0'>Carol</at></p>"), "replies": []}
    thread["replies"] = [chat_message(11, CAROL, "<p>a</p><p>b&#x200b;</p>", reply_to=10)]
    broken_reply = {**chat_message(20, ANNA, "<p>kept out</p>"), "replies": [{"body": {}}]}
    naive = {**chat_message(30, ANNA, "<p>naive</p>"), "createdDateTime": "2026-11-01T10:00:00"}
    no_channel = {k: v for k, v in chat_message(40, ANNA, "<p>chat</p>").items() if k != "channelIdentity"}
    application = {**chat_message(50, ANNA, "plain"), "from": {"application": {"displayName": "Bot"}}}
    untyped = {k: v for k, v in chat_message(60, CAROL, "<p>no type</p>").items() if k != "@odata.type"}
    text_body = {**chat_message(70, CAROL, ""), "body": {"contentType": "text", "content": "  plain\x00 \n"}}
    return [
        thread,
        broken_reply,
        naive,
        no_channel,
        application,
        untyped,
        text_body,
        chat_message(80, ANNA, "<p>gone</p>", reactions=[CAROL[0]], deleted=True),
        chat_message(90, ANNA, "<p>first</p>", reactions=[CAROL[0], CAROL[0]]),
        chat_message(90, ANNA, "<p>edited</p>", reactions=[ANNA[0]]),
        {"@odata.type": "#microsoft.graph.user", "id": "u", "displayName": "U"},
        {"@odata.type": "#microsoft.graph.team", "id": "t"},
    ]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_a_pages_rows_are_what_the_importer_encodes(engine: str) -> None:
    # Pages skip the Message dataclass (read_chat_message's named tuples): the rows must not differ.
    demo = _demo_messages()
    encoder = MessageRowEncoder(engine, None)
    for items in (demo[:2000], demo[2000:4000], _odd_items()):
        page = parse_message_page(json.dumps({"value": items}).encode(), encoder)
        assert page.rows == _encoded_as_imported(items, encoder)


def test_message_fields_are_a_messages_fields() -> None:
    assert MessageFields._fields == tuple(field.name for field in dataclasses.fields(Message))
