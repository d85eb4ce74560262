"""How people's contributions land, over time: the signals behind nudges, manager summaries and "rising".

Everything here is about the stream, not about ranking for a query: who answered whom, how colleagues
reacted, whether a person is reaching beyond their own team, who is growing from a small base, which
questions nobody answered, and which words a group has been writing about. Pure: no I/O, no clock (`now` and
the windows are arguments).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.model import Message, Person
from bot.text import stem, terms, tokenize

WEEK = timedelta(days=7)
_SUBSTANTIAL_ANSWER_CHARS = 40  # "+1, same here" and "following" are not answers
_QUESTION_START = re.compile(
    r"^\s*(?:quick question\b|how\b|what\b|why\b|where\b|when\b|which\b|who\b|whom\b|does\b|do\b|is\b|are\b"
    r"|can\b|could\b|should\b|would\b|has\b|have\b|anyone\b|any\b|miten\b|mikä\b|mitä\b|miksi\b|missä\b"
    r"|mistä\b|mihin\b|milloin\b|kuka\b|ketkä\b|kenellä\b|kenen\b|voiko\b|onko\b|osaako\b|tietääkö\b"
    r"|löytyykö\b|saako\b|pitääkö\b|kannattaako\b|kysymys\b)",
    re.IGNORECASE,
)
# Finnish questions often put the -ko/-kö clitic on the first word: "Onko", "Tietääkö", "Käyttääkö".
_FINNISH_CLITIC = re.compile(r"^\s*(\w+(?:ko|kö))\b", re.IGNORECASE)
# Words that end in -ko/-kö without the clitic: "koko" (whole), "joko" (either), "katko" (outage),
# "sähkö", "pelko", and nouns in -kko/-kkö ("verkko", "taulukko", "lakko"); compounds end the same way
# ("sähkökatko", "tietoverkko"). -kaan/-kään is no question clitic: "Kukaan ei tiedä" says nobody knows.
_NOT_CLITIC = re.compile(r"(?:kko|kkö|koko|joko|katko|sähkö|pelko|tanko|lanko|hanko)$", re.IGNORECASE)
# A few of the most general words in any organisation's chatter are no topic for anyone.
MIN_TOPIC_CHARS = 3


@dataclass(frozen=True, slots=True)
class Contribution:
    """What a person wrote in a window and how it landed."""

    messages: int = 0  # messages the person wrote
    answers: int = 0  # replies in threads someone else started
    reactions: int = 0  # reactions from others on those messages
    people_helped: int = 0  # distinct people whose threads they answered
    reach: int = 0  # distinct people helped or reacting who are outside the person's own team

    @property
    def reception(self) -> int:
        """Answers plus reactions: how much of what they wrote reached someone."""
        return self.answers + self.reactions


@dataclass(frozen=True, slots=True)
class Emerging:
    """A person whose contributions grew fast from a small base."""

    person_id: str
    recent: Contribution
    earlier: Contribution


@dataclass(frozen=True, slots=True)
class Question:
    """A root post that asks something, and whether anyone answered it."""

    message: Message
    terms: frozenset[str]
    answered: bool  # a substantial reply by someone other than the asker
    followers: int  # other people who said they have the same question (short replies, reactions)


@dataclass(frozen=True, slots=True)
class TopicTrend:
    """A word a group wrote about, with its weight this period and the one before."""

    term: str  # the match key (stem)
    label: str  # the word as people wrote it
    current: float
    previous: float


def team_key(person: Person | None) -> str | None:
    """Which team a person belongs to, for "reach": their department, else their manager's reports."""
    if person is None:
        return None
    if person.department:
        return f"department:{person.department.strip().casefold()}"
    if person.manager_id:
        return f"manager:{person.manager_id}"
    return None


def thread_roots(messages: Iterable[Message]) -> dict[tuple[str, str], Message]:
    """The root posts by (channel, id), so a reply can find the thread it belongs to."""
    return {(m.channel_id, m.id): m for m in messages if m.is_root}


def contributions(
    messages: Sequence[Message], people: Mapping[str, Person], since: datetime, until: datetime
) -> dict[str, Contribution]:
    """Each person's contribution from `since` (inclusive) to `until` (exclusive)."""
    tally = _Tally(people)
    roots = thread_roots(messages)
    for message in messages:
        if since <= message.created_at < until:
            tally.add(message, 0, roots)
    return {person_id: buckets[0] for person_id, buckets in tally.result(1).items()}


