"""Seula's Graph sync against a loopback Graph in another process: its throughput, its pace when throttled.

Run by hand from the repository root, never in the test suite (see bench/README.md):

    python -m bench.graph_sync --json

1. Throughput. COPIES copies of the demo tenant (about 20,000 messages each; teams and channels get new ids
   per copy, people are shared) served by FakeGraph without limits. The floor fetches and parses, with plain
   aiohttp and four channels at once, exactly the pages a first sync reads: the list pages with their
   replies, reply links beyond the inlined ones, and the catch-up delta round. Then
   `GraphSync.run(force=True)` fills a fresh SQLite store (and a scratch PostgreSQL database) with the rate
   limiter out of the way.
2. Throttling. A smaller tenant served at 4 requests/s per team or channel and 20 overall, with a few
   injected 429s; Seula runs with its default limits and its wall time is set against the least the limits
   allow for the same requests.

The server, the floor and every sync run in spawned processes of their own, so the server never competes
with the client for the interpreter, and each peak RSS (Linux's VmHWM) is that part's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import logging
import math
import multiprocessing
import os
import platform
import pstats
import re
import resource
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import asyncpg

from bot.bootstrap import open_graph_sync, utc_now
from bot.demo import generate_demo_tenant
from bot.graph.client import connect
from bot.graph.source import PAGE_SIZE

# The floor reads like the sync does; importing its constants keeps the two in step if they change.
from bot.graph.sync import _CATCH_UP_MARGIN as CATCH_UP_MARGIN
from bot.graph.sync import _CHANNEL_CONCURRENCY as CHANNEL_CONCURRENCY
from bot.graph.sync import GraphSync, SyncOptions, SyncReport
from bot.graph.throttle import RateLimiter
from bot.settings import load_settings
from bot.store import Store
from tests.fake_graph import FakeGraph, read_json_lines

logger = logging.getLogger("bench.graph_sync")

T = TypeVar("T")

TOKEN = "bench-token"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
INLINE_REPLIES = 1000  # FakeGraph's default, as Graph's
REPLIES_PAGE = 20  # FakeGraph's page size for a thread's replies beyond the inlined ones
UNLIMITED_RPS = 10_000
GRAPH_CHANNEL_RPS = 4  # Graph's per team or channel limit, and Seula's default GRAPH_CHANNEL_RPS
GRAPH_GLOBAL_RPS = 20  # the per-app rate for messages, and Seula's default GRAPH_MAX_RPS
_CHANNEL_ID = re.compile(r"^19:([0-9a-f]{32})@thread\.tacv2$")
_SPAWN = multiprocessing.get_context("spawn")


# --- the tenant ---


@dataclass(frozen=True)
class ChannelPlan:
    """What one channel holds: enough to count the pages a first sync needs."""

    id: str
    team_id: str
    roots: int
    thread_modified_ms: tuple[int, ...]
    thread_replies: tuple[int, ...]

    def pages_needed(self, modified_after_ms: int) -> int:
        """List pages, reply pages beyond the inlined replies, and the catch-up delta pages after the cut."""
        listing = max(1, math.ceil(self.roots / PAGE_SIZE))
        beyond = sum(math.ceil((n - INLINE_REPLIES) / REPLIES_PAGE) for n in self.thread_replies)
        changed = sum(1 for ms in self.thread_modified_ms if ms > modified_after_ms)
        return listing + beyond + max(1, math.ceil(changed / PAGE_SIZE))


@dataclass(frozen=True)
class TenantPlan:
    """A tenant written as JSON Lines for FakeGraph, and what a first sync of it must read."""

    path: Path
    now: datetime
    people: int
    teams: int
    messages: int  # roots and replies, deleted ones included: everything a first sync is served
    channels: tuple[ChannelPlan, ...]  # in the order Seula reads them: by team, then as Graph lists them

    def describe(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "roots": sum(c.roots for c in self.channels),
            "channels": len(self.channels),
            "teams": self.teams,
            "people": self.people,
            "largest_channel_roots": max(c.roots for c in self.channels),
        }


def write_tenant(path: Path, seed: int, copies: int, now: datetime) -> TenantPlan:
    """`copies` copies of the demo tenant for `seed`: own team and channel ids per copy, one set of people."""
    objects = list(generate_demo_tenant(seed, now))
    users = [o for o in objects if o["@odata.type"] == "#microsoft.graph.user"]
    teams = [o for o in objects if o["@odata.type"] == "#microsoft.graph.team"]
    channels = [o for o in objects if o["@odata.type"] == "#microsoft.graph.channel"]
    messages = [o for o in objects if o["@odata.type"] == "#microsoft.graph.chatMessage"]
    team_ids = [str(t["id"]) for t in teams]
    cores = []
    for channel in channels:
        matched = _CHANNEL_ID.match(str(channel["id"]))
        if matched is None:
            raise ValueError(f"unexpected channel id shape: {channel['id']}")
        cores.append(matched.group(1))
    # Ids appear raw and percent-encoded (in webUrl), so the GUID and the channel's hex core are replaced.
    pattern = re.compile("|".join(re.escape(i) for i in team_ids + cores))
    lines = [_json_line(o) for o in (*teams, *channels, *messages)]
    seen: set[str] = set()
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.writelines(_json_line(u) for u in users)
        for copy in range(copies):
            mapping = {i: _copy_id(i, copy) for i in team_ids + cores}
            if seen & set(mapping.values()):
                raise ValueError(f"copy {copy} reuses an id")
            seen.update(mapping.values())
            if copy == 0:
                out.writelines(lines)
            else:
                rewrite = _rewriter(pattern, mapping)
                out.writelines(rewrite(line) for line in lines)
    plans = _channel_plans(teams, channels, messages)
    return TenantPlan(
        path=path,
        now=now,
        people=len(users),
        teams=len(teams) * copies,
        messages=len(messages) * copies,
        channels=tuple(_copied(plan, copy) for copy in range(copies) for plan in plans),
    )


def _rewriter(pattern: re.Pattern[str], mapping: Mapping[str, str]) -> Callable[[str], str]:
    def rewrite(line: str) -> str:
        return pattern.sub(lambda matched: mapping[matched.group(0)], line)

    return rewrite


def _json_line(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def _copy_id(original: str, copy: int) -> str:
    """The id `original` has in copy `copy` (copy 0 keeps the originals); same length, still hex."""
    return original if copy == 0 else f"{copy:04x}{original[4:]}"


def _copied(plan: ChannelPlan, copy: int) -> ChannelPlan:
    core = _CHANNEL_ID.match(plan.id)
    assert core is not None
    return ChannelPlan(
        id=f"19:{_copy_id(core.group(1), copy)}@thread.tacv2",
        team_id=_copy_id(plan.team_id, copy),
        roots=plan.roots,
        thread_modified_ms=plan.thread_modified_ms,
        thread_replies=plan.thread_replies,
    )


def _channel_plans(
    teams: list[dict[str, Any]], channels: list[dict[str, Any]], messages: list[dict[str, Any]]
) -> list[ChannelPlan]:
    modified: dict[tuple[str, str], int] = {}
    replies: Counter[tuple[str, str]] = Counter()
    for message in messages:
        channel_id = message["channelIdentity"]["channelId"]
        root = (channel_id, str(message.get("replyToId") or message["id"]))
        stamp = _ms(message.get("lastModifiedDateTime") or message["createdDateTime"])
        modified[root] = max(modified.get(root, 0), stamp)
        if message.get("replyToId"):
            replies[root] += 1
    order = {str(t["id"]): i for i, t in enumerate(teams)}
    plans = []
    for channel in sorted(channels, key=lambda c: order[str(c["teamId"])]):  # stable: Graph's order within
        roots = [r for r in modified if r[0] == channel["id"]]
        plans.append(
            ChannelPlan(
                id=str(channel["id"]),
                team_id=str(channel["teamId"]),
                roots=len(roots),
                thread_modified_ms=tuple(modified[r] for r in roots),
                thread_replies=tuple(replies[r] for r in roots if replies[r] > INLINE_REPLIES),
            )
        )
    return plans


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


# --- the server, in its own process ---


@dataclass(frozen=True)
class ServerSetup:
    """How the FakeGraph process serves the tenant."""

    tenant_path: str
    now: str
    channel_rps: float | None = None
    global_rps: float | None = None
    faults: tuple[str, ...] = ()  # one 429 for the first request whose path contains each
    retry_after: str = "2.128"
    record_requests: bool = False


def _serve(setup: ServerSetup, conn: Connection) -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_serve_until_stopped(setup, conn))


async def _serve_until_stopped(setup: ServerSetup, conn: Connection) -> None:
    graph = FakeGraph(
        read_json_lines(Path(setup.tenant_path)),
        datetime.fromisoformat(setup.now),
        token=TOKEN,
        inline_replies=INLINE_REPLIES,
        record_requests=setup.record_requests,
    )
    if setup.channel_rps or setup.global_rps:
        graph.limits(per_channel_rps=setup.channel_rps, global_rps=setup.global_rps)
    for where in setup.faults:
        graph.fail_next(1, status=429, retry_after=setup.retry_after, where=where)
    conn.send({"base_url": await graph.start(), "expected": graph.expected_stats()})
    while (command := await asyncio.to_thread(conn.recv)) != "stop":
        if command == "cpu":
            conn.send(time.process_time())
    conn.send(
        {
            "status_counts": dict(graph.status_counts),
            "throttled": graph.throttled,
            "requests": [
                (r.channel_id, r.path, sorted(r.query.items()), r.status, r.time) for r in graph.requests
            ],
            "cpu_seconds": time.process_time(),
            "peak_rss_mb": _peak_rss_mb(),
        }
    )
    await graph.close()


class ServerProcess:
    """FakeGraph in a spawned process; the parent asks it for its CPU time and, at the end, its logs."""

    def __init__(self, setup: ServerSetup) -> None:
        self._conn, child = _SPAWN.Pipe()
        self._process = _SPAWN.Process(target=_serve, args=(setup, child), daemon=True)
        self._process.start()
        child.close()
        started = time.perf_counter()
        if not self._conn.poll(600):
            raise RuntimeError("FakeGraph did not start within 10 minutes")
        try:
            hello = self._conn.recv()
        except EOFError:
            raise RuntimeError("FakeGraph's process died while loading the tenant") from None
        self.base_url: str = hello["base_url"]
        self.expected: dict[str, Any] = hello["expected"]
        self.load_seconds = time.perf_counter() - started

    def cpu_seconds(self) -> float:
        self._conn.send("cpu")
        seconds: float = self._conn.recv()
        return seconds

    def stop(self) -> dict[str, Any]:
        self._conn.send("stop")
        report: dict[str, Any] = self._conn.recv()
        self._process.join(10)
        return report

    def kill(self) -> None:
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)


@contextmanager
def serving(setup: ServerSetup) -> Iterator[ServerProcess]:
    server = ServerProcess(setup)
    try:
        yield server
    finally:
        server.kill()


def in_child(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` in a fresh spawned process, so its peak RSS is its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=_SPAWN) as pool:
        return pool.submit(function, *args).result()


def _peak_rss_mb() -> float:
    """This process's peak resident set: Linux's VmHWM, else ru_maxrss.

    ru_maxrss would do on its own but for `spawn`: Linux carries it over the exec from the forked parent,
    so a child would report the parent's peak. VmHWM belongs to the process's own address space.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- the floor: plain aiohttp and json.loads ---


