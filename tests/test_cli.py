"""The command line as other tools use it: ask (one query or a stream), import, stats and manifest."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app import EXIT_CONFIG, main
from tests.graph_objects import ANNA, BEN, CAROL, DAVE, chat_message, small_tenant, user

APP_ID = "0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"


@pytest.fixture
def tenant_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's is read
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'seula.db'}")
    monkeypatch.setenv("SEULA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SEULA_DEMO_TENANT", "off")
    monkeypatch.delenv("SEULA_SECRET_KEY", raising=False)
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    path = tmp_path / "tenant.jsonl"
    path.write_text("".join(json.dumps(o) + "\n" for o in small_tenant()), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


def test_import_then_stats(tenant_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, "import", str(tenant_file), "--json")
    assert status == 0
    assert json.loads(out)["messages"] == 8
    status, out = run(capsys, "stats", "--json")
    stats = json.loads(out)
    assert stats["people"] == 4
    assert stats["messages"] == {"roots": 4, "replies": 4, "deleted": 0, "system_and_bots": 0}
    assert stats["sync"][0]["channel"] == "Kubernetes"
    assert stats["sync"][0]["last_sync"] is None


def test_ask_prints_the_documented_json(tenant_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "import", str(tenant_file))
    status, out = run(capsys, "ask", "who knows kubernetes", "--json")
    assert status == 0
    answer = json.loads(out)
    assert (answer["query"], answer["topic"]) == ("who knows kubernetes", "kubernetes")
    top = answer["experts"][0]
    assert (top["id"], top["name"]) == ANNA
    assert isinstance(top["score"], float)
    assert {"message_id", "url", "snippet"} <= set(top["evidence"][0])


def test_ask_as_someone_leaves_them_out(tenant_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "import", str(tenant_file))
    _, out = run(capsys, "ask", "who knows kubernetes", "--as", ANNA[0], "--json")
    assert ANNA[0] not in [e["id"] for e in json.loads(out)["experts"]]


def test_ask_reads_a_stream_of_queries_in_one_process(
    tenant_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "import", str(tenant_file))
    monkeypatch.setattr("sys.stdin", io.StringIO("who knows kubernetes\n\nterraform state\nkuka osaa helm\n"))
    status, out = run(capsys, "ask", "-", "--json")
    answers = [json.loads(line) for line in out.splitlines()]
    assert status == 0
    assert [a["topic"] for a in answers] == ["kubernetes", "terraform state", "helm"]
    assert answers[2]["experts"][0]["id"] == ANNA[0]


def test_a_bad_import_line_is_reported_and_the_rest_loaded(
    tenant_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant_file.write_text(tenant_file.read_text() + "{oops\n", encoding="utf-8")
    status, out = run(capsys, "import", str(tenant_file), "--json")
    report = json.loads(out)
    assert status == 0
    assert report["errors"] == 1
    assert f"tenant.jsonl:{len(small_tenant()) + 1}: not valid JSON" in report["first_errors"][0]


def test_manifest_writes_a_package(tenant_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, "manifest", "--bot-id", APP_ID, "--json")
    assert status == 0
    with zipfile.ZipFile(json.loads(out)["package"]) as package:
        assert APP_ID in package.read("manifest.json").decode()


def test_a_bad_setting_stops_with_the_variables_name(
    tenant_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORT", "http")
    assert main(["stats"]) == EXIT_CONFIG
    assert "PORT" in capsys.readouterr().err


def test_ask_on_an_empty_store_loads_nothing_when_the_demo_is_off(
    tenant_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "ask", "who knows kubernetes", "--json")
    assert status == 0
    assert json.loads(out)["experts"] == []
    assert CAROL[1] not in out


def test_an_admin_can_forget_someone(tenant_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "import", str(tenant_file))
    status, out = run(capsys, "forget", ANNA[0], "--json")
    assert status == 0
    assert json.loads(out)["erased"]["person"] == 1
    _, out = run(capsys, "ask", "who knows kubernetes", "--json")
    assert ANNA[0] not in out
    assert (tenant_file.parent / "data" / "secret.key").exists(), "the stop-list key was generated"


def recent_tenant() -> list[dict[str, Any]]:
    """Anna has answered five colleagues' kubernetes questions weekly; Dave's helm question is still open."""
    now = datetime.now(UTC)
    eve, fred = (
        ("e0000000-0000-4000-8000-000000000005", "Eve Salo"),
        ("f0000000-0000-4000-8000-000000000006", "Fred Berg"),
    )
    objects = [o for o in small_tenant() if o["@odata.type"] != "#microsoft.graph.chatMessage"]
    objects += [user(eve[0], eve[1], department="Legal"), user(fred[0], fred[1], department="Legal")]
    askers = [BEN, CAROL, DAVE, eve, fred]
    for i in range(10):
        asker = askers[i % 5]
        at = now - timedelta(days=7 * i + 3)
        objects.append(
            chat_message(1000 + i, asker, f"<p>Why do our kubernetes pods restart, case {i}?</p>", at=at)
        )
        objects.append(
            chat_message(
                2000 + i,
                ANNA,
                "<p>Check the liveness probe with kubectl describe pod: kubernetes restarts pods "
                "that fail it.</p>",
                reply_to=1000 + i,
                reactions=[asker[0]],
                at=at + timedelta(hours=1),
            )
        )
    objects.append(
        chat_message(
            3000,
            DAVE,
            "<p>How do I tune the liveness probe for slow kubernetes pods?</p>",
            at=now - timedelta(days=5),
        )
    )
    return objects


def test_nudges_dry_run_lists_this_weeks_nudges_with_real_prompts(
    tenant_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant_file.write_text("".join(json.dumps(o) + "\n" for o in recent_tenant()), encoding="utf-8")
    run(capsys, "import", str(tenant_file))
    status, out = run(capsys, "nudges", "--dry-run", "--json")
    assert status == 0
    [nudge] = json.loads(out)["nudges"]
    assert nudge["recipient"] == ANNA[0]
    assert nudge["reachable"] is False  # she never installed the bot
    assert {"answers", "reactions", "people_helped", "reach", "trend", "weeks", "goal"} <= set(nudge["stats"])
    assert len(nudge["stats"]["weeks"]) == 8
    [prompt] = nudge["prompts"]
    assert prompt["text"] == "How do I tune the liveness probe for slow kubernetes pods?"
    assert prompt["url"].startswith("https://teams.microsoft.com/l/message/")
    assert prompt["outline"], "drawn from her own answers"
    # Nothing was recorded: a second dry run lists the same nudge.
    assert json.loads(run(capsys, "nudges", "--dry-run", "--json")[1]) == json.loads(out)


def test_nudges_without_dry_run_queue_only_reachable_people(
    tenant_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant_file.write_text("".join(json.dumps(o) + "\n" for o in recent_tenant()), encoding="utf-8")
    run(capsys, "import", str(tenant_file))
    status, out = run(capsys, "nudges", "--json")
    assert status == 0
    body = json.loads(out)
    # Anna never installed Seula: nothing is queued, and her week stays unclaimed for when she does.
    assert body["nudges"] == {"queued": 0, "reminders": 0, "not_due": 0, "unreachable": 1}
    assert len(json.loads(run(capsys, "nudges", "--dry-run", "--json")[1])["nudges"]) == 1


def test_nudge_outcomes_are_totals_only(tenant_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, "nudges", "--outcomes", "--json")
    assert status == 0
    outcomes = json.loads(out)["outcomes"]
    assert set(outcomes) == {
        "nudges",
        "people_nudged",
        "prompts_offered",
        "prompts_accepted",
        "prompts_dismissed",
        "posted",
        "posted_after_accepting",
        "reactions_on_posts",
    }
    assert all(value == 0 for value in outcomes.values())


def test_ask_obeys_the_opt_in_default_and_the_askers_team(
    tenant_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from bot.store import Store

    run(capsys, "import", str(tenant_file))
    monkeypatch.setenv("SEULA_VISIBILITY_DEFAULT", "opt-in")
    status, out = run(capsys, "ask", "who knows kubernetes", "--json")
    assert status == 0
    assert json.loads(out)["experts"] == [], "nobody has said show me yet"

    async def anna_opts_in_for_her_team_only() -> None:
        store = await Store.open(f"sqlite:///{tenant_file.parent / 'seula.db'}")
        await store.set_hidden(ANNA[0], False)
        await store.set_team_only(ANNA[0], True)
        await store.close()

    asyncio.run(anna_opts_in_for_her_team_only())
    _, out = run(capsys, "ask", "who knows kubernetes", "--json")
    assert json.loads(out)["experts"] == [], "an asker who isn't known is on nobody's team"
    _, out = run(capsys, "ask", "who knows kubernetes", "--as", CAROL[0], "--json")
    assert json.loads(out)["experts"] == [], "Carol is in Sales"
    _, out = run(capsys, "ask", "who knows kubernetes", "--as", BEN[0], "--json")
    assert [e["id"] for e in json.loads(out)["experts"]] == [ANNA[0]], "Ben shares her department"
