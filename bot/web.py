"""The aiohttp app: `/api/messages` (the Teams edge) and `/healthz`; startup work in the background."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from bot.bootstrap import Services, load_demo_tenant_if_empty, open_graph_sync, purge_expired, utc_now
from bot.delivery import Delivery
from bot.teams.endpoint import MAX_ACTIVITY_BYTES, TeamsEndpoint

logger = logging.getLogger(__name__)


@dataclass
class Readiness:
    """Whether startup work (demo tenant, index) has finished, and why not if it failed."""

    ready: bool = False
    error: str | None = None


_STARTUP_GRACE_SECONDS = 5.0
SYNC_PASS_SECONDS = 3600.0
DELIVERY_INTERVAL_SECONDS = 30.0
NUDGE_PLAN_INTERVAL_SECONDS = 900.0
INDEXING_INTERVAL_SECONDS = 5.0

services_key = web.AppKey("services", Services)
readiness_key = web.AppKey("readiness", Readiness)
delivery_key = web.AppKey("delivery", Delivery)


def create_app(services: Services, delivery: Delivery | None = None) -> web.Application:
    """The web application for the given services (the composition root builds those).

    With a `delivery`, the `delivery` job sends due proactive messages every 30 seconds.
    """
    app = web.Application(client_max_size=MAX_ACTIVITY_BYTES)
    app[services_key] = services
    app[readiness_key] = Readiness()
    endpoint = TeamsEndpoint(services.settings, services.assistant, services.store)
    app.router.add_post("/api/messages", endpoint.handle)
    app.router.add_get("/healthz", _health)
    app.cleanup_ctx.append(_startup_work(lambda: _prepare(services)))
    if services.settings.graph_configured:
        app.cleanup_ctx.append(_scheduled_sync)
    app.cleanup_ctx.append(_retention)
    app.cleanup_ctx.append(_indexing)
    if delivery is not None:
        app[delivery_key] = delivery
        app.cleanup_ctx.append(_delivery_job)
        app.cleanup_ctx.append(_nudges_job)
        app.cleanup_ctx.append(_summary_planning)
    return app


async def _summary_planning(app: web.Application) -> AsyncIterator[None]:
    """The `summary-planning` job: hourly, plan this month's team summaries for subscribed managers (the
    first run in a month does the work; the outbox sends each once, whatever the number of replicas), and
    count the organization's digest ahead of managers' requests once summaries are in use."""
    services, delivery = app[services_key], app[delivery_key]

    async def loop() -> None:
        while True:
            try:
                await services.summaries.plan_monthly(delivery)
            except Exception:
                logger.exception("Planning the monthly team summaries failed; it runs again in an hour")
            try:
                await services.summaries.refresh_digest()
            except Exception:
                logger.exception(
                    "Counting the organization's digest for summaries failed; a request counts it"
                )
            await asyncio.sleep(SYNC_PASS_SECONDS)

    task = asyncio.create_task(loop(), name="summary-planning")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _delivery_job(app: web.Application) -> AsyncIterator[None]:
    """The `delivery` job: every 30 s, send the outbox items that are due (nudges, summaries)."""
    delivery = app[delivery_key]

    async def loop() -> None:
        while True:
            try:
                await delivery.run_due()
            except Exception:
                logger.exception("Delivery run failed; the next run picks up where it stopped")
            await asyncio.sleep(DELIVERY_INTERVAL_SECONDS)

    task = asyncio.create_task(loop(), name="delivery")
    yield
    # Cancelling a run lets the sends in flight finish and be recorded, and gives back the other leases.
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _nudges_job(app: web.Application) -> AsyncIterator[None]:
    """The `nudges` job: every 15 min, queue the weekly nudges and reminders whose time has come.

    Each person's week is claimed once in the store, so reruns and replicas never queue a nudge twice.
    """
    services, delivery = app[services_key], app[delivery_key]
    settings = services.settings

    async def loop() -> None:
        await asyncio.sleep(_STARTUP_GRACE_SECONDS)
        while True:
            if app[readiness_key].ready:
                try:
                    await services.nudger.enqueue_due(
                        delivery, settings.nudge_weekday, settings.nudge_hour, settings.default_timezone
                    )
                except Exception:
                    logger.exception("Planning nudges failed; the next run tries again")
            await asyncio.sleep(NUDGE_PLAN_INTERVAL_SECONDS)

    task = asyncio.create_task(loop(), name="nudges")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _indexing(app: web.Application) -> AsyncIterator[None]:
    """The `indexing` job: every 5 s, take new, edited and deleted messages into the expertise index (what
    Graph sync, imports and live messages wrote); with replicas, whoever holds the index lock does it."""
    services = app[services_key]

    async def loop() -> None:
        while True:
            if app[readiness_key].ready:
                try:
                    await services.finder.catch_up()
                except Exception:
                    logger.exception("Indexing failed; the next run takes in what is still waiting")
            await asyncio.sleep(INDEXING_INTERVAL_SECONDS)

    task = asyncio.create_task(loop(), name="indexing")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _retention(app: web.Application) -> AsyncIterator[None]:
    """The `retention` job: hourly, delete what is older than RETENTION_DAYS."""
    services = app[services_key]

    async def loop() -> None:
        while True:
            try:
                await purge_expired(services.settings, services.store, utc_now())
            except Exception:
                logger.exception("Retention purge failed; it runs again in an hour")
            await asyncio.sleep(SYNC_PASS_SECONDS)

    task = asyncio.create_task(loop(), name="retention")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _scheduled_sync(app: web.Application) -> AsyncIterator[None]:
    """The `graph-sync` job: a pass at start and every hour; each channel's round runs when it is due."""
    services = app[services_key]

    async def loop() -> None:
        async with open_graph_sync(services.settings, services.store) as sync:
            while True:
                try:
                    report = await sync.run()
                    logger.info("Graph sync pass: %s", report.as_dict())
                except Exception:
                    logger.exception("Graph sync pass failed; the next pass resumes where it stopped")
                await asyncio.sleep(SYNC_PASS_SECONDS)

    task = asyncio.create_task(loop(), name="graph-sync")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _prepare(services: Services) -> None:
    await load_demo_tenant_if_empty(services.settings, services.store)
    await services.finder.refresh(force=True)


def _startup_work(
    work: Callable[[], Awaitable[None]],
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        readiness = app[readiness_key]

        async def run() -> None:
            try:
                await work()
            except Exception as error:
                logger.exception("Startup failed")
                readiness.error = type(error).__name__  # details are in the log, not on a public URL
            else:
                readiness.ready = True
                logger.info("Seula is ready")

        task = asyncio.create_task(run())
        yield
        # Let short startup work finish: a database call cancelled midway can strand its connection.
        await asyncio.wait({task}, timeout=_STARTUP_GRACE_SECONDS)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    return lifecycle


async def _health(request: web.Request) -> web.Response:
    readiness = request.app[readiness_key]
    if readiness.error:
        return web.json_response({"status": "failed", "error": readiness.error}, status=503)
    if not readiness.ready:
        return web.json_response({"status": "starting"}, status=503)
    stats = await request.app[services_key].store.stats()
    return web.json_response(
        {"status": "ok", "people": stats.people, "messages": stats.roots + stats.replies}
    )
