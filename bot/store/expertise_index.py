"""The expertise index in the database: kept in step with `messages`, read by every "who knows X".

Writes: `update` takes a batch of messages whose current version is not indexed yet (`messages.indexed` is
false after every write), turns each into an `IndexedDoc` (bot.expertise, pure) and moves the index from
the old version to the new in the same transaction that marks them indexed, so a crash loses nothing and
indexes nothing twice. One indexer at a time: on PostgreSQL a transaction-level advisory lock (replicas
that find it taken leave the work to the holder), on SQLite the single writer.

Reads: document frequencies and the words under a prefix (query planning), the best people per word (the
candidates), the candidates' postings with their messages' attributes (scoring), a message's words
(feedback), a person's messages (their topics). Each is an index range read: no query scans the messages.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.expertise import (
    IDLE_HORIZON_DAYS,
    PACE_DAYS,
    Activity,
    Corpus,
    Doc,
    IndexedDoc,
    Synonyms,
    Thread,
    bound_weight,
    bound_weight_sql,
    index_document,
)
from bot.model import Message, Reaction
from bot.store import schema
from bot.store.message_rows import message_from_row

_LOCK_KEY = 0x5E01A1DE  # pg_advisory_xact_lock: one indexer at a time across replicas
_CHUNK = 900  # parameters per IN list, under every driver's limit
_PREFIX_CHARS = 5


@dataclass(frozen=True, slots=True)
class _OldDoc:
    id: int
    person: int
    terms: list[tuple[int, int]]
    length: int
    reactions: int
    fingerprint: str
    is_answer: bool


@dataclass(frozen=True, slots=True)
class IndexUpdate:
    """What one `update` did."""

    messages: int  # taken from the queue
    indexed: int  # whose index entry changed
    removed: int  # whose index entry went (deleted, no longer people's writing)


# The connection a query's reads share (`ExpertiseIndexStore.reading`), with the engine it belongs to.
_READER: ContextVar[tuple[AsyncEngine, AsyncConnection] | None] = ContextVar("index_reader", default=None)


class ExpertiseIndexStore:
    """SQL over the index tables (see the module docstring)."""

    def __init__(self, engine: AsyncEngine, write_lock: asyncio.Lock | None) -> None:
        self._engine = engine
        self._write_lock = write_lock
        self._postgres = engine.dialect.name == "postgresql"
        self._ids = _Ids()  # words' and people's numbers, as committed (they never change)

    # --- reads share a connection ---------------------------------------------------------------------------

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        """One connection, and one transaction, for every read of the index inside (one at a time: not for
        reads run concurrently). A query makes about ten small reads, and opening and closing a connection
        for each (a rollback, hand-offs to aiosqlite's thread) cost as much as a small read itself."""
        async with self._reading() as connection:
            token = _READER.set((self._engine, connection))
            try:
                yield
            finally:
                _READER.reset(token)

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        """The connection of the `reading` block around this read, or one of its own."""
        if (current := _READER.get()) is not None and current[0] is self._engine:
            yield current[1]
            return
        async with self._engine.connect() as connection:
            yield connection

    # --- writes -------------------------------------------------------------------------------------------

    async def update(self, limit: int = 500) -> IndexUpdate:
        """Index up to `limit` messages waiting to be; 0 messages when none wait (or another indexer runs)."""
        if self._write_lock is None:
            return await self._update(limit)
        async with self._write_lock:
            return await self._update(limit)

    async def _update(self, limit: int) -> IndexUpdate:
        m = schema.messages
        async with self._engine.begin() as connection:
            if self._postgres:
                taken = await connection.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(_LOCK_KEY)))
                if not taken:
                    return IndexUpdate(0, 0, 0)
            else:
                # Take SQLite's write lock first, so no write slips between reading the queue and marking it.
                await connection.execute(
                    sa.update(schema.index_stats)
                    .where(schema.index_stats.c.name == "documents")
                    .values(value=schema.index_stats.c.value)
                )
            building = await connection.exec_driver_sql("SELECT 1 FROM index_stats WHERE name = 'building'")
            if building.first() is not None:
                return IndexUpdate(0, 0, 0)  # a first build is under way: `build` finishes it
            query = sa.select(m).where(_UNINDEXED).order_by(m.c.channel_id, m.c.id).limit(limit)
            if self._postgres:
                query = query.with_for_update(skip_locked=True)
            rows = (await connection.execute(query)).all()
            if not rows:
                return IndexUpdate(0, 0, 0)
            keys = [(row.channel_id, row.id) for row in rows]
            reactions = await _reactions(connection, keys)
            messages = [
                message_from_row(row, tuple(reactions.get((row.channel_id, row.id), ()))) for row in rows
            ]
            threads = await _threads(connection, messages)
            docs = [
                index_document(msg, threads.get((msg.channel_id, msg.reply_to_id or ""))) for msg in messages
            ]
            old = await _old_docs(connection, keys)
            writer = _Writer(connection, self._ids)
            await writer.load_ids(docs)
            changed = removed = 0
            reindex_replies: list[tuple[str, str]] = []
            for message, doc in zip(messages, docs, strict=True):
                key = (message.channel_id, message.id)
                previous = old.get(key)
                if previous is not None and doc is not None and previous.fingerprint == doc.fingerprint:
                    continue
                if previous is not None:
                    writer.remove(previous)
                if doc is not None:
                    writer.add(doc, previous.id if previous is not None else None)
                    changed += 1
                elif previous is not None:
                    removed += 1
                if message.is_root:
                    reindex_replies.append(key)  # their context (subject, who asked) may have changed
            await writer.flush()
            await connection.exec_driver_sql(
                _sql(connection, "UPDATE messages SET indexed = ? WHERE channel_id = ? AND id = ?"),
                [(True, channel, message) for channel, message in keys],
            )
            if reindex_replies:
                await connection.exec_driver_sql(
                    _sql(connection, _REINDEX_REPLIES),
                    [(False, channel, root, True) for channel, root in reindex_replies],
                )
        writer.committed()
        return IndexUpdate(len(rows), changed, removed)

    async def building(self) -> bool:
        """Whether a first build is under way (or was interrupted: `build` resumes it)."""
        async with self._engine.connect() as connection:
            return bool(
                await connection.scalar(
                    sa.select(schema.index_stats.c.value).where(schema.index_stats.c.name == "building")
                )
            )

    async def build(self, batch: int = 2000, progress: Callable[[int], None] | None = None) -> int:
        """Index everything waiting in bulk, for a first build; return how many messages were taken in.

        The postings are appended without their unique index, which is created at the end (one sort instead
        of a random insert per posting), and the people's bounds and the words' frequencies are then summed
        in the database. Each batch commits with its messages marked indexed, so an interrupted build
        resumes where it stopped (the `building` mark stays until the end, and `update` leaves the index
        alone meanwhile). A message already in the index that changed is left waiting, for `update`
        afterwards.
        """
        async with self._engine.begin() as connection:
            await connection.exec_driver_sql(
                _sql(connection, _ADD_STAT), [("building", 1.0), ("documents", 0.0), ("length", 0.0)]
            )
            await connection.exec_driver_sql("DROP INDEX IF EXISTS ix_index_postings_key")
            await connection.exec_driver_sql("DROP INDEX IF EXISTS ix_index_person_terms_weight")
            await connection.exec_driver_sql("DROP INDEX IF EXISTS ix_index_docs_person")
            await connection.exec_driver_sql("DROP INDEX IF EXISTS ix_index_docs_recent")
        ids = _Ids()
        async with self._engine.connect() as connection:
            for i, term in await connection.exec_driver_sql("SELECT id, term FROM index_terms"):
                ids.terms[term] = i
            for i, person in await connection.exec_driver_sql("SELECT id, person_id FROM index_people"):
                ids.people[person] = i
            next_doc = int(await connection.scalar(sa.select(sa.func.max(schema.index_docs.c.id))) or 0) + 1
        taken = 0
        after: tuple[str, str] | None = None
        while True:
            if self._write_lock is None:
                done, next_doc, after = await self._build_batch(batch, ids, next_doc, after)
            else:
                async with self._write_lock:
                    done, next_doc, after = await self._build_batch(batch, ids, next_doc, after)
            if not done:
                break
            taken += done
            if progress is not None:
                progress(taken)
        await self._finish_build()
        self._ids = ids
        return taken

    async def _build_batch(
        self, limit: int, ids: _Ids, next_doc: int, after: tuple[str, str] | None
    ) -> tuple[int, int, tuple[str, str] | None]:
        m = schema.messages
        async with self._engine.begin() as connection:
            if self._postgres:
                await connection.scalar(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))
            else:
                await connection.exec_driver_sql(
                    "UPDATE index_stats SET value = value WHERE name = 'building'"
                )
            query = sa.select(m).where(_UNINDEXED).order_by(m.c.channel_id, m.c.id).limit(limit)
            if after is not None:
                query = query.where(sa.tuple_(m.c.channel_id, m.c.id) > sa.tuple_(*map(sa.literal, after)))
            if self._postgres:
                query = query.with_for_update(skip_locked=True)
            rows = (await connection.execute(query)).all()
            if not rows:
                return 0, next_doc, after
            keys = [(row.channel_id, row.id) for row in rows]
            taken_before = set(await _old_docs(connection, keys))
            reactions = await _reactions(connection, keys)
            messages = [
                message_from_row(row, tuple(reactions.get((row.channel_id, row.id), ())))
                for row in rows
                if (row.channel_id, row.id) not in taken_before
            ]
            threads = await _threads(connection, messages)
            new_terms: list[tuple[Any, ...]] = []
            new_people: list[tuple[Any, ...]] = []
            docs: list[tuple[Any, ...]] = []
            postings: list[tuple[Any, ...]] = []
            for message in messages:
                doc = index_document(message, threads.get((message.channel_id, message.reply_to_id or "")))
                if doc is None:
                    continue
                person = ids.people.get(doc.author_id)
                if person is None:
                    person = ids.people[doc.author_id] = len(ids.people) + 1
                    new_people.append((person, doc.author_id))
                pairs = []
                for word, tf in doc.terms.items():
                    term = ids.terms.get(word)
                    if term is None:
                        term = ids.terms[word] = len(ids.terms) + 1
                        new_terms.append((term, word, word[:_PREFIX_CHARS], 0))
                    pairs.append(f"{term}:{tf}")
                    postings.append((term, person, next_doc, tf))
                docs.append(_doc_row(doc, next_doc, person, " ".join(pairs)))
                next_doc += 1
            for statement, values in (
                ("INSERT INTO index_people (id, person_id) VALUES (?, ?)", new_people),
                ("INSERT INTO index_terms (id, term, prefix, df) VALUES (?, ?, ?, ?)", new_terms),
                (_INSERT_DOC, docs),
                ("INSERT INTO index_postings (term, person, doc, tf) VALUES (?, ?, ?, ?)", postings),
                (
                    "UPDATE messages SET indexed = ? WHERE channel_id = ? AND id = ?",
                    [(True, *key) for key in keys if key not in taken_before],
                ),
            ):
                if values:
                    await connection.exec_driver_sql(_sql(connection, statement), values)
        return len(rows), next_doc, keys[-1]

    async def _finish_build(self) -> None:
        """Create the postings' index, then sum the bounds, frequencies and totals from the postings."""
        bound = bound_weight_sql("p.tf", "d.length", "d.reactions")
        async with self._engine.begin() as connection:
            run = connection.exec_driver_sql
            await run(f"CREATE UNIQUE INDEX IF NOT EXISTS ix_index_postings_key ON {_POSTINGS_KEY}")
            await run("CREATE INDEX IF NOT EXISTS ix_index_docs_person ON index_docs (person, created)")
            await run("CREATE INDEX IF NOT EXISTS ix_index_docs_recent ON index_docs (created)")
            await run("DELETE FROM index_person_terms")
            await run(
                "INSERT INTO index_person_terms (term, person, docs, weight) "
                f"SELECT p.term, p.person, count(*), sum({bound}) FROM index_postings p "
                "JOIN index_docs d ON d.id = p.doc GROUP BY p.term, p.person"
            )
            await run(
                "CREATE INDEX IF NOT EXISTS ix_index_person_terms_weight ON index_person_terms (term, weight)"
            )
            await run(
                "UPDATE index_terms SET df = counted.df FROM "
                "(SELECT term, count(*) AS df FROM index_postings GROUP BY term) AS counted "
                "WHERE index_terms.id = counted.term"
            )
            await run(
                "UPDATE index_people SET answers = counted.answers FROM (SELECT person, count(*) AS answers "
                "FROM index_docs WHERE is_answer GROUP BY person) AS counted "
                "WHERE index_people.id = counted.person"
            )
            totals = (await run("SELECT count(*), coalesce(sum(length), 0) FROM index_docs")).one()
            await run(
                _sql(connection, "UPDATE index_stats SET value = ? WHERE name = ?"),
                [(float(totals[0]), "documents"), (float(totals[1]), "length")],
            )
            await run(_sql(connection, _ADD_STAT), [("changes", float(totals[0]))])
            await run("DELETE FROM index_stats WHERE name = 'building'")
        # Fresh statistics for the planner, and on PostgreSQL the visibility map an index-only read needs
        # (VACUUM runs outside a transaction).
        async with self._engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            command = "VACUUM ANALYZE" if self._postgres else "ANALYZE"
            for table in (
                "index_postings",
                "index_docs",
                "index_person_terms",
                "index_terms",
                "index_people",
            ):
                await autocommit.exec_driver_sql(f"{command} {table}")

    async def pending(self) -> int:
        """How many messages wait to be indexed."""
        m = schema.messages
        async with self._engine.connect() as connection:
            return int(
                await connection.scalar(sa.select(sa.func.count()).select_from(m).where(_UNINDEXED)) or 0
            )

    async def remove_person(self, connection: AsyncConnection, person_id: str) -> None:
        """Take everything a person wrote out of the index (inside the caller's erasure transaction)."""
        person = await connection.scalar(
            sa.select(schema.index_people.c.id).where(schema.index_people.c.person_id == person_id)
        )
        if person is None:
            return
        d = schema.index_docs
        rows = (await connection.execute(sa.select(d).where(d.c.person == person))).all()
        writer = _Writer(connection, self._ids)
        for row in rows:
            writer.remove(_old_doc(row))
        await writer.flush()
        await connection.execute(sa.delete(schema.index_people).where(schema.index_people.c.id == person))
        self._ids.people.pop(person_id, None)

    async def remove_messages(self, connection: AsyncConnection, keys: Sequence[tuple[str, str]]) -> None:
        """Take these messages out of the index (inside the caller's transaction that deletes them)."""
        old = await _old_docs(connection, keys)
        writer = _Writer(connection, self._ids)
        for doc in old.values():
            writer.remove(doc)
        await writer.flush()

    async def save_synonyms(self, synonyms: Synonyms, now: datetime) -> None:
        """Replace the learned synonyms."""
        s = schema.index_synonyms
        rows = [
            {"term": a, "kind": "acronym", "phrase": " ".join(e), "learned_at": now}
            for a, e in synonyms.acronyms
        ]
        rows += [
            {"term": a, "kind": "numeronym", "phrase": f, "learned_at": now} for a, f in synonyms.numeronyms
        ]
        unique = {(r["term"], r["kind"], r["phrase"]): r for r in rows}
        st = schema.index_stats
        insert = postgresql.insert if self._postgres else sqlite.insert
        async with self._engine.begin() as connection:
            await connection.execute(sa.delete(s))
            if unique:
                await connection.execute(sa.insert(s), list(unique.values()))
            changes = await connection.scalar(sa.select(st.c.value).where(st.c.name == "changes")) or 0
            # When is kept apart from the pairs: a tenant whose messages hold no acronym learned nothing, and
            # must not learn again at every refresh (200,000 messages read each time).
            for name, value in (("learned_at_changes", changes), ("learned_at", now.timestamp())):
                upsert = insert(st).values(name=name, value=value)
                await connection.execute(
                    upsert.on_conflict_do_update(
                        index_elements=[st.c.name], set_={"value": upsert.excluded.value}
                    )
                )

    async def changes_since_learning(self) -> int:
        """Messages added to or taken out of the index since the synonyms were last learned."""
        async with self._engine.connect() as connection:
            values = {row.name: row.value for row in await connection.execute(sa.select(schema.index_stats))}
        return int(values.get("changes", 0) - values.get("learned_at_changes", 0))

    # --- reads --------------------------------------------------------------------------------------------

    async def synonyms(self) -> tuple[Synonyms, datetime | None]:
        """The learned synonyms, and when they were learned (None: never)."""
        s = schema.index_synonyms
        st = schema.index_stats
        async with self._engine.connect() as connection:
            rows = (await connection.execute(sa.select(s).order_by(s.c.kind, s.c.term, s.c.phrase))).all()
            stamp = await connection.scalar(sa.select(st.c.value).where(st.c.name == "learned_at"))
        acronyms = tuple((r.term, tuple(r.phrase.split())) for r in rows if r.kind == "acronym")
        numeronyms = tuple((r.term, r.phrase) for r in rows if r.kind == "numeronym")
        # Stores indexed before the stamp was kept have it on the pairs only.
        learned = (
            datetime.fromtimestamp(stamp, UTC)
            if stamp is not None
            else max((r.learned_at for r in rows), default=None)
        )
        return Synonyms(acronyms, numeronyms), learned

    async def corpus(self) -> Corpus:
        """How many messages are indexed, and their words in all."""
        async with self._reading() as connection:
            return await _corpus(connection)

    async def vocabulary(
        self, words: Iterable[str], prefixes: Iterable[str]
    ) -> tuple[dict[str, int], dict[str, list[str]]]:
        """Document frequencies of `words` (the indexed ones) and the indexed words under each prefix."""
        wanted = sorted(set(words))
        starts = sorted({p[:_PREFIX_CHARS] for p in prefixes})
        df: dict[str, int] = {}
        by_prefix: dict[str, list[str]] = defaultdict(list)
        async with self._reading() as connection:
            for chunk in _chunks(wanted):
                marks = ", ".join("?" * len(chunk))
                sql = f"SELECT term, df FROM index_terms WHERE term IN ({marks}) AND df > 0"
                df.update(await _pairs(connection, sql, chunk))
            if starts:
                sql = (
                    "SELECT term, df, prefix FROM index_terms "
                    f"WHERE prefix IN ({', '.join('?' * len(starts))}) AND df > 0"
                )
                for term, frequency, prefix in await connection.exec_driver_sql(
                    _sql(connection, sql), tuple(starts)
                ):
                    by_prefix[prefix].append(term)
                    df[term] = frequency
        return df, dict(by_prefix)

    async def document_frequencies(self, words: Iterable[str]) -> dict[str, int]:
        """Document frequencies of the indexed ones of `words`."""
        return (await self.vocabulary(words, ()))[0]

    async def best_people(self, words: Sequence[str], per_word: int) -> list[tuple[str, str, float]]:
        """(word, person id, bound weight) for the `per_word` people with the highest bound for each word."""
        rows: list[tuple[str, str, float]] = []
        async with self._reading() as connection:
            ids = await self._term_ids(connection, words)
            names = {i: word for word, i in ids.items()}
            # One read per word, each the head of the (term, weight) index, in one statement per 100 words
            # (SQLite allows 500 terms in a compound SELECT).
            for chunk in _chunks(sorted(names), 100):
                union = " UNION ALL ".join(_BEST_PEOPLE.format(n) for n in range(len(chunk)))
                sql = (
                    f"SELECT b.term, p.person_id, b.weight FROM ({union}) AS b "
                    "JOIN index_people p ON p.id = b.person"
                )
                values = tuple(value for term in chunk for value in (term, per_word))
                result = await _fetch(connection, sql, values)
                rows.extend((names[term], person_id, weight) for term, person_id, weight in result)
        return rows

    async def postings(
        self, words: Sequence[str], people: Sequence[str]
    ) -> tuple[dict[str, dict[int, int]], dict[int, Doc]]:
        """The postings of `words` in `people`'s messages, and those messages (attributes, no text)."""
        postings: dict[str, dict[int, int]] = defaultdict(dict)
        docs: dict[int, Doc] = {}
        async with self._reading() as connection:
            if self._postgres:
                # PostgreSQL plans this read in parallel (its estimate of a common word's postings is high):
                # starting the workers cost more than they saved (70 against 40 ms for "build" at 1M), and
                # one person's question should not hold every core of a database the replicas share.
                await connection.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
            ids = await self._term_ids(connection, words)
            persons = await self._person_ids(connection, people)
            if not ids or not persons:
                return {}, {}
            names = {i: word for word, i in ids.items()}
            by_number = {i: person for person, i in persons.items()}
            hint = "" if self._postgres else "INDEXED BY ix_index_docs_created"
            for chunk in _chunks(sorted(by_number), 400):
                marks = {"terms": ", ".join("?" * len(names)), "people": ", ".join("?" * len(chunk))}
                sql = _POSTINGS.format(hint=hint, **marks)
                result = await _fetch(connection, sql, (*names, *chunk))
                for (
                    term,
                    tf,
                    doc,
                    channel,
                    message,
                    person,
                    thread,
                    team,
                    created,
                    answer,
                    reactions,
                    length,
                ) in result:
                    postings[names[term]][doc] = tf
                    if doc not in docs:
                        docs[doc] = Doc(
                            doc,
                            channel,
                            message,
                            by_number[person],
                            thread,
                            team,
                            created,
                            bool(answer),
                            reactions,
                            length,
                        )
        return dict(postings), docs

    async def activity(
        self, people: Sequence[str], now: datetime, unseen_teams: frozenset[str]
    ) -> dict[str, Activity]:
        """How lately each of `people` wrote, up to `now` and outside `unseen_teams` (their answers so far
        count every team: it only tells whether they are new to answering). Reads their last PACE_DAYS of
        messages by the (person, created) index, and IDLE_HORIZON_DAYS only for those with none in them."""
        found: dict[str, Activity] = {}
        if not people:
            return found
        until = int(now.timestamp())
        pace = until - PACE_DAYS * 86400
        async with self._reading() as connection:
            persons = await self._person_ids(connection, people)
            by_number = {i: person for person, i in persons.items()}
            for chunk in _chunks(sorted(by_number), 400):
                # A prolific writer has thousands of messages in 90 days and a few hundred in a week: whoever
                # wrote this week has their latest message in it, and only the others are read further back.
                lately = await _written_since(connection, chunk, pace - 1, until, unseen_teams)
                quiet = [number for number in chunk if number not in lately]
                if quiet:
                    since = until - IDLE_HORIZON_DAYS * 86400
                    lately.update(await _written_since(connection, quiet, since, until, unseen_teams))
                answers = await _answers(connection, chunk)
                for number in chunk:
                    last, count = lately.get(number, (None, 0))
                    found[by_number[number]] = Activity(
                        None if last is None else datetime.fromtimestamp(last, UTC),
                        int(answers.get(number, 0)),
                        int(count if last is None or last >= pace else 0),
                    )
        return found

    async def answers_of(self, people: Sequence[str]) -> dict[str, int]:
        """Each of `people`'s answers so far (replies in other people's threads, every team)."""
        found: dict[str, int] = {}
        async with self._reading() as connection:
            persons = await self._person_ids(connection, people)
            by_number = {i: person for person, i in persons.items()}
            for chunk in _chunks(sorted(by_number)):
                for number, answers in (await _answers(connection, chunk)).items():
                    found[by_number[number]] = int(answers)
        return found

    async def _term_ids(self, connection: AsyncConnection, words: Iterable[str]) -> dict[str, int]:
        """The numbers of the indexed ones of `words` (remembered: a word's number never changes)."""
        known = self._ids.terms
        wanted = set(words)
        found = {word: known[word] for word in wanted & known.keys()}
        for chunk in _chunks(sorted(wanted - found.keys())):
            sql = f"SELECT term, id FROM index_terms WHERE term IN ({', '.join('?' * len(chunk))})"
            read = await _pairs(connection, sql, chunk)
            self._ids.remember(read, {})
            found.update(read)
        return found

    async def _person_ids(self, connection: AsyncConnection, people: Iterable[str]) -> dict[str, int]:
        """The numbers of the indexed ones of `people`."""
        known = self._ids.people
        wanted = set(people)
        found = {person: known[person] for person in wanted & known.keys()}
        for chunk in _chunks(sorted(wanted - found.keys())):
            sql = f"SELECT person_id, id FROM index_people WHERE person_id IN ({', '.join('?' * len(chunk))})"
            read = await _pairs(connection, sql, chunk)
            self._ids.remember({}, read)
            found.update(read)
        return found

    async def doc_terms(self, doc_ids: Iterable[int]) -> dict[int, dict[str, int]]:
        """The words of some indexed messages, with their counts."""
        d = schema.index_docs
        wanted = sorted(set(doc_ids))
        async with self._reading() as connection:
            rows = [
                row
                for chunk in _chunks(wanted)
                for row in await connection.execute(sa.select(d.c.id, d.c.terms).where(d.c.id.in_(chunk)))
            ]
            parsed = {row.id: _parse_terms(row.terms) for row in rows}
            names = await _term_names(connection, {term for terms in parsed.values() for term, _ in terms})
        return {doc: {names[t_]: tf for t_, tf in terms if t_ in names} for doc, terms in parsed.items()}

    async def docs_of(self, person_id: str) -> list[tuple[Doc, dict[str, int]]]:
        """A person's indexed messages, each with its words."""
        d, p = schema.index_docs, schema.index_people
        async with self._reading() as connection:
            person = await connection.scalar(sa.select(p.c.id).where(p.c.person_id == person_id))
            if person is None:
                return []
            rows = (await connection.execute(sa.select(d).where(d.c.person == person))).all()
            parsed = [(row, _parse_terms(row.terms)) for row in rows]
            names = await _term_names(connection, {term for _, terms in parsed for term, _ in terms})
        return [
            (_doc(row, person_id), {names[t_]: tf for t_, tf in terms if t_ in names})
            for row, terms in parsed
        ]


