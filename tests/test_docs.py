"""Docs are tested: README settings table, manifest commands, the parser and the help card agree."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from bot.commands import (
    Command,
    ForgetMe,
    Help,
    HideMe,
    HideTopic,
    MyProfile,
    SetAudience,
    ShowMe,
    ShowTopic,
    Unknown,
    WhoKnows,
    parse_command,
)
from bot.manifest_package import MANIFEST_COMMANDS
from bot.settings import settings_documentation
from cards.help_card import build_help_card

REPO = Path(__file__).resolve().parent.parent
README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def readme_settings_rows() -> list[tuple[str, str, str]]:
    table = README.split("<!-- settings-table", 1)[1].split("\n\n", 1)[0]
    rows = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows.append((cells[0].strip("`"), cells[1].strip("`"), cells[2]))
    return rows


def test_the_readme_settings_table_matches_the_settings_object() -> None:
    documented = [(s.env, s.default, s.description) for s in settings_documentation()]
    assert readme_settings_rows() == documented


@pytest.mark.parametrize("command", MANIFEST_COMMANDS, ids=lambda c: c.title)
def test_every_manifest_command_is_understood_and_listed_in_help(command: object) -> None:
    title: str = command.title  # type: ignore[attr-defined]
    language = command.language  # type: ignore[attr-defined]
    parsed = parse_command(title if title not in ("who knows", "kuka osaa") else f"{title} kubernetes")
    assert not isinstance(parsed, Unknown), title
    assert isinstance(parsed, (WhoKnows, Help, HideMe, ShowMe, MyProfile, ForgetMe))
    assert parsed.language == language
    commands = [(c.title, c.description) for c in MANIFEST_COMMANDS if c.language == language]
    help_card = json.dumps(build_help_card(language, commands), ensure_ascii=False)
    assert title in help_card


# Variants the menu's descriptions name (the menu holds only 12 commands), with what each must parse to.
DESCRIBED_VARIANTS: list[tuple[str, str, Command]] = [
    ("hide me", "hide me from X", HideTopic("kubernetes", "en")),
    ("show me", "show me for X", ShowTopic("kubernetes", "en")),
    ("show me", "show me only to my team", SetAudience(True, "en")),
    ("show me", "show me to everyone", SetAudience(False, "en")),
    ("piilota minut", "piilota minut aiheesta X", HideTopic("kubernetes", "fi")),
    ("näytä minut", "näytä minut aiheesta X", ShowTopic("kubernetes", "fi")),
    ("näytä minut", "näytä minut vain tiimilleni", SetAudience(True, "fi")),
    ("näytä minut", "näytä minut kaikille", SetAudience(False, "fi")),
]


@pytest.mark.parametrize(("title", "variant", "expected"), DESCRIBED_VARIANTS, ids=lambda v: str(v))
def test_every_variant_a_command_description_names_is_understood(
    title: str, variant: str, expected: Command
) -> None:
    [command] = [c for c in MANIFEST_COMMANDS if c.title == title]
    assert variant in command.description
    assert parse_command(variant.replace(" X", " kubernetes")) == expected


def test_the_readme_documents_every_cli_command() -> None:
    from app import _parser

    subcommands = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in subcommands:
        assert re.search(rf"`python app\.py {name}\b", README) or (
            name == "serve" and "`python app.py serve`" in README
        ), name


def test_no_file_keeps_merge_conflict_markers() -> None:
    # Regression: a merge once left <<<<<<< and >>>>>>> lines in docs/architecture.md, and nothing noticed.
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    marker = re.compile(r"^(<{7}|>{7}) ", re.MULTILINE)
    suffixes = {".py", ".md", ".toml", ".txt", ".json", ".mjs", ".sh", ".yml", ".yaml", ""}
    dirty = [
        name
        for name in tracked
        if Path(name).suffix in suffixes
        and (REPO / name).is_file()
        and marker.search((REPO / name).read_text(encoding="utf-8", errors="replace"))
    ]
    assert dirty == []
