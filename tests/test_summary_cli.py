"""`python app.py summary`: the JSON other tools read, the refusal's exit status, and the demo tenant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import EXIT_REFUSED, main
from bot.demo import RISING
from tests.graph_objects import generated_tenant

MANAGER = f"{0:08d}-0000-4000-8000-{7:012d}"
REPORT = f"{1:08d}-0000-4000-8000-{7:012d}"


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's is read
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'seula.db'}")
    monkeypatch.setenv("SEULA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SEULA_DEMO_TENANT", "off")
    monkeypatch.setenv("SEULA_SECRET_KEY", "test-only-stop-list-key-0123456789abcdef")
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    monkeypatch.delenv("SUMMARY_INCLUDE_INDIRECT_REPORTS", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


def test_a_managers_summary_prints_the_documented_json(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = environment / "tenant.jsonl"
    path.write_text("".join(json.dumps(o) + "\n" for o in generated_tenant(threads_per_channel=40)))
    assert run(capsys, "import", str(path))[0] == 0
    status, out = run(capsys, "summary", "--manager", MANAGER, "--json")
    assert status == 0
    summary = json.loads(out)
    assert summary["manager"] == MANAGER
    assert {"topics", "emerging", "unanswered", "recognitions", "helps", "relies_on", "team_size"} <= set(
        summary
    )
    status, out = run(capsys, "summary", "--manager", MANAGER, "--language", "fi")
    assert status == 0
    assert "Tiimisi tämä kuukausi" in out


@pytest.mark.parametrize(
    ("language", "words"), [("en", "Team summaries are for managers"), ("fi", "esihenkilö")]
)
def test_someone_who_manages_no_one_is_refused_with_status_3(
    environment: Path, capsys: pytest.CaptureFixture[str], language: str, words: str
) -> None:
    path = environment / "tenant.jsonl"
    path.write_text("".join(json.dumps(o) + "\n" for o in generated_tenant(threads_per_channel=5)))
    run(capsys, "import", str(path))
    status, out = run(capsys, "summary", "--manager", REPORT, "--json", "--language", language)
    assert status == EXIT_REFUSED == 3
    assert words in json.loads(out)["refused"]


def test_on_the_demo_tenant_each_rising_persons_manager_sees_real_topics_them_and_open_questions(
    environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEULA_DEMO_TENANT", "on")
    status, out = run(capsys, "summary", "--manager", RISING[0], "--json")  # loads the demo tenant first
    assert status == EXIT_REFUSED, "a rising engineer manages no one"
    lines = (environment / "data" / "demo-tenant.jsonl").read_text(encoding="utf-8").splitlines()
    users = [json.loads(line) for line in lines if '"#microsoft.graph.user"' in line]
    managers = {
        u["id"]: u["manager"]["id"] for u in users if u["@odata.type"].endswith("user") and u.get("manager")
    }
    for rising in RISING:
        status, out = run(capsys, "summary", "--manager", managers[rising], "--json")
        assert status == 0
        summary = json.loads(out)
        assert len(summary["topics"]) >= 3, summary["topics"]
        assert rising in [voice["id"] for voice in summary["emerging"]]
        assert summary["unanswered"], "every rising person's team has an open question in its domain"
        for question in summary["unanswered"]:
            assert question["url"].startswith("https://teams.microsoft.com/l/message/")