def read_floor(base_url: str) -> dict[str, Any]:
    """Fetch and parse exactly the message pages a first sync reads, four channels at once."""
    return asyncio.run(_read_floor(base_url))


async def _read_floor(base_url: str) -> dict[str, Any]:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Accept": "application/json",
        "Prefer": "include-unknown-enum-members",
    }
    totals = Counter[str]()
    async with aiohttp.ClientSession(headers=headers) as session:

        async def get(url: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
            async with session.get(url, params=params) as response:
                body = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"GET {url} answered {response.status}: {body[:200]!r}")
            parsed: dict[str, Any] = json.loads(body)
            return parsed

        async def follow(url: str, params: Mapping[str, str] | None) -> dict[str, Any]:
            """Every page from `url`; counts pages and messages; returns the last page."""
            next_url: str | None = url
            while next_url:
                page = await get(next_url, params)
                params = None  # next links carry their own query
                totals["pages"] += 1
                for item in page.get("value") or ():
                    totals["messages"] += 1 + len(item.get("replies") or ())
                    if item.get("replies@odata.nextLink"):
                        await follow(item["replies@odata.nextLink"], None)
                next_url = page.get("@odata.nextLink")
            return page

        teams = await _all(get, f"{base_url}/teams")
        channels = [
            (team["id"], channel["id"])
            for team in teams
            for channel in await _all(get, f"{base_url}/teams/{team['id']}/channels")
            if (channel.get("membershipType") or "standard") == "standard"
        ]
        limit = asyncio.Semaphore(CHANNEL_CONCURRENCY)

        async def channel(team_id: str, channel_id: str) -> None:
            async with limit:
                round_started = datetime.now(UTC)
                messages = f"{base_url}/teams/{team_id}/channels/{channel_id}/messages"
                await follow(messages, {"$top": str(PAGE_SIZE), "$expand": "replies"})
                since = (round_started - CATCH_UP_MARGIN).strftime("%Y-%m-%dT%H:%M:%SZ")
                query = {
                    "$top": str(PAGE_SIZE),
                    "$expand": "replies",
                    "$filter": f"lastModifiedDateTime gt {since}",
                }
                last = await follow(f"{messages}/delta", query)
                if not last.get("@odata.deltaLink"):
                    raise RuntimeError(f"the catch-up round of {channel_id} ended without a delta link")

        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(channel(t, c) for t, c in channels))
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "channels": len(channels),
        "pages": totals["pages"],
        "messages_read": totals["messages"],
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss_mb": _peak_rss_mb(),
    }