class _Writer:
    """Accumulates one batch's changes to the index and writes them with a few statements."""

    def __init__(self, connection: AsyncConnection, ids: _Ids) -> None:
        self._connection = connection
        self._ids = ids
        self._term_ids: dict[str, int] = {}
        self._person_ids: dict[str, int] = {}
        self._new_terms: dict[str, int] = {}
        self._new_people: dict[str, int] = {}
        self._next_term = self._next_person = self._next_doc = 0
        self._df: dict[int, int] = defaultdict(int)
        self._person_terms: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0, 0.0])
        self._removed_postings: list[tuple[int, int, int]] = []
        self._added_postings: dict[tuple[int, int, int], int] = {}
        self._removed_docs: set[int] = set()
        self._docs: dict[int, tuple[Any, ...]] = {}
        self._documents = 0
        self._length = 0
        self._changes = 0  # messages added or taken out: when enough have, synonyms are learned again
        self._answers: dict[int, int] = defaultdict(int)  # change in each person's answers

    async def load_ids(self, docs: Sequence[IndexedDoc | None]) -> None:
        """Number the batch's words and people (new ones after the highest number in use)."""
        t, p, d = schema.index_terms, schema.index_people, schema.index_docs
        words = {term for doc in docs if doc is not None for term in doc.terms}
        people = {doc.author_id for doc in docs if doc is not None}
        for word in words & self._ids.terms.keys():
            self._term_ids[word] = self._ids.terms[word]
        for person in people & self._ids.people.keys():
            self._person_ids[person] = self._ids.people[person]
        for chunk in _chunks(sorted(words - self._term_ids.keys())):
            result = await self._connection.execute(sa.select(t.c.id, t.c.term).where(t.c.term.in_(chunk)))
            self._term_ids.update((row.term, row.id) for row in result)
        for chunk in _chunks(sorted(people - self._person_ids.keys())):
            result = await self._connection.execute(
                sa.select(p.c.id, p.c.person_id).where(p.c.person_id.in_(chunk))
            )
            self._person_ids.update((row.person_id, row.id) for row in result)
        self._next_term = int(await self._connection.scalar(sa.select(sa.func.max(t.c.id))) or 0) + 1
        self._next_person = int(await self._connection.scalar(sa.select(sa.func.max(p.c.id))) or 0) + 1
        self._next_doc = int(await self._connection.scalar(sa.select(sa.func.max(d.c.id))) or 0) + 1

    def committed(self) -> None:
        """The batch's transaction committed: its numbers are safe to remember."""
        self._ids.remember(self._term_ids, self._person_ids)

    def _term(self, term: str) -> int:
        if term not in self._term_ids:
            self._term_ids[term] = self._new_terms[term] = self._next_term
            self._next_term += 1
        return self._term_ids[term]

    def _person(self, person_id: str) -> int:
        if person_id not in self._person_ids:
            self._person_ids[person_id] = self._new_people[person_id] = self._next_person
            self._next_person += 1
        return self._person_ids[person_id]

    def remove(self, old: _OldDoc) -> None:
        for term, tf in old.terms:
            self._df[term] -= 1
            entry = self._person_terms[(term, old.person)]
            entry[0] -= 1
            entry[1] -= bound_weight(tf, old.length, old.reactions)
            key = (term, old.person, old.id)
            if self._added_postings.pop(key, None) is None:
                self._removed_postings.append(key)
        self._removed_docs.add(old.id)
        self._docs.pop(old.id, None)  # (an earlier version in this batch: not written)
        self._documents -= 1
        self._length -= old.length
        self._changes += 1
        self._answers[old.person] -= old.is_answer

    def add(self, doc: IndexedDoc, doc_id: int | None) -> None:
        if doc_id is None:
            doc_id = self._next_doc
            self._next_doc += 1
        person = self._person(doc.author_id)
        pairs = []
        for word, tf in doc.terms.items():
            term = self._term(word)
            pairs.append(f"{term}:{tf}")
            self._df[term] += 1
            entry = self._person_terms[(term, person)]
            entry[0] += 1
            entry[1] += bound_weight(tf, doc.length, doc.reactions)
            self._added_postings[(term, person, doc_id)] = tf
        self._docs[doc_id] = _doc_row(doc, doc_id, person, " ".join(pairs))
        self._documents += 1
        self._length += doc.length
        self._changes += 1
        self._answers[person] += doc.is_answer

    async def flush(self) -> None:
        """Write the batch: plain tuples through the driver's executemany (SQLAlchemy's per-row work would
        be most of the indexer's cost)."""
        c = self._connection

        async def many(statement: str, rows: Sequence[tuple[Any, ...]]) -> None:
            if rows:
                await c.exec_driver_sql(_sql(c, statement), list(rows))

        await many(
            "INSERT INTO index_people (id, person_id) VALUES (?, ?)",
            [(i, person_id) for person_id, i in self._new_people.items()],
        )
        # New words go in with their count; known words' counts move by the batch's net change.
        new_ids = set(self._new_terms.values())
        await many(
            "INSERT INTO index_terms (id, term, prefix, df) VALUES (?, ?, ?, ?)",
            [(i, term, term[:_PREFIX_CHARS], self._df.get(i, 0)) for term, i in self._new_terms.items()],
        )
        await many(
            "UPDATE index_terms SET df = df + ? WHERE id = ?",
            [(delta, term) for term, delta in self._df.items() if delta and term not in new_ids],
        )
        await many(
            "UPDATE index_people SET answers = answers + ? WHERE id = ?",
            [(delta, person) for person, delta in self._answers.items() if delta],
        )
        await many(
            "DELETE FROM index_postings WHERE term = ? AND person = ? AND doc = ?", self._removed_postings
        )
        await many("DELETE FROM index_docs WHERE id = ?", [(doc,) for doc in sorted(self._removed_docs)])
        await many(_INSERT_DOC, list(self._docs.values()))
        await many(
            "INSERT INTO index_postings (term, person, doc, tf) VALUES (?, ?, ?, ?)",
            [(*key, tf) for key, tf in self._added_postings.items()],
        )
        await many(
            "INSERT INTO index_person_terms (term, person, docs, weight) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (term, person) DO UPDATE SET docs = index_person_terms.docs + excluded.docs, "
            "weight = index_person_terms.weight + excluded.weight",
            [
                (term, person, int(docs), weight)
                for (term, person), (docs, weight) in self._person_terms.items()
                if docs or weight
            ],
        )
        await many(
            "DELETE FROM index_person_terms WHERE term = ? AND person = ? AND docs <= 0",
            [key for key, (docs, _) in self._person_terms.items() if docs < 0],
        )
        if self._changes:
            await many(
                _ADD_STAT,
                [("documents", self._documents), ("length", self._length), ("changes", self._changes)],
            )


