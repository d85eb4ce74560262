"""A "who knows X", and taking a new message in, read index ranges only: no statement they run scans
messages, reactions or the index's big tables (SQLite's own query plans, over a store with enough data for
the planner to choose)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import bot.store.expertise_index as expertise_index
from bot.expert_finder import ExpertFinder
from bot.model import Message, Reaction
from bot.store import Store

NOW = datetime(2026, 11, 1, tzinfo=UTC)
BIG_TABLES = (
    "messages",
    "reactions",
    "index_postings",
    "index_docs",
    "index_person_terms",
    "index_terms",
    "suggestions",
)


def tenant(messages: int) -> Iterator[Message]:
    words = ["kubernetes", "helm", "terraform", "grafana", "budget", "sharepoint", "dataverse", "vault"]
    for i in range(messages):
        author = f"person{i % 97}"
        root = i % 5 == 0
        yield Message(
            id=f"{i:06}",
            team_id=f"team{i % 7}",
            channel_id=f"19:channel{i % 13}@thread.tacv2",
            reply_to_id=None if root else f"{i - i % 5:06}",
            author_id=author,
            author_name=author,
            created_at=NOW - timedelta(hours=i),
            last_modified_at=None,
            deleted_at=None,
            subject=f"Question {i}" if root else None,
            text=f"{words[i % 8]} {words[(i * 7) % 8]} note number {i} with some more words to say",
            web_url=None,
            reactions=(Reaction(f"person{(i + 1) % 97}", "like"),),
        )


async def test_a_query_reads_only_index_ranges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "seula.db"
    store = await Store.open(f"sqlite:///{path}")
    try:
        await store.upsert_messages(tenant(12_000))
        finder = ExpertFinder(store, clock=lambda: NOW)
        await finder.refresh(force=True)  # a first build in bulk, ending with ANALYZE
        # A year of answers: every one records whom it suggested, and each query counts the last week's.
        for day in range(365):
            people = [f"person{(day * 5 + k) % 97}" for k in range(5)]
            await store.record_suggestions(people, f"topic {day % 40}", NOW - timedelta(days=day, hours=1))
        statements: list[tuple[str, Any]] = []

        def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            statements.append((statement, parameters))

        original = expertise_index._fetch

        async def fetch(connection: Any, sql: str, values: Any) -> Any:
            statements.append((sql, tuple(values)))
            return await original(connection, sql, values)

        monkeypatch.setattr(expertise_index, "_fetch", fetch)
        sa.event.listen(store._engine.sync_engine, "before_cursor_execute", seen)
        for topic in ("kubernetes", "helm terraform", "grafanaa", "nothing-like-it"):
            answer = await finder.find(topic, f"who knows {topic}", "person1", 5)
            assert topic == "nothing-like-it" or answer.experts
        # and taking a new message in, as the indexing job does every 5 s
        await store.upsert_messages([next(tenant(1))])
        assert await finder.catch_up(learn=False) == 1
        assert await store.expertise.pending() == 0
        sa.event.remove(store._engine.sync_engine, "before_cursor_execute", seen)
    finally:
        await store.close()
    reads = [
        (sql, params) for sql, params in statements if sql.lstrip().upper().startswith(("SELECT", "UPDATE"))
    ]
    assert len(reads) > 10
    scans = []
    with sqlite3.connect(path) as database:
        for sql, params in reads:
            plan = database.execute(f"EXPLAIN QUERY PLAN {sql}", _positional(params)).fetchall()
            for *_, detail in plan:
                table = re.match(r"SCAN (\w+)", detail)
                # The partial index of waiting messages holds only those: reading it whole is the point.
                waiting = "ix_messages_unindexed" in detail
                if table and table.group(1) in BIG_TABLES and not waiting:
                    scans.append((detail, sql[:300]))
    assert not scans, "\n".join(f"{detail} <- {sql}" for detail, sql in scans)


def _positional(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return parameters
    return tuple(parameters or ())


async def test_the_synonyms_read_of_the_latest_messages_walks_the_date_index(tmp_path: Path) -> None:
    """Learning synonyms reads the latest messages daily; sorting every message by date took 8 s at a
    million of them (the messages table has no date index), so it walks the index's dates instead."""
    path = tmp_path / "seula.db"
    store = await Store.open(f"sqlite:///{path}")
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    try:
        await store.upsert_messages(tenant(12_000))
        await ExpertFinder(store, clock=lambda: NOW).refresh(force=True)
        sa.event.listen(store._engine.sync_engine, "before_cursor_execute", seen)
        texts = await store.recent_texts(500)
        sa.event.remove(store._engine.sync_engine, "before_cursor_execute", seen)
    finally:
        await store.close()
    assert len(texts) == 500
    assert texts[0][1].endswith("note number 0 with some more words to say")
    (sql, params), *_ = [s for s in statements if s[0].lstrip().upper().startswith("SELECT")]
    with sqlite3.connect(path) as database:
        plan = [row[-1] for row in database.execute(f"EXPLAIN QUERY PLAN {sql}", _positional(params))]
    assert any("ix_index_docs_recent" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step or step.startswith("SCAN messages") for step in plan), plan
