"""Use case: a manager asks for their team summary; Seula checks they manage someone, audits the request and
builds the summary from the store."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.delivery import Outbox
from bot.model import Language, Person
from bot.processes import in_child_process
from bot.signals import find_questions
from bot.store import Store
from bot.summaries import (
    LOOKBACK,
    PERIOD_DAYS,
    QUESTION_MIN_AGE,
    DigestCounter,
    OrgDigest,
    SummaryRefused,
    TeamSummary,
    draft_team_summary,
    reports_of,
    summary_members,
)
from bot.visibility import PersonVisibility, VisibilityDefault, VisibilityPolicy
from cards.strings import say
from cards.summary_card import build_summary_card

logger = logging.getLogger(__name__)

AUDIT_ACTION = "team_summary"
DELIVERY_KIND = "summary"
PLANNED_CURSOR = "summary-monthly"  # when the monthly summaries were last planned
# The organization's word counts a summary weighs the team's against are counted at most this long ago: they
# move little in hours, and counting them reads half a year of everyone's messages.
DIGEST_MAX_AGE = timedelta(hours=6)
# Counted ahead of requests while summaries are in use: someone subscribed, or one was asked for lately.
DIGEST_KEPT_WARM = timedelta(days=7)
_DIGEST_BATCH = 5000


class TeamSummaries:
    """Team summaries for managers, about their own reports only; every request is audited."""

    def __init__(
        self,
        store: Store,
        include_indirect_reports: bool,
        clock: Callable[[], datetime],
        visibility_default: VisibilityDefault = "visible",
        count_in_child: bool = False,
    ) -> None:
        self._store = store
        self._include_indirect = include_indirect_reports
        self._clock = clock
        self._visibility_default = visibility_default
        self._digest: OrgDigest | None = None
        # The bot counts its digest in a child process (the counting would hold the GIL for seconds); tests
        # and benchmarks may count here.
        self._count_in_child = count_in_child
        self._digest_lock = asyncio.Lock()
        self._last_asked: datetime | None = None  # the last summary built in this process
        self._directory_read: (
            tuple[tuple[object, ...], dict[str, Person], dict[str, PersonVisibility]] | None
        ) = None

    async def summarize(self, requester_id: str, monthly: bool = False) -> TeamSummary | SummaryRefused:
        """The requester's team summary, or a refusal when they manage no one; audited either way
        (`monthly`: built for their subscription rather than asked for)."""
        now = self._clock()
        people, choices = await self._directory()
        team = reports_of(requester_id, people, self._include_indirect)
        granted = bool(team)
        # Who asked and whether they were answered: never what the summary said.
        detail: dict[str, object] = {"requester": requester_id, "granted": granted}
        if not granted:
            detail["reason"] = "manages_no_one"
        if monthly:
            detail["via"] = "monthly"
        await self._store.record_audit(AUDIT_ACTION, detail, now)
        if not granted:
            return SummaryRefused(requester_id, "manages_no_one")
        # Who may not be shown: those who said hide me and, under the opt-in default, who never said show me.
        # Who is named, and for what, asks the same policy with the manager as the viewer.
        policy = VisibilityPolicy(self._visibility_default, choices, people)
        hidden = policy.unrecognisable()
        self._last_asked = now
        digest = await self.digest(now)
        # The team's own threads, read by author; everything beyond them comes from the organization's digest.
        since = now - LOOKBACK
        messages = await self._store.threads_of(summary_members(team, people, hidden), since, now)
        draft = await asyncio.to_thread(
            draft_team_summary, requester_id, team, messages, digest, people, hidden, now, PERIOD_DAYS, policy
        )
        # Open questions: the digest's candidates in the team's domain, read again with their threads now.
        threads = await self._store.threads(draft.open_question_keys(), since, now)
        questions = find_questions(
            [m for m in threads if m.is_people_writing],
            now - timedelta(days=PERIOD_DAYS),
            now,
            now,
            QUESTION_MIN_AGE,
        )
        # Quotes and links only from teams the manager could open in Teams (a private team's: members only).
        shown_teams = {m.team_id for m in messages} | {m.team_id for m in threads}
        unseen = (await self._store.team_access(requester_id)).unseen(shown_teams)
        return await asyncio.to_thread(draft.finish, questions, unseen)

    async def digest(self, now: datetime | None = None) -> OrgDigest:
        """The organization's digest for summaries at `now`: the one kept, unless it is older than
        DIGEST_MAX_AGE (or from later than `now`), else a new count."""
        now = now or self._clock()
        async with self._digest_lock:
            kept = self._digest
            if kept is None or not kept.at <= now < kept.at + DIGEST_MAX_AGE:
                self._digest = kept = await self._count_digest(now)
            return kept

    async def refresh_digest(self) -> bool:
        """Count a new digest ahead of requests while summaries are in use (someone subscribed, or one was
        built in the last DIGEST_KEPT_WARM) and the one kept will be too old within the hour; True if one was
        counted. Out of use, an expired digest is let go."""
        now = self._clock()
        kept = self._digest
        if kept is not None and kept.at <= now < kept.at + DIGEST_MAX_AGE - timedelta(hours=1):
            return False
        asked_lately = self._last_asked is not None and now - self._last_asked < DIGEST_KEPT_WARM
        if not asked_lately and not await self._store.summary_subscriptions():
            if kept is not None and not kept.at <= now < kept.at + DIGEST_MAX_AGE:
                self._digest = None
            return False
        async with self._digest_lock:
            self._digest = await self._count_digest(now)
        return True

    def drop_digest(self) -> None:
        """Let the kept digest go (after an erasure, so the next summary counts without their messages)."""
        self._digest = None

    async def _count_digest(self, now: datetime) -> OrgDigest:
        """Count the digest: in a child process of its own when so built (the counting holds the GIL for
        seconds per 100,000 messages, and the bot's queries would wait for it), else here."""
        started = time.perf_counter()
        url = self._store.connection_url()
        if self._count_in_child and ":memory:" not in url:
            digest = await in_child_process(
                "Counting the summaries' digest",
                count_digest_in_child,
                (url, now),
                lambda: count_digest(self._store, now),
            )
        else:
            digest = await count_digest(self._store, now)
        logger.info(
            "Counted the organization's digest for team summaries (%d messages in %d days) in %.1f s",
            digest.totals[max(digest.totals)],
            max(digest.totals),
            time.perf_counter() - started,
        )
        return digest

    async def manages_someone(self, person_id: str) -> bool:
        """Whether the person has anyone reporting to them (who may subscribe to the summary)."""
        people, _ = await self._directory()
        return bool(reports_of(person_id, people, self._include_indirect))

    async def _directory(self) -> tuple[dict[str, Person], dict[str, PersonVisibility]]:
        """Everyone and their visibility choices, read again only when either changed
        (`Store.directory_version`): reading 10,000 people took half of a summary's second."""
        version = await self._store.directory_version()
        if self._directory_read is None or self._directory_read[0] != version:
            self._directory_read = (
                version,
                await self._store.people(),
                await self._store.visibility_choices(),
            )
        return self._directory_read[1], self._directory_read[2]

    async def is_subscribed(self, manager_id: str) -> bool:
        return manager_id in await self._store.summary_subscriptions()

    async def subscribe(self, manager_id: str, language: str) -> bool:
        """Subscribe a manager to the monthly summary; False (nothing stored) when they manage no one."""
        if not await self.manages_someone(manager_id):
            return False
        await self._store.subscribe_summary(manager_id, language, self._clock())
        return True

    async def unsubscribe(self, manager_id: str) -> bool:
        return await self._store.unsubscribe_summary(manager_id)

    async def plan_monthly(self, outbox: Outbox) -> int:
        """Plan this month's summary for every subscriber, once a month; return how many were planned.

        Idempotent: the outbox keeps one message per (kind, manager, month), and the cursor spares the work
        of building summaries again once this month's are planned. A subscriber who no longer manages
        anyone gets nothing (the refusal is audited)."""
        now = self._clock()
        month = f"{now:%Y-%m}"
        last = await self._store.cursor(PLANNED_CURSOR)
        if last is not None and f"{last:%Y-%m}" == month:
            return 0
        planned = 0
        for manager_id, stored_language in (await self._store.summary_subscriptions()).items():
            language: Language = "fi" if stored_language == "fi" else "en"
            summary = await self.summarize(manager_id, monthly=True)
            if isinstance(summary, SummaryRefused):
                continue
            card = build_summary_card(summary, language, subscribed=True)
            text = say(language, "summary.monthly")
            if await outbox.enqueue(DELIVERY_KIND, manager_id, month, now, dict(card), text):
                planned += 1
        await self._store.set_cursor(PLANNED_CURSOR, now)
        logger.info("Planned %d monthly team summaries for %s", planned, month)
        return planned


async def count_digest(store: Store, now: datetime) -> OrgDigest:
    """Stream the organization's last half-year of messages through a `DigestCounter` (the counting in a
    worker thread, a batch at a time, so the event loop keeps serving)."""
    counter = DigestCounter(now, PERIOD_DAYS)
    roots: list[tuple[str, str, str | None, str]] = []
    async for root in store.iter_thread_roots(now - LOOKBACK, counter.since, now):
        roots.append(root)
        if len(roots) >= _DIGEST_BATCH:
            await asyncio.to_thread(_count_roots, counter, roots)
            roots = []
    await asyncio.to_thread(_count_roots, counter, roots)
    batch: list[tuple[str, str, str | None, str, datetime, str | None, str]] = []
    async for row in store.iter_writing(counter.since, now):
        batch.append(row)
        if len(batch) >= _DIGEST_BATCH:
            await asyncio.to_thread(_count_messages, counter, batch)
            batch = []
    await asyncio.to_thread(_count_messages, counter, batch)
    return counter.digest()


def count_digest_in_child(database_url: str, now: datetime) -> OrgDigest:
    """`count_digest` in a process of its own, over its own connection to the store."""

    async def count() -> OrgDigest:
        store = await Store.open(database_url)
        try:
            return await count_digest(store, now)
        finally:
            await store.close()

    return asyncio.run(count())


def _count_roots(counter: DigestCounter, roots: Sequence[tuple[str, str, str | None, str]]) -> None:
    for channel_id, root_id, subject, text in roots:
        counter.question_thread(channel_id, root_id, subject, text)


def _count_messages(
    counter: DigestCounter, rows: Sequence[tuple[str, str, str | None, str, datetime, str | None, str]]
) -> None:
    for row in rows:
        counter.add(*row)
