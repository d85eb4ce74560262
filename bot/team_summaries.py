"""Use case: a manager asks for their team summary; Seula checks they manage someone, audits the request and
builds the summary from the store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from bot.delivery import Outbox
from bot.model import Language
from bot.store import Store
from bot.summaries import LOOKBACK, SummaryRefused, TeamSummary, build_team_summary, reports_of
from bot.visibility import VisibilityDefault, VisibilityPolicy
from cards.strings import say
from cards.summary_card import build_summary_card

logger = logging.getLogger(__name__)

AUDIT_ACTION = "team_summary"
DELIVERY_KIND = "summary"
PLANNED_CURSOR = "summary-monthly"  # when the monthly summaries were last planned


class TeamSummaries:
    """Team summaries for managers, about their own reports only; every request is audited."""

    def __init__(
        self,
        store: Store,
        include_indirect_reports: bool,
        clock: Callable[[], datetime],
        visibility_default: VisibilityDefault = "visible",
    ) -> None:
        self._store = store
        self._include_indirect = include_indirect_reports
        self._clock = clock
        self._visibility_default = visibility_default

    async def summarize(self, requester_id: str, monthly: bool = False) -> TeamSummary | SummaryRefused:
        """The requester's team summary, or a refusal when they manage no one; audited either way
        (`monthly`: built for their subscription rather than asked for)."""
        now = self._clock()
        people = await self._store.people()
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
        policy = VisibilityPolicy(self._visibility_default, await self._store.visibility_choices(), people)
        hidden = policy.unrecognisable()
        messages = [m async for m in self._store.iter_messages(since=now - LOOKBACK)]
        # Quotes and links only from teams the manager could open in Teams (a private team's: members only).
        unseen = (await self._store.team_access(requester_id)).unseen({m.team_id for m in messages})
        return await asyncio.to_thread(
            lambda: build_team_summary(
                requester_id, team, messages, people, hidden, now, visibility=policy, unseen_teams=unseen
            )
        )

    async def manages_someone(self, person_id: str) -> bool:
        """Whether the person has anyone reporting to them (who may subscribe to the summary)."""
        return bool(reports_of(person_id, await self._store.people(), self._include_indirect))

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
