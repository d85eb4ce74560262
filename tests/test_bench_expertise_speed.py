"""The speed benchmark (bench/expertise_speed.py) at a tiny scale, so the harness cannot rot unnoticed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.expertise_speed import main, query_mix, run
from bench.large_tenant import build_plan, channel_messages

TINY = ["--people", "300", "--messages", "6000", "--engines", "sqlite", "--workers", "0"]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("speed")
    argv = [*TINY, "--queries", "40", "--e2e", "6", "--ingest", "2", "--workdir", str(workdir)]
    return run(argv, in_process=True)


def test_the_generated_tenant_is_deterministic_and_has_exactly_the_messages_asked_for() -> None:
    plan = build_plan(300, 6000)
    assert sum(spec.messages for spec in plan.channels) == 6000
    assert sum(len(channel_messages(plan, i)) for i in range(len(plan.channels))) == 6000
    assert channel_messages(plan, 3) == channel_messages(build_plan(300, 6000), 3)
    replies = [m for m in channel_messages(plan, 0) if m.reply_to_id]
    assert replies, "threads have replies"
    assert any(m.reactions for m in channel_messages(plan, 0))


def test_the_query_mix_has_every_kind_in_its_share() -> None:
    queries = query_mix(build_plan(300, 6000), 200)
    kinds = {kind: sum(1 for q in queries if q.kind == kind) for kind in {q.kind for q in queries}}
    assert kinds == {"common": 70, "rare": 50, "two-word": 40, "finnish": 30, "unknown": 10}
    assert all(q.asker not in q.experts for q in queries)


def test_the_report_has_every_figure(results: dict[str, Any]) -> None:
    [engine] = results["engines"]
    assert engine["engine"] == "sqlite"
    assert engine["load"]["messages"] == 6000
    assert engine["store_mb"] > 0
    assert engine["catch_up_seconds"] > 0
    for figure in ("p50_ms", "p99_ms", "max_ms"):
        assert engine["queries"][figure] > 0
    assert set(engine["queries"]["by_kind"]) == {"common", "rare", "two-word", "finnish", "unknown"}
    assert engine["memory_at_end"]["peak_rss_mb"] > 0


def test_queries_find_the_planted_experts_of_rare_topics(results: dict[str, Any]) -> None:
    queries = results["engines"][0]["queries"]
    assert queries["planted_queries"] >= 10
    assert queries["planted_found"] == queries["planted_queries"]


def test_end_to_end_measures_seula_against_the_echo_bot(results: dict[str, Any]) -> None:
    e2e = results["engines"][0]["end_to_end"]
    assert e2e["failures"] == {"seula": 0, "seula_known": 0, "echo": 0}
    assert e2e["seula_replies_without_card"] == 0
    assert e2e["seula"]["reply"]["n"] == e2e["seula_known"]["reply"]["n"] == e2e["echo"]["reply"]["n"] == 6
    assert e2e["ratio_p50"] > 0
    assert e2e["known_ratio_p50"] > 0  # the turn without the query, against the same echo bot


def test_a_new_message_becomes_findable(results: dict[str, Any]) -> None:
    ingest = results["engines"][0]["ingest"]
    assert ingest["not_found"] == 0
    assert ingest["findable"]["n"] == 2


def test_load_only_with_keep_reuses_the_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*TINY, "--messages", "500", "--load-only", "--keep", "--workdir", str(tmp_path), "--json"]
    assert main(argv, in_process=True) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert first["engines"][0]["load"]["messages"] == 500
    assert main(argv, in_process=True) == 0
    again = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert again["engines"][0]["load"] == {"kept": True}
