"""Answers "who knows X" from the expertise index in the store, and keeps that index in step with it.

The index lives in the database (`bot/store/expertise_index.py`), so every replica reads the same one and
a new, edited or deleted message changes the rankings as soon as the indexer has taken it in: the bot's
background job does so every few seconds, and a query first takes in what waits unless the job is at it.
A query reads the index's ranges only: the words' frequencies and longer forms, the best people per word (the
candidates), then those candidates' matching messages; the scoring itself is `bot.expertise` (pure).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.expertise import (
    Corpus,
    ExpertMatch,
    PersonTopic,
    Profile,
    Synonyms,
    Vocabulary,
    add_feedback,
    candidate_bounds,
    choose_candidates,
    feedback_documents,
    feedback_terms,
    learn_synonyms,
    lookup_for,
    match,
    person_topics,
    plan_query,
    profile_of,
    profile_scores,
    rank_people,
    score_documents,
    shortlist,
    topic_of,
)
from bot.model import Person
from bot.store import Store
from bot.text import terms
from bot.visibility import TeamAccess, VisibilityDefault, VisibilityPolicy

logger = logging.getLogger(__name__)

LOAD_WINDOW = timedelta(days=7)  # suggestions this recent spread the load among near-equal people
_BATCH = 500  # messages per indexing transaction
_BULK_MIN = 10_000  # an empty index with this many messages waiting is built in bulk (`build`)
# Candidates: the people with the highest bound for each of the query's words, and of those the best by
# their summed bound are scored in full (SE MRR 0.369 with 50, 0.371 with 200, 0.372 with 5,000; see docs).
_PER_WORD = 100
_CANDIDATES = 100
# and the best 50 beyond them with at most three answers so far, whom a newcomer's pace may lift: SE MRR
# 0.382 → 0.384, rising slice 0.028 → 0.032 (300 candidates: 0.385 and 0.034, at three times the reads).
_NEWCOMERS = 50
# Of those, the best by bound times activity (`shortlist`) are scored message by message.
_SCORED = 40
# Learned synonyms are learned again when this share of the index changed since (or after a day), from
# the most recent messages: set phrases recur, and the whole history would not fit in memory at scale.
_RELEARN_SHARE = 0.1
_RELEARN_AFTER = timedelta(days=1)
_LEARN_FROM_MESSAGES = 200_000


@dataclass(frozen=True)
class ExpertAnswer:
    """People suggested for a query, in rank order, with how many more there are."""

    query: str
    topic: str
    terms: tuple[str, ...]
    experts: tuple[ExpertMatch, ...]
    offset: int
    total: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.experts) < self.total


class ExpertFinder:
    """Who knows what, from the expertise index; the directory and visibility choices reread on change."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime],
        recheck_seconds: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
        visibility_default: VisibilityDefault = "visible",
    ) -> None:
        self._store = store
        self._clock = clock
        self._recheck_seconds = recheck_seconds
        self._monotonic = monotonic
        self._people: dict[str, Person] = {}
        self._profiles: dict[str, Profile] = {}
        self._profile_average = 1.0
        self._visibility_default: VisibilityDefault = visibility_default
        self._policy = VisibilityPolicy(visibility_default, {}, {})
        self._synonyms = Synonyms()
        self._synonyms_learned: datetime | None = None
        self._directory_version: tuple[object, ...] | None = None
        self._teams: TeamAccess | None = None
        self._team_writes = -1
        self._checked_at = float("-inf")
        self._lock = asyncio.Lock()
        self._indexing = asyncio.Lock()

    async def catch_up(self, learn: bool = True) -> int:
        """Take waiting messages into the index; return how many.

        With `learn`, the synonyms are learned again when enough of the index changed (`_RELEARN_SHARE`): the
        indexing job does, a query does not wait for it.
        """
        taken = 0
        async with self._indexing:
            index = self._store.expertise
            if await index.building() or (
                (await index.corpus()).documents == 0 and await index.pending() >= _BULK_MIN
            ):
                started = time.perf_counter()
                built = await index.build(progress=_log_build_progress)
                taken += built
                logger.info(
                    "Expertise index built: %d messages in %.1f s", built, time.perf_counter() - started
                )
            while update := (await index.update(_BATCH)).messages:
                taken += update
            if learn:
                await self._learn_synonyms_if_due()
        return taken

    async def _learn_synonyms_if_due(self) -> None:
        corpus = await self._store.expertise.corpus()
        synonyms, learned_at = await self._store.expertise.synonyms()
        since = await self._store.expertise.changes_since_learning()
        now = self._clock()
        due = corpus.documents > 0 and (
            learned_at is None
            or since >= max(1, _RELEARN_SHARE * corpus.documents)
            or (since > 0 and now - learned_at >= _RELEARN_AFTER)
        )
        if due:
            started = time.perf_counter()
            texts = await self._store.recent_texts(_LEARN_FROM_MESSAGES)
            learned = await asyncio.to_thread(learn_synonyms, texts)
            df = await self._store.expertise.document_frequencies(learned.words())
            synonyms = learned.known(df)
            await self._store.expertise.save_synonyms(synonyms, now)
            learned_at = now
            logger.info(
                "Synonyms learned from %d messages in %.2f s: %d acronyms, %d numeronyms",
                len(texts),
                time.perf_counter() - started,
                len(synonyms.acronyms),
                len(synonyms.numeronyms),
            )
        self._synonyms, self._synonyms_learned = synonyms, learned_at

    async def refresh(self, force: bool = False) -> None:
        """Bring the index and the directory up to date (at most every `recheck_seconds` unless forced).

        What waits is indexed first, unless the indexing job is at it: then a query answers from the index
        as it stands rather than wait for a large import to be taken in.
        """
        async with self._lock:
            now = self._monotonic()
            if not force and now - self._checked_at < self._recheck_seconds:
                return
            self._checked_at = now
            started = time.perf_counter()
            # Synonyms are learned here when forced or never yet (a first `ask`); otherwise by the job.
            learn = force or self._synonyms_learned is None
            taken = 0 if self._indexing.locked() and not force else await self.catch_up(learn=learn)
            if force or self._synonyms_learned is None:
                self._synonyms, self._synonyms_learned = await self._store.expertise.synonyms()
            # Teams' visibility and which have members recorded, reread with the rest (every 10 s at most, and
            # after this process wrote to them): a query then reads only the asker's own memberships.
            await self._read_teams()
            version = await self._store.directory_version()
            if force or version != self._directory_version:
                self._people = await self._store.people()
                self._policy = VisibilityPolicy(
                    self._visibility_default, await self._store.visibility_choices(), self._people
                )
                self._profiles = {
                    person.id: profile
                    for person in self._people.values()
                    if (profile := profile_of(person)) is not None
                }
                lengths = [profile.length for profile in self._profiles.values()]
                self._profile_average = sum(lengths) / len(lengths) if lengths else 1.0
                self._directory_version = version
                # The directory is the process's bulk of long-lived objects (100,000 people); Python's full
                # collections walked it during queries, 100+ ms each. Frozen, they are left out until the
                # next reload thaws them (so an old directory can still be freed).
                gc.unfreeze()
                gc.collect()
                gc.freeze()
            if taken:
                logger.info(
                    "Expertise index: %d messages taken in, %.2f s", taken, time.perf_counter() - started
                )

    async def topics_of(self, person_id: str, limit: int = 5) -> list[PersonTopic]:
        """The topics Seula associates with a person, with the evidence for each."""
        await self.refresh()
        docs = await self._store.expertise.docs_of(person_id)
        if not docs:
            return []
        df = await self._store.expertise.document_frequencies({w for _, words in docs for w in words})
        corpus = await self._store.expertise.corpus()
        topics = person_topics(docs, df, corpus, self._clock(), limit)
        messages = await self._store.messages_by_key(doc.key for _, _, doc in topics)
        return [
            topic_of(term, weight, doc, messages[doc.key])
            for term, weight, doc in topics
            if doc.key in messages
        ]

    async def visibility(self) -> VisibilityPolicy:
        """The visibility policy over everyone's current choices (every output must ask it)."""
        await self.refresh()
        return self._policy

    def is_hidden(self, person_id: str) -> bool:
        """True when the person is shown to no one (hidden, or not opted in under the opt-in default)."""
        return not self._policy.recognisable(person_id)

    def synonyms_of(self, term: str) -> tuple[tuple[str, ...], ...]:
        """What the organization writes for a query word (learned from its own messages)."""
        return self._synonyms.of(term)

    async def find(
        self, topic: str, query: str, asker_id: str | None, limit: int, offset: int = 0
    ) -> ExpertAnswer:
        """The people who best match `topic` (or, for a pasted question, its words), never the asker.

        Only people the visibility policy lets the asker see for these words are ranked or counted, so
        neither the total nor a later page ("show more") reveals anyone else; and only messages in teams
        the asker may see (`TeamAccess`) are ranked or shown as evidence. An unknown asker sees public
        teams only.
        """
        await self.refresh()
        index = self._store.expertise
        query_terms = tuple(terms(topic)) or tuple(terms(query))
        # The index also searches what the organization writes for these words (k8s for Kubernetes), so a
        # topic someone hid must be checked against those words too.
        learned = tuple(word for term in query_terms for words in self._synonyms.of(term) for word in words)
        # The index's reads share one connection (about ten small reads a query).
        async with index.reading():
            lookup = lookup_for(query_terms, self._synonyms)
            df, by_prefix = await index.vocabulary(lookup.terms, lookup.prefixes)
            plan = plan_query(query_terms, Vocabulary(df, by_prefix, self._synonyms))
            words = sorted(plan.weights())
            corpus = await index.corpus()
            bounds = candidate_bounds(plan, corpus, df, await index.best_people(words, _PER_WORD))
            allowed = [
                person_id
                for person_id in sorted(bounds, key=lambda p: (-bounds[p], p))
                if self._may_suggest(person_id, asker_id, query_terms + learned)
            ]
            answers = await index.answers_of(allowed[_CANDIDATES:])
            candidates = choose_candidates(allowed, answers, _CANDIDATES, _NEWCOMERS)
            # Evidence only from messages the asker could read: public teams, and teams they are a member of.
            if self._teams is None or self._team_writes != self._store.team_writes:
                await self._read_teams()
            unseen = (await self._store.team_access(asker_id, self._teams)).all_unseen()
            now = self._clock()
            activity = await index.activity(candidates, now, unseen)
            # Only the likeliest are scored message by message: their bound, times how lately they wrote.
            scored = shortlist(candidates, bounds, activity, now, _SCORED)
            postings, docs = await index.postings(words, scored)
            scores = score_documents(plan, corpus, df, postings, docs, unseen)
            feedback = await self._feedback(scores, plan.query, corpus)
            if feedback:
                feedback_df = await index.document_frequencies(feedback)
                more, more_docs = await index.postings(feedback, scored)
                docs.update(more_docs)
                add_feedback(scores, feedback, corpus, feedback_df, more, docs, unseen)
        profiles = {p: self._profiles[p] for p in scored if p in self._profiles}
        ranked = rank_people(
            scores,
            docs,
            now,
            {p: self._name(p) for p in scored},
            profile_scores(query_terms, profiles, self._profile_average, corpus, df),
            # Suggestions for this very topic are left out, so "Show more people" pages through the same
            # order even though the first page's people were just recorded as suggested.
            await self._store.suggestion_counts(since=now - LOAD_WINDOW, other_than=topic),
            activity,
        )
        chosen = ranked[offset : offset + limit]
        messages = await self._store.messages_by_key(
            doc.key for candidate in chosen for doc in candidate.evidence_candidates()
        )
        matches = tuple(
            match(candidate, query_terms, self._people.get(candidate.person_id), messages, now)
            for candidate in chosen
        )
        return ExpertAnswer(
            query=query, topic=topic, terms=query_terms, experts=matches, offset=offset, total=len(ranked)
        )

    async def _read_teams(self) -> None:
        self._team_writes = self._store.team_writes
        self._teams = await self._store.team_access(None)

    async def _feedback(self, scores: dict[int, float], query: tuple[str, ...], corpus: Corpus) -> list[str]:
        top = feedback_documents(scores)
        if not top:
            return []
        doc_terms = await self._store.expertise.doc_terms(top)
        df = await self._store.expertise.document_frequencies(
            {w for words in doc_terms.values() for w in words}
        )
        return feedback_terms({d: list(words) for d, words in doc_terms.items()}, df, corpus, query)

    def _may_suggest(self, person_id: str, asker_id: str | None, words: tuple[str, ...]) -> bool:
        """Never the asker, a disabled account, or anyone the visibility policy hides from the asker."""
        if person_id == asker_id:
            return False
        person = self._people.get(person_id)
        if person is not None and not person.account_enabled:
            return False
        return self._policy.may_show(person_id, asker_id, words)

    def _name(self, person_id: str) -> str:
        person = self._people.get(person_id)
        return person.display_name if person is not None else person_id


def _log_build_progress(taken: int) -> None:
    if taken // 2000 % 50 == 0:  # every 100,000 messages (batches of 2,000)
        logger.info("Expertise index: first build, %d messages taken in", taken)
