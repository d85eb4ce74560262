"""How fast Seula answers "who knows X" on a large tenant, in process and through /api/messages (issue 4).

Run by hand from the repository root (see bench/README.md):

    python -m bench.expertise_speed --people 2000 --messages 100000 --json

For each engine (SQLite file, PostgreSQL scratch database), in a spawned process of its own so its memory
figures are its own:

1. Load a generated tenant (`bench/large_tenant.py`) through the store's write API: people, teams,
   memberships and channels with `upsert_*`, messages channel by channel with `write_message_rows`, the rows
   generated and encoded by worker processes while the store writes.
2. Catch up: `ExpertFinder.refresh(force=True)` once, timed (the index is brought up to date with the store).
3. Queries: a fixed mix of common, rare, two-word, Finnish ("kuka osaa …", through the command parser) and
   unknown topics, `ExpertFinder.find` each, after one warm-up pass; p50, p99, max, and how many rare-topic
   queries found one of the topic's planted experts.
4. End to end: "who knows X" as a Bot Framework activity posted to the real app (`bot/web.py`) on
   loopback, and the same to a botbuilder echo bot on the same stack, interleaved; the time from the POST to
   the reply reaching a loopback connector, and to the HTTP response.
5. Ingest: one new message written through the store, then `catch_up()` until `find` names its
   author; p50 over `--ingest` messages.
6. Memory: VmRSS after loading and catching up, VmHWM at the end; the store's size on disk.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import math
import multiprocessing
import os
import platform
import random
import shutil
import tempfile
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from bench.echo_bot import create_echo_app
from bench.large_tenant import TenantPlan, build_plan, channel_messages
from bot.assistant import Assistant
from bot.bootstrap import Services
from bot.commands import WhoKnows, parse_command
from bot.expert_finder import ExpertAnswer, ExpertFinder
from bot.model import Message
from bot.nudger import Nudger
from bot.settings import load_settings
from bot.store import Store
from bot.store.message_rows import MessageRowEncoder, MessageRows
from bot.team_summaries import TeamSummaries
from bot.web import create_app, readiness_key

logger = logging.getLogger("bench.expertise_speed")

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
SECRET_KEY = "bench-only-stop-list-key-0123456789abcdef"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
LIMIT = 5  # SEULA_MAX_EXPERTS' default: what a card shows
UNKNOWN_WORD = "quuxinator"
_SPAWN = multiprocessing.get_context("spawn")
_IN_FLIGHT_PER_WORKER = 2  # channels generated ahead of the writer: bounds the loader's memory


@dataclass(frozen=True)
class Options:
    people: int
    messages: int
    seed: int
    engine: str  # sqlite or postgresql
    workdir: Path
    postgres: str
    queries: int
    e2e: int
    ingest: int
    workers: int
    keep: bool
    load_only: bool


# --- memory ------------------------------------------------------------------------------------------------


def memory_mb() -> dict[str, float]:
    """This process's resident set now (VmRSS) and at its peak (VmHWM), in MB."""
    found: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return {"rss_mb": found.get("VmRSS", math.nan), "peak_rss_mb": found.get("VmHWM", math.nan)}


# --- loading -----------------------------------------------------------------------------------------------

_worker_plan: TenantPlan | None = None
_worker_encoder: MessageRowEncoder | None = None


def _start_worker(people: int, messages: int, seed: int, engine: str) -> None:
    global _worker_plan, _worker_encoder  # one plan per worker process, built once
    _worker_plan = build_plan(people, messages, seed)
    _worker_encoder = MessageRowEncoder(engine, None)


def _encoded_channel(index: int) -> tuple[MessageRows, float]:
    """A worker's job: channel `index`'s rows for the store, and the worker's peak RSS so far."""
    assert _worker_plan is not None
    assert _worker_encoder is not None
    rows = _worker_encoder.encode(channel_messages(_worker_plan, index))
    return rows, memory_mb()["peak_rss_mb"]