_REINDEX_REPLIES = "UPDATE messages SET indexed = ? WHERE channel_id = ? AND reply_to_id = ? AND indexed = ?"
# Spelled as the partial index `ix_messages_unindexed` is (`NOT indexed`): SQLite uses a partial index only
# when it can prove the query's condition implies the index's, and `indexed IS 0` it cannot (a full scan of
# every message, 2.4 s at 10 million).
_UNINDEXED = sa.text("NOT messages.indexed")
_POSTINGS_KEY = "index_postings (term, person, doc, tf)"  # tf too: a query reads the index alone
_BEST_PEOPLE = (
    "SELECT * FROM (SELECT term, person, weight FROM index_person_terms WHERE term = ? "
    "ORDER BY weight DESC LIMIT ?) AS w{}"
)
# A person's latest POSTINGS_PER_WORD messages holding a word are what a query scores of them: a prolific
# writer has hundreds on a common word, and their older ones add little (recency) but cost a row each.
POSTINGS_PER_WORD = 60
# Two steps: the window picks each pair's latest postings by the dates in the narrow (id, created) index
# (SQLite must be told to use it: it would rather look each id up in the wide table), and only the kept ones
# are joined to their messages' rows. A common word's heaviest writers have hundreds of postings each.
_POSTINGS = (
    "SELECT w.term, w.tf, d.id, d.channel_id, d.message_id, d.person, d.thread_id, d.team_id, d.created, "
    "d.is_answer, d.reactions, d.length FROM (SELECT p.term, p.tf, p.doc, row_number() OVER (PARTITION BY "
    "p.term, p.person ORDER BY c.created DESC, c.id DESC) AS latest FROM index_postings p "
    "JOIN index_docs c {hint} ON c.id = p.doc WHERE p.term IN ({terms}) AND p.person IN ({people})) AS w "
    "JOIN index_docs d ON d.id = w.doc WHERE w.latest <= " + str(POSTINGS_PER_WORD)
)
_ADD_STAT = (
    "INSERT INTO index_stats (name, value) VALUES (?, ?) "
    "ON CONFLICT (name) DO UPDATE SET value = index_stats.value + excluded.value"
)
_DOC_COLUMNS = tuple(column.name for column in schema.index_docs.columns)
_INSERT_DOC = (
    f"INSERT INTO index_docs ({', '.join(_DOC_COLUMNS)}) VALUES ({', '.join('?' * len(_DOC_COLUMNS))})"
)


