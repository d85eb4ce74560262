"""Who knows X: a simple, explainable ranking of people over what they wrote in channels.

Each message is a document (a reply also carries its thread's subject, so an answer matches the question it
answers); messages are scored with BM25 and all of each person's matching messages are summed, weighted by
whether they answered someone else's thread, how colleagues reacted, and how recent they are. The top
messages are the evidence shown on the card. Pure: no I/O, no clock (`now` is an argument).
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.model import Message, Person
from bot.text import snippet, stem, terms, tokenize

_K1 = 1.2
_B = 0.75
# Every matching message counts: on real Q&A data (bench/expertise_eval.py) capping a person at their best
# few messages lost more than it protected against prolific people; reactions and answers are capped below.
_EVIDENCE_CANDIDATES = 10
_ANSWER_WEIGHT = 1.6  # a reply in someone else's thread is an answer: the strongest sign of knowing
_REACTION_WEIGHT = 0.12
_REACTION_CAP = 10
_HALF_LIFE_DAYS = 180.0
_EVIDENCE_PER_PERSON = 3
_PREFIX_MIN_CHARS = 5  # shorter words ("sap", "data") match only exactly
_VARIANT_WEIGHT = 0.8
_GENERIC_SHARE = 0.2  # a word in more than this share of all messages says nothing about anyone
_GENERIC_MIN_DOCS = 50  # a word that only shares a prefix is a slightly weaker match
_SUBSTANTIAL_CHARS = 60  # shorter messages ("it's in the wiki") make weak evidence


@dataclass(frozen=True, slots=True)
class Evidence:
    """One of a person's own messages that shows why they are suggested."""

    message_id: str
    channel_id: str
    url: str | None
    snippet: str
    created_at: datetime
    reactions: int
    is_answer: bool


@dataclass(frozen=True, slots=True)
class ExpertMatch:
    """A suggested person with their score and evidence."""

    person_id: str
    name: str
    score: float
    evidence: tuple[Evidence, ...]
    answers: int  # matching replies in other people's threads
    reactions: int  # reactions on their matching messages
    person: Person | None


@dataclass(frozen=True, slots=True)
class PersonTopic:
    """A topic Seula associates with a person, in their own words, with the message that shows it most."""

    name: str
    weight: float
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class _Doc:
    message: Message
    length: int
    is_answer: bool
    reactions: int
    terms: tuple[str, ...]