async def load_tenant(store: Store, plan: TenantPlan, workers: int) -> dict[str, Any]:
    """Write the tenant through the store's public write API; the messages channel by channel."""
    started = time.perf_counter()
    for batch in _batches(plan.people, 5000):
        await store.upsert_people(batch)
    await store.upsert_teams(plan.teams)
    await store.add_team_members(plan.members)
    await store.upsert_channels(spec.channel for spec in plan.channels)
    directory_seconds = time.perf_counter() - started
    messages_started = time.perf_counter()
    written = reactions = 0
    worker_peak = 0.0
    last_report = messages_started
    count = len(plan.channels)

    def progress(done: int) -> None:
        nonlocal last_report
        now = time.perf_counter()
        if now - last_report >= 10 or done == count:
            last_report = now
            rate = written / (now - messages_started)
            logger.info("loaded %d/%d channels, %d messages (%.0f/s)", done, count, written, rate)

    if workers <= 0:
        encoder = store.message_encoder()
        for index in range(count):
            rows = encoder.encode(channel_messages(plan, index))
            written += await store.write_message_rows(rows)
            reactions += len(rows.reactions)
            progress(index + 1)
    else:
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_SPAWN,
            initializer=_start_worker,
            initargs=(plan.people_count, plan.messages_count, plan.seed, store.engine_name),
        ) as pool:
            pending: deque[asyncio.Future[tuple[MessageRows, float]]] = deque()
            submitted = 0
            for done in range(count):
                while submitted < count and len(pending) < workers * _IN_FLIGHT_PER_WORKER + 1:
                    pending.append(loop.run_in_executor(pool, _encoded_channel, submitted))
                    submitted += 1
                rows, peak = await pending.popleft()
                worker_peak = max(worker_peak, peak)
                written += await store.write_message_rows(rows)
                reactions += len(rows.reactions)
                progress(done + 1)
    messages_seconds = time.perf_counter() - messages_started
    return {
        "seconds": time.perf_counter() - started,
        "directory_seconds": directory_seconds,
        "messages_seconds": messages_seconds,
        "messages": written,
        "reactions": reactions,
        "messages_per_second": written / messages_seconds if messages_seconds else math.nan,
        "workers": workers,
        "worker_peak_rss_mb": worker_peak or None,
    }


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- queries -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One question of the mix, who asks it, and (for a rare topic) the people planted as its experts."""

    kind: str  # common, rare, two-word, finnish, unknown
    text: str
    locale: str
    asker: str
    experts: tuple[str, ...] = ()


_MIX = (("common", 35), ("rare", 25), ("two-word", 20), ("finnish", 15), ("unknown", 5))


def query_mix(plan: TenantPlan, count: int) -> list[Query]:
    """`count` questions, the same for the same tenant: each kind in its share, interleaved."""
    common = plan.common_topics()
    rare = plan.rare_topics()
    multi = [i for i in common if " " in plan.topics[i].name]
    pools: dict[str, list[Query]] = {kind: [] for kind, _ in _MIX}
    people = plan.people

    def asker(n: int, avoid: Sequence[int] = ()) -> str:
        index = (n * 7919 + 13) % len(people)
        while index in avoid:
            index = (index + 1) % len(people)
        return people[index].id

    for n, topic in enumerate(common[:60]):
        pools["common"].append(Query("common", f"who knows {plan.topics[topic].name}?", "en-US", asker(n)))
    for n, topic in enumerate(rare):
        writers = plan.writers[topic]
        experts = tuple(people[p].id for p in writers)
        name = plan.topics[topic].name
        pools["rare"].append(Query("rare", f"who knows {name}?", "en-US", asker(n, writers), experts))
        if n % 2 == 0:
            text = f"kuka osaa {_genitive(name)}?"
            pools["finnish"].append(Query("finnish", text, "fi-FI", asker(n + 1, writers), experts))
    for n, topic in enumerate(multi[:40] or common[:40]):
        name = plan.topics[topic].name
        if " " not in name:  # no multi-word term: pair two topics of one area
            partner = next(
                (i for i in common if plan.topics[i].area == plan.topics[topic].area and i != topic), topic
            )
            name = f"{name} {plan.topics[partner].name}"
        pools["two-word"].append(Query("two-word", f"who knows {name}", "en-US", asker(n + 3)))
    for n, topic in enumerate(common[:30]):
        text = f"kuka osaa {_genitive(plan.topics[topic].name)}?"
        pools["finnish"].append(Query("finnish", text, "fi-FI", asker(n + 5)))
    pools["unknown"].append(Query("unknown", f"who knows {UNKNOWN_WORD}?", "en-US", asker(1)))
    queries: list[Query] = []
    quotas = _quotas(count)
    used = dict.fromkeys(quotas, 0)
    while len(queries) < count:
        for kind, _ in _MIX:
            if used[kind] < quotas[kind] and len(queries) < count:
                pool = pools[kind]
                queries.append(pool[used[kind] % len(pool)])
                used[kind] += 1
    return queries


def _quotas(count: int) -> dict[str, int]:
    quotas = {kind: count * share // 100 for kind, share in _MIX}
    quotas["common"] += count - sum(quotas.values())
    return quotas


def _genitive(name: str) -> str:
    """A Finnish genitive, as "kuka osaa Kubernetesin" writes it: -n after a vowel, -in after a consonant."""
    word = name.split()[-1]
    suffix = "n" if word[-1:].casefold() in "aeiouyäö" else "in"
    return f"{name}{suffix}" if word.isalpha() else f"{name}:{suffix}"


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of `samples` (seconds) in milliseconds."""
    ordered = sorted(samples)
    if not ordered:
        return {"n": 0, "p50_ms": math.nan, "p99_ms": math.nan, "max_ms": math.nan}

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] * 1000

    return {"n": len(ordered), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": ordered[-1] * 1000}


async def run_queries(finder: ExpertFinder, queries: Sequence[Query]) -> dict[str, Any]:
    """Each query once to warm up, then each timed; with how often rare topics found a planted expert."""
    for query in queries:
        await _ask(finder, query)
    timings: list[float] = []
    by_kind: dict[str, list[float]] = {}
    planted = found = empty = 0
    slowest: list[tuple[float, str]] = []
    with GarbageCollections() as collections:
        for query in queries:
            started = time.perf_counter()
            people = await _ask(finder, query)
            elapsed = time.perf_counter() - started
            timings.append(elapsed)
            by_kind.setdefault(query.kind, []).append(elapsed)
            slowest = sorted([*slowest, (elapsed, query.text)], reverse=True)[:3]
            empty += not people
            if query.experts:
                planted += 1
                found += bool(set(people) & set(query.experts))
    return {
        **percentiles(timings),
        "by_kind": {kind: percentiles(samples) for kind, samples in by_kind.items()},
        "planted_queries": planted,
        "planted_found": found,
        "empty_answers": empty,
        "slowest": [{"ms": seconds * 1000, "query": text} for seconds, text in slowest],
        "garbage_collections": collections.summary(),
    }


class GarbageCollections:
    """Python's full (generation 2) collections while inside: a pause that lands on whichever query runs."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def __enter__(self) -> GarbageCollections:
        gc.callbacks.append(self._note)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._note)

    def _note(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)

    def summary(self) -> dict[str, float]:
        return {
            "full_collections": len(self.pauses),
            "max_pause_ms": max(self.pauses, default=0.0) * 1000,
            "total_ms": sum(self.pauses) * 1000,
        }


async def _ask(finder: ExpertFinder, query: Query) -> list[str]:
    command = parse_command(query.text, query.locale)
    if not isinstance(command, WhoKnows):
        raise AssertionError(f"{query.text!r} parsed as {type(command).__name__}, not a who-knows question")
    answer = await finder.find(command.topic, command.query, query.asker, LIMIT)
    return [expert.person_id for expert in answer.experts]


# --- taking in one new message -----------------------------------------------------------------------------


async def measure_ingest(store: Store, finder: ExpertFinder, plan: TenantPlan, count: int) -> dict[str, Any]:
    """Write `count` new messages one at a time; each time until `find` names its author, timed."""
    public = [spec for spec in plan.channels if not spec.private]
    written: list[float] = []
    findable: list[float] = []
    refreshes: list[int] = []
    missed = 0
    for n in range(count):
        spec = public[(n * 31) % len(public)]
        author = plan.people[spec.members[n % len(spec.members)]]
        asker = plan.people[(n * 104729 + 1) % len(plan.people)]
        if asker.id == author.id:  # the asker is never suggested
            asker = plan.people[(n * 104729 + 2) % len(plan.people)]
        word = _probe_word(n)
        # Written now (the tenant's clock), with an id above every generated one: none is replaced.
        at = plan.end
        message = Message(
            id=str(int(at.timestamp() * 1000) + 60_000 + n),
            team_id=spec.channel.team_id,
            channel_id=spec.channel.id,
            reply_to_id=None,
            author_id=author.id,
            author_name=author.display_name,
            created_at=at,
            last_modified_at=at,
            deleted_at=None,
            subject=None,
            # Only a word the tenant has never seen. With any other word ("New: X") the search's feedback
            # words let prolific writers of that word outrank the one message that has X itself.
            text=f"{word} 🚀",
            web_url=None,
        )
        started = time.perf_counter()
        await store.upsert_messages([message])
        written.append(time.perf_counter() - started)
        for attempt in range(1, 4):
            await finder.catch_up(learn=False)  # what the bot's indexing job does every 5 s
            answer = await finder.find(word, f"who knows {word}", asker.id, LIMIT)
            if any(expert.person_id == author.id for expert in answer.experts):
                findable.append(time.perf_counter() - started)
                refreshes.append(attempt)
                break
        else:
            missed += 1
    return {
        "messages": count,
        "write": percentiles(written),
        "findable": percentiles(findable),
        "refreshes": max(refreshes, default=0),
        "not_found": missed,
    }


def _probe_word(n: int) -> str:
    """A made-up word for the n-th probe: four syllables from a seeded draw, so no two probes (nor a word
    of the tenant) share the first five letters the search's prefix matching reads."""
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    draw = random.Random(f"probe-{n}")
    return "".join(draw.choice(syllables) for _ in range(4)).capitalize()


# --- end to end --------------------------------------------------------------------------------------------


class LoopbackConnector:
    """The Bot Framework service URL on loopback: accepts replies and notes when each arrived."""

    def __init__(self) -> None:
        self.url = ""
        self.arrivals: dict[str, float] = {}
        self.cards: dict[str, int] = {}
        self._waiting: dict[str, asyncio.Event] = {}
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._receive)
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def expect(self, activity_id: str) -> asyncio.Event:
        event = self._waiting[activity_id] = asyncio.Event()
        return event

    async def _receive(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        activity = await request.json()
        reply_to = request.match_info.get("reply_to") or activity.get("replyToId") or ""
        self.arrivals.setdefault(reply_to, arrived)
        self.cards[reply_to] = self.cards.get(reply_to, 0) + len(activity.get("attachments") or ())
        if reply_to in self._waiting:
            self._waiting[reply_to].set()
        return web.json_response({"id": f"reply-{len(self.arrivals)}"})


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """`app` on a loopback port; its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def services_for(
    store: Store, finder: ExpertFinder, database_url: str, clock: Callable[[], datetime]
) -> Services:
    """Seula's services around the benchmark's store and finder (so both paths share one index).

    The same parts `bot.bootstrap.open_services` builds, with the tenant's clock; no retention job deletes
    the generated history (RETENTION_DAYS=0) and no demo tenant is loaded.
    """
    settings = load_settings(
        environ={
            "DATABASE_URL": database_url,
            "SEULA_DEMO_TENANT": "off",
            "SEULA_SECRET_KEY": SECRET_KEY,
            "RETENTION_DAYS": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    nudger = Nudger(store, finder, settings.nudges_default == "on", settings.default_language, clock=clock)
    summaries = TeamSummaries(
        store,
        settings.summary_include_indirect_reports,
        clock=clock,
        visibility_default=settings.visibility_default,
    )
    assistant = Assistant(
        store, finder, summaries, settings.max_experts, settings.default_language, clock=clock, nudger=nudger
    )
    return Services(settings, store, finder, summaries, assistant, nudger)


class KnownAnswers(ExpertFinder):
    """An `ExpertFinder` that answers each question it was asked before at once, as it answered it then.

    Seula's app over it measures the turn without the query: what the endpoint, botbuilder, the commands,
    the store's writes, the card and the reply cost around `find`.
    """

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        super().__init__(store, clock=clock)
        self._answers: dict[tuple[object, ...], ExpertAnswer] = {}

    async def find(
        self, topic: str, query: str, asker_id: str | None, limit: int, offset: int = 0
    ) -> ExpertAnswer:
        key = (topic, query, asker_id, limit, offset)
        if key not in self._answers:
            self._answers[key] = await super().find(topic, query, asker_id, limit, offset)
        return self._answers[key]


def activity(query: Query, number: int, service_url: str, conversation_of: str) -> dict[str, Any]:
    """A 1:1 message as Teams sends it (the shape tests/test_teams_turns.py posts)."""
    return {
        "type": "message",
        "id": f"bench-{number}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "timestamp": "2026-11-01T10:00:00.000Z",
        "locale": query.locale,
        "text": query.text,
        "textFormat": "plain",
        "from": {"id": f"29:{query.asker}", "name": "Bench", "aadObjectId": query.asker},
        "recipient": {"id": "28:bench-bot", "name": "Seula"},
        "conversation": {
            "id": f"a:personal-{conversation_of}",
            "conversationType": "personal",
            "tenantId": TENANT_ID,
        },
        "channelData": {"tenant": {"id": TENANT_ID}},
        "entities": [{"type": "clientInfo", "locale": query.locale, "timezone": "Europe/Helsinki"}],
    }


async def measure_end_to_end(
    services: Services,
    queries: Sequence[Query],
    count: int,
    warmup: int = 10,
    known: Services | None = None,
) -> dict[str, Any]:
    """Seula's app and the echo bot, the same activities posted to each in turn; reply and response times.

    With `known` (services over `KnownAnswers`), a second Seula app whose finder answers at once is measured
    in the same rotation: the turn without the query.
    """
    connector = LoopbackConnector()
    await connector.start()
    app = create_app(services)
    known_app = create_app(known) if known is not None else None
    started = time.perf_counter()
    try:
        async with AsyncExitStack() as stack:
            seula_url = await stack.enter_async_context(serving(app))
            echo_url = await stack.enter_async_context(serving(create_echo_app()))
            bots = [("seula", seula_url), ("echo", echo_url)]
            # The app's start-up work runs `refresh(force=True)`: post only once it is ready.
            await _ready(app)
            startup_seconds = time.perf_counter() - started
            if known_app is not None and known is not None:
                bots.insert(1, ("seula_known", await stack.enter_async_context(serving(known_app))))
                await _ready(known_app)
                for query in queries:  # every answer known before the first request
                    await _ask(known.finder, query)
            names = [bot for bot, _ in bots]
            samples: dict[str, dict[str, list[float]]] = {bot: {"reply": [], "response": []} for bot in names}
            failures = dict.fromkeys(names, 0)
            no_card = 0
            timeout = aiohttp.ClientTimeout(total=60)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                for number in range(warmup + count):
                    query = queries[number % len(queries)]
                    # Rotate which bot goes first, so none always follows another's work.
                    shift = number % len(bots)
                    for bot, url in bots[shift:] + bots[:shift]:
                        body = activity(query, number, connector.url, f"{bot}-{query.asker}")
                        body["id"] = f"{bot}-{number}"
                        arrived = connector.expect(body["id"])
                        sent = time.perf_counter()
                        async with session.post(f"{url}/api/messages", json=body) as response:
                            await response.read()
                            answered = time.perf_counter()
                            ok = response.status in (200, 201)
                        try:
                            await asyncio.wait_for(arrived.wait(), timeout=30)
                        except TimeoutError:
                            ok = False
                        if not ok:
                            failures[bot] += 1
                            continue
                        if bot != "echo" and not connector.cards.get(body["id"]):
                            no_card += 1
                        if number >= warmup:
                            samples[bot]["reply"].append(connector.arrivals[body["id"]] - sent)
                            samples[bot]["response"].append(answered - sent)
    finally:
        await connector.close()
    figures = {bot: {kind: percentiles(values) for kind, values in samples[bot].items()} for bot in samples}
    seula, echo = figures["seula"], figures["echo"]
    result = {
        "requests": count,
        "warmup": warmup,
        "app_startup_seconds": startup_seconds,
        **figures,
        "ratio_p50": seula["reply"]["p50_ms"] / echo["reply"]["p50_ms"],
        "ratio_p99": seula["reply"]["p99_ms"] / echo["reply"]["p99_ms"],
        "failures": failures,
        "seula_replies_without_card": no_card,
    }
    if "seula_known" in figures:
        result["known_ratio_p50"] = figures["seula_known"]["reply"]["p50_ms"] / echo["reply"]["p50_ms"]
        result["known_ratio_p99"] = figures["seula_known"]["reply"]["p99_ms"] / echo["reply"]["p99_ms"]
    return result


async def _ready(app: web.Application) -> None:
    while not app[readiness_key].ready:
        if app[readiness_key].error:
            raise RuntimeError(f"Seula's start-up failed: {app[readiness_key].error}")
        await asyncio.sleep(0.05)


# --- one engine --------------------------------------------------------------------------------------------


def measure_engine(options: Options) -> dict[str, Any]:
    """Every measurement on one engine (run in a process of its own: the memory figures are its own)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("bot").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return asyncio.run(_measure_engine(options))


async def _measure_engine(options: Options) -> dict[str, Any]:
    result: dict[str, Any] = {"engine": options.engine}
    plan = build_plan(options.people, options.messages, options.seed)
    result["tenant"] = plan.describe()
    async with _database(options) as (url, kept):
        store = await Store.open(url)
        try:
            await store.load_stop_list(SECRET_KEY.encode())
            if kept:
                logger.info("%s: reusing the kept store (%s)", options.engine, _safe(url))
                result["load"] = {"kept": True}
            else:
                logger.info("%s: loading %s messages", options.engine, f"{options.messages:,}")
                result["load"] = await load_tenant(store, plan, options.workers)
                _mark_complete(options)
            result["memory_after_load"] = memory_mb()
            result["store_mb"] = await _store_size_mb(store, url)
            if options.load_only:
                result["memory_at_end"] = memory_mb()
                return result
            clock = lambda: plan.end  # noqa: E731 - the tenant's clock: rankings are reproducible
            finder = ExpertFinder(store, clock=clock)
            started = time.perf_counter()
            await finder.refresh(force=True)
            result["catch_up_seconds"] = time.perf_counter() - started
            result["memory_after_catch_up"] = memory_mb()
            logger.info("%s: caught up in %.1f s", options.engine, result["catch_up_seconds"])
            queries = query_mix(plan, options.queries)
            result["queries"] = await run_queries(finder, queries)
            logger.info("%s: queries p50 %.1f ms", options.engine, result["queries"]["p50_ms"])
            if options.e2e:
                services = services_for(store, finder, url, clock)
                known = services_for(store, KnownAnswers(store, clock), url, clock)
                result["end_to_end"] = await measure_end_to_end(services, queries, options.e2e, known=known)
                logger.info("%s: end to end ratio %.2f", options.engine, result["end_to_end"]["ratio_p50"])
            if options.ingest:
                result["ingest"] = await measure_ingest(store, finder, plan, options.ingest)
            result["memory_at_end"] = memory_mb()
        finally:
            await store.close()
    return result


@asynccontextmanager
async def _database(options: Options) -> AsyncIterator[tuple[str, bool]]:
    """The store's URL, and whether it already holds this tenant (`--keep`); scratch ones are removed."""
    if options.engine == "sqlite":
        path = options.workdir / f"{_tenant_name(options)}.db"
        kept = options.keep and _marker(options).exists() and path.exists()
        if not kept:
            for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), _marker(options)):
                stale.unlink(missing_ok=True)
        try:
            yield f"sqlite:///{path}", kept
        finally:
            if not options.keep:
                for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                    leftover.unlink(missing_ok=True)
        return
    name = f"seula_bench_{_tenant_name(options)}" if options.keep else f"seula_bench_{uuid.uuid4().hex[:12]}"
    kept = options.keep and _marker(options).exists() and await _database_exists(options.postgres, name)
    if not kept:
        await _postgres(options.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _postgres(options.postgres, f'CREATE DATABASE "{name}"')
        _marker(options).unlink(missing_ok=True)
    try:
        yield f"{options.postgres}/{name}", kept
    finally:
        if not options.keep:
            await _postgres(options.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tenant_name(options: Options) -> str:
    return f"p{options.people}_m{options.messages}_s{options.seed}"


def _marker(options: Options) -> Path:
    """Written once a load has finished: `--keep` reuses only complete stores."""
    return options.workdir / f"{options.engine}-{_tenant_name(options)}.complete"


def _mark_complete(options: Options) -> None:
    if options.keep:
        _marker(options).write_text(json.dumps({"people": options.people, "messages": options.messages}))


async def _postgres(dsn: str, statement: str) -> None:
    connection = await asyncpg.connect(f"{dsn}/postgres", timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _database_exists(dsn: str, name: str) -> bool:
    connection = await asyncpg.connect(f"{dsn}/postgres", timeout=5)
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await connection.close()


async def _store_size_mb(store: Store, url: str) -> float:
    """The SQLite file with its WAL, or PostgreSQL's `pg_database_size`."""
    if store.engine_name == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists()) / 1e6
    dsn, name = url.rsplit("/", 1)
    connection = await asyncpg.connect(f"{dsn}/{name}", timeout=5)
    try:
        return int(await connection.fetchval("SELECT pg_database_size(current_database())")) / 1e6
    finally:
        await connection.close()


def _safe(url: str) -> str:
    return url.split("@")[-1]


# --- the report --------------------------------------------------------------------------------------------


def postgres_unreachable(dsn: str) -> str | None:
    """Why no scratch database can be made on the server at `dsn`, or None if one can."""
    try:
        asyncio.run(_postgres(dsn, "SELECT 1"))
    except (OSError, asyncpg.PostgresError) as error:
        return f"{dsn}: {error}"
    return None


def machine() -> dict[str, Any]:
    model = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "processor": model,
        "python": platform.python_version(),
        "load_average": os.getloadavg()[0],  # the machine is shared: other work moves every figure
    }


def print_report(results: Mapping[str, Any]) -> None:
    m = results["machine"]
    print(
        f"Machine: {m['cpus']} CPUs ({m['processor']}), Python {m['python']}, load average "
        f"{m['load_average']:.1f} at the start and {results['load_average_at_end']:.1f} at the end"
    )
    for note in results.get("notes", ()):
        print(f"Note: {note}")
    for run in results["engines"]:
        if "error" in run:
            print(f"\n{run['engine']}: failed: {run['error']}")
            continue
        tenant = run["tenant"]
        print(
            f"\n{run['engine']}: {tenant['people']:,} people, {tenant['messages']:,} messages, "
            f"{tenant['teams']:,} teams ({tenant['private_teams']} private), {tenant['channels']:,} channels"
        )
        rows: list[tuple[str, str]] = []
        load = run["load"]
        if load.get("kept"):
            rows.append(("load", "kept store reused (--keep)"))
        else:
            rows.append(
                (
                    "load",
                    f"{load['seconds']:.1f} s ({load['messages_per_second']:,.0f} messages/s, "
                    f"{load['workers']} generator workers, directory {load['directory_seconds']:.1f} s)",
                )
            )
        rows.append(("store on disk", f"{run['store_mb']:,.0f} MB"))
        rows.append(("RSS after load", f"{run['memory_after_load']['rss_mb']:,.0f} MB"))
        if "catch_up_seconds" in run:
            rows.append(("catch-up (refresh(force=True))", f"{run['catch_up_seconds']:.2f} s"))
            rows.append(("RSS after catch-up", f"{run['memory_after_catch_up']['rss_mb']:,.0f} MB"))
        if "queries" in run:
            q = run["queries"]
            rows.append(("query p50 / p99 / max", _ms3(q)))
            for kind, figures in q["by_kind"].items():
                rows.append((f"  {kind} ({figures['n']})", _ms3(figures)))
            rows.append(
                (
                    "planted experts found",
                    f"{q['planted_found']} of {q['planted_queries']} rare-topic queries",
                )
            )
            collections = q["garbage_collections"]
            rows.append(
                (
                    "full GCs during the timed queries",
                    f"{collections['full_collections']}, longest {collections['max_pause_ms']:.0f} ms",
                )
            )
            slowest = ", ".join(f"{s['query']!r} {s['ms']:.0f} ms" for s in q["slowest"])
            rows.append(("slowest queries", slowest))
        if "end_to_end" in run:
            e = run["end_to_end"]
            rows.append(("app start-up (refresh again)", f"{e['app_startup_seconds']:.2f} s"))
            for bot in ("seula", "seula_known", "echo"):
                if bot in e:
                    rows.append((f"{bot}: POST → reply p50 / p99", _ms2(e[bot]["reply"])))
                    rows.append((f"{bot}: POST → HTTP response p50 / p99", _ms2(e[bot]["response"])))
            rows.append(("Seula ÷ echo (reply) p50 / p99", f"{e['ratio_p50']:.2f} / {e['ratio_p99']:.2f}"))
            if "known_ratio_p50" in e:
                rows.append(
                    (
                        "without the query (seula_known) ÷ echo",
                        f"{e['known_ratio_p50']:.2f} / {e['known_ratio_p99']:.2f}",
                    )
                )
            if any(e["failures"].values()) or e["seula_replies_without_card"]:
                rows.append(
                    (
                        "failures",
                        f"{e['failures']}, Seula replies without a card: {e['seula_replies_without_card']}",
                    )
                )
        if "ingest" in run:
            i = run["ingest"]
            rows.append(("new message: write p50", f"{i['write']['p50_ms']:.1f} ms"))
            rows.append(
                (
                    "new message: write → findable p50 / max",
                    f"{i['findable']['p50_ms']:,.0f} / {i['findable']['max_ms']:,.0f} ms "
                    f"({i['messages']} messages, {i['not_found']} not found)",
                )
            )
        end = run["memory_at_end"]
        rows.append(("peak RSS (VmHWM)", f"{end['peak_rss_mb']:,.0f} MB"))
        if load.get("worker_peak_rss_mb"):
            rows.append(("generator worker peak RSS", f"{load['worker_peak_rss_mb']:,.0f} MB"))
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            print(f"  {label:<{width}}  {value}")


def _ms3(figures: Mapping[str, float]) -> str:
    return f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f} / {figures['max_ms']:.1f} ms"


