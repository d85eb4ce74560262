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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.expertise import Corpus, Doc, IndexedDoc, Synonyms, bound_weight, index_document
from bot.model import Message, Reaction
from bot.store import schema

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


@dataclass(frozen=True, slots=True)
class IndexUpdate:
    """What one `update` did."""

    messages: int  # taken from the queue
    indexed: int  # whose index entry changed
    removed: int  # whose index entry went (deleted, no longer people's writing)


class ExpertiseIndexStore:
    """SQL over the index tables (see the module docstring)."""

    def __init__(self, engine: AsyncEngine, write_lock: asyncio.Lock | None) -> None:
        self._engine = engine
        self._write_lock = write_lock
        self._postgres = engine.dialect.name == "postgresql"

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
            query = sa.select(m).where(m.c.indexed.is_(False)).order_by(m.c.channel_id, m.c.id).limit(limit)
            if self._postgres:
                query = query.with_for_update(skip_locked=True)
            rows = (await connection.execute(query)).all()
            if not rows:
                return IndexUpdate(0, 0, 0)
            keys = [(row.channel_id, row.id) for row in rows]
            reactions = await _reactions(connection, keys)
            messages = [_message(row, tuple(reactions.get((row.channel_id, row.id), ()))) for row in rows]
            roots = await _roots(connection, messages)
            docs = [
                index_document(msg, roots.get((msg.channel_id, msg.reply_to_id or ""))) for msg in messages
            ]
            old = await _old_docs(connection, keys)
            writer = _Writer(connection, self._postgres)
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
            await _mark_indexed(connection, keys)
            if reindex_replies:
                await connection.execute(
                    sa.update(m)
                    .where(
                        m.c.channel_id == sa.bindparam("c"),
                        m.c.reply_to_id == sa.bindparam("r"),
                        m.c.indexed.is_(True),
                    )
                    .values(indexed=False),
                    [{"c": c, "r": r} for c, r in reindex_replies],
                )
            return IndexUpdate(len(rows), changed, removed)

    async def pending(self) -> int:
        """How many messages wait to be indexed."""
        m = schema.messages
        async with self._engine.connect() as connection:
            return int(
                await connection.scalar(
                    sa.select(sa.func.count()).select_from(m).where(m.c.indexed.is_(False))
                )
                or 0
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
        writer = _Writer(connection, self._postgres)
        for row in rows:
            writer.remove(_old_doc(row))
        await writer.flush()
        await connection.execute(sa.delete(schema.index_people).where(schema.index_people.c.id == person))

    async def remove_messages(self, connection: AsyncConnection, keys: Sequence[tuple[str, str]]) -> None:
        """Take these messages out of the index (inside the caller's transaction that deletes them)."""
        old = await _old_docs(connection, keys)
        writer = _Writer(connection, self._postgres)
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
            upsert = insert(st).values(name="learned_at_changes", value=changes)
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
        async with self._engine.connect() as connection:
            rows = (await connection.execute(sa.select(s).order_by(s.c.kind, s.c.term, s.c.phrase))).all()
        acronyms = tuple((r.term, tuple(r.phrase.split())) for r in rows if r.kind == "acronym")
        numeronyms = tuple((r.term, r.phrase) for r in rows if r.kind == "numeronym")
        learned = max((r.learned_at for r in rows), default=None)
        return Synonyms(acronyms, numeronyms), learned

    async def corpus(self) -> Corpus:
        """How many messages are indexed, and their words in all."""
        async with self._engine.connect() as connection:
            return await _corpus(connection)

    async def vocabulary(
        self, words: Iterable[str], prefixes: Iterable[str]
    ) -> tuple[dict[str, int], dict[str, list[str]]]:
        """Document frequencies of `words` (the indexed ones) and the indexed words under each prefix."""
        t = schema.index_terms
        wanted = sorted(set(words))
        starts = sorted({p[:_PREFIX_CHARS] for p in prefixes})
        df: dict[str, int] = {}
        by_prefix: dict[str, list[str]] = defaultdict(list)
        async with self._engine.connect() as connection:
            for chunk in _chunks(wanted):
                result = await connection.execute(
                    sa.select(t.c.term, t.c.df).where(t.c.term.in_(chunk), t.c.df > 0)
                )
                df.update((row.term, row.df) for row in result)
            if starts:
                result = await connection.execute(
                    sa.select(t.c.term, t.c.df, t.c.prefix).where(t.c.prefix.in_(starts), t.c.df > 0)
                )
                for row in result:
                    by_prefix[row.prefix].append(row.term)
                    df[row.term] = row.df
        return df, dict(by_prefix)

    async def document_frequencies(self, words: Iterable[str]) -> dict[str, int]:
        """Document frequencies of the indexed ones of `words`."""
        return (await self.vocabulary(words, ()))[0]

    async def best_people(self, words: Sequence[str], per_word: int) -> list[tuple[str, str, float]]:
        """(word, person id, bound weight) for the `per_word` people with the highest bound for each word."""
        if not words:
            return []
        t, pt, p = schema.index_terms, schema.index_person_terms, schema.index_people
        rows: list[tuple[str, str, float]] = []
        async with self._engine.connect() as connection:
            ids = {
                row.id: row.term
                for chunk in _chunks(sorted(set(words)))
                for row in await connection.execute(sa.select(t.c.id, t.c.term).where(t.c.term.in_(chunk)))
            }
            if not ids:
                return []
            parts = [
                sa.select(pt.c.term, pt.c.person, pt.c.weight)
                .where(pt.c.term == term_id)
                .order_by(pt.c.weight.desc())
                .limit(per_word)
                .subquery()
                .select()
                for term_id in ids
            ]
            best = sa.union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
            result = await connection.execute(
                sa.select(best.c.term, p.c.person_id, best.c.weight).join(p, p.c.id == best.c.person)
            )
            rows = [(ids[row.term], row.person_id, row.weight) for row in result]
        return rows

    async def postings(
        self, words: Sequence[str], people: Sequence[str]
    ) -> tuple[dict[str, dict[int, int]], dict[int, Doc]]:
        """The postings of `words` in `people`'s messages, and those messages (attributes, no text)."""
        postings: dict[str, dict[int, int]] = defaultdict(dict)
        docs: dict[int, Doc] = {}
        if not words or not people:
            return {}, {}
        t, pt, p, d = schema.index_terms, schema.index_postings, schema.index_people, schema.index_docs
        async with self._engine.connect() as connection:
            ids = {
                row.id: row.term
                for chunk in _chunks(sorted(set(words)))
                for row in await connection.execute(sa.select(t.c.id, t.c.term).where(t.c.term.in_(chunk)))
            }
            persons = {
                row.id: row.person_id
                for chunk in _chunks(sorted(set(people)))
                for row in await connection.execute(
                    sa.select(p.c.id, p.c.person_id).where(p.c.person_id.in_(chunk))
                )
            }
            if not ids or not persons:
                return {}, {}
            query = (
                sa.select(pt.c.term, pt.c.tf, d)
                .join(d, d.c.id == pt.c.doc)
                .where(pt.c.term.in_(list(ids)), pt.c.person.in_(list(persons)))
            )
            for row in await connection.execute(query):
                postings[ids[row.term]][row.id] = row.tf
                if row.id not in docs:
                    docs[row.id] = _doc(row, persons[row.person])
        return dict(postings), docs

    async def doc_terms(self, doc_ids: Iterable[int]) -> dict[int, dict[str, int]]:
        """The words of some indexed messages, with their counts."""
        d = schema.index_docs
        wanted = sorted(set(doc_ids))
        async with self._engine.connect() as connection:
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
        async with self._engine.connect() as connection:
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

    async def team_ids(self) -> frozenset[str]:
        """The teams of the indexed messages."""
        d = schema.index_docs
        async with self._engine.connect() as connection:
            return frozenset((await connection.scalars(sa.select(d.c.team_id).distinct())).all())


class _Writer:
    """Accumulates one batch's changes to the index and writes them with a few statements."""

    def __init__(self, connection: AsyncConnection, postgres: bool) -> None:
        self._connection = connection
        self._postgres = postgres
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
        self._docs: dict[int, dict[str, Any]] = {}
        self._documents = 0
        self._length = 0
        self._changes = 0  # messages added or taken out: when enough have, synonyms are learned again

    async def load_ids(self, docs: Sequence[IndexedDoc | None]) -> None:
        """Number the batch's words and people (new ones after the highest number in use)."""
        t, p, d = schema.index_terms, schema.index_people, schema.index_docs
        words = sorted({term for doc in docs if doc is not None for term in doc.terms})
        people = sorted({doc.author_id for doc in docs if doc is not None})
        for chunk in _chunks(words):
            result = await self._connection.execute(sa.select(t.c.id, t.c.term).where(t.c.term.in_(chunk)))
            self._term_ids.update((row.term, row.id) for row in result)
        for chunk in _chunks(people):
            result = await self._connection.execute(
                sa.select(p.c.id, p.c.person_id).where(p.c.person_id.in_(chunk))
            )
            self._person_ids.update((row.person_id, row.id) for row in result)
        self._next_term = int(await self._connection.scalar(sa.select(sa.func.max(t.c.id))) or 0) + 1
        self._next_person = int(await self._connection.scalar(sa.select(sa.func.max(p.c.id))) or 0) + 1
        self._next_doc = int(await self._connection.scalar(sa.select(sa.func.max(d.c.id))) or 0) + 1

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
        self._docs.pop(old.id, None)
        self._documents -= 1
        self._length -= old.length
        self._changes += 1

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
        self._docs[doc_id] = {
            "id": doc_id,
            "channel_id": doc.channel_id,
            "message_id": doc.message_id,
            "person": person,
            "thread_id": doc.thread_id,
            "team_id": doc.team_id,
            "created": int(doc.created_at.timestamp()),
            "is_answer": doc.is_answer,
            "reactions": doc.reactions,
            "length": doc.length,
            "terms": " ".join(pairs),
            "fingerprint": doc.fingerprint,
        }
        self._documents += 1
        self._length += doc.length
        self._changes += 1

    async def flush(self) -> None:
        c = self._connection
        t, p, d = schema.index_terms, schema.index_people, schema.index_docs
        pt, st = schema.index_person_terms, schema.index_stats
        insert = postgresql.insert if self._postgres else sqlite.insert
        if self._new_people:
            await c.execute(
                sa.insert(p), [{"id": i, "person_id": pid} for pid, i in self._new_people.items()]
            )
        if self._new_terms:
            await c.execute(
                sa.insert(t),
                [
                    {"id": i, "term": term, "prefix": term[:_PREFIX_CHARS], "df": 0}
                    for term, i in self._new_terms.items()
                ],
            )
        if self._removed_postings:
            await c.exec_driver_sql(
                _sql(c, "DELETE FROM index_postings WHERE term = ? AND person = ? AND doc = ?"),
                self._removed_postings,
            )
        removed_docs = sorted(self._removed_docs - set(self._docs))
        for chunk in _chunks(removed_docs):
            await c.execute(sa.delete(d).where(d.c.id.in_(chunk)))
        if self._docs:
            for chunk in _chunks(sorted(self._docs)):
                await c.execute(sa.delete(d).where(d.c.id.in_(chunk)))
            await c.execute(sa.insert(d), list(self._docs.values()))
        if self._added_postings:
            await c.exec_driver_sql(
                _sql(c, "INSERT INTO index_postings (term, person, doc, tf) VALUES (?, ?, ?, ?)"),
                [(*key, tf) for key, tf in self._added_postings.items()],
            )
        changed_df = [(delta, term) for term, delta in self._df.items() if delta]
        if changed_df:
            await c.exec_driver_sql(_sql(c, "UPDATE index_terms SET df = df + ? WHERE id = ?"), changed_df)
        if self._person_terms:
            upsert = insert(pt)
            upsert = upsert.on_conflict_do_update(
                index_elements=[pt.c.term, pt.c.person],
                set_={
                    "docs": pt.c.docs + upsert.excluded.docs,
                    "weight": pt.c.weight + upsert.excluded.weight,
                },
            )
            rows = [
                {"term": term, "person": person, "docs": int(docs), "weight": weight}
                for (term, person), (docs, weight) in self._person_terms.items()
                if docs or weight
            ]
            if rows:
                await c.execute(upsert, rows)
            emptied = [(term, person) for (term, person), (docs, _) in self._person_terms.items() if docs < 0]
            if emptied:
                await c.exec_driver_sql(
                    _sql(c, "DELETE FROM index_person_terms WHERE term = ? AND person = ? AND docs <= 0"),
                    emptied,
                )
        if self._changes:
            upsert = insert(st)
            upsert = upsert.on_conflict_do_update(
                index_elements=[st.c.name], set_={"value": st.c.value + upsert.excluded.value}
            )
            await c.execute(
                upsert,
                [
                    {"name": "documents", "value": self._documents},
                    {"name": "length", "value": self._length},
                    {"name": "changes", "value": self._changes},
                ],
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


async def _reactions(
    connection: AsyncConnection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[Reaction]]:
    r = schema.reactions
    found: dict[tuple[str, str], list[Reaction]] = defaultdict(list)
    for chunk in _chunks(keys, _CHUNK // 2):
        result = await connection.execute(
            sa.select(r.c.channel_id, r.c.message_id, r.c.user_id, r.c.reaction_type).where(
                sa.tuple_(r.c.channel_id, r.c.message_id).in_(chunk)
            )
        )
        for row in result:
            found[(row.channel_id, row.message_id)].append(Reaction(row.user_id, row.reaction_type))
    return found


async def _roots(connection: AsyncConnection, messages: Sequence[Message]) -> dict[tuple[str, str], Message]:
    """The thread roots of the replies among `messages` (from the store: they may be in this batch too)."""
    m = schema.messages
    wanted = sorted({(msg.channel_id, msg.reply_to_id) for msg in messages if msg.reply_to_id})
    roots: dict[tuple[str, str], Message] = {}
    for chunk in _chunks(wanted, _CHUNK // 2):
        result = await connection.execute(sa.select(m).where(sa.tuple_(m.c.channel_id, m.c.id).in_(chunk)))
        for row in result:
            roots[(row.channel_id, row.id)] = _message(row, ())
    return roots


async def _old_docs(
    connection: AsyncConnection, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], _OldDoc]:
    d = schema.index_docs
    found: dict[tuple[str, str], _OldDoc] = {}
    for chunk in _chunks(keys, _CHUNK // 2):
        result = await connection.execute(
            sa.select(d).where(sa.tuple_(d.c.channel_id, d.c.message_id).in_(chunk))
        )
        for row in result:
            found[(row.channel_id, row.message_id)] = _old_doc(row)
    return found


async def _mark_indexed(connection: AsyncConnection, keys: Sequence[tuple[str, str]]) -> None:
    m = schema.messages
    for chunk in _chunks(keys, _CHUNK // 2):
        await connection.execute(
            sa.update(m).where(sa.tuple_(m.c.channel_id, m.c.id).in_(chunk)).values(indexed=True)
        )


async def _term_names(connection: AsyncConnection, ids: Iterable[int]) -> dict[int, str]:
    t = schema.index_terms
    names: dict[int, str] = {}
    for chunk in _chunks(sorted(set(ids))):
        result = await connection.execute(sa.select(t.c.id, t.c.term).where(t.c.id.in_(chunk)))
        names.update((row.id, row.term) for row in result)
    return names


def _old_doc(row: Any) -> _OldDoc:
    return _OldDoc(row.id, row.person, _parse_terms(row.terms), row.length, row.reactions, row.fingerprint)


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
        created_at=datetime.fromtimestamp(row.created, UTC),
        is_answer=bool(row.is_answer),
        reactions=row.reactions,
        length=row.length,
    )


def _message(row: Any, reactions: tuple[Reaction, ...]) -> Message:
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
        mentions=(),
        reactions=reactions,
    )


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
