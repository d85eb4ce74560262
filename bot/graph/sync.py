"""One ingestion pass from Microsoft Graph: teams and their members, channels, people, then messages.

Per channel, the first pass reads the whole history with the list endpoint (`$expand=replies`), then a
catch-up delta round from when that started; later passes follow the saved delta link. The next page of the
round in progress is saved with every page, in the page's own transaction, so a pass killed anywhere resumes
at the page after the last one stored, and since every write is an upsert keyed by Graph ids, the store ends
as an uninterrupted pass would leave it. Pages are parsed in worker processes (`PageParser`) and the next
page of a channel is fetched while the current one is written.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.graph.client import GraphConnection, GraphError, GraphResourceGone
from bot.graph.page_parser import PageParser, default_workers
from bot.graph.source import GraphSource
from bot.graph_import import GraphObjectImporter, MessagePage
from bot.model import ChannelSync
from bot.settings import Settings
from bot.store import Store

logger = logging.getLogger(__name__)

PROFILE_REFRESH = timedelta(days=7)
_PROFILES_CURSOR = "profiles"
_CATCH_UP_MARGIN = timedelta(hours=1)  # the catch-up delta starts a little before the backfill did
_DELTA_WINDOW = timedelta(days=240)  # Graph's delta returns messages of the last eight months
_PROFILE_CONCURRENCY = 4
_CHANNEL_CONCURRENCY = 4
_MEMBERS_CONCURRENCY = 4

Progress = Callable[[str], None]


class PassStopped(Exception):
    """The pass is stopping because another part of it failed."""


@dataclass(frozen=True)
class SyncOptions:
    """Which teams and channels are read, and how often."""

    teams: frozenset[str] = frozenset()
    teams_excluded: frozenset[str] = frozenset()
    channels_excluded: frozenset[str] = frozenset()
    private_channels: bool = False
    interval: timedelta = timedelta(hours=24)

    @classmethod
    def from_settings(cls, settings: Settings) -> SyncOptions:
        return cls(
            teams=settings.graph_teams,
            teams_excluded=settings.graph_teams_excluded,
            channels_excluded=settings.graph_channels_excluded,
            private_channels=settings.graph_private_channels,
            interval=timedelta(hours=settings.sync_interval_hours),
        )


@dataclass
class SyncReport:
    """What a pass did."""

    teams: int = 0
    team_members: int = 0
    channels: int = 0
    channels_synced: int = 0
    channels_not_due: int = 0
    people: int = 0
    profiles: int = 0
    pages: int = 0
    messages: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    parse_cpu_seconds: float = 0.0  # parsing and encoding message pages, mostly in the parser processes

    def as_dict(self) -> dict[str, Any]:
        return {
            "teams": self.teams,
            "team_members": self.team_members,
            "channels": self.channels,
            "channels_synced": self.channels_synced,
            "channels_not_due": self.channels_not_due,
            "people": self.people,
            "profiles": self.profiles,
            "pages": self.pages,
            "messages": self.messages,
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "problems": list(self.problems),
            "seconds": round(self.seconds, 2),
            "parse_cpu_seconds": round(self.parse_cpu_seconds, 2),
        }


class GraphSync:
    """Runs ingestion passes against one Graph connection into one store."""

    def __init__(
        self,
        connection: GraphConnection,
        store: Store,
        options: SyncOptions,
        clock: Callable[[], datetime],
        progress: Progress | None = None,
        parse_workers: int | None = None,
    ) -> None:
        self._connection = connection
        self._parse_workers = default_workers() if parse_workers is None else parse_workers
        self._source = GraphSource(connection)
        self._store = store
        self._options = options
        self._clock = clock
        self._progress = progress or (lambda line: None)

    async def run(self, force: bool = False) -> SyncReport:
        """One pass; `force` runs a delta round on every channel even if its interval has not passed."""
        started = time.perf_counter()
        counters_before = replace(self._connection.counters)
        report = SyncReport()
        async with PageParser(self._parse_workers) as parser:
            await self._read(force, report, parser)
        report.parse_cpu_seconds = parser.cpu_seconds
        counters = self._connection.counters
        report.requests = counters.requests - counters_before.requests
        report.retries = counters.retries - counters_before.retries
        report.throttled = counters.throttled - counters_before.throttled
        report.seconds = time.perf_counter() - started
        return report

    async def _read(self, force: bool, report: SyncReport, parser: PageParser) -> None:
        teams = await self._teams(report)
        await self._team_members(teams, report)
        channels = await self._channels(teams, report)
        now = self._clock()
        for channel in channels:
            if self._round_due(await self._store.channel_sync(channel["id"]), force, now):
                parser.start()  # the workers load while people and profiles are read
                break
        await self._people(report)
        limit = asyncio.Semaphore(_CHANNEL_CONCURRENCY)
        stopping = asyncio.Event()

        async def one(channel: dict[str, Any]) -> None:
            async with limit:
                if stopping.is_set():
                    return
                try:
                    await self._channel(channel, force, report, stopping, parser)
                except BaseException:
                    stopping.set()
                    raise

        # A failure other than Graph's (the database, a bug) stops the whole pass. The other channels stop
        # at their next page rather than being cancelled midway through a write; the next pass resumes
        # each channel where it stopped.
        outcomes = await asyncio.gather(*(one(channel) for channel in channels), return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, PassStopped)]
        if failures:
            raise failures[0]

    async def _teams(self, report: SyncReport) -> list[dict[str, Any]]:
        teams = [
            team
            for team in await self._source.teams()
            if (not self._options.teams or team.get("id") in self._options.teams)
            and team.get("id") not in self._options.teams_excluded
        ]
        importer = GraphObjectImporter(self._store)
        await importer.add_all({**team, "@odata.type": "#microsoft.graph.team"} for team in teams)
        report.teams = len(teams)
        self._progress(f"{len(teams)} teams")
        return teams

    async def _team_members(self, teams: list[dict[str, Any]], report: SyncReport) -> None:
        """Each team's members, as the full list Graph gives: who joined is added, who left is dropped."""
        limit = asyncio.Semaphore(_MEMBERS_CONCURRENCY)

        async def one(team: dict[str, Any]) -> None:
            async with limit:
                try:
                    members = await self._source.team_members(team["id"])
                except GraphError as error:
                    # The members held stay as they were: a private team stays closed to everyone else.
                    report.problems.append(
                        f"members of team {team.get('displayName') or team['id']}: {error}"
                    )
                    logger.warning("No members for team %s: %s", team["id"], error)
                    return
            people = [m["userId"] for m in members if isinstance(m.get("userId"), str) and m["userId"]]
            held = await self._store.replace_team_members(team["id"], people)
            report.team_members += held  # not `+= await`: that would read the count before the await

        await asyncio.gather(*(one(team) for team in teams))
        self._progress(f"{report.team_members} team memberships")

    async def _channels(self, teams: list[dict[str, Any]], report: SyncReport) -> list[dict[str, Any]]:
        chosen: list[dict[str, Any]] = []
        for team in teams:
            try:
                channels = await self._source.channels(team["id"])
            except GraphResourceGone as error:
                report.problems.append(f"team {team.get('displayName') or team['id']}: {error}")
                logger.warning("Skipping team %s: %s", team["id"], error)
                continue
            chosen.extend(
                channel
                for channel in channels
                if channel.get("id") not in self._options.channels_excluded
                and (
                    self._options.private_channels
                    or (channel.get("membershipType") or "standard") == "standard"
                )
            )
        importer = GraphObjectImporter(self._store)
        await importer.add_all({**channel, "@odata.type": "#microsoft.graph.channel"} for channel in chosen)
        report.channels = len(chosen)
        self._progress(f"{len(chosen)} channels to read")
        return chosen

    async def _people(self, report: SyncReport) -> None:
        last = await self._store.cursor(_PROFILES_CURSOR)
        now = self._clock()
        with_profiles = last is None or now - last >= PROFILE_REFRESH
        importer = GraphObjectImporter(self._store)
        async for users in self._source.users():
            if with_profiles:
                users = await self._with_profiles(users, report)
            await importer.add_all(users)
            report.people += len(users)
        if with_profiles:
            await self._store.set_cursor(_PROFILES_CURSOR, now)
        self._progress(f"{report.people} people" + (f", {report.profiles} profiles" if with_profiles else ""))

    async def _with_profiles(self, users: list[dict[str, Any]], report: SyncReport) -> list[dict[str, Any]]:
        limit = asyncio.Semaphore(_PROFILE_CONCURRENCY)

        async def one(user: dict[str, Any]) -> dict[str, Any]:
            async with limit:
                try:
                    profile = await self._source.profile(user["id"])
                except GraphError as error:
                    logger.warning("No profile fields for a user: %s", error)
                    return user
            report.profiles += 1
            return {**user, **{k: v for k, v in profile.items() if not k.startswith("@odata")}}

        return list(await asyncio.gather(*(one(user) for user in users)))

    async def _channel(
        self,
        channel: dict[str, Any],
        force: bool,
        report: SyncReport,
        stopping: asyncio.Event,
        parser: PageParser,
    ) -> None:
        channel_id, team_id = channel["id"], channel["teamId"]
        name = channel.get("displayName") or channel_id
        state = await self._store.channel_sync(channel_id) or ChannelSync(
            channel_id=channel_id, team_id=team_id
        )
        now = self._clock()
        if not self._round_due(state, force, now):
            report.channels_not_due += 1
            return
        if state.round_link is None:
            if state.delta_link is None:
                state = replace(
                    state,
                    round_kind="backfill",
                    round_link=self._source.messages_url(team_id, channel_id),
                    round_started_at=now,
                )
            else:
                state = replace(state, round_kind="delta", round_link=state.delta_link, round_started_at=now)
        state = replace(state, state="syncing", last_error=None)
        parser.start()
        try:
            try:
                state = await self._follow_round(state, report, stopping, parser)
            except GraphError as error:
                if error.status != 410 or state.round_kind != "delta":
                    raise
                # Graph's synchronization reset: it no longer keeps this delta state. Without a new round
                # the channel would fail on the same link in every pass.
                logger.warning("Channel %s: delta link expired (%s); reading it again", channel_id, error)
                state = await self._follow_round(self._resync(state, now), report, stopping, parser)
        except GraphResourceGone as error:
            gone = "gone" if error.status == 404 else "forbidden"
            state = replace(state, state=gone, round_link=None, last_error=str(error))
            report.problems.append(f"channel {name}: {error}")
            logger.warning("Channel %s is %s: %s", channel_id, gone, error)
        except GraphError as error:
            # The round stays where it was: the next pass resumes at the same page.
            state = replace(state, state="failed", last_error=str(error))
            report.problems.append(f"channel {name}: {error}")
            logger.error("Channel %s failed: %s", channel_id, error)
        await self._store.save_channel_sync(state)
        if state.state == "ok":
            report.channels_synced += 1
            self._progress(
                f"  {name}: {state.messages} messages in {state.pages} pages, round {state.rounds}"
            )

    def _resync(self, state: ChannelSync, now: datetime) -> ChannelSync:
        """A new round after a 410: a delta round from the last complete one (less the margin) while that
        is inside Graph's delta window, else the whole history again."""
        since = state.last_round_at - _CATCH_UP_MARGIN if state.last_round_at else None
        if since is not None and now - since < _DELTA_WINDOW:
            link = self._source.delta_url(state.team_id, state.channel_id, since)
            return replace(state, round_kind="delta", round_link=link, round_started_at=now, delta_link=None)
        link = self._source.messages_url(state.team_id, state.channel_id)
        return replace(state, round_kind="backfill", round_link=link, round_started_at=now, delta_link=None)

    def _round_due(self, state: ChannelSync | None, force: bool, now: datetime) -> bool:
        """Whether a channel has a round to follow: one in progress, a backfill, or a delta round due."""
        return (
            state is None
            or state.round_link is not None
            or state.delta_link is None
            or force
            or state.last_round_at is None
            or now - state.last_round_at >= self._options.interval
        )

    async def _follow_round(
        self, state: ChannelSync, report: SyncReport, stopping: asyncio.Event, parser: PageParser
    ) -> ChannelSync:
        scope = state.channel_id
        known_channels = {state.channel_id}
        # The next page is fetched and parsed while this one is written.
        ahead: asyncio.Task[MessagePage] | None = None
        try:
            while state.round_link is not None:
                if stopping.is_set():
                    raise PassStopped("another channel failed; this one resumes at its next page")
                page = await (ahead or self._message_page(state.round_link, scope, parser))
                ahead = None
                state = self._after(state, page)
                if state.round_link is not None:
                    ahead = asyncio.create_task(self._message_page(state.round_link, scope, parser))
                implied = {channel: team for channel, team in page.channels if channel not in known_channels}
                if implied:
                    await self._store.ensure_channels(implied)
                    known_channels.update(implied)
                # The page and where the round goes next are written in one transaction: a pass killed at
                # any point resumes at a page whose predecessors are all in the store.
                await self._store.write_message_rows(page.rows, sync_state=state)
                report.pages += 1
                report.messages += page.messages
        finally:
            if ahead is not None:
                ahead.cancel()
                await asyncio.gather(ahead, return_exceptions=True)
        return state

    def _after(self, state: ChannelSync, page: MessagePage) -> ChannelSync:
        """Where the round stands once `page` is in."""
        state = replace(state, pages=state.pages + 1, messages=state.messages + page.messages)
        if page.next_link:
            return replace(state, round_link=page.next_link)
        if state.round_kind == "backfill":
            # History is in; a delta round from when the backfill began picks up what changed since and
            # ends with the delta link the next passes follow.
            since = (state.round_started_at or self._clock()) - _CATCH_UP_MARGIN
            link = self._source.delta_url(state.team_id, state.channel_id, since)
            return replace(state, round_kind="delta", round_link=link)
        if not page.delta_link:
            raise GraphError("a delta round ended without @odata.deltaLink")
        return replace(
            state,
            state="ok",
            round_kind=None,
            round_link=None,
            delta_link=page.delta_link,
            last_round_at=self._clock(),
            rounds=state.rounds + 1,
        )

    async def _message_page(self, url: str, scope: str, parser: PageParser) -> MessagePage:
        """A page parsed in the parser pool, with the replies beyond what Graph inlined in its threads."""
        body = b""

        async def decode(raw: bytes) -> MessagePage:
            nonlocal body
            body = raw
            return await parser.message_page(raw, self._store.message_encoder())

        page = await self._source.decoded_page(url, scope, decode)
        if not page.replies_links:
            return page
        beyond = {index: await self._source.replies_at(link, scope) for index, link in page.replies_links}
        return await parser.message_page(body, self._store.message_encoder(), beyond)
