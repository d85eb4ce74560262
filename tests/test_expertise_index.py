"""The expertise index in the store stays current message by message, on SQLite and PostgreSQL: a new,
edited or deleted message, a reaction, a thread's new subject and an erasure change the answers without a
rebuild, and the index kept up that way equals one built from scratch."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa

from bot.expert_finder import ExpertFinder
from bot.model import Message, Reaction
from bot.store import Store
from bot.store.expertise_index import POSTINGS_PER_WORD
from tests.conftest import POSTGRES_DSN

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CHANNEL = "19:platform@thread.tacv2"


def message(
    message_id: str,
    author: str,
    text: str,
    *,
    reply_to: str | None = None,
    subject: str | None = None,
    likes: tuple[str, ...] = (),
    days_ago: float = 20,
    deleted: bool = False,
) -> Message:
    return Message(
        id=message_id,
        team_id="team",
        channel_id=CHANNEL,
        reply_to_id=reply_to,
        author_id=author,
        author_name=author.title(),
        created_at=NOW - timedelta(days=days_ago),
        last_modified_at=None,
        deleted_at=NOW if deleted else None,
        subject=subject,
        text="" if deleted else text,
        web_url=f"https://teams.microsoft.com/l/message/{CHANNEL}/{message_id}",
        reactions=tuple(Reaction(user, "like") for user in likes),
    )


async def experts(finder: ExpertFinder, topic: str) -> list[str]:
    return [match.person_id for match in (await finder.find(topic, topic, "nobody", 10)).experts]


async def test_a_new_message_is_found_once_the_indexer_takes_it_in(store: Store) -> None:
    finder = ExpertFinder(store, clock=lambda: NOW)
    await store.upsert_messages([message("1", "ville", "The VPN client needs a restart after updates.")])
    await finder.refresh(force=True)
    assert await experts(finder, "terraform") == []
    await store.upsert_messages([message("2", "tiina", "Terraform state lives in the storage account.")])
    assert await store.expertise.pending() == 1
    assert await finder.catch_up() == 1
    assert await experts(finder, "terraform") == ["tiina"]
    assert await store.expertise.pending() == 0


async def test_edits_deletions_and_reactions_change_the_answer(store: Store) -> None:
    finder = ExpertFinder(store, clock=lambda: NOW)
    await store.upsert_messages(
        [
            message("1", "anna", "Grafana alert rules live in the ops folder."),
            message("2", "bea", "Grafana alert rules live in the ops folder."),
        ]
    )
    await finder.refresh(force=True)
    tied = await experts(finder, "grafana alert")
    assert sorted(tied) == ["anna", "bea"]
    last = tied[-1]
    liked = message("1" if last == "anna" else "2", last, "Grafana alert rules live in the ops folder.")
    await store.upsert_messages([replace(liked, reactions=(Reaction("x", "like"), Reaction("y", "like")))])
    await finder.catch_up()
    assert (await experts(finder, "grafana alert"))[0] == last, "colleagues' reactions lift an answer"
    await store.upsert_messages([message("1", "anna", "Lunch is at noon today.")])  # an edit
    await finder.catch_up()
    assert await experts(finder, "grafana alert") == ["bea"]
    assert await experts(finder, "lunch") == ["anna"]
    await store.upsert_messages([message("2", "bea", "", deleted=True)])
    await finder.catch_up()
    assert await experts(finder, "grafana alert") == []


async def test_an_unchanged_message_written_again_is_not_indexed_again(store: Store) -> None:
    batch = [message(str(i), "ville", f"Kubernetes ingress note {i}.") for i in range(5)]
    await store.upsert_messages(batch)
    first = await store.expertise.update()
    assert (first.messages, first.indexed) == (5, 5)
    await store.upsert_messages(batch)  # a delta round serves them again
    again = await store.expertise.update()
    assert (again.messages, again.indexed) == (5, 0)


async def test_a_reply_follows_its_threads_new_subject(store: Store) -> None:
    finder = ExpertFinder(store, clock=lambda: NOW)
    root = message("1", "asker", "Something is broken, help?", subject="Question")
    answer = message(
        "2", "helper", "Try restarting it and checking the logs first, that usually fixes it.", reply_to="1"
    )
    await store.upsert_messages([root, answer])
    await finder.refresh(force=True)
    assert "helper" not in await experts(finder, "sharepoint permissions")
    await store.upsert_messages([replace(root, subject="SharePoint permissions inheritance")])
    await finder.catch_up()
    assert await experts(finder, "sharepoint permissions") == ["helper", "asker"]


async def test_forgetting_someone_takes_them_out_of_the_index(store: Store) -> None:
    await store.load_stop_list(b"seula-test-erasure-key")
    finder = ExpertFinder(store, clock=lambda: NOW)
    await store.upsert_messages(
        [
            message("1", "olli", "Dataverse table permissions explained."),
            message("2", "pia", "Dataverse plugins run in the sandbox.", likes=("olli",)),
        ]
    )
    await finder.refresh(force=True)
    await store.forget_person("olli")
    await finder.catch_up()
    assert await experts(finder, "dataverse") == ["pia"]
    assert await index_state(store) == await fresh_index_state(store, await all_messages(store))


# --- the index kept up message by message equals one built from scratch --------------------------------

WORDS = [
    "kubernetes",
    "helm",
    "terraform",
    "grafana",
    "alert",
    "vault",
    "secret",
    "pipeline",
    "dataverse",
    "sharepoint",
    "budget",
]
PEOPLE = ("ana", "ben", "cai", "dia", "eve")


def random_message(rng: random.Random, message_id: str, roots: list[str]) -> Message:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12)))
    if len(text) < 60 and rng.random() < 0.5:
        text += " and some longer explanation of what to do about it"
    reply_to = rng.choice(roots) if roots and rng.random() < 0.6 else None
    return message(
        message_id,
        rng.choice(PEOPLE),
        text,
        reply_to=reply_to,
        subject=None if reply_to else " ".join(rng.sample(WORDS, 2)),
        likes=tuple(rng.sample(PEOPLE, rng.randint(0, 3))),
        days_ago=rng.uniform(0, 400),
    )


async def test_the_index_kept_up_by_changes_equals_a_fresh_build(store: Store) -> None:
    rng = random.Random(7)
    finder = ExpertFinder(store, clock=lambda: NOW)
    current: dict[str, Message] = {}
    roots: list[str] = []
    for step in range(12):
        changes = []
        for _ in range(rng.randint(1, 8)):
            roll = rng.random()
            if current and roll < 0.25:  # an edit, a new reaction or a thread's new subject
                old = current[rng.choice(sorted(current))]
                changed = random_message(rng, old.id, [r for r in roots if r != old.id])
                changes.append(replace(changed, reply_to_id=old.reply_to_id, subject=changed.subject))
            elif current and roll < 0.35:  # a deletion
                old = current[rng.choice(sorted(current))]
                changes.append(replace(old, deleted_at=NOW, text="", subject=None, reactions=()))
            else:
                new = random_message(rng, f"{step}-{len(current)}-{rng.randint(0, 10**6)}", roots)
                if new.reply_to_id is None:
                    roots.append(new.id)
                changes.append(new)
        for change in changes:
            current[change.id] = change
        await store.upsert_messages(changes)
        if rng.random() < 0.7:
            await finder.catch_up()
    await finder.catch_up()
    assert await index_state(store) == await fresh_index_state(store, list(current.values()))


async def test_a_first_build_in_bulk_equals_one_message_by_message(store: Store) -> None:
    rng = random.Random(11)
    messages: list[Message] = []
    roots: list[str] = []
    for i in range(400):
        new = random_message(rng, f"m{i:04}", roots)
        if new.reply_to_id is None:
            roots.append(new.id)
        messages.append(new)
    await store.upsert_messages(messages)
    assert await store.expertise.build(batch=64) == len(messages)
    assert not await store.expertise.building()
    built = await index_state(store)
    assert built == await fresh_index_state(store, messages)
    # and it stays current message by message afterwards
    edited = replace(messages[5], text="terraform budget and a much longer note about what changed here")
    await store.upsert_messages([edited])
    assert (await store.expertise.update()).indexed == 1
    assert await index_state(store) == await fresh_index_state(store, [*messages[:5], edited, *messages[6:]])


async def test_an_interrupted_first_build_resumes(store: Store) -> None:
    rng = random.Random(5)
    messages = [random_message(rng, f"m{i:03}", []) for i in range(120)]
    await store.upsert_messages(messages)
    progress: list[int] = []

    def stop_after_two_batches(taken: int) -> None:
        progress.append(taken)
        if len(progress) == 2:
            raise KeyboardInterrupt  # the process stopped mid-build

    with pytest.raises(KeyboardInterrupt):
        await store.expertise.build(batch=25, progress=stop_after_two_batches)
    assert await store.expertise.building()
    assert (await store.expertise.update()).messages == 0, "the incremental indexer leaves a build alone"
    finder = ExpertFinder(store, clock=lambda: NOW)
    await finder.catch_up()  # finishes the build
    assert not await store.expertise.building()
    assert await store.expertise.pending() == 0
    assert await index_state(store) == await fresh_index_state(store, messages)


async def all_messages(store: Store) -> list[Message]:
    return [m async for m in store.iter_messages(include_deleted=True)]


async def index_state(store: Store) -> dict[str, Any]:
    """The index's content by what it means (message keys, people ids, words), not by its numbering."""
    engine = store._engine
    async with engine.connect() as connection:
        terms = {r.id: r.term for r in await connection.execute(sa.text("SELECT id, term FROM index_terms"))}
        people = {
            r.id: r.person_id
            for r in await connection.execute(sa.text("SELECT id, person_id FROM index_people"))
        }
        df = {
            r.term: r.df
            for r in await connection.execute(sa.text("SELECT term, df FROM index_terms WHERE df <> 0"))
        }
        docs = {}
        by_id = {}
        for r in await connection.execute(sa.text("SELECT * FROM index_docs")):
            pairs = sorted((terms[int(t)], int(tf)) for t, tf in (p.split(":") for p in r.terms.split()))
            key = (r.channel_id, r.message_id)
            by_id[r.id] = key
            docs[key] = (
                people[r.person],
                r.thread_id,
                r.team_id,
                r.created,
                bool(r.is_answer),
                r.reactions,
                r.length,
                pairs,
            )
        postings = sorted(
            (terms[r.term], people[r.person], by_id[r.doc], r.tf)
            for r in await connection.execute(sa.text("SELECT * FROM index_postings"))
        )
        person_terms = {
            (terms[r.term], people[r.person]): (r.docs, round(r.weight, 6))
            for r in await connection.execute(sa.text("SELECT * FROM index_person_terms"))
        }
        stats = {
            r.name: r.value
            for r in await connection.execute(sa.text("SELECT * FROM index_stats"))
            if r.name in ("documents", "length")
        }
        answers = {
            r.person_id: r.answers
            for r in await connection.execute(
                sa.text("SELECT person_id, answers FROM index_people WHERE answers <> 0")
            )
        }
    return {
        "df": df,
        "docs": docs,
        "postings": postings,
        "person_terms": person_terms,
        "stats": stats,
        "answers": answers,
    }


