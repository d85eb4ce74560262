"""Weekly-nudge fan-out: 10,000 proactive messages through Teams' limits, with the sender killed once midway.

A loopback Bot Framework connector (tests/fake_connector.py) enforces the per-tenant rate (`--rate`, 30/s by
default, PLATFORM.md D.3) and the per-conversation limits, and throttles a random share of requests on top
(`--throttle`, 429 with `Retry-After: --retry-after`). The sender runs in a child process
(`Delivery.run_due` over the real `TeamsSender`); when `--kill-at` of the messages have arrived it is killed
with SIGKILL and a new one is started. The report compares the total time with the floor the limits allow
(every request at exactly `--rate`) and counts duplicates, missed recipients and items left `uncertain`.

    python -m bench.nudge_fanout --rate 300             # a quick run, about 40 s
    python -m bench.nudge_fanout                        # the real figure at 30/s, about 6 minutes
    python -m bench.nudge_fanout --postgres --json      # on a scratch PostgreSQL database
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bot.delivery import Delivery, DeliveryOptions
from bot.model import ConversationRecord, OutboxItem
from bot.ratelimit import RetryPolicy
from bot.settings import load_settings
from bot.store import Store
from bot.teams.proactive import TeamsSender
from tests.fake_connector import FakeConnector

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT_ID = "28:0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"
CARD: dict[str, object] = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [{"type": "TextBlock", "text": "Three questions this week match what you know.", "wrap": True}],
}
POSTGRES = os.environ.get("SEULA_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def utc_now() -> datetime:
    return datetime.now(UTC)


def person(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


# --- the sending process ------------------------------------------------------------------------------------


async def worker(args: argparse.Namespace) -> None:
    """One sending process: run due deliveries until nothing is pending."""
    store = await Store.open(args.database)
    settings = load_settings(environ={"SEULA_DEMO_TENANT": "off"})
    options = DeliveryOptions(
        max_rps=args.rate,
        concurrency=args.concurrency,
        lease_seconds=args.lease_seconds,
        retry=RetryPolicy(base_delay_seconds=0.2, max_delay_seconds=5.0),
    )
    try:
        async with aiohttp.ClientSession() as session:
            sender = TeamsSender(store, session, settings, utc_now, timeout_seconds=args.lease_seconds / 2)
            delivery = Delivery(store, sender, options, utc_now)
            while (await store.delivery_counts()).get("pending"):
                report = await delivery.run_due()
                if not report.attempts:
                    await asyncio.sleep(0.2)  # items held by a dead process's leases, not yet expired
    finally:
        await store.close()


# --- the harness --------------------------------------------------------------------------------------------


@asynccontextmanager
async def scratch_database(postgres: bool) -> AsyncIterator[str]:
    if not postgres:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'fanout.db'}"
        return
    name = f"seula_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(f"{POSTGRES}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{POSTGRES}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def seed(database: str, connector: FakeConnector, recipients: int, without_chat: int) -> None:
    store = await Store.open(database)
    now = utc_now()
    try:
        for n in range(without_chat, recipients):
            conversation_id = f"a:{person(n)}"
            await store.save_conversation(
                ConversationRecord(
                    id=conversation_id,
                    conversation_type="personal",
                    service_url=connector.url,
                    reference={
                        "bot": {"id": BOT_ID},
                        "user": {"id": f"29:{n}", "aadObjectId": person(n)},
                        "conversation": {"id": conversation_id, "conversationType": "personal"},
                        "channelId": "msteams",
                        "serviceUrl": connector.url,
                    },
                    updated_at=now,
                    tenant_id=TENANT,
                    user_id=person(n),
                )
            )
        due = now - timedelta(minutes=1)
        items = [
            OutboxItem("nudge", person(n), "2026-W49", due, CARD, "Your weekly nudge")
            for n in range(recipients)
        ]
        await store.enqueue_deliveries(items, now)
    finally:
        await store.close()


async def start_worker(
    args: argparse.Namespace, database: str, connector_url: str
) -> asyncio.subprocess.Process:
    command = [sys.executable, "-m", "bench.nudge_fanout", "--worker", "--database", database]
    command += [
        "--connector",
        connector_url,
        "--rate",
        str(args.rate),
        "--concurrency",
        str(args.concurrency),
    ]
    command += ["--lease-seconds", str(args.lease_seconds)]
    return await asyncio.create_subprocess_exec(*command)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    connector = FakeConnector(
        tenant_rps=args.rate, random_429_rate=args.throttle, random_retry_after=args.retry_after, seed=7
    )
    await connector.start()
    try:
        async with scratch_database(args.postgres) as database:
            await seed(database, connector, args.recipients, args.without_chat)
            started = time.monotonic()
            process = await start_worker(args, database, connector.url)
            kills = 0
            while kills < args.kills:
                arrived = connector.accepted
                if arrived >= args.recipients * args.kill_at * (kills + 1) / args.kills:
                    process.send_signal(signal.SIGKILL)
                    await process.wait()
                    kills += 1
                    process = await start_worker(args, database, connector.url)
                elif process.returncode is not None:
                    break
                await asyncio.sleep(0.01)
            await process.wait()
            elapsed = time.monotonic() - started
            store = await Store.open(database)
            try:
                counts = await store.delivery_counts()
                uncertain = [i.recipient_id for i in await store.deliveries(status="uncertain")]
            finally:
                await store.close()
    finally:
        await connector.close()
    per_person: dict[str, int] = {}
    for conversation, received in connector.delivered().items():
        member = next((m for m, c in connector.created.items() if c == conversation), conversation[2:])
        per_person[member] = per_person.get(member, 0) + received
    requests_needed = args.recipients + args.without_chat  # a message each, and a chat opened for some
    floor = requests_needed / args.rate
    result = {
        "recipients": args.recipients,
        "rate": args.rate,
        "database": "postgresql" if args.postgres else "sqlite",
        "seconds": round(elapsed, 1),
        "floor_seconds": round(floor, 1),
        "ratio": round(elapsed / floor, 3),
        "duplicates": sum(1 for n in per_person.values() if n > 1),
        "missed": sum(1 for n in range(args.recipients) if person(n) not in per_person),
        "uncertain": len(uncertain),
        "uncertain_arrived": sum(1 for r in uncertain if r in per_person),
        "kills": kills,
        "requests": connector.requests,
        "throttled_by_limits": connector.throttled,
        "throttled_injected": connector.injected,
        "chats_opened": len(connector.created),
        "statuses": counts,
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument(
        "--rate", type=int, default=30, help="the connector's per-tenant limit and Seula's rate"
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--throttle", type=float, default=0.002, help="share of requests answered 429 at random"
    )
    parser.add_argument("--retry-after", default="0.2", help="Retry-After of those 429s (seconds)")
    parser.add_argument("--without-chat", type=int, default=100, help="recipients with no 1:1 chat yet")
    parser.add_argument(
        "--kill-at", type=float, default=0.5, help="share delivered when the sender is killed"
    )
    parser.add_argument("--kills", type=int, default=1)
    parser.add_argument("--lease-seconds", type=float, default=30.0)
    parser.add_argument("--postgres", action="store_true", help=f"use a scratch database on {POSTGRES}")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--connector", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker(args))
        return
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{result['recipients']} nudges at {result['rate']}/s on {result['database']}, sender killed "
        f"{result['kills']}x: {result['seconds']} s against a floor of {result['floor_seconds']} s "
        f"(ratio {result['ratio']}, goal <= 1.15)"
    )
    print(
        f"duplicates {result['duplicates']}, missed {result['missed']}, uncertain {result['uncertain']} "
        f"({result['uncertain_arrived']} of them arrived); {result['requests']} requests, "
        f"{result['throttled_by_limits']} 429s for the limits, {result['throttled_injected']} injected; "
        f"{result['chats_opened']} chats opened; statuses {result['statuses']}"
    )


if __name__ == "__main__":
    main()
