"""The command line as other tools use it: ask (one query or a stream), import, stats and manifest."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from app import EXIT_CONFIG, main
from tests.graph_objects import ANNA, BEN, CAROL, small_tenant

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
    assert stats["messages"] == {"roots": 4, "replies": 4, "deleted": 0}
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
