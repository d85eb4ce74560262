"""Forget me: nothing about an erased person survives in any table, in the SQLite file, or in a re-import."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.erasure import StopList
from bot.graph_import import import_json_lines, parse_message_page
from bot.model import ConversationRecord, TeamMember
from bot.store import Store, async_database_url
from tests.conftest import TEST_SECRET_KEY
from tests.graph_objects import ANNA, BEN, CAROL, DAVE, chat_message, generated_tenant, small_tenant

SECRET_PHRASE = "zebra-quasar-kubernetes-secret"


def tenant() -> list[dict[str, Any]]:
    objects = small_tenant()
    for obj in objects:
        if obj.get("@odata.type") == "#microsoft.graph.user" and obj["id"] != ANNA[0]:
            obj["manager"] = {"id": ANNA[0]}
    mention = chat_message(500, CAROL, '<p><at id="0">Anna Virtanen</at> can you help?</p>', subject="Help")
    mention["mentions"] = [
        {
            "id": 0,
            "mentionText": "Anna Virtanen",
            "mentioned": {"user": {"id": ANNA[0], "displayName": ANNA[1]}},
        }
    ]
    objects.append(mention)
    objects.append(chat_message(600, ANNA, f"<p>{SECRET_PHRASE} lives in my notes</p>", reactions=[BEN[0]]))
    objects.append(
        chat_message(700, BEN, "<p>Thanks Anna Virtanen for the help</p>", reactions=[ANNA[0], DAVE[0]])
    )
    return objects


def jsonl(objects: list[dict[str, Any]]) -> io.StringIO:
    return io.StringIO("".join(json.dumps(o) + "\n" for o in objects))


async def every_value(database_url: str) -> list[str]:
    """Every value of every row of every table, as text."""
    engine = create_async_engine(async_database_url(database_url))
    values: list[str] = []
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
        for table in tables:
            rows = await connection.execute(sa.text(f'SELECT * FROM "{table}"'))
            values.extend(str(value) for row in rows for value in row)
    await engine.dispose()
    return values


@pytest.fixture
async def loaded(store: Store) -> Store:
    await store.load_stop_list(TEST_SECRET_KEY.encode())
    await import_json_lines(store, jsonl(tenant()))
    await store.record_suggestions([ANNA[0], BEN[0]], "kubernetes", datetime(2026, 11, 1, tzinfo=UTC))
    await hold_everything_about(store, ANNA[0])
    return store


async def hold_everything_about(store: Store, person_id: str) -> None:
    """Give a person every kind of row the store can hold: settings, hidden topics, a membership, a chat."""
    await store.set_hidden(person_id, False)
    await store.set_team_only(person_id, True)
    await store.hide_topic(person_id, "payroll")
    await store.add_team_members([TeamMember("fbe2bf47-16c8-47cf-b4a5-4b9b187c508b", person_id)])
    await store.save_conversation(
        ConversationRecord(
            id=f"a:personal-{person_id}",
            conversation_type="personal",
            service_url="https://smba.trafficmanager.net/emea/",
            reference={"user": {"aadObjectId": person_id}},
            updated_at=datetime(2026, 11, 1, tzinfo=UTC),
            user_id=person_id,
        )
    )


async def colleagues_texts(database_url: str) -> set[str]:
    """The text and subject of every stored message (after an erasure, only colleagues' remain)."""
    engine = create_async_engine(async_database_url(database_url))
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.text("SELECT text, subject FROM messages"))).all()
    await engine.dispose()
    return {str(value) for row in rows for value in row if value}


async def test_forgetting_leaves_no_row_with_the_persons_data(loaded: Store, database_url: str) -> None:
    held = " ".join(await every_value(database_url))
    assert ANNA[0] in held
    assert SECRET_PHRASE in held

    counts = await loaded.forget_person(ANNA[0])

    assert counts["person"] == 1
    assert counts["messages"] == 3
    assert counts["reactions_given"] == 1
    assert counts["mentions"] == 1
    values = await every_value(database_url)
    left = " ".join(values)
    assert ANNA[0] not in left
    assert ANNA[0].upper() not in left
    assert SECRET_PHRASE not in left
    assert "anna.virtanen@contoso.com" not in left
    # Colleagues' own words stay, even where they name her, and her name is nowhere else.
    assert "Thanks Anna Virtanen for the help" in left
    colleagues = await colleagues_texts(database_url)
    assert [value for value in values if "Virtanen" in value and value not in colleagues] == []
    assert "payroll" not in left, "her hidden topics go with her settings"
    stop_list = StopList(TEST_SECRET_KEY.encode())
    assert stop_list.hash(ANNA[0]) in values, "only the keyed hash remains"