def emerging_people(
    messages: Sequence[Message],
    people: Mapping[str, Person],
    now: datetime,
    recent_days: int = 84,
    earlier_days: int = 280,
    min_recent_answers: int = 5,
    growth: float = 5.0,
) -> list[Emerging]:
    """People who have lately started answering colleagues far more than they used to.

    "Rising" means growth from a small base: at least `min_recent_answers` answers in the last
    `recent_days`, answering at `growth` times their earlier daily rate (over the `earlier_days` before)
    or more, and colleagues' reactions growing at least half as fast. Established experts, who have long
    answered at their current rate, are not rising. Most received first.
    """
    split = now - timedelta(days=recent_days)
    recent = contributions(messages, people, split, now)
    earlier = contributions(messages, people, split - timedelta(days=earlier_days), split)
    return rising_from(recent, earlier, people, recent_days, earlier_days, min_recent_answers, growth)


def rising_from(
    recent: Mapping[str, Contribution],
    earlier: Mapping[str, Contribution],
    people: Mapping[str, Person],
    recent_days: int = 84,
    earlier_days: int = 280,
    min_recent_answers: int = 5,
    growth: float = 5.0,
) -> list[Emerging]:
    """`emerging_people` from each person's contributions over its two windows, already counted."""
    found = []
    for person_id, lately in recent.items():
        before = earlier.get(person_id, Contribution())
        person = people.get(person_id)
        if person is not None and not person.account_enabled:
            continue
        if lately.answers < min_recent_answers:
            continue
        if lately.answers / recent_days < growth * before.answers / earlier_days:
            continue
        if lately.reception / recent_days < growth / 2 * before.reception / earlier_days:
            continue
        found.append(Emerging(person_id, lately, before))
    found.sort(key=lambda e: (-e.recent.reception, -e.recent.people_helped, e.person_id))
    return found


@dataclass(frozen=True, slots=True)
class YearOfContributions:
    """Everyone's contributions as nudges weigh them: the `recent_days` before `now`, the `earlier_days`
    before those (the two windows of "rising"), and each of the last weeks."""

    recent: dict[str, Contribution]
    earlier: dict[str, Contribution]
    weekly: dict[str, tuple[Contribution, ...]]
    recent_days: int
    earlier_days: int

    def rising(self, people: Mapping[str, Person]) -> list[Emerging]:
        """`emerging_people` over these counts (its thresholds' defaults)."""
        return rising_from(self.recent, self.earlier, people, self.recent_days, self.earlier_days)


class ContributionCounter:
    """Counts `YearOfContributions` from narrow rows streamed from the store, never holding a message.

    `written` takes each message a person wrote (not deleted) with the author of the root it replies to,
    when that root is held (None for a root, or a reply whose root is not); `reacted` takes each distinct
    colleague who reacted to one of them. What it counts equals `contributions` over the same messages.
    """

    def __init__(
        self,
        people: Mapping[str, Person],
        now: datetime,
        weeks: int = 8,
        recent_days: int = 84,
        earlier_days: int = 280,
    ) -> None:
        self._now, self._weeks = now, weeks
        self._recent_days, self._earlier_days = recent_days, earlier_days
        self._split = now - timedelta(days=recent_days)
        self._start = self._split - timedelta(days=earlier_days)
        self._recent, self._earlier, self._weekly = _Tally(people), _Tally(people), _Tally(people)

    def _tallies(self, created_at: datetime) -> Iterable[tuple[_Tally, int]]:
        if self._split <= created_at < self._now:
            yield self._recent, 0
        elif self._start <= created_at < self._split:
            yield self._earlier, 0
        if (bucket := _week_bucket(created_at, self._now, self._weeks)) is not None:
            yield self._weekly, bucket

    def written(self, author_id: str, created_at: datetime, starter_id: str | None) -> None:
        for tally, bucket in self._tallies(created_at):
            tally.add_written(author_id, bucket, starter_id)

    def reacted(self, author_id: str, created_at: datetime, reactor_id: str) -> None:
        for tally, bucket in self._tallies(created_at):
            tally.add_reactor(author_id, bucket, reactor_id)

    def add_messages(self, messages: Sequence[Message]) -> None:
        """Count messages held in memory (every root a reply may answer among them), as rows would be."""
        roots = thread_roots(messages)
        for message in messages:
            if (counted := _counted(message, roots)) is not None:
                author, starter, reactors = counted
                self.written(author, message.created_at, starter)
                for reactor in reactors:
                    self.reacted(author, message.created_at, reactor)

    def result(self) -> YearOfContributions:
        return YearOfContributions(
            recent={p: counts[0] for p, counts in self._recent.result(1).items()},
            earlier={p: counts[0] for p, counts in self._earlier.result(1).items()},
            weekly=self._weekly.result(self._weeks),
            recent_days=self._recent_days,
            earlier_days=self._earlier_days,
        )


