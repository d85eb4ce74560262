"""Weekly nudges: who gets one, their stats and goal, and content prompts from real questions. Pure.

A nudge goes to people with established expertise (answers to several colleagues lately) or rising expertise
(`signals.emerging_people`), whose account is enabled, have not stopped or snoozed nudges, and have not had
one this ISO week. Its prompts are questions colleagues asked in public channels about the person's topics,
recurring and unanswered ones first, never the person's own and never one they already replied to or were
offered before; each comes with an outline from the person's own earlier messages.

The visibility policy (`bot/visibility.py`) governs what a nudge shows, as it governs every answer:

- a nudge is private to its recipient and about them, so their own "hide me" (or, under the opt-in default,
  never having said "show me") does not stop it; "stop nudges" does;
- a question is quoted or linked (as a prompt, a follow-up) only when its asker is recognisable and it names
  no one who is not (an @mention or their whole display name);
- no prompt or follow-up touches a topic the recipient hid: "hide me from kubernetes" means no nudge to
  write about Kubernetes either.

No I/O and no clock: the caller passes `now` and what the store holds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from bot.expertise import PersonTopic
from bot.model import Language, Message, Person
from bot.nudge_records import NudgeSettings, OfferedPrompt, PlannedPrompt, PromptOutcome
from bot.signals import (
    Contribution,
    ContributionCounter,
    Question,
    YearOfContributions,
    find_questions,
    is_question,
)
from bot.text import snippet, terms
from bot.visibility import NameIndex, VisibilityPolicy, hides_topic

# An established voice answers colleagues about weekly: 10 answers to 5 people or more in 12 weeks. On the
# demo tenant that picks 55 of its 58 built-in experts, rising people and generalists, and 13 others.
ESTABLISHED_ANSWERS = 10
ESTABLISHED_PEOPLE_HELPED = 5
ESTABLISHED_WINDOW = timedelta(weeks=12)
QUESTION_WINDOW = timedelta(days=90)
STATS_WEEKS = 8
MAX_PROMPTS = 3
MAX_OUTLINE = 3
PROMPT_CHARS = 160
OUTLINE_CHARS = 120
OUTLINE_MIN_CHARS = 40  # shorter replies ("+1", "thanks!", a joke) are no outline
OUTLINE_MIN_SHARED = 2  # an outline message shares the topic word and at least one more with the question
COMMON_QUESTION_SHARE = 0.05  # a word in more questions than this says nothing about what is asked
COMMON_QUESTION_MIN = 30  # so a small organisation keeps its words
FOLLOW_UP_WINDOW = timedelta(weeks=6)  # a promise to write is followed up on for this long
OUTCOME_WINDOW = timedelta(days=28)  # a post this long after the prompt still counts as its outcome

Reason = Literal["established", "rising"]
Trend = Literal["up", "down", "steady"]
QuestionKey = tuple[str, str]  # (channel id, message id)


def iso_week(moment: datetime) -> str:
    """The ISO week of a moment in UTC, e.g. `2026-W48`: the period a person gets at most one nudge in."""
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class Candidate:
    """Someone due a nudge this week, and why."""

    person: Person
    reason: Reason
    answers: int  # answers to colleagues in the last 12 weeks
    settings: NudgeSettings


@dataclass(frozen=True, slots=True)
class OutlineItem:
    """A short snippet of the person's own earlier message on the topic, to build a post from."""

    snippet: str
    url: str | None


