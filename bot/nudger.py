"""Weekly nudges over the store: plans this week's, records what people decide, measures outcomes."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from bot.delivery import Outbox
from bot.expert_finder import ExpertFinder
from bot.model import Language
from bot.nudge_records import GOAL_CHOICES_DAYS, NudgeOutcomes, NudgeSettings, OfferedPrompt
from bot.nudges import (
    Nudge,
    NudgePlanner,
    QuotingRule,
    detect_outcomes,
    iso_week,
    language_of,
    plan_nudges,
    question_text,
)
from bot.send_time import next_weekly_send_time
from bot.store import Store
from cards.elements import Element
from cards.nudge_card import build_nudge_card, build_reminder_card, nudge_summary, reminder_summary

logger = logging.getLogger(__name__)

HISTORY = timedelta(days=366)  # rising needs the 12 weeks before now and the 40 weeks before those
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
    ) -> None:
        self._store = store
        self._finder = finder
        self._default_on = default_on
        self._default_language = default_language
        self._clock = clock
        # Who this process has planned a week's nudge for at their send time, by ISO week: planning reads a
        # year of everyone's messages, so a run in which no one new is due skips it.
        self._considered: dict[str, frozenset[str]] = {}

    async def plan(self, now: datetime | None = None) -> list[PlannedNudge]:
        """This week's nudge for everyone due one and not yet nudged this week (nothing is recorded)."""
        now = now or self._clock()
        messages = [m async for m in self._store.iter_messages(since=now - HISTORY)]
        people = await self._store.people()
        public = await self._store.public_channel_ids()
        # The policy governs what the nudges quote; not who gets one (a nudge is its recipient's alone).
        policy = await self._finder.visibility()
        planner = NudgePlanner(messages, people, public, now, self._default_language, policy)
        candidates = await asyncio.to_thread(
            planner.candidates,
            await self._store.nudge_settings(),
            await self._store.nudged_people(planner.week),
            self._default_on,
        )
        topics = {c.person.id: await self._finder.topics_of(c.person.id, limit=8) for c in candidates}
        offered = await self._store.offered_questions()
        accepted: dict[str, list[OfferedPrompt]] = defaultdict(list)
        for prompt in await self._store.open_prompts():
            accepted[prompt.person_id].append(prompt)
        # Prompts link questions: only from teams the recipient can open (a private team's, only to members).
        team_ids = {m.team_id for m in messages}
        unseen = {
            c.person.id: (await self._store.team_access(c.person.id)).unseen(team_ids) for c in candidates
        }
        nudges = await asyncio.to_thread(
            lambda: plan_nudges(planner, candidates, topics, offered, accepted, unseen)
        )
        # Reachable: a personal conversation with Seula, and Teams hasn't refused a message to them since.
        reachable = await self._store.personal_conversation_people() - await self._store.unreachable_people()
        return [PlannedNudge(nudge, nudge.recipient in reachable) for nudge in nudges]

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
        messages = [m async for m in self._store.iter_messages(since=since)]
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
