"""Graph ingestion with the real msgraph-sdk against a Graph-compatible server on loopback.

Complete (the store matches what the server serves), incremental (edits, deletions, reactions and new
messages follow), throttle-safe (429 with fractional Retry-After, 503, timeouts, truncated bodies), and
resumable (a pass that dies at any write, run again, leaves exactly the store an uninterrupted pass does).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.bootstrap import open_services
from bot.graph.client import connect
from bot.graph.page_parser import PageParser
from bot.graph.sync import GraphSync, SyncOptions, SyncReport
from bot.graph.throttle import RateLimiter, RetryPolicy
from bot.model import Message
from bot.settings import Settings
from bot.store import Store, async_database_url, schema
from bot.store.message_rows import MessageRowEncoder
from bot.web import create_app
from tests.conftest import REPO, make_settings
from tests.fake_graph import FakeGraph, fake_graph  # noqa: F401 - the fixture
from tests.graph_objects import chat_message, generated_tenant, team_member

NOW = datetime(2026, 11, 1, tzinfo=UTC)
TOKEN = "loopback-token"
FAST_RETRY = RetryPolicy(max_attempts=6, base_delay_seconds=0.01, max_delay_seconds=0.05)

StartGraph = Callable[..., Any]


def settings_for(graph: FakeGraph, **extra: str) -> Settings:
    return make_settings(GRAPH_TOKEN=TOKEN, GRAPH_BASE_URL=graph.base_url, **extra)


async def run_sync(
    store: Store,
    graph: FakeGraph,
    force: bool = True,
    options: SyncOptions | None = None,
    timeout_seconds: float = 10.0,
    now: datetime = NOW,
) -> SyncReport:
    settings = settings_for(graph)
    connection = connect(
        settings,
        RateLimiter(global_rps=200, scope_rps=200),
        FAST_RETRY,
        timeout_seconds=timeout_seconds,
    )
    try:
        sync = GraphSync(connection, store, options or SyncOptions(), clock=lambda: now)
        return await sync.run(force=force)
    finally:
        await connection.close()


@pytest.fixture
async def graph(fake_graph: StartGraph) -> FakeGraph:  # noqa: F811
    served: FakeGraph = await fake_graph(
        generated_tenant(apps_and_events=True), NOW, token=TOKEN, inline_replies=3
    )
    return served


async def messages_by_key(store: Store) -> dict[tuple[str, str], Message]:
    return {(m.channel_id, m.id): m async for m in store.iter_messages(include_deleted=True)}


async def test_a_first_pass_holds_exactly_what_graph_serves(store: Store, graph: FakeGraph) -> None:
    report = await run_sync(store, graph)
    assert report.problems == []
    assert (await store.stats()).counts() == graph.expected_stats()
    assert report.channels_synced == 3
    people = await store.people()
    assert any(person.skills == ("kubernetes",) for person in people.values()), "profile fields are read"
    assert sum(1 for person in people.values() if person.manager_id) == len(people) - 1


async def test_system_events_and_apps_messages_are_held_but_counted_as_nobodys_writing(
    store: Store, graph: FakeGraph
) -> None:
    """The clean-room check: `stats` counted a channel's system events, a bot's posts and the reactions on
    them as people's roots and reactions, where a reviewer counts what people wrote."""
    await run_sync(store, graph)
    held = await messages_by_key(store)
    others = [m for m in held.values() if not m.deleted_at and not m.is_people_writing]
    assert len(others) == 9, "each channel's system event, bot post and bot reply are kept for their threads"
    assert any(m.reactions for m in others), "people's reactions to a bot are held"
    stats = await store.stats()
    assert stats.system_and_bots == len(others)
    assert stats.roots == sum(1 for m in held.values() if m.is_root and m.is_people_writing)
    assert stats.replies == sum(1 for m in held.values() if not m.is_root and m.is_people_writing)
    assert stats.reactions == sum(len(m.reactions) for m in held.values() if m.is_people_writing)


async def test_history_older_than_the_delta_window_is_read_too(store: Store, graph: FakeGraph) -> None:
    await run_sync(store, graph)
    oldest = min([m.created_at async for m in store.iter_messages()])
    assert oldest < NOW - timedelta(days=300), "the list endpoint reaches past Graph's 8-month delta window"


