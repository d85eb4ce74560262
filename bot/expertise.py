"""Who knows X: an explainable ranking of people over what they wrote in channels.

Each message is a document (a substantial reply also carries its thread's subject, so an answer matches the
question it answers), scored with BM25 for the query's words, their longer or shorter forms, synonyms the
organization's own text teaches (acronyms, numeronyms, a Finnish compound's parts) and a few feedback words
from the best-matching messages. A person's score sums their best message per thread, weighted by whether
it answered someone else's thread, how colleagues reacted and how recent it is, plus their profile fields
as one weak message, times how much they have been answering on the topic in the last 30 days. People
whose topical answers grow fast from a small base are marked rising; near-equal people suggested less this
week go first. The top messages are the evidence shown on the card. Pure: no I/O, no clock (`now` is an
argument).
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.model import Message, Person
from bot.text import STOPWORDS, snippet, stem, terms, tokenize

_K1 = 1.2
_B = 0.75
_EVIDENCE_CANDIDATES = 10
# A message in the thread of a question is weighed alike whoever wrote it: on Stack Exchange weighting answers
# x1.6 scored lower (MRR 0.367 against 0.375; x3 lower still), since people ask about what they go on to
# master. Answering counts through the 30-day factor, the rising mark and the card.
_ANSWER_WEIGHT = 1.0
_REACTION_WEIGHT = 0.12
_REACTION_CAP = 10
_HALF_LIFE_DAYS = 180.0
_EVIDENCE_PER_PERSON = 3
_PREFIX_MIN_CHARS = 5  # shorter words ("sap", "data") match only exactly
_VARIANT_WEIGHT = 0.8
_SYNONYM_WEIGHT = 0.8  # k8s for Kubernetes, ADO for Azure DevOps, "data" + "putki" for "dataputki"
_GENERIC_SHARE = 0.2  # a word in more than this share of all messages says nothing about anyone
_GENERIC_MIN_DOCS = 50  # a word that only shares a prefix is a slightly weaker match
_SUBSTANTIAL_CHARS = 60  # shorter messages ("it's in the wiki") make weak evidence
# Answering on the topic lately: people currently answering a topic are the likeliest to answer the next
# question on it (and to be around to do so).
_ACTIVE_DAYS = 30
# Rising: topical answers in the last RISING_WINDOW_DAYS grew from a small earlier base.
RISING_WINDOW_DAYS = 90
_RISING_MIN_RECENT = 2  # answers in the window
_RISING_MAX_EARLIER = 3  # answers before it: a small base (Stack Exchange's "rising" slice uses 3 too)
_RISING_GROWTH = 2.0  # the window's reception-weighted answers at least twice the earlier ones
# Load spread: a person within this share of the one above them, and suggested less this week, goes first.
_NEAR_EQUAL = 0.05
_PROFILE_WEIGHT = 0.5  # a profile counts as one weak message: measured flat on Stack Exchange AboutMe
# Feedback: the words that run through the best-matching messages join the query, weakly. "On-call" finds
# the messages on PagerDuty and alerts, and their writers, without anyone listing those as synonyms.
_FEEDBACK_MESSAGES = 10
_FEEDBACK_TERMS = 5
_FEEDBACK_WEIGHT = 0.3
# Acronyms and numeronyms learned from the organization's own text.
_ACRONYM_TOKEN = re.compile(r"[A-Z][a-z]?[A-Z][A-Za-z]{0,3}|[A-Z]{2,6}")  # ADO, IaC, SLO, AKS
_NUMERONYM = re.compile(r"([a-z])(\d{1,2})([a-z])")  # k8s, a11y, i18n
_HUMPS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")  # DevOps → Dev, Ops
_LETTERS = re.compile(r"[^\W\d_]+")
_ACRONYM_MIN_LETTERS = 3  # two letters (BI, PR, HR) spell too many phrases by chance
_EXPANSION_MIN_USES = 2
# An acronym written far more often than its supposed expansion is established on its own (API is not
# "ajastetut päivitykset"); a real pair's long form is written now and then.
_EXPANSION_MIN_RATIO = 0.1
_EXPANSION_MIN_SHARE = 0.3  # of the uses of its rarest word: "Azure DevOps", not "ajastetut päivitykset"
_COMPOUND_MIN_PART = 4  # parts of a Finnish compound found in the organization's vocabulary


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
    rising: bool = False  # their answers on this topic are growing fast from a small base


@dataclass(frozen=True, slots=True)
class PersonTopic:
    """A topic Seula associates with a person, in their own words, with the message that shows it most."""

    name: str
    weight: float
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class Contribution:
    """One of a person's messages on a topic, as far as "rising" is concerned."""

    created_at: datetime
    reactions: int  # from colleagues, not the author
    is_answer: bool  # a reply in someone else's thread