async def fresh_index_state(store: Store, messages: list[Message]) -> dict[str, Any]:
    """The same messages written to a new database of the same engine, and indexed in one go."""
    url = store._engine.url
    name = f"seula_fresh_{uuid.uuid4().hex[:12]}"
    admin = None
    if url.get_backend_name() == "sqlite":
        fresh_url = f"sqlite:///{Path(url.database or '').with_suffix('.fresh.db')}"
    else:
        admin = await asyncpg.connect(f"{POSTGRES_DSN}/postgres", timeout=5)
        await admin.execute(f'CREATE DATABASE "{name}"')
        fresh_url = f"{POSTGRES_DSN}/{name}"
    fresh = await Store.open(fresh_url)
    try:
        await fresh.upsert_messages(messages)
        await ExpertFinder(fresh, clock=lambda: NOW).catch_up()
        return await index_state(fresh)
    finally:
        await fresh.close()
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


async def test_an_organization_without_acronyms_learns_once_not_at_every_query(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Learning reads the latest 200,000 messages: with nothing learned, it must still count as done."""
    ticks = iter(range(0, 10_000, 60))  # a minute between refreshes: each one rechecks
    clock = {"now": NOW}
    finder = ExpertFinder(store, clock=lambda: clock["now"], monotonic=lambda: float(next(ticks)))
    await store.upsert_messages([message("1", "ville", "The vpn client needs a restart after updates.")])
    reads: list[int] = []
    recent_texts = store.recent_texts

    async def counted(limit: int) -> list[tuple[str, str]]:
        reads.append(limit)
        return await recent_texts(limit)

    monkeypatch.setattr(store, "recent_texts", counted)
    await finder.refresh(force=True)
    synonyms, learned_at = await store.expertise.synonyms()
    assert reads
    assert synonyms.acronyms == ()
    assert learned_at == NOW  # nothing learned, and when is kept
    learned = len(reads)
    clock["now"] = NOW + timedelta(hours=2)
    for _ in range(3):
        assert await experts(finder, "vpn") == ["ville"]
    assert len(reads) == learned


async def test_a_prolific_writer_is_scored_on_their_latest_messages_on_the_word(store: Store) -> None:
    """A query scores each shortlisted person's latest POSTINGS_PER_WORD messages holding a word, by date
    (not by when the index took them in: a delta round or an import brings old messages late)."""
    finder = ExpertFinder(store, clock=lambda: NOW)
    ages = list(range(1, POSTINGS_PER_WORD + 16))
    random.Random(5).shuffle(ages)
    for start in range(0, len(ages), 20):  # indexed in several rounds, in no order of date
        await store.upsert_messages(
            [
                message(f"m{age}", "kaisa", f"Helm chart values, take {age}.", days_ago=age)
                for age in ages[start : start + 20]
            ]
        )
        await finder.catch_up()
    await store.upsert_messages([message("other", "olli", "Helm chart for the ingress.")])
    await finder.catch_up()
    postings, docs = await store.expertise.postings(["helm"], ["kaisa", "olli"])
    kept = {docs[doc_id].message_id for doc_id in postings["helm"] if docs[doc_id].author_id == "kaisa"}
    assert kept == {f"m{age}" for age in range(1, POSTINGS_PER_WORD + 1)}
    assert {docs[doc_id].author_id for doc_id in postings["helm"]} == {"kaisa", "olli"}


async def test_synonyms_are_learned_from_the_latest_messages_people_wrote(store: Store) -> None:
    """The learner reads the latest messages by the index's date order: people's writing only, newest first,
    deleted ones and system events left out."""
    await store.upsert_messages(
        [
            message("old", "anna", "Azure DevOps (ADO) pipelines from last spring.", days_ago=200),
            message("mid", "bea", "The ADO board is tidy now.", days_ago=10),
            message("gone", "cai", "ADO wiki draft.", days_ago=2, deleted=True),
            replace(
                message("event", "anna", "Bea joined the team.", days_ago=1),
                message_type="systemEventMessage",
            ),
            message("new", "dan", "Azure DevOps service connections renewed.", days_ago=3),
        ]
    )
    await ExpertFinder(store, clock=lambda: NOW).refresh(force=True)
    assert await store.recent_texts(2) == [
        (CHANNEL, " Azure DevOps service connections renewed."),
        (CHANNEL, " The ADO board is tidy now."),
    ]
    assert len(await store.recent_texts(10)) == 3
