"""The Graph sync benchmark's own bookkeeping (bench/graph_sync.py), checked against a real sync's output."""

from __future__ import annotations

from bench.graph_sync import _phases
from bot.graph.client import connect
from bot.graph.sync import GraphSync, SyncOptions
from bot.graph.throttle import RateLimiter
from bot.store import Store
from tests.fake_graph import FakeGraph, fake_graph  # noqa: F401 - the fixture
from tests.graph_objects import generated_tenant
from tests.test_graph_sync import FAST_RETRY, NOW, TOKEN, StartGraph, settings_for


async def test_each_phase_of_a_real_pass_is_timed_from_its_own_progress_line(
    store: Store,
    fake_graph: StartGraph,  # noqa: F811
) -> None:
    """The throttled figure is the messages phase against the least time its pages need: when the sync began
    reporting team memberships, the phases shifted by one line and the people's 16 s of profiles were
    counted as messages (1.53 to the formula instead of 0.89)."""
    graph: FakeGraph = await fake_graph(generated_tenant(), NOW, token=TOKEN, inline_replies=3)
    lines: list[tuple[float, str]] = []
    connection = connect(settings_for(graph), RateLimiter(global_rps=200, scope_rps=200), FAST_RETRY)
    clock = iter(range(1, 1000))
    try:
        sync = GraphSync(
            connection,
            store,
            SyncOptions(),
            clock=lambda: NOW,
            progress=lambda line: lines.append((float(next(clock)), line)),
        )
        await sync.run(force=True)
    finally:
        await connection.close()
    marks = [(moment, line) for moment, line in lines if not line.startswith(" ")]
    phases = _phases(0.0, marks, 100.0)
    assert list(phases) == ["teams", "team_members", "channel_lists", "people_and_profiles", "messages"]
    assert all(seconds == 1.0 for name, seconds in phases.items() if name != "messages"), phases
    assert phases["messages"] == 100.0 - len(marks)
