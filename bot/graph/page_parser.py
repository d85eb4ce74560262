"""Parsing message pages off the event loop: a pool of processes, one per core, for one sync pass."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType
from typing import Any

from bot.graph_import import MessagePage, parse_message_page
from bot.processes import child_context
from bot.store.message_rows import MessageRowEncoder


def default_workers() -> int:
    """One parser per core the process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class PageParser:
    """Parses and encodes pages of Graph chatMessages in worker processes (in process with `workers=0`)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.cpu_seconds = 0.0
        self._pool: ProcessPoolExecutor | None = None

    async def __aenter__(self) -> PageParser:
        return self

    @property
    def started(self) -> bool:
        """Whether worker processes are running."""
        return self._pool is not None

    def start(self) -> None:
        """Start the workers unless they run (a pass with no channel due never starts them)."""
        if self.workers > 0 and self._pool is None:
            # gc.freeze: what a worker imported stays out of every collection (2–3 µs a message less).
            self._pool = ProcessPoolExecutor(self.workers, mp_context=child_context(), initializer=gc.freeze)
            # All of them now: they load while the first pages are fetched.
            for _ in range(self.workers):
                self._pool.submit(os.getpid)

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    async def message_page(
        self,
        body: bytes,
        encoder: MessageRowEncoder,
        beyond: Mapping[int, Sequence[Mapping[str, Any]]] | None = None,
    ) -> MessagePage:
        """`parse_message_page` in a worker; raises what it raises (JSON errors for unreadable bodies)."""
        self.start()
        if self._pool is None:
            page = parse_message_page(body, encoder, beyond)
        else:
            loop = asyncio.get_running_loop()
            page = await loop.run_in_executor(self._pool, parse_message_page, body, encoder, beyond)
        self.cpu_seconds += page.cpu_seconds
        return page
