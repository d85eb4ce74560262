"""Shared fixtures: real stores on SQLite and PostgreSQL, a loopback Bot Framework connector, settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.demo.tenant import DEFAULT_NOW, write_demo_tenant
from bot.graph_import import import_file
from bot.settings import Settings, load_settings
from bot.store import Store

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
TEST_SECRET_KEY = "test-only-stop-list-key-0123456789abcdef"
POSTGRES_DSN = os.environ.get("SEULA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def shared_path(*parts: str) -> Path:
    """A file under ../shared/, or a clean skip where this clone has no shared folder beside it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/{'/'.join(parts)} is not beside this clone")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database on each engine: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'seula.db'}"
        return
    name = f"seula_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(f"{POSTGRES_DSN}/postgres", timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_DSN}: {error}")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{POSTGRES_DSN}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url)
    yield opened
    await opened.close()


@pytest.fixture
async def demo(store: Store, tmp_path: Path) -> Store:
    """The store (either engine) holding the demo tenant, its year ending at `DEFAULT_NOW`."""
    path = tmp_path / "demo.jsonl"
    write_demo_tenant(path, now=DEFAULT_NOW)
    await import_file(store, path)
    return store


def make_settings(**environ: str) -> Settings:
    """Settings from exactly these variables (the test's own environment is not read)."""
    return load_settings(environ={"SEULA_DEMO_TENANT": "off", "SEULA_SECRET_KEY": TEST_SECRET_KEY, **environ})


@dataclass
class LoopbackConnector:
    """A Bot Framework connector on loopback that records what the bot sends."""

    url: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)

    def cards(self) -> list[dict[str, Any]]:
        return [
            attachment["content"]
            for activity in self.sent
            for attachment in activity.get("attachments") or ()
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    def texts(self) -> list[str]:
        return [activity["text"] for activity in self.sent if activity.get("text")]


@pytest.fixture
async def connector() -> AsyncIterator[LoopbackConnector]:
    recorder = LoopbackConnector()

    async def send(request: web.Request) -> web.Response:
        activity = await request.json()
        recorder.sent.append(activity)
        return web.json_response({"id": f"sent-{len(recorder.sent)}"})

    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation}/activities", send)
    app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", send)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    recorder.url = str(server.make_url("/")).rstrip("/") + "/"
    yield recorder
    await server.close()