def _counted(
    message: Message, roots: Mapping[tuple[str, str], Message]
) -> tuple[str, str | None, set[str]] | None:
    """What a message adds to its author's contribution: its author, who started the thread it replies in
    (when its root is among `roots`) and the colleagues who reacted; None if no person wrote it."""
    if not message.is_people_writing or message.author_id is None:
        return None
    author = message.author_id
    root = None if message.is_root else roots.get((message.channel_id, message.reply_to_id or ""))
    reactors = {r.user_id for r in message.reactions if r.user_id != author}
    return author, None if root is None else root.author_id, reactors


def _week_bucket(created_at: datetime, now: datetime, weeks: int) -> int | None:
    """Which of the `weeks` 7-day windows before `now` a moment falls in (0 the oldest), if any."""
    if not now - weeks * WEEK <= created_at < now:
        return None
    return max(0, min(weeks - 1, weeks - 1 - int((now - created_at) / WEEK)))


def is_question(text: str) -> bool:
    """Whether a post asks something, in English or Finnish."""
    flat = " ".join(text.split())
    if not flat:
        return False
    if "?" in flat or _QUESTION_START.match(flat):
        return True
    clitic = _FINNISH_CLITIC.match(flat)
    return clitic is not None and not _NOT_CLITIC.search(clitic.group(1))


def find_questions(
    messages: Sequence[Message],
    since: datetime,
    until: datetime,
    now: datetime,
    min_age: timedelta = timedelta(days=2),
) -> list[Question]:
    """Questions people posted in the window, at least `min_age` old by `now`, newest first.

    A question counts as answered once someone other than the asker replied with more than a "+1"; short
    replies and reactions from others count as followers: people with the same question.
    """
    replies: dict[tuple[str, str], list[Message]] = defaultdict(list)
    for message in messages:
        if message.reply_to_id is not None and message.is_people_writing:
            replies[(message.channel_id, message.reply_to_id)].append(message)
    found = []
    for message in messages:
        if not (message.is_root and message.is_people_writing and since <= message.created_at < until):
            continue
        if now - message.created_at < min_age:
            continue
        text = " ".join(part for part in (message.subject, message.text) if part)
        if not is_question(text):
            continue
        others = [
            r for r in replies.get((message.channel_id, message.id), []) if r.author_id != message.author_id
        ]
        answered = any(len(r.text.strip()) >= _SUBSTANTIAL_ANSWER_CHARS for r in others)
        followers = {r.author_id for r in others if len(r.text.strip()) < _SUBSTANTIAL_ANSWER_CHARS}
        if not answered:
            followers |= {r.user_id for r in message.reactions if r.user_id != message.author_id}
        found.append(Question(message, frozenset(terms(text)), answered, len(followers)))
    found.sort(key=lambda q: (q.message.created_at, q.message.id), reverse=True)
    return found


@dataclass(slots=True)
class QuestionCorpus:
    """Everyone's messages in question threads over a window: how many, and how many use each word."""

    documents: int = 0
    frequency: Counter[str] = field(default_factory=Counter)

    def add(self, words: Iterable[str]) -> None:
        self.documents += 1
        self.frequency.update(words)


def topic_words(subject: str | None, text: str) -> set[str]:
    """A message's words as `topic_trends` counts them (long enough to be a topic)."""
    return {w for w in terms(f"{subject or ''} {text}") if len(w) >= MIN_TOPIC_CHARS}


