"""Who knows X: an explainable ranking of people over what they wrote in channels.

Each message is a document (a substantial reply also carries its thread's subject, so an answer matches the
question it answers), scored with BM25 for the query's words, their longer or shorter forms, synonyms the
organization's own text teaches (acronyms, numeronyms, a Finnish compound's parts) and a few feedback words
from the best-matching messages. A person's score sums their best message per thread, weighted by whether
it answered someone else's thread, how colleagues reacted and how recent it is, plus their profile fields
as one weak message, times how much they have been answering on the topic in the last 30 days, how lately
they wrote anything at all and, for newcomers, how much they wrote this week. People whose topical answers
grow fast from a small base are marked rising; near-equal people suggested less this week go first. The
top messages are the evidence shown on the card. Pure: no I/O, no clock (`now` is an argument). What the
index keeps of each message, and the candidates a query scores, are described in bot/store/expertise_index.py.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

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
_MAX_VARIANTS = 12  # longer or shorter forms a query word reads at most
_SYNONYM_WEIGHT = 0.8  # k8s for Kubernetes, ADO for Azure DevOps, "data" + "putki" for "dataputki"
_GENERIC_SHARE = 0.2  # a word in more than this share of all messages says nothing about anyone
_GENERIC_MIN_DOCS = 50  # a word that only shares a prefix is a slightly weaker match
_SUBSTANTIAL_CHARS = 60  # shorter messages ("it's in the wiki") make weak evidence
# Answering on the topic lately: people currently answering a topic are the likeliest to answer the next
# question on it (and to be around to do so).
_ACTIVE_DAYS = 30
# Still around: people who have left stop answering. A person's score halves for each week since they last
# wrote anything (on any topic, in a team the asker may see), down to a quarter. Stack Exchange MRR 0.375 →
# 0.383, both sites (iot 0.509 → 0.515, cardano 0.290 → 0.299); 14 days or a floor of 0.5 gave 0.379–0.380,
# no floor cost the demo 0.016.
_IDLE_HALF_LIFE_DAYS = 7.0
_IDLE_FLOOR = 0.25
IDLE_HORIZON_DAYS = 90  # older than this, the floor (within 0.0001): the index reads no further back
# A newcomer's pace: someone with a small base (at most three answers so far, as for rising) has little
# topical evidence yet; how much they wrote in the last week says whether they are taking up answering.
# Their score is multiplied by 1 + ln(1 + their messages in the last PACE_DAYS): SE 0.383 → 0.387, rising
# slice 0.024 → 0.035 (random 0.017), demo recall unchanged.
_NEWCOMER_MAX_ANSWERS = 3
PACE_DAYS = 7
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


# --- what the index keeps ----------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The bound a (word, person) pair carries normalizes message length against a fixed length rather than the
# organization's average, so taking a message out subtracts exactly what putting it in added.
_BOUND_LENGTH = 24.0


@dataclass(frozen=True, slots=True)
class IndexedDoc:
    """What the index keeps of one message: its words and what its score depends on."""

    channel_id: str
    message_id: str
    author_id: str
    thread_id: str  # the root's id
    team_id: str
    created_at: datetime
    is_answer: bool  # a reply in someone else's thread
    reactions: int  # from colleagues, not the author
    terms: dict[str, int]  # word → times
    length: int
    fingerprint: str  # of everything above: an unchanged message written again is not re-indexed


@dataclass(frozen=True, slots=True)
class Activity:
    """How lately a person wrote, in teams the asker may see: what `still_around` and `newcomer_pace` read."""

    last_written: datetime | None  # their latest message up to now (None: none in IDLE_HORIZON_DAYS)
    answers: int  # replies in other people's threads so far
    written_lately: int  # messages in the last PACE_DAYS


def still_around(last_written: datetime | None, now: datetime) -> float:
    """How much of a person's score stands, by how long ago they last wrote anything: 1 now, halving weekly.

    Never below a quarter: someone back from a month's holiday still knows what they knew.
    """
    if last_written is None:
        return _IDLE_FLOOR
    idle_days = max(0.0, (now - last_written).total_seconds() / 86400)
    kept: float = 0.5 ** (idle_days / _IDLE_HALF_LIFE_DAYS)
    return _IDLE_FLOOR + (1 - _IDLE_FLOOR) * kept


def newcomer_pace(answers: int, written_lately: int) -> float:
    """1 + ln(1 + messages in the last week) for someone with at most three answers so far; else 1."""
    if answers > _NEWCOMER_MAX_ANSWERS:
        return 1.0
    return 1 + math.log1p(written_lately)


@dataclass(frozen=True, slots=True)
class Thread:
    """What a reply takes from its thread's first message."""

    author_id: str | None
    subject: str | None