@dataclass(frozen=True, slots=True)
class ContentPrompt:
    """A question colleagues asked about the person's topic, to answer with a post."""

    channel_id: str
    message_id: str
    text: str  # the question, shortened
    url: str | None
    topic: str  # the person's topic it matched, in their own words
    terms: frozenset[str]  # the topic words the question and the person share
    askers: int  # the asker, those who said "+1", and colleagues who asked much the same
    answered: bool
    asked_at: datetime
    outline: tuple[OutlineItem, ...]

    @property
    def recurring(self) -> bool:
        return self.askers > 1

    def planned(self) -> PlannedPrompt:
        return PlannedPrompt(self.channel_id, self.message_id, self.terms)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A question the person said they would write about, and whether they did (the loop, closed)."""

    text: str
    url: str | None
    posted_url: str | None
    reactions: int

    @property
    def posted(self) -> bool:
        return self.posted_url is not None


@dataclass(frozen=True, slots=True)
class GoalProgress:
    """The person's goal (share a post or an answer every `every_days` days) and how it stands."""

    every_days: int
    shared: int  # posts and answers in the last `every_days` days
    last_shared: datetime | None

    @property
    def met(self) -> bool:
        return self.shared > 0


@dataclass(frozen=True, slots=True)
class NudgeStats:
    """What the person contributed week by week (oldest first, the last is the 7 days before now)."""

    weeks: tuple[Contribution, ...]
    trend: Trend

    @property
    def this_week(self) -> Contribution:
        return self.weeks[-1] if self.weeks else Contribution()


@dataclass(frozen=True, slots=True)
class Nudge:
    """One person's weekly nudge."""

    recipient: str
    person: Person
    week: str
    reason: Reason
    answers: int  # answers to colleagues in the last 12 weeks (the why)
    language: Language
    stats: NudgeStats
    goal: GoalProgress
    prompts: tuple[ContentPrompt, ...]
    followups: tuple[FollowUp, ...] = ()


class QuotingRule:
    """Which questions a nudge may quote and link, by the visibility policy (see the module's doc). Pure."""

    def __init__(self, visibility: VisibilityPolicy, people: Mapping[str, Person]) -> None:
        self._visibility = visibility
        # People who do not allow being shown: their questions are no one's prompt, nor is one naming them.
        self._unrecognisable = visibility.unrecognisable()
        self._names = NameIndex.of(self._unrecognisable, people)

    def may_quote_anyone(self, question: Message) -> bool:
        """Whether the question may be quoted to anyone: its asker is recognisable and it names no one who
        is not."""
        return question.author_id not in self._unrecognisable and not self._names.names_anyone(question)

    def may_quote(self, question: Message, recipient_id: str) -> bool:
        """Whether the question may be quoted to `recipient_id`: to anyone, and on no topic they hid."""
        if not self.may_quote_anyone(question):
            return False
        hidden_topics = self._visibility.choices_of(recipient_id).hidden_topics
        return not hidden_topics or not hides_topic(
            hidden_topics, terms(f"{question.subject or ''} {question.text}")
        )


def contribution_counter(people: Mapping[str, Person], now: datetime) -> ContributionCounter:
    """Counts what `NudgePlanner.candidates` and the nudges' weekly stats need, from the year before `now`
    (rising's two windows: the 12 weeks of `ESTABLISHED_WINDOW` and the 40 weeks before)."""
    return ContributionCounter(people, now, STATS_WEEKS, recent_days=ESTABLISHED_WINDOW.days)