async def test_an_incremental_round_follows_edits_deletions_reactions_and_new_messages(
    store: Store, graph: FakeGraph
) -> None:
    await run_sync(store, graph)
    before = await messages_by_key(store)
    channel, root = next((m.channel_id, m) for m in before.values() if m.is_root and not m.deleted_at)
    reply = next(m for m in before.values() if m.reply_to_id and m.reactions and m.channel_id != channel)
    somebody = reply.reactions[0].user_id
    graph.edit_message(channel, root.id, "<p>Edited: the answer is <b>kubectl rollout undo</b></p>")
    graph.delete_message(reply.channel_id, reply.id)
    graph.add_reaction(channel, root.id, somebody, "heart")
    new_root = chat_message(
        1_800_000_000_000,
        ("00000001-0000-4000-8000-000000000007", "Person1 Tester1"),
        "<p>Brand new</p>",
        at=NOW - timedelta(hours=2),
        channel_id=channel,
        team_id=root.team_id,
    )
    graph.add_message(new_root)
    requests_before = len(graph.requests)

    report = await run_sync(store, graph)

    assert report.problems == []
    assert (await store.stats()).counts() == graph.expected_stats()
    after = await messages_by_key(store)
    assert after[(channel, root.id)].text == "Edited: the answer is kubectl rollout undo"
    assert "heart" in {r.reaction_type for r in after[(channel, root.id)].reactions}
    gone = after[(reply.channel_id, reply.id)]
    assert gone.deleted_at is not None
    assert (gone.text, gone.reactions) == ("", ())
    assert (channel, "1800000000000") in after
    message_requests = [r for r in graph.requests[requests_before:] if "/messages" in r.path]
    assert all("delta" in r.path or "/replies" in r.path for r in message_requests), "only the delta is read"


async def test_an_expired_delta_link_starts_a_new_round_instead_of_failing_every_pass(
    store: Store, graph: FakeGraph
) -> None:
    """The clean-room check: Graph answers 410 Gone to a delta link whose state it no longer keeps; every
    channel was then `failed` in every later pass, on the same dead link, and nothing more was read."""
    await run_sync(store, graph)
    held = await messages_by_key(store)
    channel, root = next((m.channel_id, m) for m in held.values() if m.is_root and m.is_people_writing)
    graph.edit_message(channel, root.id, "<p>Edited after Graph dropped the delta state</p>")
    graph.expire_delta_links()

    report = await run_sync(store, graph, now=NOW + timedelta(days=1))

    assert report.problems == []
    assert (await store.stats()).counts() == graph.expected_stats()
    edited = (await messages_by_key(store))[(channel, root.id)]
    assert edited.text == "Edited after Graph dropped the delta state"
    assert all(s.state == "ok" and s.rounds == 2 for s in (await store.stats()).sync)
    graph.delete_message(channel, root.id)
    report = await run_sync(store, graph, now=NOW + timedelta(days=2))
    assert report.problems == [], "the new round's delta link is followed"
    assert (await store.stats()).counts() == graph.expected_stats()


async def test_a_pass_before_the_interval_reads_no_messages(store: Store, graph: FakeGraph) -> None:
    await run_sync(store, graph)
    requests_before = len(graph.requests)
    report = await run_sync(store, graph, force=False, now=NOW + timedelta(hours=3))
    assert report.channels_not_due == 3
    assert not [r for r in graph.requests[requests_before:] if "/messages" in r.path]
    report = await run_sync(store, graph, force=False, now=NOW + timedelta(hours=25))
    assert report.channels_synced == 3


async def test_throttling_and_faults_are_ridden_out(store: Store, graph: FakeGraph) -> None:
    graph.fail_next(3, status=429, retry_after="0.128", where="/messages")
    graph.fail_next(2, status=503, retry_after=None, where="/users")
    graph.fail_next(1, status=504, retry_after=None)
    graph.truncate_next(2, where="/messages")
    graph.delay_next(1, 2.0, where="/teams")
    report = await run_sync(store, graph, timeout_seconds=0.5)
    assert report.problems == []
    assert report.throttled >= 3
    assert report.retries >= 9
    assert (await store.stats()).counts() == graph.expected_stats()


