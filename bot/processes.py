"""Child processes for work that would hold the bot's GIL: one start method for all of them."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Children fork from a server process that has these loaded: cheap to start, and never a fork of the bot's
# own process with its threads and open connections. The server starts once, with the first child, so every
# user's modules are listed here (the Graph sync's page parsers, the summaries' digest count, the nudges'
# count of contributions).
_PRELOAD = ["bot.graph_import", "bot.team_summaries", "bot.nudger"]


def child_context() -> BaseContext:
    """The forkserver (preloaded) where the platform has one, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload(_PRELOAD)
        return forkserver
    return multiprocessing.get_context("spawn")


async def in_child_process(
    what: str, child: Callable[..., T], args: tuple[Any, ...], here: Callable[[], Awaitable[T]]
) -> T:
    """`child(*args)` in a one-worker process of its own (`child_context`), for counting that would hold
    the GIL for seconds and make the bot's queries wait; `here()` in this process, with a warning, where no
    child process can start (a sandbox, no /dev/shm)."""
    loop = asyncio.get_running_loop()
    try:
        with ProcessPoolExecutor(1, mp_context=child_context()) as pool:
            return await loop.run_in_executor(pool, child, *args)
    except (OSError, BrokenProcessPool) as error:
        logger.warning("%s in a child process failed (%s); counting here", what, error)
    return await here()