class QuestionPool:
    """The questions prompts are made of: asked in public channels in the last `QUESTION_WINDOW`, quotable
    to anyone, each with its telling words; how many colleagues asked much the same; their index by word.

    Built from every question `find_questions` finds in the window, newest first (all of them: the words
    too common to tell anything, and the similar askers, are counted over all questions). Shared by every
    candidate.
    """

    def __init__(self, asked: Iterable[Question], public: frozenset[str], quoting: QuotingRule) -> None:
        found = [
            q
            for q in asked
            if q.message.channel_id in public
            and q.message.is_people_writing
            and quoting.may_quote_anyone(q.message)
        ]
        # Words in more than `COMMON_QUESTION_SHARE` of all questions ("anyone", "tips", "thanks") tell
        # nothing about what is asked, so they are left out of matching.
        frequency: Counter[str] = Counter(term for q in found for term in q.terms)
        common = max(COMMON_QUESTION_MIN, len(found) * COMMON_QUESTION_SHARE)
        self.questions: list[tuple[Question, frozenset[str]]] = [
            (q, telling)
            for q in found
            if (telling := frozenset(t for t in q.terms if len(t) >= 3 and frequency[t] <= common))
        ]
        self.by_word: dict[str, list[int]] = defaultdict(list)  # positions in `questions` by telling word
        for position, (_, telling) in enumerate(self.questions):
            for word in telling:
                self.by_word[word].append(position)
        self._similar: dict[QuestionKey, int] | None = None

    def similar_askers(self) -> dict[QuestionKey, int]:
        """Per question, how many other colleagues asked much the same (half its telling words shared)."""
        if self._similar is None:
            counts = similar_askers(
                [telling for _, telling in self.questions], [q.message.author_id for q, _ in self.questions]
            )
            self._similar = {_key(q.message): n for (q, _), n in zip(self.questions, counts, strict=True)}
        return self._similar