def is_rising(contributions: Iterable[Contribution], now: datetime) -> bool:
    """Whether a person's answers on a topic are growing fast from a small base.

    Rising: at least two answers in the last RISING_WINDOW_DAYS, at most three before, and the window's
    answers, each weighted by how colleagues received it, at least twice the earlier ones. Questions and
    posts don't count: asking is how people start, answering is how they grow. Pure, so weekly nudges and
    manager summaries can ask the same question of any topic's messages.
    """
    window_start = now - timedelta(days=RISING_WINDOW_DAYS)
    recent = earlier = 0
    recent_value = earlier_value = 0.0
    for item in contributions:
        if not item.is_answer or item.created_at > now:
            continue
        value = 1 + _REACTION_WEIGHT * min(item.reactions, _REACTION_CAP)
        if item.created_at >= window_start:
            recent += 1
            recent_value += value
        else:
            earlier += 1
            earlier_value += value
    return (
        recent >= _RISING_MIN_RECENT
        and earlier <= _RISING_MAX_EARLIER
        and recent_value >= _RISING_GROWTH * max(earlier_value, 1.0)
    )


@dataclass(frozen=True, slots=True)
class _Doc:
    message: Message
    length: int
    is_answer: bool
    reactions: int
    terms: tuple[str, ...]

    @property
    def thread(self) -> tuple[str, str]:
        return (self.message.channel_id, self.message.reply_to_id or self.message.id)

    @property
    def contribution(self) -> Contribution:
        return Contribution(self.message.created_at, self.reactions, self.is_answer)


@dataclass(frozen=True, slots=True)
class _Candidate:
    person_id: str
    name: str
    score: float
    scored: list[tuple[float, _Doc]]  # their matching messages, best first
    rising: bool