async def test_an_erased_person_is_never_stored_again(loaded: Store, database_url: str) -> None:
    await loaded.forget_person(ANNA[0])
    await import_json_lines(loaded, jsonl(tenant()))
    left = " ".join(await every_value(database_url))
    assert ANNA[0] not in left
    assert SECRET_PHRASE not in left
    stats = await loaded.stats()
    assert stats.people == 3


async def test_a_person_erased_while_a_page_is_parsed_is_not_stored(loaded: Store, database_url: str) -> None:
    # Graph sync encodes a page in another process with the stop-list as it was, then writes it.
    page = json.dumps({"value": tenant()[-3:]}).encode()
    parsed = parse_message_page(page, loaded.message_encoder())
    await loaded.forget_person(ANNA[0])
    await loaded.write_message_rows(parsed.rows)
    left = " ".join(await every_value(database_url))
    assert ANNA[0] not in left
    assert SECRET_PHRASE not in left
    assert "Thanks Anna Virtanen" in left, "colleagues' messages stay"


async def test_the_stop_list_survives_a_restart(loaded: Store, database_url: str) -> None:
    await loaded.forget_person(ANNA[0])
    reopened = await Store.open(database_url)
    await reopened.load_stop_list(TEST_SECRET_KEY.encode())
    await import_json_lines(reopened, jsonl(tenant()))
    assert ANNA[0] not in await reopened.people()
    await reopened.close()


async def test_the_audit_log_says_an_erasure_happened_naming_no_one(loaded: Store) -> None:
    await loaded.forget_person(ANNA[0])
    [(_, action, detail)] = await loaded.audit_entries("erasure")
    assert action == "erasure"
    assert detail["removed"]["messages"] == 3
    assert ANNA[0] not in json.dumps(detail)


async def test_erased_text_is_not_left_in_the_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "seula.db"
    store = await Store.open(f"sqlite:///{path}")
    await store.load_stop_list(TEST_SECRET_KEY.encode())
    await import_json_lines(store, jsonl(tenant()))
    await store.forget_person(ANNA[0])
    await store.close()
    for file in tmp_path.iterdir():  # noqa: ASYNC240 - the test reads the files after the store closed
        content = file.read_bytes()
        assert SECRET_PHRASE.encode() not in content, file.name
        assert ANNA[0].encode() not in content, file.name


@pytest.mark.parametrize("seed", [3, 41, 977])
async def test_forgetting_anyone_in_a_generated_tenant_leaves_no_trace(
    store: Store, database_url: str, seed: int
) -> None:
    await store.load_stop_list(TEST_SECRET_KEY.encode())
    objects = generated_tenant(seed=seed, channels=2, threads_per_channel=20, people=7)
    users = [o for o in objects if o.get("@odata.type") == "#microsoft.graph.user"]
    target = users[seed % len(users)]
    author = (target["id"], target["displayName"])
    phrase = f"unique-{seed}-quokka-phrase"
    objects.append(chat_message(9_000_001, author, f"<p>{phrase} in my own words</p>", subject=f"{phrase}-s"))
    mention = chat_message(9_000_002, (users[0]["id"], users[0]["displayName"]), "<p>ask them</p>")
    mention["mentions"] = [{"id": 0, "mentionText": "x", "mentioned": {"user": {"id": target["id"]}}}]
    objects.append(mention)
    await import_json_lines(store, jsonl(objects))
    await store.record_suggestions([target["id"]], "kubernetes", datetime(2026, 11, 1, tzinfo=UTC))
    await hold_everything_about(store, target["id"])
    assert target["id"] in " ".join(await every_value(database_url))

    await store.forget_person(target["id"])

    values = await every_value(database_url)
    left = " ".join(values).lower()
    for trace in (target["id"], target["displayName"], target["userPrincipalName"], phrase):
        assert trace.lower() not in left, trace
