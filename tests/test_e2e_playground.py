"""End to end: the real bot behind the Microsoft 365 Agents Playground, read in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.demo import RISING, generate_demo_tenant

# Demo-tenant topics asked in the chat: one English, one Finnish.
QUERIES = ["who knows kubernetes", "kuka osaa tietoturva"]
# How many of the `ask --json` top names the rendered card must show.
TOP_NAMES = 3

REPO = Path(__file__).resolve().parents[1]
E2E_DIR = REPO / "tests" / "e2e"
RESULTS_DIR = REPO / "test-results" / "e2e"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
PLAYGROUND_BIN = E2E_DIR / "node_modules" / ".bin" / "agentsplayground"

BOT_READY_SECONDS = 180  # the first start generates and imports the demo tenant
PLAYGROUND_READY_SECONDS = 60
ASK_SECONDS = 120
DRIVER_SECONDS_PER_QUERY = 90  # the driver itself waits up to 60 s for each card

pytestmark = pytest.mark.e2e

# The Playground's people (its own format, which wants five others); the one chatting is a demo-tenant
# person, so Seula knows them.
PLAYGROUND_CONFIG = """\
version: "0.1.1"
tenantId: 00000000-0000-0000-0000-0000000000001
bot:
  id: 00000000-0000-0000-0000-00000000000011
  name: Seula
currentUser:
  id: user-id-0
  name: {name}
  userPrincipleName: seula-e2e@example.com
  aadObjectId: {person_id}
  givenName: {given}
  surname: {surname}
  email: seula-e2e@example.com
users:
  - id: user-id-1
    name: Colleague 1
    userPrincipleName: colleague1@example.com
    aadObjectId: 00000000-0000-0000-0000-000000000021
    givenName: Colleague
    surname: "1"
    email: colleague1@example.com
  - id: user-id-2
    name: Colleague 2
    userPrincipleName: colleague2@example.com
    aadObjectId: 00000000-0000-0000-0000-000000000022
    givenName: Colleague
    surname: "2"
    email: colleague2@example.com
  - id: user-id-3
    name: Colleague 3
    userPrincipleName: colleague3@example.com
    aadObjectId: 00000000-0000-0000-0000-000000000023
    givenName: Colleague
    surname: "3"
    email: colleague3@example.com
  - id: user-id-4
    name: Colleague 4
    userPrincipleName: colleague4@example.com
    aadObjectId: 00000000-0000-0000-0000-000000000024
    givenName: Colleague
    surname: "4"
    email: colleague4@example.com
  - id: user-id-5
    name: Colleague 5
    userPrincipleName: colleague5@example.com
    aadObjectId: 00000000-0000-0000-0000-000000000025
    givenName: Colleague
    surname: "5"
    email: colleague5@example.com
personalChat:
  id: personal-chat-e2e
groupChat:
  id: group-chat-e2e
  name: Group Chat
team:
  id: team-id
  name: My Team
  aadGroupId: 00000000-0000-0000-0000-000000000031
  channels:
    - id: channel-announcements-id
      name: Announcements
"""

T = TypeVar("T")


@dataclass(frozen=True)
class Server:
    """A process this test started: its base URL and the file its output goes to."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="module")
def results_dir() -> Path:
    """test-results/e2e/ in the repo, emptied of the last run's screenshots and logs."""
    _skip_or_fail_without_prerequisites()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    for old in [*RESULTS_DIR.glob("*.png"), *RESULTS_DIR.glob("*.log")]:
        old.unlink()
    return RESULTS_DIR