class ExpertIndex:
    """An inverted index over people's channel messages, answering ranked expert queries."""

    def __init__(self, messages: Iterable[Message]) -> None:
        writing = [m for m in messages if m.is_people_writing]
        roots = {(m.channel_id, m.id): m for m in writing if m.is_root}
        self._docs: list[_Doc] = []
        self._postings: dict[str, dict[int, int]] = defaultdict(dict)
        self._by_author: dict[str, list[int]] = defaultdict(list)
        total_length = 0
        for message in writing:
            root = None if message.is_root else roots.get((message.channel_id, message.reply_to_id or ""))
            is_answer = root is not None and root.author_id != message.author_id
            # An answer is about its thread's subject even when it doesn't repeat it; the asker's own
            # follow-ups ("thanks, that worked") are not evidence of knowing, so they get no such context.
            context = root.subject if is_answer and root is not None else None
            words = terms(" ".join(part for part in (context, message.subject, message.text) if part))
            if not words:
                continue
            doc_id = len(self._docs)
            others = {r.user_id for r in message.reactions if r.user_id != message.author_id}
            counted = Counter(words)
            self._docs.append(_Doc(message, len(words), is_answer, len(others), tuple(counted)))
            self._by_author[message.author_id or ""].append(doc_id)
            total_length += len(words)
            for word, count in counted.items():
                self._postings[word][doc_id] = count
        self._average_length = total_length / len(self._docs) if self._docs else 1.0
        self._sorted_vocabulary: list[str] | None = None

    @property
    def size(self) -> int:
        """How many messages are indexed."""
        return len(self._docs)

    def search(
        self,
        query_terms: Sequence[str],
        now: datetime,
        exclude: frozenset[str] = frozenset(),
        people: dict[str, Person] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[int, list[ExpertMatch]]:
        """How many people match, and the `limit` best from `offset` on; excluded and disabled ones left out.

        Evidence (snippets) is built only for the people returned: it is most of a query's cost otherwise.
        """
        people = people or {}
        doc_scores = self._score_documents(query_terms)
        by_person: dict[str, list[tuple[float, _Doc]]] = defaultdict(list)
        for doc_id, relevance in doc_scores.items():
            doc = self._docs[doc_id]
            author = doc.message.author_id
            if author is None or author in exclude:
                continue
            person = people.get(author)
            if person is not None and not person.account_enabled:
                continue
            by_person[author].append((relevance * self._weight(doc, now), doc))
        ranked = []
        for author, scored in by_person.items():
            scored.sort(key=lambda item: (-item[0], item[1].message.id))
            person = people.get(author)
            name = person.display_name if person else (scored[0][1].message.author_name or author)
            score = round(sum(value for value, _ in scored), 4)
            ranked.append((-score, name, author, scored))
        ranked.sort(key=lambda item: item[:3])
        chosen = ranked[offset:] if limit is None else ranked[offset : offset + limit]
        matches = [
            self._match(author, name, -negative, scored, query_terms, people.get(author))
            for negative, name, author, scored in chosen
        ]
        return len(ranked), matches

    def topics_of(self, person_id: str, now: datetime, limit: int = 5) -> list[PersonTopic]:
        """The words that set a person's messages apart, each with their best message on it.

        A topic must run through at least two of their messages and be rare enough in the organization
        to say something (in at most a fifth of all messages, once there are enough to tell).
        """
        doc_ids = self._by_author.get(person_id, [])
        n = len(self._docs)
        weights: dict[str, float] = defaultdict(float)
        best: dict[str, tuple[float, int]] = {}
        spread: Counter[str] = Counter()
        for doc_id in doc_ids:
            doc = self._docs[doc_id]
            doc_weight = self._weight(doc, now)
            for term in doc.terms:
                df = len(self._postings[term])
                if len(term) < 3 or (n >= _GENERIC_MIN_DOCS and df > n * _GENERIC_SHARE):
                    continue
                score = self._postings[term][doc_id] * math.log(1 + n / df) * doc_weight
                weights[term] += score
                spread[term] += 1
                if score > best.get(term, (0.0, -1))[0]:
                    best[term] = (score, doc_id)
        ranked = sorted((t for t in weights if spread[t] >= 2), key=lambda t: (-weights[t], t))[:limit]
        topics = []
        for term in ranked:
            doc = self._docs[best[term][1]]
            message = doc.message
            evidence = Evidence(
                message_id=message.id,
                channel_id=message.channel_id,
                url=message.web_url,
                snippet=snippet(message.text, [term]),
                created_at=message.created_at,
                reactions=doc.reactions,
                is_answer=doc.is_answer,
            )
            topics.append(PersonTopic(_surface_form(term, message), round(weights[term], 3), evidence))
        return topics

    def _score_documents(self, query_terms: Sequence[str]) -> dict[int, float]:
        scores: dict[int, float] = defaultdict(float)
        n = len(self._docs)
        for query_term in dict.fromkeys(query_terms):
            matched: dict[int, float] = {}
            for term, weight in self._variants(query_term):
                postings = self._postings[term]
                idf = math.log(1 + (n - len(postings) + 0.5) / (len(postings) + 0.5))
                for doc_id, tf in postings.items():
                    norm = _K1 * (1 - _B + _B * self._docs[doc_id].length / self._average_length)
                    score = weight * idf * tf * (_K1 + 1) / (tf + norm)
                    matched[doc_id] = max(matched.get(doc_id, 0.0), score)
            for doc_id, score in matched.items():
                scores[doc_id] += score
        return scores

    def _variants(self, term: str) -> list[tuple[str, float]]:
        """The indexed words a query word stands for: itself, and longer or shorter forms of it.

        "postgresql" meets "postgres", "saavutettavuus" meets "saavutettavuuden": the light stemmer
        cannot undo every inflection or compound, and prefixes catch most of what it leaves.
        """
        variants = [(term, 1.0)] if term in self._postings else []
        if len(term) >= _PREFIX_MIN_CHARS:
            stem = term[: max(_PREFIX_MIN_CHARS, len(term) - 2)]
            variants += [
                (word, _VARIANT_WEIGHT)
                for word in self._vocabulary_starting(stem)
                if word != term
                and (word.startswith(term) or term.startswith(word) or len(word) <= len(term) + 4)
            ]
        return variants

    def _vocabulary_starting(self, prefix: str) -> list[str]:
        if self._sorted_vocabulary is None:
            self._sorted_vocabulary = sorted(self._postings)
        start = bisect.bisect_left(self._sorted_vocabulary, prefix)
        words = []
        for word in self._sorted_vocabulary[start:]:
            if not word.startswith(prefix):
                break
            words.append(word)
        return words

    @staticmethod
    def _weight(doc: _Doc, now: datetime) -> float:
        age_days = max(0.0, (now - doc.message.created_at).total_seconds() / 86400)
        recency: float = 0.5 + 0.5 * 0.5 ** (age_days / _HALF_LIFE_DAYS)
        # Asking counts as much as posting: on real data people ask about what they go on to master.
        answer = _ANSWER_WEIGHT if doc.is_answer else 1.0
        reception = 1 + _REACTION_WEIGHT * min(doc.reactions, _REACTION_CAP)
        return recency * answer * reception

    @staticmethod
    def _match(
        author: str,
        name: str,
        score: float,
        scored: list[tuple[float, _Doc]],
        query_terms: Sequence[str],
        person: Person | None,
    ) -> ExpertMatch:
        best = scored[:_EVIDENCE_CANDIDATES]
        evidence = tuple(
            Evidence(
                message_id=doc.message.id,
                channel_id=doc.message.channel_id,
                url=doc.message.web_url,
                snippet=text,
                created_at=doc.message.created_at,
                reactions=doc.reactions,
                is_answer=doc.is_answer,
            )
            for doc, text in _evidence(best, query_terms)
        )
        return ExpertMatch(
            person_id=author,
            name=name,
            score=score,
            evidence=evidence,
            answers=sum(1 for _, doc in scored if doc.is_answer),
            reactions=sum(doc.reactions for _, doc in scored),
            person=person,
        )


def _evidence(scored: list[tuple[float, _Doc]], query_terms: Sequence[str]) -> list[tuple[_Doc, str]]:
    """The best distinct messages to show, preferring those whose own words (not the thread's) match."""
    wanted = set(query_terms)

    def preference(item: tuple[float, _Doc]) -> tuple[bool, bool, bool, float, str]:
        score, doc = item
        own_match = bool(wanted.intersection(terms(doc.message.text)))
        substantial = len(doc.message.text) >= _SUBSTANTIAL_CHARS
        return (not own_match, not substantial, not doc.is_answer, -score, doc.message.id)

    ranked = sorted(scored, key=preference)
    chosen: list[tuple[_Doc, str]] = []
    seen: set[str] = set()
    for _, doc in ranked:
        text = snippet(doc.message.text, query_terms)
        key = " ".join(text.lower().split())
        if key in seen:
            continue
        seen.add(key)
        chosen.append((doc, text))
        if len(chosen) == _EVIDENCE_PER_PERSON:
            break
    return chosen


def _surface_form(term: str, message: Message) -> str:
    """The word as the person wrote it (stems are for matching, not for showing)."""
    for word in tokenize(f"{message.subject or ''} {message.text}"):
        if stem(word) == term:
            return word
    return term
