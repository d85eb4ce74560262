"""Child processes for work that would hold the bot's GIL: one start method for all of them."""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import BaseContext

# Children fork from a server process that has these loaded: cheap to start, and never a fork of the bot's
# own process with its threads and open connections. The server starts once, with the first child, so every
# user's modules are listed here (the Graph sync's page parsers, the summaries' digest count).
_PRELOAD = ["bot.graph_import", "bot.team_summaries"]


def child_context() -> BaseContext:
    """The forkserver (preloaded) where the platform has one, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload(_PRELOAD)
        return forkserver
    return multiprocessing.get_context("spawn")
