"""Weekly nudges over the store: plans this week's, records what people decide, measures outcomes."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot.delivery import Outbox
from bot.expert_finder import ExpertFinder
from bot.model import Language, Person
from bot.nudge_records import GOAL_CHOICES_DAYS, NudgeOutcomes, NudgeSettings, OfferedPrompt
from bot.nudges import (
    QUESTION_WINDOW,
    Nudge,
    NudgePlanner,
    QuestionPool,
    QuotingRule,
    contribution_counter,
    detect_outcomes,
    iso_week,
    language_of,
    plan_nudges,
    question_text,
)
from bot.processes import in_child_process
from bot.send_time import next_weekly_send_time
from bot.signals import Question, YearOfContributions, find_questions, is_question
from bot.store import Store
from cards.elements import Element
from cards.nudge_card import build_nudge_card, build_reminder_card, nudge_summary, reminder_summary

logger = logging.getLogger(__name__)

HISTORY = timedelta(days=366)  # rising needs the 12 weeks before now and the 40 weeks before those
PLAN_BATCH = 100  # candidates whose year of messages a plan holds at once
QUESTION_THREADS_BATCH = 1000  # question threads a plan holds at once, to find which were answered
REMIND_CHOICES_DAYS = (1, 3, 7)
MAX_SNOOZE = timedelta(days=366)
NUDGE_KIND = "nudge"  # the outbox's kind: (kind, recipient, ISO week) is sent at most once
EARLIEST_OFFSET = timedelta(hours=14)  # the earliest timezone (UTC+14) starts its week this much sooner
REMINDER_KIND = "nudge-reminder"  # (kind, recipient, prompt) is sent at most once


@dataclass(frozen=True, slots=True)
class NudgeRun:
    """What one sending run queued, and what it left for later."""

    queued: int
    reminders: int
    not_due: int
    unreachable: int

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class PlannedNudge:
    """A nudge and whether Seula can deliver it (the person has a personal conversation with the bot)."""

    nudge: Nudge
    reachable: bool


class Nudger:
    """Weekly nudges: the planner over the store's snapshot, and each person's own choices."""

    def __init__(
        self,
        store: Store,
        finder: ExpertFinder,
        default_on: bool,
        default_language: Language,
        clock: Callable[[], datetime],
        count_in_child: bool = False,
    ) -> None:
        self._store = store
        self._finder = finder
        self._count_in_child = count_in_child
        self._default_on = default_on
        self._default_language = default_language
        self._clock = clock
        # Who this process has planned a week's nudge for at their send time, by ISO week: planning reads a
        # year of everyone's messages, so a run in which no one new is due skips it.
        self._considered: dict[str, frozenset[str]] = {}

    async def plan(self, now: datetime | None = None) -> list[PlannedNudge]:
        """This week's nudge for everyone due one and not yet nudged this week (nothing is recorded).

        Never holds the year's messages: everyone's contributions are counted from narrow rows, the last
        `QUESTION_WINDOW`'s question threads are read once, and candidates' own messages a batch at a time.
        """
        now = now or self._clock()
        since = now - HISTORY
        people = await self._store.people()
        public = await self._store.public_channel_ids()
        # The policy governs what the nudges quote; not who gets one (a nudge is its recipient's alone).
        policy = await self._finder.visibility()
        year = await self._count_contributions(people, now)
        # Every thread rooted in a public channel in the question window whose root asks something (what
        # `find_questions` keeps; it decides again over the threads).
        asked_since = now - QUESTION_WINDOW
        keys = [
            (channel_id, root_id)
            async for channel_id, root_id, subject, text in self._store.iter_thread_roots(
                asked_since, asked_since, now
            )
            if channel_id in public and is_question(" ".join(part for part in (subject, text) if part))
        ]
        asked: list[Question] = []
        for start in range(0, len(keys), QUESTION_THREADS_BATCH):
            threads = await self._store.threads(keys[start : start + QUESTION_THREADS_BATCH], since, None)
            asked.extend(await asyncio.to_thread(find_questions, threads, asked_since, now, now))
        # In `find_questions`' own order over all of them: newest first.
        asked.sort(key=lambda q: (q.message.created_at, q.message.id), reverse=True)
        questions = QuestionPool(asked, public, QuotingRule(policy, people))
        candidates = NudgePlanner(
            (), people, public, now, self._default_language, policy, year=year, questions=questions
        ).candidates(
            await self._store.nudge_settings(),
            await self._store.nudged_people(iso_week(now)),
            self._default_on,
        )
        offered = await self._store.offered_questions()
        accepted: dict[str, list[OfferedPrompt]] = defaultdict(list)
        for prompt in await self._store.open_prompts():
            accepted[prompt.person_id].append(prompt)
        # The planner looks questions up by key and by team: their roots are all it needs of their threads.
        roots = [question.message for question, _ in questions.questions]
        nudges: list[Nudge] = []
        for start in range(0, len(candidates), PLAN_BATCH):
            batch = candidates[start : start + PLAN_BATCH]
            ids = [c.person.id for c in batch]
            own = await self._store.messages_of(ids, since)
            # What their follow-ups show: the questions they promised to write about, and what they posted.
            followed: set[tuple[str, str]] = set()
            for prompt in (p for person_id in ids for p in accepted.get(person_id, ())):
                followed.add((prompt.channel_id, prompt.message_id))
                if prompt.outcome_message_id:
                    followed.add((prompt.outcome_channel_id or "", prompt.outcome_message_id))
            shown = [
                m for m in (await self._store.messages_by_key(followed)).values() if m.created_at >= since
            ]
            # `messages_by_key` reads no reactions: a message read twice is kept as read with them. In the
            # store's order, by (channel id, id), which the planner's ties fall back on.
            held = {(m.channel_id, m.id): m for m in (*shown, *roots, *own)}
            messages = [held[key] for key in sorted(held)]
            planner = NudgePlanner(
                messages,
                people,
                public,
                now,
                self._default_language,
                policy,
                year=year,
                questions=questions,
            )
            topics = {c.person.id: await self._finder.topics_of(c.person.id, limit=8) for c in batch}
            # Prompts link questions: only from teams the recipient can open (a private team's, only to
            # members).
            team_ids = {m.team_id for m in messages}
            unseen = {
                c.person.id: (await self._store.team_access(c.person.id)).unseen(team_ids) for c in batch
            }
            nudges.extend(
                await asyncio.to_thread(
                    lambda: plan_nudges(planner, batch, topics, offered, accepted, unseen)  # noqa: B023
                )
            )
        # Reachable: a personal conversation with Seula, and Teams hasn't refused a message to them since.
        reachable = await self._store.personal_conversation_people() - await self._store.unreachable_people()
        return [PlannedNudge(nudge, nudge.recipient in reachable) for nudge in nudges]

    async def _count_contributions(self, people: Mapping[str, Person], now: datetime) -> YearOfContributions:
        """Everyone's contributions over the year: in a child process of its own when so built (counting
        holds the GIL for seconds per 100,000 messages, and the bot's queries would wait), else here."""
        url = self._store.connection_url()
        if self._count_in_child and ":memory:" not in url:
            return await in_child_process(
                "Counting contributions for nudges",
                count_contributions_in_child,
                (url, now),
                lambda: count_contributions(self._store, people, now),
            )
        return await count_contributions(self._store, people, now)

    async def claim(
        self, planned: Nudge, now: datetime | None = None, status: str = "queued"
    ) -> Element | None:
        """Record a person's nudge for its week and render its card; None if the week was claimed already.

        The delivery side calls this just before it enqueues the card, so a rerun or a second replica
        never sends a person two nudges in a week; the stored prompt ids go on the card's buttons.
        """
        now = now or self._clock()
        ids = await self._store.record_nudge(
            planned.recipient, planned.week, status, now, [p.planned() for p in planned.prompts]
        )
        return None if ids is None else build_nudge_card(planned, ids, now)

    async def enqueue(
        self, nudge: Nudge, outbox: Outbox, due_at: datetime, now: datetime | None = None
    ) -> bool:
        """Claim the person's week and put the card in the outbox for `due_at` (their local send time).

        Claimed first, queued second: a crash between the two loses that week's nudge rather than risking
        two (nudges are at most once a week). False if the week was claimed already.
        """
        card = await self.claim(nudge, now, status="queued")
        if card is None:
            return False
        return await outbox.enqueue(
            NUDGE_KIND, nudge.recipient, nudge.week, due_at, card, nudge_summary(nudge)
        )

    async def enqueue_due(
        self, outbox: Outbox, weekday: int, hour: int, default_timezone: str, now: datetime | None = None
    ) -> NudgeRun:
        """Queue this week's nudges whose send time (`weekday` at `hour`, each person's local time) has come.

        People Seula cannot reach yet are left for a later run: they are planned again when they install it.
        """
        now = now or self._clock()
        timezones = await self._store.timezones()
        week_start = datetime.combine(
            (now.astimezone(UTC) - timedelta(days=now.astimezone(UTC).weekday())).date(), time(), tzinfo=UTC
        )

        def send_time(person_id: str) -> datetime:
            # This week's send moment: the first at or after the week's start, wherever they are (UTC+14 too).
            return next_weekly_send_time(
                timezones.get(person_id), weekday, hour, week_start - EARLIEST_OFFSET, default_timezone
            )

        week = iso_week(now)
        due = await self._reachable_and_due(week, send_time, now)
        considered = self._considered.get(week)
        if considered is not None and due <= considered:
            # This week was planned, and for everyone whose send time has come since (a nudge or not): only
            # reminders can be due.
            reminders = await self.enqueue_reminders(outbox, now)
            return NudgeRun(queued=0, reminders=reminders, not_due=0, unreachable=0)
        queued = not_due = unreachable = 0
        for planned in await self.plan(now):
            if not planned.reachable:
                unreachable += 1
                continue
            moment = send_time(planned.nudge.recipient)
            if moment > now:
                not_due += 1
                continue
            queued += await self.enqueue(planned.nudge, outbox, due_at=moment, now=now)
        self._considered = {week: (considered or frozenset()) | due}  # earlier weeks are over
        reminders = await self.enqueue_reminders(outbox, now)
        if queued or reminders:
            logger.info("Nudges queued: %d (and %d reminders); %d not due yet", queued, reminders, not_due)
        return NudgeRun(queued=queued, reminders=reminders, not_due=not_due, unreachable=unreachable)

    async def _reachable_and_due(
        self, week: str, send_time: Callable[[str], datetime], now: datetime
    ) -> frozenset[str]:
        """Who could be sent this week's nudge now: reachable, not nudged this week, nudges on and not
        snoozed, and their send time has come (whether they are a candidate takes the year's messages)."""
        reachable = await self._store.personal_conversation_people() - await self._store.unreachable_people()
        settings = await self._store.nudge_settings()
        nudged = await self._store.nudged_people(week)
        return frozenset(
            person_id
            for person_id in reachable - nudged
            if (own := settings.get(person_id, NudgeSettings())).is_enabled(self._default_on)
            and not own.is_snoozed(now)
            and send_time(person_id) <= now
        )

    async def enqueue_reminders(self, outbox: Outbox, now: datetime | None = None) -> int:
        """Queue the reminders people asked for with "I'll write it" and haven't acted on; return how many.

        Outcomes are updated first, so no one is reminded of something they already posted.
        """
        now = now or self._clock()
        await self.update_outcomes(now)
        due = await self._store.due_reminders(now)
        if not due:
            return 0
        people = await self._store.people({p.person_id for p in due})
        public = await self._store.public_channel_ids()
        settings = await self._store.nudge_settings()
        quoting = QuotingRule(await self._finder.visibility(), await self._store.people())
        queued = 0
        for prompt in due:
            question = await self._store.message(prompt.channel_id, prompt.message_id)
            person = people.get(prompt.person_id)
            wanted = settings.get(prompt.person_id, NudgeSettings()).is_enabled(self._default_on)
            if (
                question is None
                or person is None
                or question.channel_id not in public
                or not wanted
                or not quoting.may_quote(question, prompt.person_id)
            ):
                # The question is gone, they stopped nudges, or its asker (or someone it names, or its topic
                # for them) has been hidden since: the reminder is dropped, not sent.
                await self._store.claim_reminder(prompt.id)
                continue
            if not await self._store.claim_reminder(prompt.id):
                continue
            language = language_of(person, self._default_language)
            card = build_reminder_card(question_text(question), question.web_url, language)
            queued += await outbox.enqueue(
                REMINDER_KIND, prompt.person_id, f"prompt-{prompt.id}", now, card, reminder_summary(language)
            )
        return queued

    async def update_outcomes(self, now: datetime | None = None) -> int:
        """Find the posts that prompts led to (and their reactions now); return how many changed."""
        now = now or self._clock()
        prompts = await self._store.open_prompts()
        if not prompts:
            return 0
        since = min(p.offered_at for p in prompts)
        # Only the prompted people's own posts can be an outcome: read by author, not everyone's weeks.
        messages = await self._store.messages_of({p.person_id for p in prompts}, since)
        public = await self._store.public_channel_ids()
        found = await asyncio.to_thread(detect_outcomes, prompts, messages, public)
        return await self._store.record_prompt_outcomes(found)

    async def outcomes(self) -> NudgeOutcomes:
        """Totals over everyone, for admins."""
        return await self._store.nudge_outcomes()

    # --- a person's own choices (always the acting person's, never an id from a card) ----------------------

    async def set_enabled(self, person_id: str, enabled: bool) -> None:
        await self._store.update_nudge_settings(person_id, enabled=enabled, snoozed_until=None)

    async def snooze(self, person_id: str, until: datetime) -> bool:
        """Pause nudges until `until`; False if that is not in the coming year."""
        now = self._clock()
        if not now < until <= now + MAX_SNOOZE:
            return False
        await self._store.update_nudge_settings(person_id, snoozed_until=until)
        return True

    async def set_goal(self, person_id: str, every_days: int) -> bool:
        if every_days not in GOAL_CHOICES_DAYS:
            return False
        await self._store.update_nudge_settings(person_id, goal_days=every_days)
        return True

    async def accept(self, person_id: str, prompt_id: int, remind_in_days: int) -> bool:
        """ "I'll write it": remember the promise and when to remind; False if the prompt isn't theirs."""
        if remind_in_days not in REMIND_CHOICES_DAYS:
            return False
        now = self._clock()
        return await self._store.decide_prompt(
            person_id, prompt_id, "accepted", now, remind_at=now + timedelta(days=remind_in_days)
        )

    async def dismiss(self, person_id: str, prompt_id: int) -> bool:
        """ "Not this one": never offer this question again."""
        return await self._store.decide_prompt(person_id, prompt_id, "dismissed", self._clock())


async def count_contributions(
    store: Store, people: Mapping[str, Person], now: datetime
) -> YearOfContributions:
    """Everyone's contributions over the year before `now`, counted from the store's narrow rows."""
    counter = contribution_counter(people, now)
    since = now - HISTORY
    async for author_id, created_at, starter_id in store.iter_written(since, now):
        counter.written(author_id, created_at, starter_id)
    async for author_id, created_at, reactor_id in store.iter_reactions_received(since, now):
        counter.reacted(author_id, created_at, reactor_id)
    return counter.result()


def count_contributions_in_child(database_url: str, now: datetime) -> YearOfContributions:
    """`count_contributions` in a process of its own, over its own connection to the store."""

    async def count() -> YearOfContributions:
        store = await Store.open(database_url)
        try:
            return await count_contributions(store, await store.people(), now)
        finally:
            await store.close()

    return asyncio.run(count())