class ExpertIndex:
    """An inverted index over people's channel messages, answering ranked expert queries."""

    def __init__(self, messages: Iterable[Message], people: Mapping[str, Person] | None = None) -> None:
        writing = [m for m in messages if m.is_people_writing]
        roots = {(m.channel_id, m.id): m for m in writing if m.is_root}
        self._docs: list[_Doc] = []
        self._postings: dict[str, dict[int, int]] = defaultdict(dict)
        self._by_author: dict[str, list[int]] = defaultdict(list)
        total_length = 0
        for message in writing:
            root = None if message.is_root else roots.get((message.channel_id, message.reply_to_id or ""))
            is_answer = root is not None and root.author_id != message.author_id
            # An answer is about its thread's subject even when it doesn't repeat it, if it says enough to
            # be an answer: a short reply ("thanks!", "same here") in a thread is no evidence of knowing it.
            # The asker's own follow-ups get no such context either.
            substantial = len(message.text) >= _SUBSTANTIAL_CHARS
            context = root.subject if is_answer and root is not None and substantial else None
            text = " ".join(part for part in (context, message.subject, message.text) if part)
            words = terms(text)
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
        self._team_ids = frozenset(doc.message.team_id for doc in self._docs)
        self._sorted_vocabulary: list[str] | None = None
        self._synonyms = self._learn_synonyms(writing)
        # Self-written profile fields: what people say they know, a weaker sign than what they wrote.
        self._profile_postings: dict[str, dict[str, int]] = defaultdict(dict)
        self._profile_lengths: dict[str, int] = {}
        for person in (people or {}).values():
            fields = (*person.skills, *person.interests, *person.responsibilities, *person.past_projects)
            words = terms(" ".join((*fields, person.about_me or "")))
            if words:
                self._profile_lengths[person.id] = len(words)
                for word, times in Counter(words).items():
                    self._profile_postings[word][person.id] = times
        lengths = self._profile_lengths.values()
        self._profile_average_length = sum(lengths) / len(lengths) if lengths else 1.0

    @property
    def size(self) -> int:
        """How many messages are indexed."""
        return len(self._docs)

    @property
    def team_ids(self) -> frozenset[str]:
        """The teams of the indexed messages."""
        return self._team_ids

    def synonyms_of(self, term: str) -> tuple[tuple[str, ...], ...]:
        """What the organization writes for a query word: ado → (azur, devops), k8s → (kubernetes,)."""
        return tuple(self._synonyms.get(term, ()))

    def search(
        self,
        query_terms: Sequence[str],
        now: datetime,
        exclude: frozenset[str] = frozenset(),
        people: dict[str, Person] | None = None,
        limit: int | None = None,
        offset: int = 0,
        recent_suggestions: Mapping[str, int] | None = None,
        unseen_teams: frozenset[str] = frozenset(),
    ) -> tuple[int, list[ExpertMatch]]:
        """How many people match, and the `limit` best from `offset` on; excluded and disabled ones left out.

        `recent_suggestions` (times each person was suggested this week) spreads the load: of two people
        with near-equal scores, the one suggested less goes first. Messages in `unseen_teams` (teams the
        asker may not see) are neither ranked nor shown, so someone who wrote on the topic only there is
        not suggested. Evidence (snippets) is built only for the people returned: it is most of a query's
        cost otherwise.
        """
        people = people or {}
        ranked = self._rank(query_terms, now, exclude, people, recent_suggestions or {}, unseen_teams)
        chosen = ranked[offset:] if limit is None else ranked[offset : offset + limit]
        matches = [
            self._match(candidate, query_terms, people.get(candidate.person_id)) for candidate in chosen
        ]
        return len(ranked), matches

    def rank(
        self,
        query_terms: Sequence[str],
        now: datetime,
        exclude: frozenset[str] = frozenset(),
        people: dict[str, Person] | None = None,
    ) -> list[tuple[str, float]]:
        """Every matching person's id and score, best first, without evidence (for evaluations)."""
        return [(c.person_id, c.score) for c in self._rank(query_terms, now, exclude, people or {}, {})]

    def contributions(self, person_id: str, query_terms: Sequence[str]) -> list[Contribution]:
        """A person's messages that match `query_terms`, for `is_rising` and the like."""
        matching = self._score_documents(query_terms)
        return [
            self._docs[doc_id].contribution
            for doc_id in self._by_author.get(person_id, [])
            if doc_id in matching
        ]

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

    def _rank(
        self,
        query_terms: Sequence[str],
        now: datetime,
        exclude: frozenset[str],
        people: dict[str, Person],
        recent_suggestions: Mapping[str, int],
        unseen_teams: frozenset[str] = frozenset(),
    ) -> list[_Candidate]:
        doc_scores = self._score_documents(query_terms, unseen_teams)
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
        active_since = now - timedelta(days=_ACTIVE_DAYS)
        profiles = self._score_profiles(query_terms)
        ranked = []
        for author, scored in by_person.items():
            scored.sort(key=lambda item: (-item[0], item[1].message.id))
            person = people.get(author)
            name = person.display_name if person else (scored[0][1].message.author_name or author)
            # A thread counts once, by the person's best message in it: five comments in one discussion
            # are not five times the evidence of one good answer.
            threads: dict[tuple[str, str], float] = {}
            for value, doc in scored:
                threads.setdefault(doc.thread, value)  # scored is best first
            active = sum(
                1 for _, doc in scored if doc.is_answer and active_since <= doc.message.created_at <= now
            )
            rising = is_rising((doc.contribution for _, doc in scored), now)
            score = round((sum(threads.values()) + profiles.get(author, 0.0)) * (1 + math.log1p(active)), 4)
            ranked.append(_Candidate(author, name, score, scored, rising))
        ranked.sort(key=lambda c: (-c.score, c.name, c.person_id))
        return _spread_load(ranked, recent_suggestions)

    def _score_profiles(self, query_terms: Sequence[str]) -> dict[str, float]:
        """BM25 of each person's profile fields as one document, weighted as one weak message."""
        scores: dict[str, float] = defaultdict(float)
        n = len(self._docs)
        for term in dict.fromkeys(query_terms):
            postings = self._profile_postings.get(term, {})
            df = len(self._postings.get(term, {}))
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))  # how telling the word is in this org's text
            for person_id, tf in postings.items():
                norm = _K1 * (1 - _B + _B * self._profile_lengths[person_id] / self._profile_average_length)
                scores[person_id] += _PROFILE_WEIGHT * idf * tf * (_K1 + 1) / (tf + norm)
        return scores

    def _score_documents(
        self, query_terms: Sequence[str], unseen_teams: frozenset[str] = frozenset()
    ) -> dict[int, float]:
        """BM25 of every matching message; each query word counts once, by its best form in the message.

        Messages in `unseen_teams` are left out before the feedback words are chosen, so what the asker
        may not read shapes neither who is suggested nor which words widen the query.
        """
        scores: dict[int, float] = defaultdict(float)
        words = list(dict.fromkeys(query_terms))
        for query_term in words:
            matched: dict[int, float] = {}
            for term, weight in self._variants(query_term):
                self._add_term(matched, term, weight)
            for phrase in self._alternatives(query_term, words):
                self._add_phrase(matched, phrase, _SYNONYM_WEIGHT)
            for doc_id, score in matched.items():
                scores[doc_id] += score
        if unseen_teams:
            scores = defaultdict(
                float, {d: v for d, v in scores.items() if self._docs[d].message.team_id not in unseen_teams}
            )
        for term in self._feedback_terms(scores, words):
            for doc_id, score in self._term_scores(term).items():
                if self._docs[doc_id].message.team_id not in unseen_teams:
                    scores[doc_id] += _FEEDBACK_WEIGHT * score
        return scores

    def _feedback_terms(self, scores: Mapping[int, float], query: Sequence[str]) -> list[str]:
        """The rarest words shared by the best-matching messages: the query's neighbourhood in this org."""
        top = sorted(scores, key=lambda doc_id: (-scores[doc_id], doc_id))[:_FEEDBACK_MESSAGES]
        n = len(self._docs)
        weights: dict[str, float] = defaultdict(float)
        for doc_id in top:
            for term in self._docs[doc_id].terms:
                df = len(self._postings[term])
                if term not in query and 2 <= df <= n * _GENERIC_SHARE:
                    weights[term] += math.log(n / df)
        return sorted(weights, key=lambda term: (-weights[term], term))[:_FEEDBACK_TERMS]

    def _add_term(self, matched: dict[int, float], term: str, weight: float) -> None:
        for doc_id, score in self._term_scores(term).items():
            matched[doc_id] = max(matched.get(doc_id, 0.0), weight * score)

    def _add_phrase(self, matched: dict[int, float], phrase: tuple[str, ...], weight: float) -> None:
        """Messages holding every word of `phrase` score the mean of its words' BM25: one concept."""
        if len(phrase) == 1:
            self._add_term(matched, phrase[0], weight)
            return
        per_word = [self._term_scores(word) for word in phrase]
        common = set(per_word[0]).intersection(*per_word[1:])
        for doc_id in common:
            score = weight * sum(scores[doc_id] for scores in per_word) / len(phrase)
            matched[doc_id] = max(matched.get(doc_id, 0.0), score)

    def _term_scores(self, term: str) -> dict[int, float]:
        postings = self._postings.get(term, {})
        n = len(self._docs)
        idf = math.log(1 + (n - len(postings) + 0.5) / (len(postings) + 0.5))
        scores = {}
        for doc_id, tf in postings.items():
            norm = _K1 * (1 - _B + _B * self._docs[doc_id].length / self._average_length)
            scores[doc_id] = idf * tf * (_K1 + 1) / (tf + norm)
        return scores

    def _alternatives(self, term: str, query: Sequence[str]) -> list[tuple[str, ...]]:
        """Other ways the organization writes `term`: learned synonyms, and a compound's parts."""
        alternatives = [phrase for phrase in self._synonyms.get(term, ()) if not set(phrase) <= set(query)]
        # "Azure DevOps" in the query also finds "ADO": the acronym joins the expansion's first word.
        alternatives.extend(
            (acronym,)
            for expansion, acronym in self._abbreviations.get(term, ())
            if set(expansion) <= set(query) and acronym not in query
        )
        if term not in self._postings or len(self._postings[term]) < 2:
            alternatives.extend(self._compound_parts(term))
        return alternatives

    def _compound_parts(self, term: str) -> list[tuple[str, ...]]:
        """A compound the organization writes apart: dataputk → (data, putk); two known words, or none."""
        best: tuple[int, tuple[str, ...]] | None = None
        for cut in range(_COMPOUND_MIN_PART, len(term) - _COMPOUND_MIN_PART + 1):
            head, tail = term[:cut], term[cut:]
            if head in self._postings and tail in self._postings:
                rarest = min(len(self._postings[head]), len(self._postings[tail]))
                if best is None or rarest > best[0]:
                    best = (rarest, (head, tail))
        return [best[1]] if best else []

    def _learn_synonyms(self, messages: Sequence[Message]) -> dict[str, list[tuple[str, ...]]]:
        """Acronyms and numeronyms the organization uses, each both ways with what it stands for.

        An acronym (ADO, IaC, SLO) stands for the words whose initials (and a camel-cased word's humps, so
        "DevOps" gives d and o) spell it: "Azure DevOps". A numeronym (k8s, a11y) stands for a word its
        first and last letter and the count between them spell: kubernetes, accessibility. Spelling alone
        is chance ("automatically" is an a11y too), so the two must be written in the same channels, and
        an expansion must be a set phrase: written at least twice, and making up a good share of the uses
        of its rarest word. Nothing is looked up outside the organization's own text.
        """
        acronym_channels: dict[str, set[str]] = defaultdict(set)
        acronym_uses: Counter[str] = Counter()
        word_uses: dict[str, Counter[str]] = defaultdict(Counter)  # word → channel → times
        phrase_uses: dict[str, dict[tuple[str, ...], Counter[str]]] = defaultdict(
            lambda: defaultdict(Counter)
        )
        # A name is capitalized ("Azure DevOps"); the pair written in one message ("IaC, infrastructure as
        # code") vouches for a lowercase one. Either sets an expansion apart from words that happen to start
        # with the right letters.
        capitalized: Counter[tuple[str, ...]] = Counter()
        side_by_side: set[tuple[str, tuple[str, ...]]] = set()
        texts = [(m.channel_id, f"{m.subject or ''} {m.text}") for m in messages]
        for channel, text in texts:
            for match in _ACRONYM_TOKEN.finditer(text):
                acronym_channels[match.group().lower()].add(channel)
                acronym_uses[match.group().lower()] += 1
            for token in tokenize(text):
                if _NUMERONYM.fullmatch(token):
                    acronym_channels[token].add(channel)
        acronyms = {
            a
            for a in acronym_channels
            if len(a) >= _ACRONYM_MIN_LETTERS and a not in STOPWORDS and not _NUMERONYM.fullmatch(a)
        }
        for channel, text in texts:
            written_here = {m.group().lower() for m in _ACRONYM_TOKEN.finditer(text)}
            words = _LETTERS.findall(text)
            initials = [[hump[0].lower() for hump in _HUMPS.findall(w)] or [w[0].lower()] for w in words]
            for start, word in enumerate(words):
                lowered = word.lower()
                word_uses[lowered][channel] += 1
                if lowered in STOPWORDS:
                    continue
                spelled = ""
                for end in range(start, min(start + 4, len(words))):
                    spelled += "".join(initials[end])
                    if len(spelled) > 6:
                        break
                    phrase = tuple(w.lower() for w in words[start : end + 1])
                    if (
                        end > start
                        and spelled in acronyms
                        and phrase[-1] not in STOPWORDS
                        and min(map(len, phrase)) > 1
                    ):
                        phrase_uses[spelled][phrase][channel] += 1
                        capitalized[phrase] += word[0].isupper()
                        if spelled in written_here:
                            side_by_side.add((spelled, phrase))
        synonyms: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        self._abbreviations: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)

        def set_phrase(acronym: str, phrase: tuple[str, ...], uses: Counter[str]) -> bool:
            rarest = min(word_uses[word].total() for word in phrase if word not in STOPWORDS)
            vouched = (acronym, phrase) in side_by_side or 2 * capitalized[phrase] >= uses.total()
            return (
                vouched
                and uses.total() >= _EXPANSION_MIN_USES
                and uses.total() >= _EXPANSION_MIN_SHARE * rarest
                and uses.total() >= _EXPANSION_MIN_RATIO * acronym_uses[acronym]
            )

        for acronym, expansions in phrase_uses.items():
            best = _best_expansion(
                {p: uses for p, uses in expansions.items() if set_phrase(acronym, p, uses)},
                acronym_channels[acronym],
            )
            key = stem(acronym)
            expansion = tuple(terms(" ".join(best))) if best else ()
            if expansion and key in self._postings and (key,) != expansion:
                synonyms[key].append(expansion)
                self._abbreviations[expansion[0]].append((expansion, key))
        by_spelling: dict[str, dict[tuple[str, ...], Counter[str]]] = defaultdict(dict)
        for word, uses in word_uses.items():
            spelling = f"{word[0]}{len(word) - 2}{word[-1]}"
            if len(word) >= 5 and spelling in acronym_channels and uses.total() >= _EXPANSION_MIN_USES:
                by_spelling[spelling][(word,)] = uses
        for numeronym, candidates in by_spelling.items():
            best = _best_expansion(candidates, acronym_channels[numeronym])
            full = stem(best[0]) if best else ""
            key = stem(numeronym)
            if full in self._postings and key in self._postings and full != key:
                synonyms[key].append((full,))
                synonyms[full].append((key,))
        return dict(synonyms)

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
    def _match(candidate: _Candidate, query_terms: Sequence[str], person: Person | None) -> ExpertMatch:
        scored = candidate.scored
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
            rising=candidate.rising,
            person_id=candidate.person_id,
            name=candidate.name,
            score=candidate.score,
            evidence=evidence,
            answers=sum(1 for _, doc in scored if doc.is_answer),
            reactions=sum(doc.reactions for _, doc in scored),
            person=person,
        )