def _doc_row(doc: IndexedDoc, doc_id: int, person: int, terms: str) -> tuple[Any, ...]:
    """An `index_docs` row, in `_DOC_COLUMNS` order."""
    return (
        doc_id,
        doc.channel_id,
        doc.message_id,
        person,
        doc.thread_id,
        doc.team_id,
        int(doc.created_at.timestamp()),
        doc.is_answer,
        doc.reactions,
        doc.length,
        terms,
        doc.fingerprint,
    )


def _sql(connection: AsyncConnection, text: str) -> str:
    """`?` placeholders in the driver's own style (asyncpg numbers them)."""
    if connection.dialect.name != "postgresql":
        return text
    parts = text.split("?")
    return "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, start=1))


async def _corpus(connection: AsyncConnection) -> Corpus:
    st = schema.index_stats
    values = {row.name: row.value for row in await connection.execute(sa.select(st))}
    return Corpus(int(values.get("documents", 0)), int(values.get("length", 0)))


async def _by_channel(
    connection: AsyncConnection, statement: str, keys: Sequence[tuple[str, str]]
) -> list[Any]:
    """Rows of `statement` ("… WHERE channel_id = ? AND x IN ({})") for (channel, x) keys, a channel at a
    time: a plain indexed lookup on both engines."""
    by_channel: dict[str, list[str]] = defaultdict(list)
    for channel, key in keys:
        by_channel[channel].append(key)
    rows: list[Any] = []
    for channel, values in by_channel.items():
        for chunk in _chunks(sorted(set(values))):
            sql = _sql(connection, statement.format(", ".join("?" * len(chunk))))
            rows.extend((await connection.exec_driver_sql(sql, (channel, *chunk))).all())
    return rows