async def test_a_vanished_channel_is_a_recorded_state_not_a_crash(store: Store, graph: FakeGraph) -> None:
    await run_sync(store, graph)
    first, second = [s.channel_id for s in (await store.stats()).sync][:2]
    graph.remove_channel(first, status=403)
    graph.remove_channel(second, status=404)
    report = await run_sync(store, graph)
    assert len(report.problems) == 1, "a 404 channel disappears from the list; the 403 one is reported"
    forbidden = await store.channel_sync(first)
    assert forbidden is not None
    assert forbidden.state == "forbidden"
    assert "403" in (forbidden.last_error or "")
    assert report.channels_synced == 1


async def test_teams_and_channels_can_be_left_out(store: Store, graph: FakeGraph) -> None:
    options = SyncOptions(teams_excluded=frozenset({"22222222-0000-4000-8000-000000000002"}))
    report = await run_sync(store, graph, options=options)
    assert (report.teams, report.channels) == (1, 2)


class Killed(Exception):
    """Stands for the process dying."""


class CrashingStore(Store):
    """A store whose process 'dies' at the Nth message write: that write and every later one fail."""

    crash_at = 0
    writes = 0

    async def write_message_rows(self, rows: Any, sync_state: Any = None) -> int:
        type(self).writes += 1
        if type(self).writes >= type(self).crash_at:
            raise Killed("killed mid-sync")
        return await super().write_message_rows(rows, sync_state)