def index_document(message: Message, root: Thread | None) -> IndexedDoc | None:
    """The index's view of `message` (`root`: its thread's first message), or None if it is not evidence.

    An answer is about its thread's subject even when it doesn't repeat it, if it says enough to be an
    answer: a short reply ("thanks!", "same here") in a thread is no evidence of knowing it, and the asker's
    own follow-ups get no such context either. System events, bots' and deleted messages are not indexed.
    """
    if not message.is_people_writing or message.author_id is None:
        return None
    is_answer = root is not None and not message.is_root and root.author_id != message.author_id
    substantial = len(message.text) >= _SUBSTANTIAL_CHARS
    context = root.subject if is_answer and root is not None and substantial else None
    words = terms(" ".join(part for part in (context, message.subject, message.text) if part))
    if not words:
        return None
    reactions = len({r.user_id for r in message.reactions if r.user_id != message.author_id})
    counted = dict(Counter(words))
    thread_id = message.reply_to_id or message.id
    fingerprint = hashlib.blake2b(
        repr(
            (message.author_id, thread_id, message.team_id, message.created_at, is_answer, reactions, words)
        ).encode(),
        digest_size=16,
    ).hexdigest()
    return IndexedDoc(
        channel_id=message.channel_id,
        message_id=message.id,
        author_id=message.author_id,
        thread_id=thread_id,
        team_id=message.team_id,
        created_at=message.created_at,
        is_answer=is_answer,
        reactions=reactions,
        terms=counted,
        length=len(words),
        fingerprint=fingerprint,
    )


def bound_weight(tf: int, length: int, reactions: int) -> float:
    """One message's share of a (word, person) bound: BM25's term part times how colleagues received it.

    Summed over a person's messages holding the word, it is at least what their best message per thread
    can score for that word (before the word's IDF), so it safely picks the candidates a query scores.
    """
    norm = _K1 * (1 - _B + _B * length / _BOUND_LENGTH)
    return tf * (_K1 + 1) / (tf + norm) * (1 + _REACTION_WEIGHT * min(reactions, _REACTION_CAP))


def bound_weight_sql(tf: str, length: str, reactions: str) -> str:
    """`bound_weight` as an SQL expression over these columns (a first build sums it in the database)."""
    norm = f"({_K1} * ({1 - _B} + {_B} * {length} / {_BOUND_LENGTH}))"
    capped = f"(CASE WHEN {reactions} > {_REACTION_CAP} THEN {_REACTION_CAP} ELSE {reactions} END)"
    return f"({tf} * {_K1 + 1} / ({tf} + {norm}) * (1 + {_REACTION_WEIGHT} * {capped}))"


class Doc(NamedTuple):
    """An indexed message as ranking reads it (a named tuple: a common topic reads thousands a query, and a
    tuple is built four times faster than a frozen dataclass)."""

    id: int
    channel_id: str
    message_id: str
    author_id: str
    thread_id: str
    team_id: str
    created: (
        int  # Unix seconds: thousands are read a query, and a datetime each would cost more than all else
    )
    is_answer: bool
    reactions: int
    length: int

    @property
    def created_at(self) -> datetime:
        return _EPOCH + timedelta(seconds=self.created)

    @property
    def thread(self) -> tuple[str, str]:
        return (self.channel_id, self.thread_id)

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel_id, self.message_id)

    @property
    def contribution(self) -> Contribution:
        return Contribution(self.created_at, self.reactions, self.is_answer)