async def _reactions(
    connection: AsyncConnection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[Reaction]]:
    found: dict[tuple[str, str], list[Reaction]] = defaultdict(list)
    statement = (
        "SELECT channel_id, message_id, user_id, reaction_type FROM reactions "
        "WHERE channel_id = ? AND message_id IN ({})"
    )
    for channel, message, user, kind in await _by_channel(connection, statement, keys):
        found[(channel, message)].append(Reaction(user, kind))
    return found


async def _threads(connection: AsyncConnection, messages: Sequence[Message]) -> dict[tuple[str, str], Thread]:
    """What the replies among `messages` take from their threads' first messages (from the store: a root
    may be in this batch too)."""
    wanted = [(msg.channel_id, msg.reply_to_id) for msg in messages if msg.reply_to_id]
    statement = "SELECT channel_id, id, author_id, subject FROM messages WHERE channel_id = ? AND id IN ({})"
    rows = await _by_channel(connection, statement, wanted)
    return {(channel, root): Thread(author, subject) for channel, root, author, subject in rows}


async def _old_docs(
    connection: AsyncConnection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], _OldDoc]:
    statement = (
        "SELECT id, channel_id, message_id, person, terms, length, reactions, fingerprint, is_answer "
        "FROM index_docs WHERE channel_id = ? AND message_id IN ({})"
    )
    rows = await _by_channel(connection, statement, keys)
    return {
        (channel, message): _OldDoc(
            doc, person, _parse_terms(terms), length, reactions, fingerprint, bool(answer)
        )
        for doc, channel, message, person, terms, length, reactions, fingerprint, answer in rows
    }