async def dump(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that ingestion writes, in a stable order (sync bookkeeping aside)."""
    engine = create_async_engine(async_database_url(database_url))
    tables = [schema.people, schema.teams, schema.channels, schema.messages, schema.reactions]
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as connection:
        for table in tables:
            columns = [c for c in table.columns if c.name not in {"updated_at", "last_synced_at"}]
            result = await connection.execute(sa.select(*columns).order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(row) for row in result]
    await engine.dispose()
    return rows


@pytest.fixture
async def reference_dump(
    graph: FakeGraph, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[tuple[Any, ...]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('reference') / 'seula.db'}"
    store = await Store.open(url)
    await run_sync(store, graph)
    await store.close()
    return await dump(url)


@pytest.mark.parametrize("crash_at", [1, 3, 6, 9])
async def test_a_pass_killed_at_any_write_resumes_to_the_same_store(
    database_url: str, graph: FakeGraph, reference_dump: dict[str, list[tuple[Any, ...]]], crash_at: int
) -> None:
    CrashingStore.crash_at, CrashingStore.writes = crash_at, 0
    crashing = await CrashingStore.open(database_url)
    with pytest.raises(Killed):
        await run_sync(crashing, graph)
    await crashing.close()
    resumed = await Store.open(database_url)
    report = await run_sync(resumed, graph)
    assert report.problems == []
    await resumed.close()
    assert await dump(database_url) == reference_dump


@pytest.fixture
async def graph_inlining(fake_graph: StartGraph) -> FakeGraph:  # noqa: F811
    """The tenant with every reply inline, as Graph does up to 1000: few requests at Graph's real rates."""
    served: FakeGraph = await fake_graph(generated_tenant(apps_and_events=True), NOW, token=TOKEN)
    return served


async def test_the_cli_syncs_then_stats_report_what_graph_serves(
    graph_inlining: FakeGraph, tmp_path: Path
) -> None:
    graph = graph_inlining
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "AZURE_", "GRAPH_"))},
        "GRAPH_TOKEN": TOKEN,
        "GRAPH_BASE_URL": graph.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'seula.db'}",
        "SEULA_DATA_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "WARNING",
    }

    async def app(*args: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(REPO / "app.py"),
            *args,
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        return process.returncode or 0, out.decode(), err.decode()

    status, out, _ = await app("sync")
    assert status == 0, out
    assert "Synced 3 of 3 channels" in out
    status, out, _ = await app("stats", "--json")
    stats = json.loads(out)
    assert {
        k: stats[k] for k in ("people", "teams", "channels", "messages", "reactions")
    } == graph.expected_stats()
    assert all(s["state"] == "ok" and s["last_sync"] and s["rounds"] == 1 for s in stats["sync"])
    graph.delete_message(stats["sync"][0]["channel_id"], next(iter(graph_root_ids(graph, stats))))
    status, out, err = await app("sync", "--json")
    assert status == 0, err
    assert json.loads(out)["problems"] == []
    status, out, _ = await app("stats", "--json")
    stats = json.loads(out)
    assert {
        k: stats[k] for k in ("people", "teams", "channels", "messages", "reactions")
    } == graph.expected_stats()


def graph_root_ids(graph: FakeGraph, stats: dict[str, Any]) -> list[str]:
    channel = stats["sync"][0]["channel_id"]
    return [
        obj["id"]
        for obj in generated_tenant(apps_and_events=True)
        if obj.get("channelIdentity", {}).get("channelId") == channel and not obj.get("replyToId")
    ]


async def test_the_bot_syncs_on_its_own_when_graph_is_configured(
    graph_inlining: FakeGraph, database_url: str, aiohttp_client: Any
) -> None:
    graph = graph_inlining
    settings = make_settings(GRAPH_TOKEN=TOKEN, GRAPH_BASE_URL=graph.base_url, DATABASE_URL=database_url)
    resources = AsyncExitStack()
    services = await resources.enter_async_context(open_services(settings))
    app = create_app(services)

    async def close(_: Any) -> None:
        await resources.aclose()

    app.on_cleanup.append(close)
    await aiohttp_client(app)
    for _ in range(200):
        if (await services.store.stats()).roots:
            break
        await asyncio.sleep(0.05)
    for _ in range(200):
        if (await services.store.stats()).counts() == graph.expected_stats():
            break
        await asyncio.sleep(0.05)
    assert (await services.store.stats()).counts() == graph.expected_stats()


async def test_a_pass_records_team_visibility_and_every_page_of_members(
    store: Store,
    fake_graph: StartGraph,  # noqa: F811
) -> None:
    objects = generated_tenant()
    users = [o["id"] for o in objects if o["@odata.type"] == "#microsoft.graph.user"]
    public, private = (o["id"] for o in objects if o["@odata.type"] == "#microsoft.graph.team")
    for obj in objects:
        if obj["@odata.type"] == "#microsoft.graph.team":
            obj["visibility"] = "public" if obj["id"] == public else "private"
    objects += [team_member(private, user_id) for user_id in users[:7]]
    objects += [team_member(public, user_id) for user_id in users]
    # Pages of five members: Graph pages team members with @odata.nextLink like any collection.
    graph = await fake_graph(objects, NOW, token=TOKEN, page_size_default=5)
    report = await run_sync(store, graph)
    assert report.problems == []
    assert report.team_members == len(users) + 7
    member_pages = [r for r in graph.requests if r.path.endswith(f"/teams/{private}/members")]
    assert len(member_pages) == 2, "the second page is read through @odata.nextLink"
    inside, outside = users[0], users[-1]
    access = await store.team_access(inside)
    assert access.visibility == {public: "public", private: "private"}
    assert access.member_of == {public, private}
    assert (await store.team_access(outside)).member_of == {public}

    # Someone leaves the private team and someone joins it: the next pass's full listing says so.
    graph.remove_team_member(private, inside)
    graph.add_team_member(private, outside)
    await run_sync(store, graph)
    assert (await store.team_access(inside)).member_of == {public}
    assert (await store.team_access(outside)).member_of == {public, private}


async def test_members_that_cannot_be_read_leave_the_held_ones_alone(
    store: Store,
    fake_graph: StartGraph,  # noqa: F811
) -> None:
    objects = generated_tenant()
    users = [o["id"] for o in objects if o["@odata.type"] == "#microsoft.graph.user"]
    team_id = next(o["id"] for o in objects if o["@odata.type"] == "#microsoft.graph.team")
    objects += [team_member(team_id, users[0])]
    graph = await fake_graph(objects, NOW, token=TOKEN)
    await run_sync(store, graph)
    assert (await store.team_access(users[0])).member_of == {team_id}
    graph.fail_next(1, 403, where=f"/teams/{team_id}/members")
    report = await run_sync(store, graph)
    assert any("members of team" in problem for problem in report.problems)
    assert (await store.team_access(users[0])).member_of == {team_id}


async def test_parser_processes_start_with_the_first_page_and_stop_with_the_pass() -> None:
    # A pass with no channel due (most hourly passes) never starts them.
    body = json.dumps({"value": [chat_message(1, ("u1", "Anna"), "<p>hello</p>")]}).encode()
    async with PageParser(workers=1) as parser:
        assert not parser.started
        page = await parser.message_page(body, MessageRowEncoder("sqlite", None))
        assert parser.started
    assert not parser.started
    assert page.messages == 1