def similar_askers(tellings: Sequence[frozenset[str]], askers: Sequence[str | None]) -> list[int]:
    """For each question (its telling words, its asker), how many other askers asked much the same: a
    question sharing two words or more, and at least half of the longer one's words.

    Two such questions share one of the rarer half of each one's words plus one (prefix filtering, in one
    order of all words, rarest first), so only questions sharing such a word are compared. Comparing every
    question sharing any word took 75 s at a million messages (39,000 questions; a word is in up to 5 % of
    all questions).
    """
    frequency: Counter[str] = Counter(word for telling in tellings for word in telling)
    prefixes: list[list[str]] = []
    by_prefix_word: dict[str, list[int]] = defaultdict(list)
    for index, telling in enumerate(tellings):
        prefix = sorted(telling, key=lambda word: (frequency[word], word))[: len(telling) // 2 + 1]
        prefixes.append(prefix)
        for word in prefix:
            by_prefix_word[word].append(index)
    found = []
    for index, telling in enumerate(tellings):
        others = {other for word in prefixes[index] for other in by_prefix_word[word]}
        others.discard(index)
        similar = set()
        for other in others:
            shared = len(telling & tellings[other])
            if (
                shared >= 2
                and shared * 2 >= max(len(telling), len(tellings[other]))
                and askers[other] != askers[index]
            ):
                similar.add(askers[other])
        found.append(len(similar))
    return found


class NudgePlanner:
    """Plans this week's nudges over a snapshot of messages and people.

    Over everything written in the year before `now` (tests, the reference) it counts all it needs itself.
    The `Nudger` instead passes what it counted and read from the store (`year`, `questions`) and builds
    one planner per batch of candidates over their own messages, the questions' roots and the messages
    their follow-ups point to. Who started the thread a candidate replied in matters only when they did
    (a follow-up in one's own thread is no share), and then the root is among their own messages.
    """

    def __init__(
        self,
        messages: Sequence[Message],
        people: Mapping[str, Person],
        public_channels: frozenset[str],
        now: datetime,
        default_language: Language = "en",
        visibility: VisibilityPolicy | None = None,
        *,
        year: YearOfContributions | None = None,
        questions: QuestionPool | None = None,
    ) -> None:
        self._messages = messages
        self._visibility = visibility or VisibilityPolicy("visible", {}, people)
        self._quoting = QuotingRule(self._visibility, people)
        self._people = people
        self._public = public_channels
        self._now = now
        self._default_language = default_language
        self._week = iso_week(now)
        self._by_author: dict[str, list[Message]] = defaultdict(list)
        self._by_key: dict[QuestionKey, Message] = {(m.channel_id, m.id): m for m in messages}
        self._thread_starter: dict[QuestionKey, str | None] = {}
        for message in messages:
            if message.is_root:
                self._thread_starter[(message.channel_id, message.id)] = message.author_id
            if message.is_people_writing and message.author_id:
                self._by_author[message.author_id].append(message)
        self._replied: dict[str, set[QuestionKey]] = defaultdict(set)
        for author, written in self._by_author.items():
            for message in written:
                if message.reply_to_id is not None:
                    self._replied[author].add((message.channel_id, message.reply_to_id))
        self._year = year
        self._pool = questions
        self._outlines: dict[str, tuple[list[tuple[Message, frozenset[str], int]], dict[str, list[int]]]] = {}

    @property
    def week(self) -> str:
        return self._week

    def candidates(
        self,
        settings: Mapping[str, NudgeSettings],
        nudged: frozenset[str],
        default_on: bool,
    ) -> list[Candidate]:
        """Everyone due a nudge this week, by id: established or rising, enabled, not stopped or snoozed.

        Whether they may be shown to others plays no part: a nudge is theirs alone (see the module's doc).
        """
        year = self._contributions()
        recent = year.recent
        rising = {e.person_id for e in year.rising(self._people)}
        found: list[Candidate] = []
        for person_id in sorted(set(recent) | rising):
            person = self._people.get(person_id)
            own = settings.get(person_id, NudgeSettings())
            if (
                person is None
                or not person.account_enabled
                or person_id in nudged
                or not own.is_enabled(default_on)
                or own.is_snoozed(self._now)
            ):
                continue
            lately = recent.get(person_id, Contribution())
            answers = lately.answers
            # Rising says more than established: it is growth from a small base, so it wins when both hold.
            if person_id in rising:
                found.append(Candidate(person, "rising", answers, own))
            elif answers >= ESTABLISHED_ANSWERS and lately.people_helped >= ESTABLISHED_PEOPLE_HELPED:
                found.append(Candidate(person, "established", answers, own))
        return found

    def plan(
        self,
        candidate: Candidate,
        topics: Sequence[PersonTopic],
        offered: frozenset[QuestionKey] = frozenset(),
        accepted: Sequence[OfferedPrompt] = (),
        unseen_teams: frozenset[str] = frozenset(),
    ) -> Nudge:
        """The nudge for one candidate, with prompts from questions in their `topics`.

        `accepted` are the prompts they said they would write about: the card follows up on the recent ones.
        `unseen_teams` are the teams whose channels the candidate can't open (private teams they are not in):
        a nudge quotes and links only what its recipient could read in Teams.
        """
        person = candidate.person
        weeks = self._weekly().get(person.id) or (Contribution(),) * STATS_WEEKS
        return Nudge(
            recipient=person.id,
            person=person,
            week=self._week,
            reason=candidate.reason,
            answers=candidate.answers,
            language=self._language_of(person),
            stats=NudgeStats(weeks, _trend(weeks)),
            goal=self._goal(person.id, candidate.settings.goal),
            prompts=tuple(self._prompts(person.id, topics, offered, unseen_teams)),
            followups=tuple(self._followups(person.id, accepted, unseen_teams)),
        )

    # --- internals --------------------------------------------------------------------------------------

    def _followups(
        self, person_id: str, accepted: Sequence[OfferedPrompt], unseen_teams: frozenset[str] = frozenset()
    ) -> list[FollowUp]:
        found = []
        recent = [
            p for p in accepted if p.status == "accepted" and p.offered_at >= self._now - FOLLOW_UP_WINDOW
        ]
        for prompt in sorted(recent, key=lambda p: (p.offered_at, p.id), reverse=True)[:MAX_PROMPTS]:
            question = self._by_key.get((prompt.channel_id, prompt.message_id))
            if (
                question is None
                or question.channel_id not in self._public
                or question.team_id in unseen_teams
            ):
                continue  # deleted since, or no longer readable: nothing to show
            if not self._quoting.may_quote(question, person_id):
                continue  # its asker, or someone it names, has hidden since; or the recipient hid its topic
            post = (
                self._by_key.get((prompt.outcome_channel_id or "", prompt.outcome_message_id))
                if prompt.outcome_message_id
                else None
            )
            found.append(
                FollowUp(
                    text=question_text(question),
                    url=question.web_url,
                    posted_url=(post.web_url or "") if post is not None else None,
                    reactions=prompt.outcome_reactions if post is not None else 0,
                )
            )
        return found

    def _contributions(self) -> YearOfContributions:
        if self._year is None:
            counter = contribution_counter(self._people, self._now)
            counter.add_messages(self._messages)
            self._year = counter.result()
        return self._year

    def _weekly(self) -> dict[str, tuple[Contribution, ...]]:
        return self._contributions().weekly

    def _language_of(self, person: Person) -> Language:
        return language_of(person, self._default_language)

    def _goal(self, person_id: str, every_days: int) -> GoalProgress:
        since = self._now - timedelta(days=every_days)
        shared = [m.created_at for m in self._by_author.get(person_id, ()) if self._is_share(m)]
        return GoalProgress(
            every_days=every_days,
            shared=sum(1 for at in shared if since <= at < self._now),
            last_shared=max((at for at in shared if at < self._now), default=None),
        )

    def _is_share(self, message: Message) -> bool:
        """A post of one's own or an answer in a colleague's thread (not a follow-up in one's own)."""
        if message.is_root:
            return True
        starter = self._thread_starter.get((message.channel_id, message.reply_to_id or ""))
        return starter != message.author_id

    def _questions(self) -> QuestionPool:
        if self._pool is None:
            asked = find_questions(self._messages, self._now - QUESTION_WINDOW, self._now, self._now)
            self._pool = QuestionPool(asked, self._public, self._quoting)
        return self._pool

    def _prompts(
        self,
        person_id: str,
        topics: Sequence[PersonTopic],
        offered: frozenset[QuestionKey],
        unseen_teams: frozenset[str] = frozenset(),
    ) -> list[ContentPrompt]:
        hidden_topics = self._visibility.choices_of(person_id).hidden_topics
        # A topic they hid is no topic to nudge them about, nor is a question that touches one.
        topic_terms: list[tuple[PersonTopic, frozenset[str]]] = []
        for topic in topics:
            name_terms = terms(topic.name)
            if not (hidden_topics and hides_topic(hidden_topics, name_terms)):
                topic_terms.append((topic, frozenset(name_terms)))
        replied = self._replied.get(person_id, set())
        pool = self._questions()
        similar = pool.similar_askers()
        ranked: list[_PromptOption] = []
        questions, by_word = pool.questions, pool.by_word
        # Only questions holding one of their topics' words can match one: found by word, in the list's order.
        matching = sorted({i for _, words in topic_terms for word in words for i in by_word.get(word, ())})
        for question, telling in (questions[i] for i in matching):
            message = question.message
            key = _key(message)
            if message.author_id == person_id or key in replied or key in offered:
                continue
            if message.team_id in unseen_teams:
                continue  # a private team's question, and they are not in the team
            if hidden_topics and hides_topic(hidden_topics, sorted(question.terms)):
                continue
            best: tuple[PersonTopic, frozenset[str]] | None = None
            for topic, words in topic_terms:
                shared = words & telling
                if shared and (best is None or len(shared) > len(best[1])):
                    best = (topic, shared)
            if best is None:
                continue
            askers = 1 + question.followers + similar.get(key, 0)
            if question.answered and askers < 2:
                continue  # answered once, for one person: nothing left to write about
            topic, shared = best
            # Only where the person has written something close before: that is the outline to start from
            # (its snippets are cut only for the prompts chosen).
            if not self._has_outline(person_id, telling, shared):
                continue
            rank = (question.answered, -askers, -len(shared), -message.created_at.timestamp())
            ranked.append(_PromptOption(rank, question, topic.name, shared, askers, telling))
        ranked.sort(key=lambda option: option.rank)
        chosen: list[ContentPrompt] = []
        topics_used: set[str] = set()
        chosen_words: list[frozenset[str]] = []
        all_topics = {option.topic for option in ranked}
        for option in ranked:
            # One prompt per topic while others are left, so a nudge doesn't ask the same thing thrice.
            if option.topic in topics_used and len(all_topics) > len(topics_used):
                continue
            telling = option.telling
            if any(len(telling & other) * 2 >= len(telling | other) for other in chosen_words):
                continue  # much the same question asked again is one prompt (its askers already count it)
            message = option.question.message
            chosen_words.append(telling)
            chosen.append(
                ContentPrompt(
                    channel_id=message.channel_id,
                    message_id=message.id,
                    text=question_text(message),
                    url=message.web_url,
                    topic=option.topic,
                    terms=option.shared,
                    askers=option.askers,
                    answered=option.question.answered,
                    asked_at=message.created_at,
                    outline=_outline(self._outline_sources(person_id, telling, option.shared), telling),
                )
            )
            topics_used.add(option.topic)
            if len(chosen) == MAX_PROMPTS:
                break
        return chosen

    def _has_outline(self, person_id: str, telling: frozenset[str], topic_words: frozenset[str]) -> bool:
        """Whether `_outline_sources` would find anything: stops at the first source (most questions a
        person's topics match are ranked and dropped, so their outlines are never sorted)."""
        answers, by_word = self._outline_answers(person_id)
        return any(
            len(answers[position][1] & telling) >= OUTLINE_MIN_SHARED
            for word in topic_words
            for position in by_word.get(word, ())
        )

    def _outline_sources(
        self, person_id: str, telling: frozenset[str], topic_words: frozenset[str]
    ) -> list[Message]:
        """The person's own earlier answers sharing the topic word and another word with the question, best
        first (most words shared, most reactions, newest): what an outline is cut from."""
        answers, by_word = self._outline_answers(person_id)
        scored: list[tuple[tuple[int, int, float], Message]] = []
        for position in sorted({i for word in topic_words for i in by_word.get(word, ())}):
            message, words, reactions = answers[position]
            overlap = len(words & telling)
            if overlap >= OUTLINE_MIN_SHARED:
                scored.append(((-overlap, -reactions, -message.created_at.timestamp()), message))
        scored.sort(key=lambda item: item[0])
        return [message for _, message in scored]

    def _outline_answers(
        self, person_id: str
    ) -> tuple[list[tuple[Message, frozenset[str], int]], dict[str, list[int]]]:
        """The person's messages an outline may quote, with their words and reactions, and their positions
        by word: counted once per person, not once per question."""
        found = self._outlines.get(person_id)
        if found is None:
            answers: list[tuple[Message, frozenset[str], int]] = []
            by_word: dict[str, list[int]] = defaultdict(list)
            for message in self._by_author.get(person_id, ()):
                if message.channel_id not in self._public or message.created_at >= self._now:
                    continue
                # Only their substantial answers to colleagues: not their own questions, follow-ups or asides.
                if message.is_root or not self._is_share(message):
                    continue
                if len(message.text.strip()) < OUTLINE_MIN_CHARS or is_question(message.text):
                    continue
                words = frozenset(terms(message.text))
                for word in words:
                    by_word[word].append(len(answers))
                reactions = sum(1 for r in message.reactions if r.user_id != person_id)
                answers.append((message, words, reactions))
            found = self._outlines[person_id] = (answers, by_word)
        return found


@dataclass(frozen=True, slots=True)
class _PromptOption:
    """A question a prompt could be made of, ranked; its outline is found only if it is chosen."""

    rank: tuple[bool, int, int, float]  # answered last, most askers, most shared words, newest
    question: Question
    topic: str
    shared: frozenset[str]
    askers: int
    telling: frozenset[str]


def _outline(sources: Sequence[Message], telling: frozenset[str]) -> tuple[OutlineItem, ...]:
    """Up to MAX_OUTLINE different snippets of the best sources around the question's words (never empty for
    a source: each is a substantial answer)."""
    items: list[OutlineItem] = []
    seen: set[str] = set()
    for message in sources:
        text = snippet(message.text, sorted(telling), OUTLINE_CHARS)
        if text and text not in seen:
            seen.add(text)
            items.append(OutlineItem(text, message.web_url))
        if len(items) == MAX_OUTLINE:
            break
    return tuple(items)


def plan_nudges(
    planner: NudgePlanner,
    candidates: Iterable[Candidate],
    topics: Mapping[str, Sequence[PersonTopic]],
    offered: Mapping[str, frozenset[QuestionKey]],
    accepted: Mapping[str, Sequence[OfferedPrompt]] | None = None,
    unseen_teams: Mapping[str, frozenset[str]] | None = None,
) -> list[Nudge]:
    """Every candidate's nudge, in candidate order (`unseen_teams`, per candidate: `NudgePlanner.plan`)."""
    return [
        planner.plan(
            c,
            topics.get(c.person.id, ()),
            offered.get(c.person.id, frozenset()),
            (accepted or {}).get(c.person.id, ()),
            (unseen_teams or {}).get(c.person.id, frozenset()),
        )
        for c in candidates
    ]


def detect_outcomes(
    prompts: Sequence[OfferedPrompt], messages: Iterable[Message], public_channels: frozenset[str]
) -> list[PromptOutcome]:
    """What each prompt led to: the person's first later post on its topic, and its reactions now.

    A reply in the prompt's own thread counts first; otherwise a post or an answer of theirs within
    `OUTCOME_WINDOW` of the offer that shares a topic word with the prompt. Returns only what changed.
    """
    wanted = {p.person_id for p in prompts}
    by_author: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        if (
            message.author_id in wanted
            and message.is_people_writing
            and message.channel_id in public_channels
        ):
            by_author[message.author_id].append(message)
    found: list[PromptOutcome] = []
    for prompt in prompts:
        until = prompt.offered_at + OUTCOME_WINDOW
        later = sorted(
            (m for m in by_author.get(prompt.person_id, ()) if prompt.offered_at < m.created_at <= until),
            key=lambda m: (m.created_at, m.channel_id, m.id),
        )
        in_thread = [
            m for m in later if (m.channel_id, m.reply_to_id) == (prompt.channel_id, prompt.message_id)
        ]
        on_topic = in_thread or [m for m in later if prompt.terms & frozenset(terms(m.text))]
        if not on_topic:
            continue
        post = on_topic[0]
        reactions = sum(1 for r in post.reactions if r.user_id != prompt.person_id)
        if post.id != prompt.outcome_message_id or reactions != prompt.outcome_reactions:
            found.append(PromptOutcome(prompt.id, post.channel_id, post.id, post.created_at, reactions))
    return found


def _trend(weeks: Sequence[Contribution]) -> Trend:
    """Answers in the last four weeks against the four before: up, down or steady."""
    recent = sum(w.answers for w in weeks[-4:])
    earlier = sum(w.answers for w in weeks[-8:-4])
    if recent - earlier >= 2 and recent > earlier * 1.2:
        return "up"
    if earlier - recent >= 2 and recent < earlier * 0.8:
        return "down"
    return "steady"


def language_of(person: Person, default: Language) -> Language:
    """The language to nudge a person in: their directory's preferred language, else the default."""
    preferred = (person.preferred_language or "").lower()
    if preferred.startswith("fi"):
        return "fi"
    if preferred.startswith("en"):
        return "en"
    return default


def question_text(message: Message) -> str:
    """A question as a prompt shows it: its subject (when the text doesn't repeat it), its text, shortened."""
    return snippet(_question_text(message), [], PROMPT_CHARS)


def _question_text(message: Message) -> str:
    if message.subject and message.subject.strip() and message.subject.strip() not in message.text:
        return f"{message.subject.strip()}: {message.text}"
    return message.text


def _key(message: Message) -> QuestionKey:
    return (message.channel_id, message.id)
