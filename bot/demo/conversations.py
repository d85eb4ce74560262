"""A year of channel threads for the demo company: questions and answers, tips, chatter and system events.

Threads are planned here as plain drafts (who, when, what in a small markup); `bot.demo.tenant` renders them
as Graph chatMessages. All randomness comes from one `random.Random`, consumed in a fixed order.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from bot.demo.organization import DAY_MS, DemoChannel, Employee, Organization
from bot.demo.vocabulary import (
    ANNOUNCEMENTS,
    ANSWER_CLOSERS,
    ANSWER_OPENERS,
    ANSWER_REACTIONS,
    ASK_EXPERT,
    CHATTER,
    CHATTER_REPLIES,
    FOLLOW_UPS,
    GREETINGS,
    HEDGED_ANSWERS,
    PLUS_ONES,
    POINTERS,
    QUESTION_CLOSINGS,
    QUESTION_FRAMES,
    QUESTION_SUBJECTS,
    SHARE_REPLIES,
    SHARES,
    SOCIAL_REACTIONS,
    THANKS,
    TOPIC_VOCABULARY,
    VAGUE_ANSWERS,
    TopicVocabulary,
)

Language = Literal["en", "fi"]
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
SPAN_DAYS = 365
RISING_WINDOW_DAYS = 90
QUESTIONS_PER_WEIGHT = 170  # topic weights sum to ~23, so ~3,900 questions a year
SHARES_PER_WEIGHT = 25
CHATTER_THREADS = 2400
MEMBERS_ADDED_EVENTS = 24
DESCRIPTION_EVENTS = 6
# How a Finnish speaker chooses the thread language, by the channel's language.
FINNISH_BY_CHANNEL = {"fi": 0.95, "mixed": 0.6, "en": 0.08}
# Local (Helsinki) hours at which people write, weighted: mornings and early afternoons.
HOUR_WEIGHTS = (
    (6, 0.2),
    (7, 0.6),
    (8, 1.3),
    (9, 1.8),
    (10, 1.8),
    (11, 1.3),
    (12, 0.9),
    (13, 1.6),
    (14, 1.6),
    (15, 1.2),
    (16, 0.7),
    (17, 0.3),
    (18, 0.2),
    (19, 0.15),
    (20, 0.2),
    (21, 0.15),
    (22, 0.05),
)
# Finnish summer holidays empty the channels in July; December quiets down around Christmas.
MONTH_WEIGHTS = {
    1: 1.0,
    2: 1.05,
    3: 1.1,
    4: 1.0,
    5: 1.0,
    6: 0.75,
    7: 0.3,
    8: 0.85,
    9: 1.15,
    10: 1.1,
    11: 1.05,
    12: 0.75,
}


@dataclass(slots=True)
class Draft:
    """One planned message. Its `text` is markup: `code`, {m}, {link}, {e:name}; a blank line starts a <p>."""

    author: Employee | None
    created_ms: int
    language: Language | None
    text: str
    mention: Employee | None = None
    link: tuple[str, str] | None = None
    code: tuple[str, str] | None = None
    subject: str | None = None
    importance: str = "normal"
    plain: bool = False  # contentType "text" instead of "html"
    reactions: list[tuple[Employee, str, str, int]] = field(default_factory=list)
    edited_ms: int | None = None
    deleted_ms: int | None = None
    event_detail: dict[str, Any] | None = None


@dataclass(slots=True)
class Thread:
    """A root post and its replies in one channel; `topic` is the topic key for questions and tips."""

    channel: DemoChannel
    root: Draft
    replies: list[Draft] = field(default_factory=list)
    topic: str | None = None
    closed: bool = False  # a reply would have fallen after `now`: the thread stops there

    @property
    def last_ms(self) -> int:
        return self.replies[-1].created_ms if self.replies else self.root.created_ms


def plan_conversations(org: Organization, seed: int, now_ms: int, tenant_id: str) -> list[Thread]:
    """Every thread of the year, roots in chronological order, replies in order within each thread."""
    return _Planner(org, random.Random(f"seula-demo:{seed}:conversations"), now_ms, tenant_id).plan()


def helsinki_offset_hours(day: datetime) -> int:
    """UTC offset of Finland on `day`: +3 from the last Sunday of March to the last Sunday of October."""
    return 3 if _last_sunday(day.year, 3) <= day.date() < _last_sunday(day.year, 10) else 2


def _last_sunday(year: int, month: int) -> date:
    last = datetime(year, month + 1, 1, tzinfo=UTC) - timedelta(days=1)
    return (last - timedelta(days=(last.weekday() + 1) % 7)).date()


class _Clock:
    """Draws realistic posting times: office hours in Helsinki, quiet weekends, July and Christmas."""

    def __init__(self, rng: random.Random, now_ms: int) -> None:
        self.rng = rng
        self.now_ms = now_ms
        self.start_ms = now_ms - SPAN_DAYS * DAY_MS
        self.days: list[tuple[int, int]] = []  # (UTC midnight ms, Helsinki offset in hours)
        cumulative: list[float] = []
        total = 0.0
        day_ms = self.start_ms - self.start_ms % DAY_MS
        while day_ms < now_ms:
            day = datetime.fromtimestamp(day_ms / 1000, UTC)
            weight = MONTH_WEIGHTS[day.month] * (0.06 if day.weekday() >= 5 else 1.0)
            total += weight
            cumulative.append(total)
            self.days.append((day_ms, helsinki_offset_hours(day)))
            day_ms += DAY_MS
        self.day_cumulative = cumulative
        self.hour_cumulative = list(itertools.accumulate(weight for _, weight in HOUR_WEIGHTS))

    def sample(self) -> int:
        rng = self.rng
        while True:
            day = bisect.bisect(self.day_cumulative, rng.random() * self.day_cumulative[-1])
            hour = bisect.bisect(self.hour_cumulative, rng.random() * self.hour_cumulative[-1])
            day_ms, offset = self.days[day]
            ms = day_ms + (HOUR_WEIGHTS[hour][0] - offset) * HOUR_MS + rng.randrange(HOUR_MS)
            if self.start_ms <= ms < self.now_ms:
                return ms


class _Planner:
    def __init__(self, org: Organization, rng: random.Random, now_ms: int, tenant_id: str) -> None:
        self.org = org
        self.rng = rng
        self.now_ms = now_ms
        self.tenant_id = tenant_id
        self.clock = _Clock(rng, now_ms)
        self.rise_start_ms = now_ms - RISING_WINDOW_DAYS * DAY_MS
        self.used_ms: set[int] = set()
        self.threads: list[Thread] = []
        self.generalist_ids = {g.id for g in org.generalists}
        self.expert_ids = {key: {e.id for e in group} for key, group in org.experts.items()}
        self.special_ids = self.generalist_ids | {e for ids in self.expert_ids.values() for e in ids}
        self.special_ids |= {p.id for p in org.rising.values()}
        self.everyone = tuple(org.people)
        self.team_general = {t.department: org.channel(t, "General") for t in org.teams if t.department}
        company = org.company_team
        self.company_channels = tuple(company.channels)
        self.coffee_room = org.channel(company, "Kahvihuone")
        self.announcements = org.channel(company, "Tiedotteet")

    def plan(self) -> list[Thread]:
        for topic in TOPIC_VOCABULARY:
            for _ in range(round(QUESTIONS_PER_WEIGHT * topic.weight)):
                self._question_thread(topic)
            for _ in range(round(SHARES_PER_WEIGHT * topic.weight)):
                self._share_thread(topic)
        for _ in range(CHATTER_THREADS):
            self._chatter_thread()
        self._system_events()
        self._edits_and_deletions()
        self.threads.sort(key=lambda thread: thread.root.created_ms)
        return self.threads

    # --- people ---

    def _stamp(self, ms: int) -> int:
        """A millisecond no other message has: Graph message ids are creation timestamps."""
        while ms in self.used_ms:
            ms += 1
        self.used_ms.add(ms)
        return ms

    def _pick(self, pool: Sequence[Employee], at_ms: int, exclude: set[str]) -> Employee | None:
        for _ in range(30):
            person = self.rng.choice(pool)
            if person.id not in exclude and person.active_at(at_ms):
                return person
        return None

    def _home(self, topic: TopicVocabulary) -> DemoChannel:
        return self.org.topic_channel(topic.channel)

    def _home_department(self, topic: TopicVocabulary) -> str:
        return topic.expert_departments[0]

    def _asker(self, topic: TopicVocabulary, at_ms: int) -> Employee:
        rng = self.rng
        rising = self.org.rising.get(topic.key)
        # Before rising, the newcomer is one of the people asking about the topic.
        if rising is not None and at_ms < self.rise_start_ms and rng.random() < 0.05:
            return rising
        home = self.org.departments[self._home_department(topic)]
        pool = self.everyone if rng.random() < topic.cross_team else home
        asker = self._pick(pool, at_ms, self.expert_ids[topic.key] | self.generalist_ids)
        return asker or self._pick(self.everyone, at_ms, set()) or self.org.people[0]

    def _answerer(self, topic: TopicVocabulary, at_ms: int, exclude: set[str]) -> Employee | None:
        rng = self.rng
        rising = self.org.rising.get(topic.key)
        if rising is not None and rising.id not in exclude:
            if at_ms >= self.rise_start_ms:
                progress = (at_ms - self.rise_start_ms) / (self.now_ms - self.rise_start_ms)
                chance = 0.15 + 0.5 * progress
            else:
                chance = 0.015
            if rng.random() < chance:
                return rising
        experts = [e for e in self.org.experts[topic.key] if e.id not in exclude and e.active_at(at_ms)]
        if experts and rng.random() < 0.72:
            weights = (1.0, 0.65, 0.45)[: len(experts)]
            return rng.choices(experts, weights=weights)[0]
        return self._answerer_from_pool(topic, at_ms, exclude)

    def _is_expert(self, topic: TopicVocabulary, person: Employee, at_ms: int) -> bool:
        rising = self.org.rising.get(topic.key)
        return person.id in self.expert_ids[topic.key] or (
            rising is not None and rising is person and at_ms >= self.rise_start_ms
        )

    def _language(self, channel: DemoChannel, author: Employee) -> Language:
        if not author.speaks_finnish:
            return "en"
        return "fi" if self.rng.random() < FINNISH_BY_CHANNEL[channel.language] else "en"

    @staticmethod
    def _reply_language(thread_language: Language, author: Employee) -> Language:
        return "fi" if thread_language == "fi" and author.speaks_finnish else "en"

    # --- messages ---

    def _delay(self, median_minutes: float, sigma: float = 1.1) -> int:
        minutes = min(self.rng.lognormvariate(math.log(median_minutes), sigma), 4 * 24 * 60)
        return max(MINUTE_MS, int(minutes * MINUTE_MS)) + self.rng.randrange(MINUTE_MS)

    def _root(
        self, channel: DemoChannel, author: Employee, at_ms: int, language: Language, text: str
    ) -> Thread:
        thread = Thread(channel, Draft(author, self._stamp(at_ms), language, text))
        self.threads.append(thread)
        return thread

    def _reply(self, thread: Thread, author: Employee, text: str, median_minutes: float) -> Draft | None:
        """Add a reply after the thread's last message, or close the thread if it would fall after `now`."""
        if thread.closed:
            return None
        at_ms = thread.last_ms + self._delay(median_minutes)
        if at_ms >= self.now_ms:
            thread.closed = True
            return None
        if not author.active_at(at_ms):  # they have left the company by then
            return None
        language = self._reply_language(thread.root.language or "en", author)
        draft = Draft(author, self._stamp(at_ms), language, text)
        thread.replies.append(draft)
        return draft

    def _text(self, pools: Mapping[str, tuple[str, ...]], language: Language) -> str:
        return self.rng.choice(pools[language])

    def _maybe_plain(self, draft: Draft, chance: float = 0.12) -> None:
        # Graph keeps mentions, links and emoji only in HTML bodies; a plain message has none of them.
        if draft.mention is None and draft.link is None and draft.code is None and "{e:" not in draft.text:
            draft.plain = self.rng.random() < chance

    def _react(
        self, draft: Draft, channel: DemoChannel, count: int, social: bool, first: Employee | None = None
    ) -> None:
        rng = self.rng
        types = SOCIAL_REACTIONS if social else ANSWER_REACTIONS
        taken = {draft.author.id} if draft.author else set()
        people: list[Employee] = []
        if first is not None and first.id not in taken:
            people.append(first)
            taken.add(first.id)
        pool = channel.members if rng.random() < 0.75 else self.everyone
        for person in rng.sample(pool, min(len(pool), count + 4)):
            if len(people) >= count + (1 if first is not None else 0):
                break
            if person.id not in taken:
                people.append(person)
                taken.add(person.id)
        if social:
            for generalist in self.org.generalists:
                if generalist.id not in taken and rng.random() < 0.3:
                    people.append(generalist)
                    taken.add(generalist.id)
        for person in people:
            at_ms = draft.created_ms + self._delay(25, 1.3)
            if at_ms < self.now_ms and person.active_at(at_ms):
                reaction_type, display = rng.choice(types)
                draft.reactions.append((person, reaction_type, display, at_ms))
        draft.reactions.sort(key=lambda reaction: reaction[3])

    def _fill_tip(self, template: str, topic: TopicVocabulary, language: Language) -> str:
        tips = topic.tips_fi if language == "fi" else topic.tips_en
        return template.replace("{tip}", self.rng.choice(tips))

    def _fill_term(self, template: str, topic: TopicVocabulary, language: Language) -> str:
        # Finnish writers mix Finnish words with the English jargon; English writers use only the latter.
        terms = topic.terms[:8] + topic.terms_fi[:6] if language == "fi" else topic.terms[:10]
        return template.replace("{term}", self.rng.choice(terms))

    # --- questions and answers ---

    def _question_thread(self, topic: TopicVocabulary) -> None:
        rng = self.rng
        at_ms = self.clock.sample()
        asker = self._asker(topic, at_ms)
        channel = self._home(topic)
        own = self.team_general.get(asker.department)
        if own is not None and own.team is not channel.team and rng.random() < 0.15:
            channel = own  # asked in the asker's own team: the expert still comes over to answer
        language = self._language(channel, asker)
        experts = self.org.experts[topic.key]
        mentioned = rng.choice(experts) if rng.random() < 0.15 else None
        thread = self._root(channel, asker, at_ms, language, self._question_text(topic, language, mentioned))
        thread.topic = topic.key
        root = thread.root
        root.mention = mentioned
        if rng.random() < 0.38:
            root.subject = self._fill_term(rng.choice(QUESTION_SUBJECTS[language]), topic, language)
        self._maybe_plain(root)

        outcome = rng.random()
        if outcome < 0.09:  # nobody answered
            if rng.random() < 0.3:
                self._react(root, channel, rng.randint(1, 2), social=True)
            return
        if outcome < 0.12:  # only others with the same question
            for _ in range(rng.randint(1, 3)):
                other = self._pick(channel.members, at_ms, {asker.id} | self.expert_ids[topic.key])
                if other is not None:
                    self._reply(
                        thread, other, self._text(PLUS_ONES, self._reply_language(language, other)), 240
                    )
            self._react(root, channel, rng.randint(1, 4), social=False)
            return
        if rng.random() < 0.25:
            self._react(root, channel, rng.randint(1, 3), social=False)

        exclude = {asker.id}
        first = (
            mentioned
            if mentioned is not None and rng.random() < 0.9
            else self._answerer(topic, at_ms, exclude)
        )
        if first is None:
            return
        if rng.random() < 0.04:
            self._pointer(thread, topic, at_ms, exclude | {first.id})
        first_is_expert = self._is_expert(topic, first, at_ms)
        if first_is_expert and rng.random() < 0.2:
            weak = self._answerer_from_pool(topic, at_ms, exclude | {first.id})
            if weak is not None:
                self._answer(thread, topic, weak, expert=False, asker=asker)
        best, useful = self._answer(thread, topic, first, expert=first_is_expert, asker=asker)
        if best is None:
            return
        if first_is_expert and rng.random() < 0.25:
            question, reply = rng.choice(FOLLOW_UPS[language])
            follow = self._reply(thread, asker, self._fill_term(question, topic, language), 20)
            # the reply pairs with the question, so it is given only in the thread's language
            if (
                follow is not None
                and self._reply_language(language, first) == language
                and rng.random() < 0.85
            ):
                again = self._reply(thread, first, self._fill_tip(reply, topic, language), 25)
                if again is not None:
                    again.link = rng.choice(topic.links) if "{link}" in reply else None
                    self._react(again, channel, rng.randint(0, 3), social=False, first=asker)
        if rng.random() < 0.2:
            second = self._answerer(topic, at_ms, exclude | {first.id})
            if second is not None:
                self._answer(thread, topic, second, expert=self._is_expert(topic, second, at_ms), asker=asker)
        if rng.random() < 0.07:
            other = self._pick(channel.members, at_ms, {asker.id, first.id})
            if other is not None:
                self._reply(thread, other, self._text(PLUS_ONES, self._reply_language(language, other)), 120)
        if rng.random() < (0.68 if first_is_expert else 0.25 if useful else 0.0):
            thanks_language = self._reply_language(language, asker)
            thanks = self._reply(thread, asker, self._text(THANKS, thanks_language), 30)
            if thanks is not None:
                if "{m}" in thanks.text:
                    thanks.mention = first
                self._maybe_plain(thanks, 0.2)
                if rng.random() < 0.3:
                    self._react(thanks, channel, 0, social=False, first=first)

    def _question_text(self, topic: TopicVocabulary, language: Language, mentioned: Employee | None) -> str:
        rng = self.rng
        how = rng.choice(topic.how_fi if language == "fi" else topic.how_en)
        question = rng.choice(QUESTION_FRAMES[language]).replace("{how}", how)
        problems = topic.problems_fi if language == "fi" else topic.problems_en
        problem = rng.choice(problems) if rng.random() < 0.6 else None
        sentences = [problem, question] if problem and rng.random() < 0.5 else [question, problem]
        first, second = sentences[0] or "", sentences[1]
        if rng.random() < 0.35:
            first = rng.choice(GREETINGS[language]) + first
        text = first
        if second:
            text += rng.choice((" ", " ", " ", "\n", "\n\n")) + second
        extras = []
        if mentioned is not None:
            extras.append(rng.choice(ASK_EXPERT[language]))
        if rng.random() < 0.35:
            extras.append(rng.choice(QUESTION_CLOSINGS[language]))
        if extras:
            text += rng.choice((" ", "\n\n")) + " ".join(extras)
        return text

    def _answerer_from_pool(self, topic: TopicVocabulary, at_ms: int, exclude: set[str]) -> Employee | None:
        """A colleague from the topic's home department who is neither an expert, rising nor a generalist."""
        home = self.org.departments[self._home_department(topic)]
        return self._pick(home, at_ms, exclude | self.special_ids)

    def _answer(
        self, thread: Thread, topic: TopicVocabulary, author: Employee, *, expert: bool, asker: Employee
    ) -> tuple[Draft | None, bool]:
        """Answer in the thread; returns the reply and whether it holds a real tip (vague replies don't)."""
        rng = self.rng
        language = self._reply_language(thread.root.language or "en", author)
        tips = topic.tips_fi if language == "fi" else topic.tips_en
        mention: Employee | None = None
        link: tuple[str, str] | None = None
        code: tuple[str, str] | None = None
        useful = True
        if expert:
            chosen = rng.sample(tips, 2 if rng.random() < 0.35 else 1)
            text = rng.choice(ANSWER_OPENERS[language]) + " ".join(chosen)
            if topic.snippets and rng.random() < 0.25:
                code = rng.choice(topic.snippets)
            if rng.random() < 0.5:
                closer = rng.choice(ANSWER_CLOSERS[language])
                if "{link}" in closer:
                    link = rng.choice(topic.links)
                text += "\n\n" + closer
            reactions = rng.choice((1, 2, 2, 3, 3, 4, 5, 6, 8))
        elif rng.random() < 0.5:
            text = rng.choice(VAGUE_ANSWERS[language])
            reactions = rng.choice((0, 0, 0, 1))
            useful = False
        else:
            text = self._fill_tip(rng.choice(HEDGED_ANSWERS[language]), topic, language)
            if "{m}" in text:
                mention = rng.choice(self.org.experts[topic.key])
            reactions = rng.choice((0, 0, 1, 1, 2))
        draft = self._reply(thread, author, text, 35 if expert else 50)
        if draft is None:
            return None, False
        draft.mention, draft.link, draft.code = mention, link, code
        self._maybe_plain(draft)
        asker_reacts = asker if expert and rng.random() < 0.6 else None
        self._react(draft, thread.channel, reactions, social=False, first=asker_reacts)
        return draft, useful

    def _pointer(self, thread: Thread, topic: TopicVocabulary, at_ms: int, exclude: set[str]) -> None:
        rng = self.rng
        pointing = self._pick(self.org.generalists, at_ms, exclude)
        if pointing is None:
            return
        language = self._reply_language(thread.root.language or "en", pointing)
        draft = self._reply(thread, pointing, rng.choice(POINTERS[language]), 15)
        if draft is not None:
            draft.mention = rng.choice(self.org.experts[topic.key])

    # --- tips, chatter and events ---

    def _share_thread(self, topic: TopicVocabulary) -> None:
        rng = self.rng
        at_ms = self.clock.sample()
        rising = self.org.rising.get(topic.key)
        if rng.random() < 0.55:
            author = rng.choice(self.org.experts[topic.key])
        elif rising is not None and at_ms >= self.rise_start_ms and rng.random() < 0.5:
            author = rising
        else:
            home = self.org.departments[self._home_department(topic)]
            author = self._pick(home, at_ms, self.special_ids) or rng.choice(self.org.experts[topic.key])
        channel = self._home(topic)
        language = self._language(channel, author)
        template = self._fill_term(
            self._fill_tip(rng.choice(SHARES[language]), topic, language), topic, language
        )
        thread = self._root(channel, author, at_ms, language, template)
        thread.topic = topic.key
        if "{link}" in template:
            thread.root.link = rng.choice(topic.links)
        self._react(thread.root, channel, rng.randint(1, 7), social=False)
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            other = self._pick(channel.members, at_ms, {author.id})
            if other is not None:
                reply = self._reply(
                    thread, other, self._text(SHARE_REPLIES, self._reply_language(language, other)), 60
                )
                if reply is not None:
                    self._maybe_plain(reply, 0.25)

    def _chatter_thread(self) -> None:
        rng = self.rng
        org = self.org
        at_ms = self.clock.sample()
        kind = rng.random()
        if kind < 0.38:
            author = self._pick(org.generalists, at_ms, set()) or org.generalists[0]
            announce = rng.random() < 0.45
            where = rng.random()
            if where < 0.4:
                channel = rng.choice(self.company_channels)
            elif where < 0.65:
                channel = self.team_general.get(author.department, self.announcements)
            else:
                channel = rng.choice(org.channels)
        elif kind < 0.5:
            department = rng.choice(sorted(org.heads))
            author = org.heads[department]
            announce = True
            channel = self.team_general.get(department, self.announcements)
            if rng.random() < 0.15:
                channel = self.announcements
        else:
            author = self._pick(self.everyone, at_ms, set()) or org.people[0]
            announce = False
            where = rng.random()
            own = self.team_general.get(author.department)
            channel = (
                own
                if own is not None and where < 0.5
                else self.coffee_room
                if where < 0.85
                else self.company_channels[0]
            )
        language = self._language(channel, author)
        if announce:
            subject, text = rng.choice(ANNOUNCEMENTS[language])
        else:
            subject, text = None, rng.choice(CHATTER[language])
        mention = self._pick(channel.members, at_ms, {author.id}) if "{m}" in text else None
        if "{m}" in text and mention is None:
            text = CHATTER[language][0]  # nobody to name: post something that names nobody
        thread = self._root(channel, author, at_ms, language, text)
        root = thread.root
        root.mention = mention
        if announce:
            root.subject = subject if rng.random() < 0.7 else None
            root.importance = "high" if rng.random() < 0.1 else "normal"
        self._maybe_plain(root, 0.15)
        self._react(root, channel, rng.randint(3, 15) if announce else rng.randint(0, 8), social=True)
        for _ in range(rng.choice((0, 1, 1, 2, 3) if announce else (0, 0, 1, 1, 2, 2, 3, 4, 5))):
            pool = org.generalists if rng.random() < 0.35 else channel.members
            other = self._pick(pool, at_ms, {author.id})
            if other is None:
                continue
            reply = self._reply(
                thread, other, self._text(CHATTER_REPLIES, self._reply_language(language, other)), 20
            )
            if reply is not None:
                self._maybe_plain(reply, 0.2)
                self._react(reply, channel, rng.choice((0, 0, 1, 2)), social=True)

    def _system_events(self) -> None:
        rng = self.rng
        org = self.org
        department_teams = [t for t in org.teams if t.department]
        for _ in range(MEMBERS_ADDED_EVENTS):
            team = rng.choice(department_teams)
            department = team.department or ""
            at_ms = self.clock.sample()
            added = rng.sample(org.departments[department], rng.randint(1, 2))
            detail = {
                "@odata.type": "#microsoft.graph.membersAddedEventMessageDetail",
                "visibleHistoryStartDateTime": "0001-01-01T00:00:00Z",
                "members": [self._identity(p, name=False) for p in added],
                "initiator": self._initiator(org.heads[department]),
            }
            self._event(org.channel(team, "General"), at_ms, detail)
        for _ in range(DESCRIPTION_EVENTS):
            team = rng.choice(department_teams)
            detail = {
                "@odata.type": "#microsoft.graph.teamDescriptionUpdatedEventMessageDetail",
                "teamId": team.id,
                "teamDescription": team.description,
                "initiator": self._initiator(org.heads[team.department or ""]),
            }
            self._event(org.channel(team, "General"), self.clock.sample(), detail)
        for _ in range(DESCRIPTION_EVENTS):
            team = rng.choice(department_teams)
            channel = rng.choice(team.channels[1:])
            detail = {
                "@odata.type": "#microsoft.graph.channelDescriptionUpdatedEventMessageDetail",
                "channelId": channel.id,
                "channelDescription": channel.description,
                "initiator": self._initiator(org.heads[team.department or ""]),
            }
            self._event(channel, self.clock.sample(), detail)

    def _identity(self, person: Employee, *, name: bool) -> dict[str, Any]:
        return {
            "@odata.type": "#microsoft.graph.teamworkUserIdentity",
            "id": person.id,
            "displayName": person.display_name if name else None,
            "userIdentityType": "aadUser",
            "tenantId": self.tenant_id,
        }

    def _initiator(self, person: Employee) -> dict[str, Any]:
        return {"application": None, "device": None, "user": self._identity(person, name=False)}

    def _event(self, channel: DemoChannel, at_ms: int, detail: dict[str, Any]) -> None:
        draft = Draft(None, self._stamp(at_ms), None, "", event_detail=detail)
        self.threads.append(Thread(channel, draft))

    def _edits_and_deletions(self) -> None:
        """Edit about 3% of what people wrote and delete about 1%, as colleagues do."""
        rng = self.rng
        for thread in self.threads:
            for draft in (thread.root, *thread.replies):
                if draft.author is None:
                    continue
                roll = rng.random()
                if roll < (0.004 if draft is thread.root else 0.01):
                    deleted_ms = draft.created_ms + self._delay(90, 1.5)
                    if deleted_ms < self.now_ms:
                        draft.deleted_ms = deleted_ms
                elif roll < 0.035:
                    edited_ms = draft.created_ms + rng.randint(1, 40) * MINUTE_MS + rng.randrange(MINUTE_MS)
                    if edited_ms < self.now_ms:
                        draft.edited_ms = edited_ms
