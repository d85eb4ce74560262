"""Answers "who knows X" from the store, keeping the expertise index in step with what the store holds."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.expertise import ExpertIndex, ExpertMatch, PersonTopic
from bot.model import Person
from bot.store import Store
from bot.text import terms
from bot.visibility import VisibilityDefault, VisibilityPolicy

logger = logging.getLogger(__name__)

LOAD_WINDOW = timedelta(days=7)  # suggestions this recent spread the load among near-equal people


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
    """The expertise index over the store, rebuilt when the store's content has changed."""

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
        self._index: ExpertIndex | None = None
        self._people: dict[str, Person] = {}
        self._visibility_default: VisibilityDefault = visibility_default
        self._policy = VisibilityPolicy(visibility_default, {}, {})
        self._authors: frozenset[str] = frozenset()
        self._version: tuple[object, ...] | None = None
        self._checked_at = float("-inf")
        self._lock = asyncio.Lock()

    async def refresh(self, force: bool = False) -> None:
        """Rebuild the index if the store changed (checked at most every `recheck_seconds`)."""
        async with self._lock:
            now = self._monotonic()
            if not force and self._index is not None and now - self._checked_at < self._recheck_seconds:
                return
            self._checked_at = now
            version = await self._store.content_version()
            if not force and version == self._version and self._index is not None:
                return
            started = time.perf_counter()
            messages = [message async for message in self._store.iter_messages()]
            self._people = await self._store.people()
            self._policy = VisibilityPolicy(
                self._visibility_default, await self._store.visibility_choices(), self._people
            )
            self._authors = frozenset(m.author_id for m in messages if m.author_id)
            self._index = await asyncio.to_thread(ExpertIndex, messages, self._people)
            self._version = version
            logger.info(
                "Expertise index built: %d messages, %d people in %.2f s",
                self._index.size,
                len(self._people),
                time.perf_counter() - started,
            )

    async def topics_of(self, person_id: str, limit: int = 5) -> list[PersonTopic]:
        """The topics Seula associates with a person, with the evidence for each."""
        await self.refresh()
        assert self._index is not None
        return self._index.topics_of(person_id, now=self._clock(), limit=limit)

    async def visibility(self) -> VisibilityPolicy:
        """The visibility policy over everyone's current choices (every output must ask it)."""
        await self.refresh()
        return self._policy

    def is_hidden(self, person_id: str) -> bool:
        """True when the person is shown to no one (hidden, or not opted in under the opt-in default)."""
        return not self._policy.recognisable(person_id)

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
        assert self._index is not None
        query_terms = tuple(terms(topic)) or tuple(terms(query))
        # The index also searches what the organization writes for these words (k8s for Kubernetes), so a
        # topic someone hid must be checked against those words too.
        learned = tuple(
            word for term in query_terms for words in self._index.synonyms_of(term) for word in words
        )
        exclude = self._policy.excluded(self._authors, asker_id, query_terms + learned) | (
            {asker_id} if asker_id else frozenset()
        )
        now = self._clock()
        # Suggestions for this very topic are left out, so "Show more people" pages through the same order
        # even though the first page's people were just recorded as suggested.
        recent = await self._store.suggestion_counts(since=now - LOAD_WINDOW, other_than=topic)
        # Evidence only from messages the asker could read: public teams, and teams they are a member of.
        access = await self._store.team_access(asker_id)
        total, matches = self._index.search(
            query_terms,
            now=now,
            exclude=exclude,
            people=self._people,
            limit=limit,
            offset=offset,
            recent_suggestions=recent,
            unseen_teams=access.unseen(self._index.team_ids),
        )
        return ExpertAnswer(
            query=query, topic=topic, terms=query_terms, experts=tuple(matches), offset=offset, total=total
        )
