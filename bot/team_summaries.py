"""Use case: a manager asks for their team summary; Seula checks they manage someone, audits the request and
builds the summary from the store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from bot.store import Store
from bot.summaries import LOOKBACK, SummaryRefused, TeamSummary, build_team_summary, reports_of

logger = logging.getLogger(__name__)

AUDIT_ACTION = "team_summary"


class TeamSummaries:
    """Team summaries for managers, about their own reports only; every request is audited."""

    def __init__(self, store: Store, include_indirect_reports: bool, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._include_indirect = include_indirect_reports
        self._clock = clock

    async def summarize(self, requester_id: str) -> TeamSummary | SummaryRefused:
        """The requester's team summary, or a refusal when they manage no one; audited either way."""
        now = self._clock()
        people = await self._store.people()
        team = reports_of(requester_id, people, self._include_indirect)
        granted = bool(team)
        # Who asked and whether they were answered: never what the summary said.
        detail: dict[str, object] = {"requester": requester_id, "granted": granted}
        if not granted:
            detail["reason"] = "manages_no_one"
        await self._store.record_audit(AUDIT_ACTION, detail, now)
        if not granted:
            return SummaryRefused(requester_id, "manages_no_one")
        hidden = await self._store.hidden_people()
        messages = [m async for m in self._store.iter_messages(since=now - LOOKBACK)]
        return await asyncio.to_thread(build_team_summary, requester_id, team, messages, people, hidden, now)

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
