"""Counting in a child process (`bot/processes.py`): done there when a child can start, here otherwise."""

from __future__ import annotations

import logging
import os

import pytest

from bot.processes import in_child_process


def dies(code: int) -> int:
    os._exit(code)


async def test_the_work_runs_in_a_child_process_of_its_own(caplog: pytest.LogCaptureFixture) -> None:
    async def here() -> int:
        return os.getpid()

    with caplog.at_level(logging.WARNING):
        worker = await in_child_process("Counting", os.getpid, (), here)
    assert worker != os.getpid()
    assert not caplog.records


async def test_where_the_child_cannot_do_it_the_work_is_done_here_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def here() -> str:
        return "counted here"

    with caplog.at_level(logging.WARNING):
        assert await in_child_process("Counting the digest", dies, (3,), here) == "counted here"
    assert "Counting the digest in a child process failed" in caplog.text