@pytest.fixture(scope="module")
def bot_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment for `python app.py`: a fresh store and demo tenant, anonymous Bot Framework auth."""
    home = tmp_path_factory.mktemp("seula")
    return {
        **os.environ,
        "PORT": str(_free_port()),
        "DATABASE_URL": f"sqlite+aiosqlite:///{home / 'seula.db'}",
        "SEULA_DATA_DIR": str(home / "data"),
        "SEULA_DEMO_TENANT": "on",
        # Weekly nudges are due from Monday 00:00 in each person's timezone: any day of the week, then.
        "NUDGE_WEEKDAY": "mon",
        "NUDGE_HOUR": "0",
        # The environment wins over a developer's .env: keep the bot anonymous, on loopback and off Graph.
        "HOST": "127.0.0.1",
        "MicrosoftAppId": "",
        "MicrosoftAppPassword": "",
        "GRAPH_TOKEN": "",
        "AZURE_TENANT_ID": "",
        "AZURE_CLIENT_ID": "",
        "AZURE_CLIENT_SECRET": "",
        "AZURE_CLIENT_CERTIFICATE_PATH": "",
    }


@pytest.fixture(scope="module")
def bot(results_dir: Path, bot_env: dict[str, str]) -> Iterator[Server]:
    """`python app.py` on a free loopback port, once /healthz says the demo tenant is loaded."""
    url = f"http://127.0.0.1:{bot_env['PORT']}"
    with _started([sys.executable, "app.py"], REPO, bot_env, results_dir / "bot.log") as started:
        _wait_for(lambda: _http_ok(f"{url}/healthz"), BOT_READY_SECONDS, started, "/healthz to answer 200")
        yield Server(url, *started)


@pytest.fixture(scope="module")
def playground(results_dir: Path, bot: Server) -> Iterator[Server]:
    """The Agents Playground on a free port, posting to the bot as channel `msteams`, as its default user."""
    with _playground(bot, results_dir, "playground", E2E_DIR) as started:
        yield started


@contextmanager
def _playground(bot: Server, results_dir: Path, name: str, cwd: Path) -> Iterator[Server]:
    """Starts the Playground in `cwd` (where it reads `.m365agentsplayground.yml`, the chat's people)."""
    command = [str(PLAYGROUND_BIN), "-e", f"{bot.url}/api/messages", "-c", "msteams", "-p", str(_free_port())]
    env = {
        **os.environ,
        "TEAMSAPPTESTER_BROWSER": "none",  # otherwise it exits trying to open a desktop browser
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(results_dir / f"{name}-internal.log"),  # not ./devTools/
    }
    with _started([*command, "--disable-telemetry"], cwd, env, results_dir / f"{name}.log") as started:
        # It falls back to a random port when the one asked for is taken, so read the one it really uses.
        port = _wait_for(
            lambda: _listening_port(started[1]),
            PLAYGROUND_READY_SECONDS,
            started,
            'the Playground to print "Listening on <port>"',
        )
        url = f"http://127.0.0.1:{port}"
        _wait_for(lambda: _http_ok(url), PLAYGROUND_READY_SECONDS, started, "the Playground's page to load")
        yield Server(url, *started)


@contextmanager
def _playground_as(
    bot: Server, results_dir: Path, tmp_path: Path, name: str, person_id: str, display_name: str
) -> Iterator[Server]:
    """The Playground with a demo-tenant person as the one chatting (its default user is not in the demo)."""
    given, _, surname = display_name.partition(" ")
    config = PLAYGROUND_CONFIG.format(
        person_id=person_id, name=display_name, given=given, surname=surname or given
    )
    (tmp_path / ".m365agentsplayground.yml").write_text(config, encoding="utf-8")
    with _playground(bot, results_dir, name, tmp_path) as started:
        yield started


@pytest.fixture(scope="module")
def cases(bot: Server, bot_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """QUERIES with the names `python app.py ask` ranks first, as the driver's cases file."""
    cases = [{"query": query, "expect": _top_names(query, bot_env)} for query in QUERIES]
    path = tmp_path_factory.mktemp("e2e") / "cases.json"
    path.write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    return path


def test_playground_card_names_the_top_experts(
    bot: Server, playground: Server, cases: Path, results_dir: Path
) -> None:
    results = _drive(playground, cases, results_dir, bot, bot_env=None)
    assert [(result["query"], result["ok"]) for result in results] == [(query, True) for query in QUERIES]


def test_a_weekly_nudge_arrives_proactively_in_the_playground(
    bot: Server, bot_env: dict[str, str], results_dir: Path, tmp_path: Path
) -> None:
    # Who is due a nudge with real prompts, as `nudges --dry-run --json` plans it; they chat first (so Seula
    # has their 1:1 conversation), then `python app.py nudges` queues and sends it through the outbox.
    planned = _cli_json(["nudges", "--dry-run", "--json"], bot_env)["nudges"]
    nudge = next(n for n in planned if n["prompts"])
    prompt = " ".join(nudge["prompts"][0]["text"].split())[:40]
    cases = [
        {"query": "help", "expect": [], "min_open_url": 0},
        {
            "query": "proactive nudge",
            "trigger": [sys.executable, "app.py", "nudges"],
            "cwd": str(REPO),
            "expect": [prompt],
            "min_open_url": 1,
        },
    ]
    path = tmp_path / "nudge-cases.json"
    path.write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    with _playground_as(
        bot, results_dir, tmp_path, "playground-nudge", nudge["recipient"], nudge["name"]
    ) as pg:
        results = _drive(pg, path, results_dir, bot, bot_env)
    assert [(r["query"], r["ok"]) for r in results] == [("help", True), ("proactive nudge", True)]
    assert results[1]["charts"] >= 1, "the nudge's chart of answers per week did not render"


def test_a_manager_sees_the_team_summary_with_charts_in_the_playground(
    bot: Server, bot_env: dict[str, str], results_dir: Path, tmp_path: Path
) -> None:
    manager_id, manager_name = _demo_manager_of_a_rising_person()
    summary = _cli_json(["summary", "--manager", manager_id, "--json"], bot_env)
    voices = summary["emerging"] or summary["recognitions"]
    assert summary["topics"], summary
    assert voices, summary
    assert summary["unanswered"], summary
    expect = [
        summary["topics"][0]["label"],
        voices[0]["name"],
        " ".join(summary["unanswered"][0]["snippet"].split())[:30],
    ]
    # The summary links its questions and evidence from the text itself, not with buttons.
    cases = [{"query": "team summary", "expect": expect, "min_open_url": 0}]
    path = tmp_path / "summary-cases.json"
    path.write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    with _playground_as(bot, results_dir, tmp_path, "playground-summary", manager_id, manager_name) as pg:
        results = _drive(pg, path, results_dir, bot, bot_env)
    assert [(r["query"], r["ok"]) for r in results] == [("team summary", True)]
    assert results[0]["charts"] >= 1, "the summary's charts did not render"


def _drive(
    playground: Server, cases: Path, results_dir: Path, bot: Server, bot_env: dict[str, str] | None
) -> list[dict[str, object]]:
    """Runs playground.mjs over `cases`; a trigger command in a case runs with the bot's environment."""
    count = len(json.loads(cases.read_text(encoding="utf-8")))
    driver = subprocess.run(
        ["node", "playground.mjs", "--url", playground.url, "--cases", str(cases), "--out", str(results_dir)],
        cwd=E2E_DIR,
        env=bot_env,
        capture_output=True,
        text=True,
        timeout=DRIVER_SECONDS_PER_QUERY * count + 240,
        check=False,
    )
    assert driver.returncode == 0, (
        f"playground.mjs exited {driver.returncode}:\n{driver.stderr}\n"
        f"Screenshots and logs are in {results_dir}. The bot's log ends:\n{_tail(bot.log)}"
    )
    return [json.loads(line) for line in driver.stdout.splitlines() if line.startswith("{")]


def _cli_json(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=ASK_SECONDS,
    )
    assert run.returncode == 0, f"app.py {' '.join(args)} exited {run.returncode}:\n{run.stderr}"
    parsed: dict[str, Any] = json.loads(run.stdout)
    return parsed


def _demo_manager_of_a_rising_person() -> tuple[str, str]:
    """A demo manager with a rising person in the team (the summary has an emerging voice); the name."""
    users = {}
    for obj in generate_demo_tenant():
        if obj["@odata.type"] != "#microsoft.graph.user":
            break
        users[obj["id"]] = obj
    manager_id = users[RISING[0]]["manager"]["id"]
    return manager_id, users[manager_id]["displayName"]


def _skip_or_fail_without_prerequisites() -> None:
    missing = []
    if shutil.which("node") is None:
        missing.append("`node` is not on PATH")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} does not exist (apt-get install chromium, or set CHROMIUM_PATH)")
    if not PLAYGROUND_BIN.exists():
        missing.append("tests/e2e/node_modules is not installed (run `npm ci` in tests/e2e)")
    if not missing:
        return
    reason = "end-to-end prerequisites missing: " + "; ".join(missing)
    if os.environ.get("SEULA_REQUIRE_E2E") == "1":
        pytest.fail(f"{reason} (and SEULA_REQUIRE_E2E=1)")
    pytest.skip(reason)


def _top_names(query: str, env: dict[str, str]) -> list[str]:
    """The names `python app.py ask QUERY --json` ranks first: what the card has to show."""
    answer = subprocess.run(
        [sys.executable, "app.py", "ask", query, "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=ASK_SECONDS,
        check=False,
    )
    assert answer.returncode == 0, f"app.py ask {query!r} exited {answer.returncode}:\n{answer.stderr}"
    try:
        experts = json.loads(answer.stdout)["experts"]
    except (ValueError, KeyError) as error:
        message = f"app.py ask {query!r} --json printed no answer ({error}):\n{answer.stdout}"
        raise AssertionError(message) from None
    names = [expert["name"] for expert in experts[:TOP_NAMES]]
    assert names, f"the demo tenant has no experts for {query!r}; pick another query in QUERIES"
    return names


Started = tuple[subprocess.Popen[bytes], Path]


@contextmanager
def _started(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Iterator[Started]:
    """Runs `command` in a new process group with its output in `log`; ends the whole group afterwards."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process, log
    finally:
        for sig, grace_seconds in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            with suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=grace_seconds)
                break


def _wait_for(probe: Callable[[], T | None], seconds: float, started: Started, what: str) -> T:
    """Polls `probe` until it returns a value; fails at once if the started process exits first."""
    process, log = started
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value is not None:
            return value
        if process.poll() is not None:
            pytest.fail(f"exited {process.returncode} while waiting for {what}:\n{_tail(log)}")
        time.sleep(0.5)
    pytest.fail(f"gave up after {seconds} s waiting for {what}:\n{_tail(log)}")


def _listening_port(log: Path) -> int | None:
    found = re.search(r"Listening on (\d+)", log.read_text(errors="replace"))
    return int(found.group(1)) if found else None


def _http_ok(url: str) -> bool | None:
    """True once `url` answers 200; None (keep waiting) otherwise."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return True if response.status == 200 else None
    except (urllib.error.URLError, OSError):
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"