def _ms2(figures: Mapping[str, float]) -> str:
    return f"{figures['p50_ms']:.1f} / {figures['p99_ms']:.1f} ms"


def run(argv: Sequence[str] | None = None, in_process: bool = False) -> dict[str, Any]:
    """Parse the arguments and measure each engine; the results as one dictionary."""
    arguments = _parser().parse_args(argv)
    if arguments.keep and arguments.workdir is None:
        raise SystemExit("--keep needs --workdir: a kept store must outlive the run somewhere known")
    engines = [_ENGINE_NAMES[name.strip()] for name in arguments.engines.split(",") if name.strip()]
    results: dict[str, Any] = {"machine": machine(), "engines": [], "notes": []}
    started = time.perf_counter()
    workdir = arguments.workdir or Path(tempfile.mkdtemp(prefix="seula-speed-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        for engine in engines:
            if engine == "postgresql" and (problem := postgres_unreachable(arguments.postgres)):
                results["notes"].append(f"PostgreSQL skipped: {problem}")
                continue
            options = Options(
                people=arguments.people,
                messages=arguments.messages,
                seed=arguments.seed,
                engine=engine,
                workdir=workdir,
                postgres=arguments.postgres,
                queries=arguments.queries,
                e2e=arguments.e2e,
                ingest=arguments.ingest,
                workers=arguments.workers,
                keep=arguments.keep,
                load_only=arguments.load_only,
            )
            if in_process:
                results["engines"].append(asyncio.run(_measure_engine(options)))
                continue
            try:
                with ProcessPoolExecutor(max_workers=1, mp_context=_SPAWN) as pool:
                    future: Future[dict[str, Any]] = pool.submit(measure_engine, options)
                    results["engines"].append(future.result())
            except Exception as error:  # the other engine's figures are still worth printing
                logger.exception("%s failed", engine)
                results["engines"].append({"engine": engine, "error": f"{type(error).__name__}: {error}"})
    finally:
        if arguments.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    results["bench_seconds"] = time.perf_counter() - started
    results["load_average_at_end"] = os.getloadavg()[0]
    return results


_ENGINE_NAMES = {"sqlite": "sqlite", "postgres": "postgresql", "postgresql": "postgresql"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.expertise_speed", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--people", type=int, default=100_000, help="people in the tenant (default: %(default)s)"
    )
    parser.add_argument("--messages", type=int, default=10_000_000, help="messages (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=4, help="tenant seed (default: %(default)s)")
    parser.add_argument(
        "--engines", default="sqlite,postgres", help="sqlite, postgres or both (default: %(default)s)"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("SEULA_BENCH_POSTGRES", DEFAULT_POSTGRES),
        help="PostgreSQL server for the scratch database (default: $SEULA_BENCH_POSTGRES or %(default)s)",
    )
    parser.add_argument("--queries", type=int, default=200, help="queries in the mix (default: %(default)s)")
    parser.add_argument(
        "--e2e", type=int, default=100, help="requests per bot end to end, 0 to skip (default: %(default)s)"
    )
    parser.add_argument(
        "--ingest", type=int, default=20, help="new messages to time, 0 to skip (default: %(default)s)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="generator processes, 0: in the writer's (default: %(default)s)",
    )
    parser.add_argument(
        "--workdir", type=Path, help="where the SQLite file goes (default: a temporary folder)"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the store (file, database) and reuse a complete one from --workdir",
    )
    parser.add_argument(
        "--load-only", action="store_true", help="load (or reuse) the store, report, and stop"
    )
    parser.add_argument("--json", action="store_true", help="end with the results as one JSON object")
    return parser


def main(argv: Sequence[str] | None = None, in_process: bool = False) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    arguments = _parser().parse_args(argv)
    results = run(argv, in_process)
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