@dataclass(frozen=True, slots=True)
class Corpus:
    """The index's size: how many messages, and their words in all (BM25's IDF and length norm)."""

    documents: int
    total_length: int

    @property
    def average_length(self) -> float:
        return self.total_length / self.documents if self.documents else 1.0

    def idf(self, df: int) -> float:
        n = self.documents
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def term_score(self, tf: int, length: int, df: int) -> float:
        """BM25 of one word in one message."""
        norm = _K1 * (1 - _B + _B * length / self.average_length)
        return self.idf(df) * tf * (_K1 + 1) / (tf + norm)

    def term_scores(self, postings: Mapping[int, int], docs: Mapping[int, Doc], df: int) -> dict[int, float]:
        """`term_score` of one word in each of the messages in `postings` (message → times) found in `docs`:
        the same figures, with the IDF and the average length worked out once for thousands of messages."""
        idf, average = self.idf(df), self.average_length
        scores: dict[int, float] = {}
        for doc_id, tf in postings.items():
            doc = docs.get(doc_id)
            if doc is not None:
                norm = _K1 * (1 - _B + _B * doc.length / average)
                scores[doc_id] = idf * tf * (_K1 + 1) / (tf + norm)
        return scores

    def is_generic(self, df: int) -> bool:
        """A word in more than a fifth of all messages says nothing about anyone."""
        return self.documents >= _GENERIC_MIN_DOCS and df > self.documents * _GENERIC_SHARE


# --- synonyms the organization's own text teaches ---------------------------------------------------------


@dataclass(frozen=True)
class Synonyms:
    """Learned synonyms: acronym → its expansion, numeronym ↔ its word (see `learn_synonyms`)."""

    acronyms: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (ado, (azur, devops))
    numeronyms: tuple[tuple[str, str], ...] = ()  # (k8s, kubernetes)

    def __post_init__(self) -> None:
        synonyms: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        abbreviations: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
        for acronym, expansion in self.acronyms:
            synonyms[acronym].append(expansion)
            abbreviations[expansion[0]].append((expansion, acronym))
        for short, full in self.numeronyms:
            synonyms[short].append((full,))
            synonyms[full].append((short,))
        object.__setattr__(self, "_synonyms", dict(synonyms))
        object.__setattr__(self, "_abbreviations", dict(abbreviations))

    def of(self, term: str) -> tuple[tuple[str, ...], ...]:
        """What the organization writes for a word: ado → ((azur, devops),), k8s → ((kubernetes,),)."""
        return tuple(self._synonyms.get(term, ()))  # type: ignore[attr-defined]

    def abbreviations_of(self, term: str) -> tuple[tuple[tuple[str, ...], str], ...]:
        """(expansion, acronym) pairs whose expansion starts with `term`."""
        return tuple(self._abbreviations.get(term, ()))  # type: ignore[attr-defined]

    def words(self) -> set[str]:
        """Every word the synonyms mention (to check they are still in the index)."""
        found = {a for a, _ in self.acronyms} | {w for _, e in self.acronyms for w in e}
        return found | {w for pair in self.numeronyms for w in pair}

    def known(self, df: Mapping[str, int]) -> Synonyms:
        """Only the pairs whose words are all indexed."""

        def indexed(*words: str) -> bool:
            return all(df.get(word, 0) > 0 for word in words)

        return Synonyms(
            tuple((a, e) for a, e in self.acronyms if indexed(a) and (a,) != e),
            tuple((s, f) for s, f in self.numeronyms if indexed(s, f) and s != f),
        )