def topic_trends(
    messages: Sequence[Message],
    author_ids: Iterable[str],
    now: datetime,
    period_days: int = 30,
    limit: int = 8,
    corpus: QuestionCorpus | None = None,
) -> list[TopicTrend]:
    """The words a group asked and answered about most distinctively this period, and the period before.

    Only question threads count: greetings, announcements and chatter say little about what a group knows.
    A word's weight is the number of the group's messages using it, times how rare it is across everyone's
    messages in both periods (so "meeting" and "thanks" sink and "kubernetes" rises). A topic must appear
    in at least two of the group's messages this period.

    `corpus` is everyone's side over both periods (a summary's `OrgDigest.questions`), when `messages` holds
    only the group's threads; without it, it is counted from `messages`.
    """
    authors = frozenset(author_ids)
    period = timedelta(days=period_days)
    current_start, previous_start = now - period, now - 2 * period
    group: list[Counter[str]] = [Counter(), Counter()]  # current, previous
    counted = QuestionCorpus() if corpus is None else None
    roots = thread_roots(messages)
    for message in messages:
        if not message.is_people_writing or not previous_start <= message.created_at < now:
            continue
        if counted is None and message.author_id not in authors:
            continue
        root = message if message.is_root else roots.get((message.channel_id, message.reply_to_id or ""))
        if root is None or not is_question(f"{root.subject or ''} {root.text}"):
            continue
        words = topic_words(message.subject, message.text)
        if counted is not None:
            counted.add(words)
        if message.author_id in authors:
            group[0 if message.created_at >= current_start else 1].update(words)
    everyone = corpus if corpus is not None else counted
    assert everyone is not None
    documents = everyone.documents
    if not documents:
        return []

    def weight(term: str, count: int) -> float:
        # At least the group's own uses: a corpus counted a little earlier may not hold their latest words.
        return count * math.log(1 + documents / max(everyone.frequency[term], count, 1))

    current = {t: weight(t, c) for t, c in group[0].items() if c >= 2}
    chosen = sorted(current, key=lambda t: (-current[t], t))[:limit]
    labels = _surface_forms(chosen, (m for m in messages if m.author_id in authors))
    return [
        TopicTrend(
            term=term,
            label=labels.get(term, term),
            current=round(current[term], 3),
            previous=round(weight(term, group[1][term]), 3) if group[1][term] else 0.0,
        )
        for term in chosen
    ]


class _Tally:
    """Counts contributions into numbered buckets (weeks), remembering distinct people per bucket."""

    def __init__(self, people: Mapping[str, Person]) -> None:
        self._people = people
        self._counts: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
        self._helped: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        self._reached: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))

    def add(self, message: Message, bucket: int, roots: Mapping[tuple[str, str], Message]) -> None:
        if (counted := _counted(message, roots)) is not None:
            author, starter, reactors = counted
            self.add_written(author, bucket, starter)
            for reactor in reactors:
                self.add_reactor(author, bucket, reactor)

    def add_written(self, author: str, bucket: int, starter: str | None) -> None:
        """A message `author` wrote; `starter` wrote the thread's root, if it is a reply to a held root."""
        counts = self._counts[author][bucket]
        counts[0] += 1
        if starter is not None and starter != author:
            counts[1] += 1
            self._helped[author][bucket].add(starter)
            self._note_reach(author, bucket, starter, team_key(self._people.get(author)))

    def add_reactor(self, author: str, bucket: int, reactor: str) -> None:
        """A colleague's reaction (one per person and message) to a message `author` wrote."""
        self._counts[author][bucket][2] += 1
        self._note_reach(author, bucket, reactor, team_key(self._people.get(author)))

    def _note_reach(self, author: str, bucket: int, other: str, own_team: str | None) -> None:
        other_team = team_key(self._people.get(other))
        if own_team is not None and other_team is not None and other_team != own_team:
            self._reached[author][bucket].add(other)

    def result(self, buckets: int) -> dict[str, tuple[Contribution, ...]]:
        return {
            author: tuple(
                Contribution(
                    messages=by_bucket[i][0] if i in by_bucket else 0,
                    answers=by_bucket[i][1] if i in by_bucket else 0,
                    reactions=by_bucket[i][2] if i in by_bucket else 0,
                    people_helped=len(self._helped[author].get(i, ())),
                    reach=len(self._reached[author].get(i, ())),
                )
                for i in range(buckets)
            )
            for author, by_bucket in self._counts.items()
        }


def _surface_forms(stems: Sequence[str], messages: Iterable[Message]) -> dict[str, str]:
    """The most common way people wrote each stem, for showing it ("Kubernetes", not "kubernete")."""
    wanted = set(stems)
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for message in messages:
        if len(seen) == len(wanted) and all(sum(c.values()) >= 20 for c in seen.values()):
            break
        text = f"{message.subject or ''} {message.text}"
        lowered = text.lower()
        for word in tokenize(text):
            key = stem(word)
            if key in wanted:
                at = lowered.find(word) if len(lowered) == len(text) else -1
                seen[key][text[at : at + len(word)] if at >= 0 else word] += 1
    return {term: forms.most_common(1)[0][0] for term, forms in seen.items()}