def _best_expansion(
    expansions: Mapping[tuple[str, ...], Counter[str]], abbreviated_in: set[str]
) -> tuple[str, ...] | None:
    """The expansion written most often in the channels where its abbreviation is, if in any."""
    best: tuple[int, tuple[str, ...]] | None = None
    for phrase, uses in expansions.items():
        together = sum(times for channel, times in uses.items() if channel in abbreviated_in)
        if together and (best is None or (together, phrase) > best):
            best = (together, phrase)
    return best[1] if best else None


def _spread_load(ranked: list[_Candidate], recent_suggestions: Mapping[str, int]) -> list[_Candidate]:
    """Of two neighbours with near-equal scores, the one suggested less this week goes first.

    One pass, so a person moves up at most one place per neighbour within reach and the order stays
    close to the scores; with no suggestions recorded the order is the scores' own.
    """
    if not recent_suggestions:
        return ranked
    spread = list(ranked)
    for i in range(len(spread) - 1):
        upper, lower = spread[i], spread[i + 1]
        near = lower.score >= (1 - _NEAR_EQUAL) * upper.score
        if near and recent_suggestions.get(lower.person_id, 0) < recent_suggestions.get(upper.person_id, 0):
            spread[i], spread[i + 1] = lower, upper
    return spread


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