def learn_synonyms(texts: Sequence[tuple[str, str]]) -> Synonyms:
    """Acronyms and numeronyms the organization uses, from (channel id, text) pairs.

    An acronym (ADO, IaC, SLO) stands for the words whose initials (and a camel-cased word's humps, so
    "DevOps" gives d and o) spell it: "Azure DevOps". A numeronym (k8s, a11y) stands for a word its first
    and last letter and the count between them spell: kubernetes, accessibility. Spelling alone is chance
    ("automatically" is an a11y too), so the two must be written in the same channels, and an expansion must
    be a set phrase: written at least twice, and making up a good share of the uses of its rarest word.
    Nothing is looked up outside the organization's own text. Check the result against the index with
    `Synonyms.known`.
    """
    acronym_channels: dict[str, set[str]] = defaultdict(set)
    acronym_uses: Counter[str] = Counter()
    word_uses: dict[str, Counter[str]] = defaultdict(Counter)  # word → channel → times
    phrase_uses: dict[str, dict[tuple[str, ...], Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    # A name is capitalized ("Azure DevOps"); the pair written in one message ("IaC, infrastructure as
    # code") vouches for a lowercase one. Either sets an expansion apart from words that happen to start
    # with the right letters.
    capitalized: Counter[tuple[str, ...]] = Counter()
    side_by_side: set[tuple[str, tuple[str, ...]]] = set()
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

    def set_phrase(acronym: str, phrase: tuple[str, ...], uses: Counter[str]) -> bool:
        rarest = min(word_uses[word].total() for word in phrase if word not in STOPWORDS)
        vouched = (acronym, phrase) in side_by_side or 2 * capitalized[phrase] >= uses.total()
        return (
            vouched
            and uses.total() >= _EXPANSION_MIN_USES
            and uses.total() >= _EXPANSION_MIN_SHARE * rarest
            and uses.total() >= _EXPANSION_MIN_RATIO * acronym_uses[acronym]
        )

    learned_acronyms: list[tuple[str, tuple[str, ...]]] = []
    for acronym, expansions in sorted(phrase_uses.items()):
        best = _best_expansion(
            {p: uses for p, uses in expansions.items() if set_phrase(acronym, p, uses)},
            acronym_channels[acronym],
        )
        expansion = tuple(terms(" ".join(best))) if best else ()
        if expansion:
            learned_acronyms.append((stem(acronym), expansion))
    by_spelling: dict[str, dict[tuple[str, ...], Counter[str]]] = defaultdict(dict)
    for word, uses in word_uses.items():
        spelling = f"{word[0]}{len(word) - 2}{word[-1]}"
        if len(word) >= 5 and spelling in acronym_channels and uses.total() >= _EXPANSION_MIN_USES:
            by_spelling[spelling][(word,)] = uses
    learned_numeronyms: list[tuple[str, str]] = []
    for numeronym, candidates in sorted(by_spelling.items()):
        best = _best_expansion(candidates, acronym_channels[numeronym])
        if best:
            learned_numeronyms.append((stem(numeronym), stem(best[0])))
    return Synonyms(tuple(learned_acronyms), tuple(learned_numeronyms))


# --- a query -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a query needs to know of the index before it can be planned."""

    terms: frozenset[str]  # words whose document frequency is needed
    prefixes: frozenset[str]  # 5-letter prefixes whose indexed words are needed (longer forms)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What the index answered to a `Lookup`: document frequencies and the words under each prefix."""

    df: Mapping[str, int]
    by_prefix: Mapping[str, Sequence[str]]
    synonyms: Synonyms

    def has(self, term: str) -> bool:
        return self.df.get(term, 0) > 0

    def starting(self, prefix: str) -> list[str]:
        return sorted(w for w in self.by_prefix.get(prefix[:_PREFIX_MIN_CHARS], ()) if w.startswith(prefix))


def lookup_for(query_terms: Sequence[str], synonyms: Synonyms) -> Lookup:
    """The words and prefixes `plan_query` will ask about."""
    wanted: set[str] = set()
    prefixes: set[str] = set()
    for term in dict.fromkeys(query_terms):
        wanted.add(term)
        for phrase in synonyms.of(term):
            wanted.update(phrase)
        wanted.update(acronym for _, acronym in synonyms.abbreviations_of(term))
        for cut in range(_COMPOUND_MIN_PART, len(term) - _COMPOUND_MIN_PART + 1):
            wanted.update((term[:cut], term[cut:]))
        if len(term) >= _PREFIX_MIN_CHARS:
            prefixes.add(term[:_PREFIX_MIN_CHARS])
    return Lookup(frozenset(wanted), frozenset(prefixes))


@dataclass(frozen=True, slots=True)
class PlannedWord:
    """One query word: the indexed words that stand for it, and whole phrases that do (weighted)."""

    word: str
    variants: tuple[tuple[str, float], ...]
    phrases: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """A query as the index will score it."""

    words: tuple[PlannedWord, ...]

    @property
    def query(self) -> tuple[str, ...]:
        return tuple(planned.word for planned in self.words)

    def weights(self) -> dict[str, float]:
        """Every indexed word the query reads, with the most it can weigh (for picking candidates)."""
        weights: dict[str, float] = {}
        for planned in self.words:
            for term, weight in planned.variants:
                weights[term] = max(weights.get(term, 0.0), weight)
            for phrase in planned.phrases:
                for term in phrase:
                    weights[term] = max(weights.get(term, 0.0), _SYNONYM_WEIGHT / len(phrase))
        return weights


def plan_query(query_terms: Sequence[str], vocabulary: Vocabulary) -> QueryPlan:
    """Each query word with its forms in the index: itself, longer or shorter forms, synonyms, compounds.

    "postgresql" meets "postgres", "saavutettavuus" meets "saavutettavuuden": the light stemmer cannot undo
    every inflection or compound, and prefixes catch most of what it leaves.
    """
    words = list(dict.fromkeys(query_terms))
    planned = []
    for term in words:
        variants = [(term, 1.0)] if vocabulary.has(term) else []
        if len(term) >= _PREFIX_MIN_CHARS:
            stem_ = term[: max(_PREFIX_MIN_CHARS, len(term) - 2)]
            forms = [
                word
                for word in vocabulary.starting(stem_)
                if word != term
                and vocabulary.has(word)
                and (word.startswith(term) or term.startswith(word) or len(word) <= len(term) + 4)
            ]
            # A large organization writes hundreds of words under a common prefix; its inflections (longer
            # or shorter forms of the word itself) come first, then the most written.
            forms.sort(key=lambda w: (not (w.startswith(term) or term.startswith(w)), -vocabulary.df[w], w))
            variants += [(word, _VARIANT_WEIGHT) for word in forms[:_MAX_VARIANTS]]
        planned.append(PlannedWord(term, tuple(variants), tuple(_alternatives(term, words, vocabulary))))
    return QueryPlan(tuple(planned))


def _alternatives(term: str, query: Sequence[str], vocabulary: Vocabulary) -> list[tuple[str, ...]]:
    """Other ways the organization writes `term`: learned synonyms, and a compound's parts."""
    synonyms = vocabulary.synonyms
    alternatives = [
        phrase
        for phrase in synonyms.of(term)
        if not set(phrase) <= set(query) and all(vocabulary.has(word) for word in phrase)
    ]
    # "Azure DevOps" in the query also finds "ADO": the acronym joins the expansion's first word.
    alternatives.extend(
        (acronym,)
        for expansion, acronym in synonyms.abbreviations_of(term)
        if set(expansion) <= set(query) and acronym not in query and vocabulary.has(acronym)
    )
    if vocabulary.df.get(term, 0) < 2:
        alternatives.extend(_compound_parts(term, vocabulary))
    return alternatives


def _compound_parts(term: str, vocabulary: Vocabulary) -> list[tuple[str, ...]]:
    """A compound the organization writes apart: dataputk → (data, putk); two known words, or none."""
    best: tuple[int, tuple[str, ...]] | None = None
    for cut in range(_COMPOUND_MIN_PART, len(term) - _COMPOUND_MIN_PART + 1):
        head, tail = term[:cut], term[cut:]
        if vocabulary.has(head) and vocabulary.has(tail):
            rarest = min(vocabulary.df[head], vocabulary.df[tail])
            if best is None or rarest > best[0]:
                best = (rarest, (head, tail))
    return [best[1]] if best else []


def candidate_bounds(
    plan: QueryPlan, corpus: Corpus, df: Mapping[str, int], rows: Iterable[tuple[str, str, float]]
) -> dict[str, float]:
    """Each person's bound for the query from (word, person, bound weight) rows: who is worth scoring."""
    weights = plan.weights()
    bounds: dict[str, float] = defaultdict(float)
    for term, person_id, weight in rows:
        bounds[person_id] += weights.get(term, 0.0) * corpus.idf(df.get(term, 0)) * weight
    return dict(bounds)


def choose_candidates(
    ranked: Sequence[str], answers: Mapping[str, int], limit: int, newcomers: int
) -> list[str]:
    """The people a query scores in full: the `limit` first of `ranked` (by bound), and the `newcomers` first
    after them with at most three answers so far (`answers`), whom `newcomer_pace` may lift above others."""
    chosen = list(ranked[:limit])
    chosen += [p for p in ranked[limit:] if answers.get(p, 0) <= _NEWCOMER_MAX_ANSWERS][:newcomers]
    return chosen


def shortlist(
    candidates: Sequence[str],
    bounds: Mapping[str, float],
    activity: Mapping[str, Activity],
    now: datetime,
    limit: int,
) -> list[str]:
    """The `limit` candidates worth scoring message by message: their bound times the same activity factors
    `rank_people` applies (reading every candidate's matching messages is most of a query's cost)."""

    def likely(person_id: str) -> float:
        lately = activity.get(person_id, Activity(None, 0, 0))
        presence = still_around(lately.last_written, now) * newcomer_pace(
            lately.answers, lately.written_lately
        )
        return bounds.get(person_id, 0.0) * presence

    return sorted(candidates, key=lambda p: (-likely(p), p))[:limit]


# --- scoring the candidates' messages ----------------------------------------------------------------------

Postings = Mapping[str, Mapping[int, int]]  # word → message id in the index → times


def score_documents(
    plan: QueryPlan,
    corpus: Corpus,
    df: Mapping[str, int],
    postings: Postings,
    docs: Mapping[int, Doc],
    unseen_teams: frozenset[str] = frozenset(),
) -> dict[int, float]:
    """BM25 of every matching message; each query word counts once, by its best form in the message.

    Messages in `unseen_teams` (teams the asker may not read) are left out before the feedback words are
    chosen, so what the asker may not read shapes neither who is suggested nor which words widen the query.
    """

    def term_scores(term: str) -> dict[int, float]:
        return corpus.term_scores(postings.get(term, {}), docs, df.get(term, 1))

    scores: dict[int, float] = defaultdict(float)
    for planned in plan.words:
        matched: dict[int, float] = {}
        for term, weight in planned.variants:
            for doc_id, score in term_scores(term).items():
                matched[doc_id] = max(matched.get(doc_id, 0.0), weight * score)
        for phrase in planned.phrases:
            # Messages holding every word of a phrase score the mean of its words' BM25: one concept.
            per_word = [term_scores(word) for word in phrase]
            common = set(per_word[0]).intersection(*per_word[1:])
            for doc_id in common:
                score = _SYNONYM_WEIGHT * sum(s[doc_id] for s in per_word) / len(phrase)
                matched[doc_id] = max(matched.get(doc_id, 0.0), score)
        for doc_id, score in matched.items():
            scores[doc_id] += score
    if unseen_teams:
        scores = defaultdict(float, {d: v for d, v in scores.items() if docs[d].team_id not in unseen_teams})
    return dict(scores)


def feedback_documents(scores: Mapping[int, float]) -> list[int]:
    """The best-matching messages, whose shared words widen the query."""
    return sorted(scores, key=lambda doc_id: (-scores[doc_id], doc_id))[:_FEEDBACK_MESSAGES]


def feedback_terms(
    doc_terms: Mapping[int, Sequence[str]], df: Mapping[str, int], corpus: Corpus, query: Sequence[str]
) -> list[str]:
    """The rarest words shared by the best-matching messages: the query's neighbourhood in this org.

    "On-call" reaches the messages on PagerDuty and alerts, and their writers, without anyone listing
    those as synonyms.
    """
    n = corpus.documents
    weights: dict[str, float] = defaultdict(float)
    for words in doc_terms.values():
        for term in words:
            frequency = df.get(term, 0)
            if term not in query and 2 <= frequency <= n * _GENERIC_SHARE:
                weights[term] += math.log(n / frequency)
    return sorted(weights, key=lambda term: (-weights[term], term))[:_FEEDBACK_TERMS]


def add_feedback(
    scores: dict[int, float],
    feedback: Sequence[str],
    corpus: Corpus,
    df: Mapping[str, int],
    postings: Postings,
    docs: Mapping[int, Doc],
    unseen_teams: frozenset[str] = frozenset(),
) -> None:
    """Add the feedback words' BM25, weakly, to the messages holding them."""
    for term in feedback:
        for doc_id, score in corpus.term_scores(postings.get(term, {}), docs, df.get(term, 1)).items():
            if docs[doc_id].team_id not in unseen_teams:
                scores[doc_id] = scores.get(doc_id, 0.0) + _FEEDBACK_WEIGHT * score


@dataclass(frozen=True, slots=True)
class Profile:
    """A person's self-written profile fields as words (skills, interests, responsibilities, ...)."""

    terms: dict[str, int]
    length: int


def profile_of(person: Person) -> Profile | None:
    """What a person says they know, a weaker sign than what they wrote."""
    fields = (*person.skills, *person.interests, *person.responsibilities, *person.past_projects)
    words = terms(" ".join((*fields, person.about_me or "")))
    return Profile(dict(Counter(words)), len(words)) if words else None


def profile_scores(
    query_terms: Sequence[str],
    profiles: Mapping[str, Profile],
    average_length: float,
    corpus: Corpus,
    df: Mapping[str, int],
) -> dict[str, float]:
    """BM25 of each person's profile fields as one document, weighted as one weak message."""
    scores: dict[str, float] = defaultdict(float)
    for term in dict.fromkeys(query_terms):
        idf = corpus.idf(df.get(term, 0))  # how telling the word is in this org's text
        for person_id, profile in profiles.items():
            tf = profile.terms.get(term, 0)
            if tf:
                norm = _K1 * (1 - _B + _B * profile.length / average_length)
                scores[person_id] += _PROFILE_WEIGHT * idf * tf * (_K1 + 1) / (tf + norm)
    return dict(scores)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A person ranked for a query, with their matching messages best first."""

    person_id: str
    name: str
    score: float
    scored: tuple[tuple[float, Doc], ...]

    def evidence_candidates(self) -> list[Doc]:
        """The messages evidence is chosen from."""
        return [doc for _, doc in self.scored[:_EVIDENCE_CANDIDATES]]

    def is_rising(self, now: datetime) -> bool:
        """Whether they are rising on the query's topic (`is_rising` over their matching messages). Asked only
        of the people shown: it does not change the order, and a common topic ranks hundreds of people."""
        return is_rising((doc.contribution for _, doc in self.scored), now)


def document_weight(doc: Doc, now: datetime) -> float:
    """How much a matching message counts: recency (half-life 180 days, floor 0.5) and reception."""
    return _document_weight(doc, now.timestamp())


def _document_weight(doc: Doc, now: float) -> float:
    """`document_weight` with `now` in Unix seconds: thousands of messages are weighed a query."""
    age_days = max(0.0, (now - doc.created) / 86400)
    recency: float = 0.5 + 0.5 * 0.5 ** (age_days / _HALF_LIFE_DAYS)
    # Asking counts as much as posting: on real data people ask about what they go on to master.
    answer = _ANSWER_WEIGHT if doc.is_answer else 1.0
    reception = 1 + _REACTION_WEIGHT * min(doc.reactions, _REACTION_CAP)
    return recency * answer * reception


def rank_people(
    doc_scores: Mapping[int, float],
    docs: Mapping[int, Doc],
    now: datetime,
    names: Mapping[str, str],
    profiles: Mapping[str, float],
    recent_suggestions: Mapping[str, int] | None = None,
    activity: Mapping[str, Activity] | None = None,
) -> list[Candidate]:
    """People by their matching messages: the best message per thread, summed, plus their profile, times
    their answers on the topic in the last 30 days, how lately they wrote anything (`still_around`) and, for
    newcomers, how much they wrote this week (`newcomer_pace`); near-equal people suggested less this week
    go first.

    Only the authors in `names` are ranked (the caller leaves out whoever may not be suggested).
    """
    by_person: dict[str, list[tuple[float, Doc]]] = defaultdict(list)
    until = now.timestamp()
    for doc_id, relevance in doc_scores.items():
        doc = docs[doc_id]
        if doc.author_id in names:
            by_person[doc.author_id].append((relevance * _document_weight(doc, until), doc))
    since = (now - timedelta(days=_ACTIVE_DAYS)).timestamp()
    ranked = []
    for author, scored in by_person.items():
        scored.sort(key=lambda item: (-item[0], item[1].message_id))
        # A thread counts once, by the person's best message in it: five comments in one discussion are
        # not five times the evidence of one good answer.
        threads: dict[tuple[str, str], float] = {}
        for value, doc in scored:
            threads.setdefault(doc.thread, value)  # scored is best first
        active = sum(1 for _, doc in scored if doc.is_answer and since <= doc.created <= until)
        topical = (sum(threads.values()) + profiles.get(author, 0.0)) * (1 + math.log1p(active))
        lately = (activity or {}).get(author, Activity(None, 0, 0))
        presence = still_around(lately.last_written, now) * newcomer_pace(
            lately.answers, lately.written_lately
        )
        score = round(topical * presence, 4)
        ranked.append(Candidate(author, names[author], score, tuple(scored)))
    ranked.sort(key=lambda c: (-c.score, c.name, c.person_id))
    return _spread_load(ranked, recent_suggestions or {})


def match(
    candidate: Candidate,
    query_terms: Sequence[str],
    person: Person | None,
    messages: Mapping[tuple[str, str], Message],
    now: datetime,
) -> ExpertMatch:
    """The suggestion as the card shows it: the person, their score, the best 1–3 messages as evidence, and
    whether they are rising on the topic (as of `now`)."""
    scored = candidate.scored
    best = [(doc, messages[doc.key]) for doc in candidate.evidence_candidates() if doc.key in messages]
    evidence = tuple(
        Evidence(
            message_id=doc.message_id,
            channel_id=doc.channel_id,
            url=message.web_url,
            snippet=text,
            created_at=doc.created_at,
            reactions=doc.reactions,
            is_answer=doc.is_answer,
        )
        for doc, message, text in _evidence(best, query_terms)
    )
    name = candidate.name
    if person is None:  # not in the directory (yet): the name their messages carry
        name = next((m.author_name for _, m in best if m.author_name), name)
    return ExpertMatch(
        rising=candidate.is_rising(now),
        person_id=candidate.person_id,
        name=name,
        score=candidate.score,
        evidence=evidence,
        answers=sum(1 for _, doc in scored if doc.is_answer),
        reactions=sum(doc.reactions for _, doc in scored),
        person=person,
    )


def person_topics(
    docs: Sequence[tuple[Doc, Mapping[str, int]]],
    df: Mapping[str, int],
    corpus: Corpus,
    now: datetime,
    limit: int = 5,
) -> list[tuple[str, float, Doc]]:
    """The words that set a person's messages apart, each with their best message on it.

    A topic must run through at least two of their messages and be rare enough in the organization to say
    something (in at most a fifth of all messages, once there are enough to tell).
    """
    n = max(corpus.documents, 1)
    weights: dict[str, float] = defaultdict(float)
    best: dict[str, tuple[float, Doc]] = {}
    spread: Counter[str] = Counter()
    for doc, words in docs:
        doc_weight = document_weight(doc, now)
        for term, tf in words.items():
            frequency = max(df.get(term, 1), 1)
            if len(term) < 3 or corpus.is_generic(frequency):
                continue
            score = tf * math.log(1 + n / frequency) * doc_weight
            weights[term] += score
            spread[term] += 1
            if term not in best or score > best[term][0]:
                best[term] = (score, doc)
    ranked = sorted((t for t in weights if spread[t] >= 2), key=lambda t: (-weights[t], t))[:limit]
    return [(term, round(weights[term], 3), best[term][1]) for term in ranked]


def topic_of(term: str, weight: float, doc: Doc, message: Message) -> PersonTopic:
    """A topic as shown: the word as the person wrote it, with their best message on it."""
    evidence = Evidence(
        message_id=doc.message_id,
        channel_id=doc.channel_id,
        url=message.web_url,
        snippet=snippet(message.text, [term]),
        created_at=doc.created_at,
        reactions=doc.reactions,
        is_answer=doc.is_answer,
    )
    return PersonTopic(_surface_form(term, message), weight, evidence)


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


def _spread_load(ranked: list[Candidate], recent_suggestions: Mapping[str, int]) -> list[Candidate]:
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


def _evidence(
    candidates: list[tuple[Doc, Message]], query_terms: Sequence[str]
) -> list[tuple[Doc, Message, str]]:
    """The best distinct messages to show, preferring those whose own words (not the thread's) match."""
    wanted = set(query_terms)

    def preference(item: tuple[int, tuple[Doc, Message]]) -> tuple[bool, bool, bool, int]:
        rank, (doc, message) = item
        own_match = bool(wanted.intersection(terms(message.text)))
        substantial = len(message.text) >= _SUBSTANTIAL_CHARS
        return (not own_match, not substantial, not doc.is_answer, rank)

    ranked = sorted(enumerate(candidates), key=preference)  # candidates come best first
    chosen: list[tuple[Doc, Message, str]] = []
    seen: set[str] = set()
    for _, (doc, message) in ranked:
        text = snippet(message.text, query_terms)
        key = " ".join(text.lower().split())
        if key in seen:
            continue
        seen.add(key)
        chosen.append((doc, message, text))
        if len(chosen) == _EVIDENCE_PER_PERSON:
            break
    return chosen


def _surface_form(term: str, message: Message) -> str:
    """The word as the person wrote it (stems are for matching, not for showing)."""
    for word in tokenize(f"{message.subject or ''} {message.text}"):
        if stem(word) == term:
            return word
    return term