class _Ids:
    """Words' and people's numbers in the index, remembered across batches once committed."""

    _LIMIT = 1_000_000

    def __init__(self) -> None:
        self.terms: dict[str, int] = {}
        self.people: dict[str, int] = {}

    def remember(self, terms: Mapping[str, int], people: Mapping[str, int]) -> None:
        if len(self.terms) + len(terms) > self._LIMIT:
            self.terms.clear()
        if len(self.people) + len(people) > self._LIMIT:
            self.people.clear()
        self.terms.update(terms)
        self.people.update(people)


async def _fetch(connection: AsyncConnection, sql: str, values: Sequence[Any]) -> Sequence[Sequence[Any]]:
    """Rows of a read through the driver itself: thousands of rows a query, where SQLAlchemy's per-row work
    would cost more than the database's (the statement is the same on both engines, `?` placeholders)."""
    driver: Any = (await connection.get_raw_connection()).driver_connection
    if connection.dialect.name == "postgresql":
        rows: Sequence[Sequence[Any]] = await driver.fetch(_sql(connection, sql), *values)
        return rows
    async with driver.execute(sql, tuple(values)) as cursor:
        return list(await cursor.fetchall())


async def _pairs(connection: AsyncConnection, sql: str, values: Sequence[Any]) -> dict[Any, Any]:
    return {row[0]: row[1] for row in await connection.exec_driver_sql(_sql(connection, sql), tuple(values))}


