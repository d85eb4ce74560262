"""Builds Seula's long-lived parts from the settings, once, for the server and the CLI alike."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.assistant import Assistant
from bot.demo import write_demo_tenant
from bot.expert_finder import ExpertFinder
from bot.graph.client import GraphConnection, connect
from bot.graph.presence import GraphPresence
from bot.graph.sync import GraphSync, Progress, SyncOptions
from bot.graph_import import ImportReport, import_file
from bot.nudger import Nudger
from bot.presence import PresenceLookup
from bot.ratelimit import RateLimiter, RetryPolicy
from bot.settings import Settings
from bot.store import Store
from bot.team_summaries import TeamSummaries

logger = logging.getLogger(__name__)

# Presence has its own Graph limit (1,500 requests in 30 s per app and tenant, PLATFORM.md A.8), so its
# connection has its own limiter; one retry at most, as an answer waits for it only PRESENCE_BUDGET_SECONDS.
PRESENCE_MAX_RPS = 40
PRESENCE_RETRY = RetryPolicy(max_attempts=2, base_delay_seconds=0.2, max_delay_seconds=1.0)
PRESENCE_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Services:
    """The parts every entry point shares."""

    settings: Settings
    store: Store
    finder: ExpertFinder
    summaries: TeamSummaries
    assistant: Assistant
    nudger: Nudger


def secret_key(settings: Settings) -> bytes:
    """The key of the erasure stop-list: the setting, or a key generated once into the data folder."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32))
        logger.warning(
            "Generated the stop-list key in %s: keep it, and set SEULA_SECRET_KEY in production", path
        )
    return path.read_text().strip().encode()


def utc_now() -> datetime:
    return datetime.now(UTC)


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Open the store and build the finder and assistant; close the store (and Graph) on the way out."""
    store = await Store.open(settings.database_url)
    presence_connection: GraphConnection | None = None
    try:
        await store.load_stop_list(await asyncio.to_thread(secret_key, settings))
        finder = ExpertFinder(store, clock=utc_now, visibility_default=settings.visibility_default)
        nudger = Nudger(
            store,
            finder,
            settings.nudges_default == "on",
            settings.default_language,
            clock=utc_now,
            count_in_child=True,
        )
        summaries = TeamSummaries(
            store,
            settings.summary_include_indirect_reports,
            clock=utc_now,
            visibility_default=settings.visibility_default,
            count_in_child=True,
        )
        presence = None
        if settings.graph_configured and settings.presence_budget_seconds > 0:
            limiter = RateLimiter(global_rps=PRESENCE_MAX_RPS, scope_rps=PRESENCE_MAX_RPS)
            presence_connection = connect(settings, limiter, PRESENCE_RETRY, PRESENCE_TIMEOUT_SECONDS)
            presence = PresenceLookup(
                GraphPresence(presence_connection),
                budget_seconds=settings.presence_budget_seconds,
                cache_seconds=settings.presence_cache_seconds,
            )
        assistant = Assistant(
            store,
            finder,
            summaries,
            settings.max_experts,
            settings.default_language,
            clock=utc_now,
            nudger=nudger,
            presence=presence,
        )
        yield Services(settings, store, finder, summaries, assistant, nudger)
    finally:
        if presence_connection is not None:
            await presence_connection.close()
        await store.close()


@asynccontextmanager
async def open_graph_sync(
    settings: Settings, store: Store, progress: Progress | None = None
) -> AsyncIterator[GraphSync]:
    """A Graph ingestion runner for these settings; its connection is closed on the way out."""
    limiter = RateLimiter(global_rps=settings.graph_max_rps, scope_rps=settings.graph_channel_rps)
    connection = connect(settings, limiter)
    try:
        yield GraphSync(
            connection, store, SyncOptions.from_settings(settings), clock=utc_now, progress=progress
        )
    finally:
        await connection.close()


async def purge_expired(settings: Settings, store: Store, now: datetime) -> int:
    """Apply the retention window (RETENTION_DAYS); return how many messages were deleted."""
    if not settings.retention_days:
        return 0
    purged = await store.purge_before(now - timedelta(days=settings.retention_days))
    if purged:
        logger.info("Retention: deleted %d messages older than %d days", purged, settings.retention_days)
    return purged


async def load_demo_tenant_if_empty(settings: Settings, store: Store) -> ImportReport | None:
    """On first start without Graph credentials, fill the empty store with the generated demo tenant."""
    if not settings.demo_enabled or not await store.is_empty():
        return None
    started = time.perf_counter()
    path = settings.data_dir / "demo-tenant.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    # The demo's year ends today (at midnight, so a day's runs agree): it stays recent, inside RETENTION_DAYS.
    today = utc_now().replace(hour=0, minute=0, second=0, microsecond=0)
    lines = await asyncio.to_thread(write_demo_tenant, path, now=today)
    logger.info("Generated the demo tenant: %d Graph objects in %s", lines, path)
    report = await import_file(store, path)
    logger.info("Loaded the demo tenant in %.1f s", time.perf_counter() - started)
    return report