async def _all(get: Callable[[str], Any], url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        page = await get(next_url)
        items.extend(page.get("value") or ())
        next_url = page.get("@odata.nextLink")
    return items


# --- Seula ---


@dataclass(frozen=True)
class SyncRun:
    """One first pass of Seula's sync into a fresh store."""

    base_url: str
    database_url: str
    unlimited_rps: int | None  # None: the settings' limits (GRAPH_MAX_RPS=20, GRAPH_CHANNEL_RPS=4)
    profile_path: str | None = None
    profile_lines: int = 30


def run_seula(run: SyncRun) -> dict[str, Any]:
    """`GraphSync.run(force=True)` into a fresh store; the report, phase times, store stats and peak RSS."""
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(_run_seula(run))


async def _run_seula(run: SyncRun) -> dict[str, Any]:
    settings = load_settings(
        environ={
            "GRAPH_TOKEN": TOKEN,
            "GRAPH_BASE_URL": run.base_url,
            "DATABASE_URL": run.database_url,
            "SEULA_DEMO_TENANT": "off",
        }
    )
    store = await Store.open(settings.database_url)
    marks: list[tuple[float, str]] = []

    def progress(line: str) -> None:
        if not line.startswith(" "):  # "N teams", "N channels to read", "N people, N profiles"
            marks.append((time.perf_counter(), line))

    profiler = cProfile.Profile() if run.profile_path else None
    rss_before = _peak_rss_mb()
    started, cpu_started, main_cpu_started = time.perf_counter(), time.process_time(), time.thread_time()
    try:
        if run.unlimited_rps is None:
            async with open_graph_sync(settings, store, progress) as sync:
                report = await _timed_run(sync, profiler)
        else:
            # GRAPH_MAX_RPS stops at 200 and GRAPH_CHANNEL_RPS at 4, so the limiter is built here instead.
            limiter = RateLimiter(global_rps=run.unlimited_rps, scope_rps=run.unlimited_rps)
            connection = connect(settings, limiter)
            try:
                sync = GraphSync(connection, store, SyncOptions.from_settings(settings), utc_now, progress)
                report = await _timed_run(sync, profiler)
            finally:
                await connection.close()
        ended = time.perf_counter()
        cpu_seconds = time.process_time() - cpu_started
        main_cpu_seconds = time.thread_time() - main_cpu_started
        stats = await store.stats()
    finally:
        await store.close()
    phases = _phases(started, marks, ended)
    result = {
        "engine": store.engine_name,
        "report": report.as_dict(),
        "seconds": ended - started,
        "phases": phases,
        "cpu_seconds": cpu_seconds,
        "main_thread_cpu_seconds": main_cpu_seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "rss_before_pass_mb": rss_before,
        "stats": stats.counts(),
        "channel_states": dict(Counter(s.state for s in stats.sync)),
    }
    if profiler is not None and run.profile_path:
        profiler.dump_stats(run.profile_path)
        result["hotspots"] = _hotspots(profiler, run.profile_lines)
    return result


async def _timed_run(sync: GraphSync, profiler: cProfile.Profile | None) -> SyncReport:
    if profiler is None:
        return await sync.run(force=True)
    profiler.enable()
    try:
        return await sync.run(force=True)
    finally:
        profiler.disable()


def _phases(started: float, marks: Sequence[tuple[float, str]], ended: float) -> dict[str, float]:
    """Seconds per phase of the pass, from the times its progress lines arrived (each phase ends with its
    line: "N teams", "N team memberships", "N channels to read", "N people, N profiles"; the messages
    phase is the rest). Lines are told apart by what they say, so a phase the sync skips or a line it adds
    does not shift the others."""
    endings = (
        ("teams", " teams"),
        ("team_members", " team memberships"),
        ("channel_lists", " channels to read"),
        ("people_and_profiles", " people"),
    )
    phases: dict[str, float] = {}
    previous = started
    for moment, line in marks:
        head = line.split(",")[0]
        name = next((name for name, ending in endings if head.endswith(ending) and name not in phases), None)
        if name is not None:
            phases[name] = moment - previous
            previous = moment
    phases["messages"] = ended - previous
    return phases


def _hotspots(profiler: cProfile.Profile, lines: int) -> dict[str, Any]:
    """Own time summed by package, and the top functions by own time, as pstats prints them.

    cProfile sees the event-loop thread only (not aiosqlite's), and cumulative times are left out: it counts
    each resumption of a coroutine as a call, so they add up to several times the wall time and mislead.
    """
    stats = pstats.Stats(profiler)
    by_package: Counter[str] = Counter()
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        by_package[_package(filename, function)] += own
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("tottime").print_stats(lines)
    return {
        "own_seconds_by_package": {name: round(seconds, 2) for name, seconds in by_package.most_common(15)},
        "top_functions": text.getvalue(),
    }


def _package(filename: str, function: str) -> str:
    """`sqlalchemy`, `bot.store.store`, `stdlib json` or `builtins (C)` for a profiled function's file."""
    if filename == "~":
        return function if function.startswith("<method 'poll'") else "builtins (C)"
    if filename.startswith("<frozen "):
        return f"stdlib {filename.strip('<>').split()[-1]}"  # importlib, mostly
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    if "bot" in parts:
        return ".".join(parts[parts.index("bot") :]).removesuffix(".py")
    return f"stdlib {path.parent.name if path.parent.name != 'python3.11' else path.stem}"


# --- PostgreSQL scratch databases ---


@contextmanager
def scratch_postgres(dsn: str) -> Iterator[str]:
    """A new, empty database on the server at `dsn`, dropped on the way out."""
    name = f"seula_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_postgres(dsn, f'CREATE DATABASE "{name}"'))
    try:
        yield f"{dsn}/{name}"
    finally:
        asyncio.run(_postgres(dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def postgres_unreachable(dsn: str) -> str | None:
    """Why no scratch database can be made on the server at `dsn`, or None if one can."""
    try:
        asyncio.run(_postgres(dsn, "SELECT 1"))
    except (OSError, asyncpg.PostgresError) as error:
        return f"{dsn}: {error}"
    return None


async def _postgres(dsn: str, statement: str) -> None:
    connection = await asyncpg.connect(f"{dsn}/postgres", timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


# --- the least time the limits allow ---


def least_seconds(
    pages: Sequence[int],
    workers: int,
    scope_rps: int,
    global_rps: int,
    pauses: Mapping[int, float] | None = None,
) -> float:
    """When the last page is asked for by an ideal client, if `workers` channels are read at once, in order.

    Each channel's pages follow one another; a request goes out at the first millisecond both one-second
    windows (the channel's and the global one) have room, and the answer takes no time. `pauses` maps a
    channel's index to the Retry-After its first request gets (an injected 429 costs time, not a slot).
    """
    pauses = dict(pauses or {})
    queue = deque(enumerate(pages))
    active: list[dict[str, Any]] = []
    global_stamps: deque[int] = deque()
    now = last = 0
    while queue or active:
        while queue and len(active) < workers:
            index, count = queue.popleft()
            active.append({"index": index, "left": count, "ready": now, "stamps": deque()})
        for worker in active:
            if worker["ready"] > now:
                continue
            stamps: deque[int] = worker["stamps"]
            for window in (stamps, global_stamps):
                while window and now - window[0] >= 1000:
                    window.popleft()
            if len(stamps) >= scope_rps or len(global_stamps) >= global_rps:
                continue
            if worker["index"] in pauses:
                worker["ready"] = now + round(pauses.pop(worker["index"]) * 1000)
                continue
            stamps.append(now)
            global_stamps.append(now)
            worker["left"] -= 1
            worker["ready"] = now + 1
            last = now
        active = [w for w in active if w["left"] > 0]
        now += 1
    return last / 1000


# --- the measurements ---


def measure_throughput(arguments: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    tenant = write_tenant(workdir / "throughput-tenant.jsonl", arguments.seed, arguments.copies, now)
    logger.info("wrote %s in %.1f s", tenant.describe(), time.perf_counter() - started)
    result: dict[str, Any] = {"tenant": tenant.describe()}
    with serving(ServerSetup(str(tenant.path), now.isoformat())) as server:
        logger.info("FakeGraph loaded the tenant in %.1f s", server.load_seconds)
        result["server_load_seconds"] = server.load_seconds
        expected = server.expected

        cpu = server.cpu_seconds()
        floor = in_child(read_floor, server.base_url)
        floor["server_cpu_seconds"] = server.cpu_seconds() - cpu
        floor["messages_per_second"] = tenant.messages / floor["seconds"]
        result["floor"] = floor
        logger.info("floor: %.0f messages/s", floor["messages_per_second"])

        result["seula"] = {}
        engines = [("sqlite", None)] + ([] if arguments.no_postgres else [("postgresql", arguments.postgres)])
        for engine, dsn in engines:
            unreachable = postgres_unreachable(dsn) if dsn else None
            if unreachable:
                logger.warning("skipping PostgreSQL: %s", unreachable)
                result["seula"][engine] = {"skipped": unreachable}
                continue
            with _database(engine, dsn, workdir) as database_url:
                cpu = server.cpu_seconds()
                run = in_child(run_seula, SyncRun(server.base_url, database_url, UNLIMITED_RPS))
                run["server_cpu_seconds"] = server.cpu_seconds() - cpu
            run["messages_per_second"] = tenant.messages / run["seconds"]
            run["messages_phase_per_second"] = tenant.messages / run["phases"]["messages"]
            run["ratio_to_floor"] = floor["seconds"] / run["seconds"]
            run["messages_phase_ratio_to_floor"] = floor["seconds"] / run["phases"]["messages"]
            run["stats_match_server"] = run["stats"] == expected
            result["seula"][engine] = run
            logger.info("seula on %s: %.0f messages/s", engine, run["messages_per_second"])

        if arguments.profile:
            with _database("sqlite", None, workdir) as database_url:
                profile_path = str(arguments.profile.resolve())
                profiled = in_child(
                    run_seula, SyncRun(server.base_url, database_url, UNLIMITED_RPS, profile_path)
                )
            result["profile"] = {
                "seconds_under_cprofile": profiled["seconds"],
                "main_thread_cpu_seconds": profiled["main_thread_cpu_seconds"],
                "cpu_seconds": profiled["cpu_seconds"],
                "hotspots": profiled["hotspots"],
            }
        result["server_peak_rss_mb"] = server.stop()["peak_rss_mb"]
    result["expected_stats"] = expected
    return result


@contextmanager
def _database(engine: str, dsn: str | None, workdir: Path) -> Iterator[str]:
    if engine == "postgresql":
        assert dsn is not None
        with scratch_postgres(dsn) as url:
            yield url
        return
    path = workdir / f"seula-{uuid.uuid4().hex[:8]}.db"
    try:
        yield f"sqlite:///{path}"
    finally:
        for leftover in workdir.glob(f"{path.name}*"):
            leftover.unlink()


def measure_throttling(arguments: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    tenant = write_tenant(workdir / "throttled-tenant.jsonl", arguments.seed, arguments.throttle_copies, now)
    logger.info("wrote %s", tenant.describe())
    # One injected 429 on the first request of channels spread over the reading order.
    step = max(1, len(tenant.channels) // max(1, arguments.faults))
    faulted = [i for i in range(step // 2, len(tenant.channels), step)][: arguments.faults]
    setup = ServerSetup(
        str(tenant.path),
        now.isoformat(),
        channel_rps=GRAPH_CHANNEL_RPS,
        global_rps=GRAPH_GLOBAL_RPS,
        faults=tuple(tenant.channels[i].id for i in faulted),
        retry_after=arguments.retry_after,
        record_requests=True,
    )
    with serving(setup) as server, _database("sqlite", None, workdir) as database_url:
        run = in_child(run_seula, SyncRun(server.base_url, database_url, None))
        served = server.stop()
    run["stats_match_server"] = run["stats"] == server.expected

    requests = served["requests"]
    ok = [r for r in requests if r[3] == 200]
    pages_served = Counter(r[0] for r in ok if r[0] is not None and "/messages" in r[1])
    repeats = sum(n - 1 for n in Counter((r[1], tuple(r[2])) for r in ok).values() if n > 1)
    cut_ms = _catch_up_cuts(requests)
    per_channel = []
    for plan in tenant.channels:
        needed = plan.pages_needed(cut_ms.get(plan.id, _ms(now.isoformat())))
        per_channel.append({"channel": plan.id, "needed": needed, "served": pages_served.get(plan.id, 0)})
    pages = [c["needed"] for c in per_channel]
    retry_after = float(arguments.retry_after)
    messages_least = least_seconds(pages, CHANNEL_CONCURRENCY, GRAPH_CHANNEL_RPS, GRAPH_GLOBAL_RPS)
    messages_least_with_faults = least_seconds(
        pages, CHANNEL_CONCURRENCY, GRAPH_CHANNEL_RPS, GRAPH_GLOBAL_RPS, dict.fromkeys(faulted, retry_after)
    )
    effective_rps = min(GRAPH_GLOBAL_RPS, GRAPH_CHANNEL_RPS * CHANNEL_CONCURRENCY)
    directory_requests = 1 + 1 + tenant.people  # the teams page, the users page, one profile per person
    other_least = (directory_requests + tenant.teams) / GRAPH_GLOBAL_RPS
    statuses = served["status_counts"]
    status_429 = int(statuses.get(429, statuses.get("429", 0)))
    phases = run["phases"]
    result = {
        "tenant": tenant.describe(),
        "limits": {"channel_rps": GRAPH_CHANNEL_RPS, "global_rps": GRAPH_GLOBAL_RPS},
        "injected_429s": len(faulted),
        "retry_after": arguments.retry_after,
        "seula": run,
        "server": {
            "requests": len(requests),
            "status_counts": {str(k): v for k, v in sorted(statuses.items())},
            "429_sent": status_429,
            "429_over_limits": served["throttled"],
            "429_injected": status_429 - served["throttled"],
            "429_by_cause": _refusals(requests, setup.faults, GRAPH_CHANNEL_RPS, GRAPH_GLOBAL_RPS),
            "peak_rss_mb": served["peak_rss_mb"],
        },
        "pages": {
            "needed": sum(pages),
            "served": sum(pages_served.values()),
            "repeated": repeats,
            "channels_off": [c for c in per_channel if c["needed"] != c["served"]],
        },
        "least": {
            "effective_rps": effective_rps,
            "messages_by_formula": sum(pages) / effective_rps,
            "messages_scheduled": messages_least,
            "messages_scheduled_with_retry_after": messages_least_with_faults,
            "teams_channels_people_and_profiles": other_least,
        },
    }
    by_formula = result["least"]["messages_by_formula"]
    result["ratio"] = {
        "messages_phase_to_formula": phases["messages"] / by_formula,
        "messages_phase_to_schedule": phases["messages"] / messages_least_with_faults,
        "whole_pass_to_formula": run["seconds"] / (by_formula + other_least),
        "whole_pass_to_schedule": run["seconds"] / (messages_least_with_faults + other_least),
    }
    return result


def _refusals(
    requests: Sequence[tuple[Any, ...]], faulted: Sequence[str], channel_rps: int, global_rps: int
) -> dict[str, int]:
    """What each 429 the server sent was for: an injected fault, or which of its windows was full.

    An injected 429 is the first request to a faulted channel. For the others the log is replayed (a request
    counted in the windows unless it got a 429) and the fuller window, relative to its limit, is named: log
    times are a little later than the server's admission times, so a replayed window can be one short.
    """
    admitted_all: deque[float] = deque()
    admitted: dict[str, deque[float]] = {}
    kinds: Counter[str] = Counter()
    pending_faults = set(faulted)
    for channel_id, path, _query, status, moment in sorted(requests, key=lambda r: r[4]):
        segments = [s for s in path.split("/") if s]
        scope = channel_id or (segments[2] if len(segments) >= 3 and segments[1] == "teams" else None)
        windows = [admitted_all] + ([admitted.setdefault(scope, deque())] if scope else [])
        for window in windows:
            while window and window[0] <= moment - 1.0:
                window.popleft()
        first_of_faulted = channel_id in pending_faults
        pending_faults.discard(channel_id)
        if status != 429:
            for window in windows:
                window.append(moment)
            continue
        where = "channel messages" if channel_id else "team channel lists" if scope else "directory"
        if first_of_faulted:
            kinds[f"{where}: injected"] += 1
        elif scope and len(windows[1]) / channel_rps >= len(admitted_all) / global_rps:
            kinds[f"{where}: {'channel' if channel_id else 'team'} window full"] += 1
        else:
            kinds[f"{where}: global window full"] += 1
    return dict(kinds)


def _catch_up_cuts(requests: Sequence[tuple[Any, ...]]) -> dict[str, int]:
    """Per channel, the `lastModifiedDateTime gt` moment of its catch-up delta round, in ms."""
    cuts: dict[str, int] = {}
    for channel_id, path, query, _status, _time in requests:
        condition = dict(query).get("$filter", "")
        if channel_id and path.endswith("/delta") and condition and channel_id not in cuts:
            cuts[channel_id] = _ms(condition.rsplit(" ", 1)[-1].strip("'"))
    return cuts


# --- the report ---


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": _cpu_model(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def print_report(results: Mapping[str, Any]) -> None:
    m = results["machine"]
    print(f"Machine: {m['cpus']} CPUs ({m['processor']}), Python {m['python']}, {m['platform']}")
    throughput = results.get("throughput")
    if throughput:
        t, floor = throughput["tenant"], throughput["floor"]
        print("\n1. Throughput, unthrottled FakeGraph in its own process")
        print(
            f"   tenant: {t['messages']:,} messages ({t['roots']:,} threads) in {t['channels']} channels "
            f"of {t['teams']} teams, {t['people']} people; "
            f"FakeGraph loaded it in {throughput['server_load_seconds']:.1f} s "
            f"(its peak RSS {throughput['server_peak_rss_mb']:,.0f} MB)"
        )
        print(
            f"   floor (aiohttp + json.loads, {CHANNEL_CONCURRENCY} channels at once): "
            f"{floor['pages']:,} pages in {floor['seconds']:.1f} s = "
            f"{floor['messages_per_second']:,.0f} messages/s; "
            f"client CPU {floor['cpu_seconds']:.1f} s, server CPU {floor['server_cpu_seconds']:.1f} s, "
            f"peak RSS {floor['peak_rss_mb']:.0f} MB"
        )
        for engine, run in throughput["seula"].items():
            if "skipped" in run:
                print(f"   Seula on {engine}: skipped ({run['skipped']})")
                continue
            report, phases = run["report"], run["phases"]
            print(
                f"   Seula on {engine}: {run['seconds']:.1f} s = "
                f"{run['messages_per_second']:,.0f} messages/s, {run['ratio_to_floor']:.2f} of the floor "
                "(goal ≥ 0.5)"
            )
            print(
                "      phases: "
                + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())
                + f"; messages phase alone {run['messages_phase_per_second']:,.0f}/s = "
                f"{run['messages_phase_ratio_to_floor']:.2f} of the floor"
            )
            print(
                f"      {report['pages']:,} pages, {report['messages']:,} messages read, "
                f"{report['requests']:,} requests; CPU {run['cpu_seconds']:.1f} s "
                f"(event-loop thread {run['main_thread_cpu_seconds']:.1f} s), "
                f"parsers' CPU {report.get('parse_cpu_seconds', 0.0):.1f} s, "
                f"server CPU {run['server_cpu_seconds']:.1f} s"
            )
            print(
                f"      peak RSS (VmHWM of the sync's own process) {run['peak_rss_mb']:.0f} MB, "
                f"{run['rss_before_pass_mb']:.0f} MB of it before the pass; store stats "
                f"{'match' if run['stats_match_server'] else 'DO NOT match'} the server's expected_stats(); "
                f"channel states {run['channel_states']}; problems {report['problems'] or 'none'}"
            )
        profile = throughput.get("profile")
        if profile:
            print(
                f"\n   cProfile of one more SQLite pass ({profile['seconds_under_cprofile']:.1f} s under the "
                f"profiler; event-loop thread CPU {profile['main_thread_cpu_seconds']:.1f} s of "
                f"{profile['cpu_seconds']:.1f} s):"
            )
            print(
                "      own time by package (s): " + json.dumps(profile["hotspots"]["own_seconds_by_package"])
            )
            print(_indent(profile["hotspots"]["top_functions"]))
    throttling = results.get("throttling")
    if throttling:
        t, run, server = throttling["tenant"], throttling["seula"], throttling["server"]
        pages, least, ratio = throttling["pages"], throttling["least"], throttling["ratio"]
        print(
            f"\n2. Throttled FakeGraph ({throttling['limits']['channel_rps']}/s per team or channel, "
            f"{throttling['limits']['global_rps']}/s overall, {throttling['injected_429s']} injected 429s "
            f"with Retry-After {throttling['retry_after']}), Seula with its defaults"
        )
        print(
            f"   tenant: {t['messages']:,} messages in {t['channels']} channels of {t['teams']} teams, "
            f"{t['people']} people"
        )
        print(
            f"   wall {run['seconds']:.1f} s; phases: "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in run["phases"].items())
        )
        print(
            f"   least for the message pages: {pages['needed']} pages / {least['effective_rps']} rps = "
            f"{least['messages_by_formula']:.1f} s; scheduled 4 channels at a time with the Retry-After "
            f"pauses: {least['messages_scheduled_with_retry_after']:.1f} s "
            f"(without: {least['messages_scheduled']:.1f} s)"
        )
        print(
            f"   ratio (goal ≤ 1.15), messages phase: {ratio['messages_phase_to_formula']:.2f} to the "
            f"formula, {ratio['messages_phase_to_schedule']:.2f} to the schedule"
        )
        print(
            f"   whole pass, with {least['teams_channels_people_and_profiles']:.1f} s more for the teams "
            f"page, channel lists, users page and profiles at {throttling['limits']['global_rps']}/s: "
            f"{ratio['whole_pass_to_formula']:.2f} to the formula, {ratio['whole_pass_to_schedule']:.2f} "
            "to the schedule"
        )
        print(
            f"   server: {server['requests']:,} requests, statuses {server['status_counts']}; 429s sent "
            f"{server['429_sent']} ({server['429_over_limits']} over the limits, {server['429_injected']} "
            f"injected); Seula counted {run['report']['throttled']} throttled, "
            f"{run['report']['retries']} retries"
        )
        print(f"   429s by cause (the server's windows replayed from its log): {server['429_by_cause']}")
        print(
            f"   pages: {pages['needed']} needed, {pages['served']} served, {pages['repeated']} repeated, "
            f"channels off: {pages['channels_off'] or 'none'}; "
            f"problems {run['report']['problems'] or 'none'}; "
            f"store stats {'match' if run['stats_match_server'] else 'DO NOT match'} expected_stats(); "
            f"peak RSS {run['peak_rss_mb']:.0f} MB"
        )


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.strip().splitlines())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.graph_sync", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=2026, help="demo tenant seed (default: 2026)")
    parser.add_argument(
        "--copies", type=int, default=10, help="demo tenant copies for throughput (≈20k msgs each)"
    )
    parser.add_argument("--throttle-copies", type=int, default=2, help="demo tenant copies when throttled")
    parser.add_argument("--faults", type=int, default=5, help="429s injected when throttled")
    parser.add_argument("--retry-after", default="2.128", help="Retry-After of the injected 429s, seconds")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SEULA_BENCH_POSTGRES", DEFAULT_POSTGRES),
        help="PostgreSQL server for a scratch database (default: $SEULA_BENCH_POSTGRES or %(default)s)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument("--only", choices=["throughput", "throttling"], help="run one measurement")
    parser.add_argument(
        "--profile", type=Path, metavar="FILE", help="also run one SQLite pass under cProfile; pstats to FILE"
    )
    parser.add_argument("--json", action="store_true", help="end with the results as one JSON object")
    parser.add_argument(
        "--workdir", type=Path, help="where tenants and SQLite files go (default: a temp dir)"
    )
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine()}
    with tempfile.TemporaryDirectory(prefix="seula-bench-", dir=arguments.workdir) as workdir:
        if arguments.only in (None, "throughput"):
            results["throughput"] = measure_throughput(arguments, Path(workdir))
        if arguments.only in (None, "throttling"):
            results["throttling"] = measure_throttling(arguments, Path(workdir))
    results["bench_seconds"] = time.perf_counter() - started
    print_report(results)
    print(f"\nWhole bench: {results['bench_seconds']:.0f} s")
    if arguments.json:
        print(json.dumps(results, default=_jsonable))
    return 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path | datetime):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


if __name__ == "__main__":
    raise SystemExit(main())