async def _written_since(
    connection: AsyncConnection, numbers: Sequence[int], since: int, until: int, unseen: frozenset[str]
) -> dict[int, tuple[int, int]]:
    """Each person's latest message in (since, until] outside `unseen` teams, and how many they wrote there
    (only those who wrote any)."""
    teams = sorted(unseen)
    sql = (
        "SELECT d.person, max(d.created), count(*) FROM index_docs d "
        f"WHERE d.person IN ({', '.join('?' * len(numbers))}) AND d.created > ? AND d.created <= ? "
        + (f"AND d.team_id NOT IN ({', '.join('?' * len(teams))}) " if teams else "")
        + "GROUP BY d.person"
    )
    rows = await connection.exec_driver_sql(_sql(connection, sql), (*numbers, since, until, *teams))
    return {person: (last, count) for person, last, count in rows}


async def _answers(connection: AsyncConnection, numbers: Sequence[int]) -> dict[int, int]:
    """Answers so far of the people with these index numbers."""
    sql = f"SELECT id, answers FROM index_people WHERE id IN ({', '.join('?' * len(numbers))})"
    return await _pairs(connection, sql, numbers)


async def _term_names(connection: AsyncConnection, ids: Iterable[int]) -> dict[int, str]:
    t = schema.index_terms
    names: dict[int, str] = {}
    for chunk in _chunks(sorted(set(ids))):
        result = await connection.execute(sa.select(t.c.id, t.c.term).where(t.c.id.in_(chunk)))
        names.update((row.id, row.term) for row in result)
    return names


def _old_doc(row: Any) -> _OldDoc:
    return _OldDoc(
        row.id,
        row.person,
        _parse_terms(row.terms),
        row.length,
        row.reactions,
        row.fingerprint,
        bool(row.is_answer),
    )


def _parse_terms(text: str) -> list[tuple[int, int]]:
    pairs = []
    for pair in text.split():
        term, _, tf = pair.partition(":")
        pairs.append((int(term), int(tf)))
    return pairs


def _doc(row: Any, person_id: str) -> Doc:
    return Doc(
        id=row.id,
        channel_id=row.channel_id,
        message_id=row.message_id,
        author_id=person_id,
        thread_id=row.thread_id,
        team_id=row.team_id,
        created=row.created,
        is_answer=bool(row.is_answer),
        reactions=row.reactions,
        length=row.length,
    )


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
